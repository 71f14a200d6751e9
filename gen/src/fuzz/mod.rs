//! `qforge fuzz [--target T] [--cases N] [--seed S] [--json]`: proptest-free, stable-Rust
//! fuzzing of every parser qforge reads user files with: design TOML, quantizer spec JSON,
//! `.npy`, network JSON, the model format (manifest and safetensors), and ONNX. Each case
//! mutates a valid seed input (`mutate.rs`) and runs it through the parser and what a command
//! does next with an accepted input (resolving a design, preparing a spec, evaluating a model).
//! A rejected input is fine; a panic is a defect, counted, reported with the case's seed, and
//! the command exits 1. `--case I` reruns one case. The `outputs` target (`outputs.rs`)
//! fuzzes the one output path every command writes through, on scratch trees, against its
//! all-or-nothing invariants (a broken invariant counts like a panic).
//!
//! The test command runs a short run (`gen/tests/fuzz.rs`); the long run is
//! `qforge fuzz --cases 100000` (`docs/fuzz.md`).

mod mutate;
mod outputs;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::console::outln;
use anyhow::{bail, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Arguments of `qforge fuzz`.
#[derive(clap::Args)]
pub struct Args {
    /// Target: all, design, spec, npy, network, model, onnx, outputs.
    #[arg(long, default_value = "all")]
    target: String,
    /// Cases per target.
    #[arg(long, default_value_t = 10_000)]
    cases: u64,
    /// Seed (case `i` of a target uses seed `S·2^32 + i`).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rerun only case `I` (and print its input's length and outcome).
    #[arg(long)]
    case: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A scenario case: draws its own input, checks invariants (`Err` = a broken one).
type TreeCase = fn(&mut ChaCha8Rng) -> Result<bool, String>;

/// A fuzz target: its seeds and what it runs on one input (`true` = accepted), or (`tree`) a
/// case that draws its own scenario and checks invariants (`Err` = a broken invariant).
struct Target {
    name: &'static str,
    text: bool,
    seeds: fn() -> Vec<Vec<u8>>,
    run: fn(&[u8]) -> bool,
    tree: Option<TreeCase>,
}

fn no_seeds() -> Vec<Vec<u8>> {
    vec![Vec::new()]
}

fn no_run(_: &[u8]) -> bool {
    false
}

fn outputs_case(rng: &mut ChaCha8Rng) -> Result<bool, String> {
    outputs::case(rng)
}

const TARGETS: [Target; 7] = [
    Target {
        name: "design",
        text: true,
        seeds: design_seeds,
        run: design_run,
        tree: None,
    },
    Target {
        name: "spec",
        text: true,
        seeds: spec_seeds,
        run: spec_run,
        tree: None,
    },
    Target {
        name: "npy",
        text: false,
        seeds: npy_seeds,
        run: npy_run,
        tree: None,
    },
    Target {
        name: "network",
        text: true,
        seeds: network_seeds,
        run: network_run,
        tree: None,
    },
    Target {
        name: "model",
        text: false,
        seeds: model_seeds,
        run: model_run,
        tree: None,
    },
    Target {
        name: "onnx",
        text: false,
        seeds: onnx_seeds,
        run: onnx_run,
        tree: None,
    },
    Target {
        name: "outputs",
        text: false,
        seeds: no_seeds,
        run: no_run,
        tree: Some(outputs_case),
    },
];

fn design_seeds() -> Vec<Vec<u8>> {
    [
        include_str!("../../../docs/design.toml"),
        include_str!("../../../docs/examples/binary_w1a2.toml"),
        include_str!("../../../docs/examples/lcq_w2a2.toml"),
        include_str!("../../../docs/examples/lcq_w3a3.toml"),
        include_str!("../../../docs/examples/lcq_w4a4.toml"),
        include_str!("../../../docs/examples/qn_pow2_2.toml"),
        include_str!("../../../docs/examples/qn_pow2_4.toml"),
        include_str!("../../../docs/examples/qn_ternary.toml"),
        include_str!("../../../docs/examples/ternary_w2a2.toml"),
        include_str!("../../../docs/examples/uniform_w4a4.toml"),
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Largest integer a design input may hold for the fuzzer to also resolve it (building a
/// design allocates by its sizes; the up-front size checks are tested on their own).
const RESOLVE_MAX_INT: u64 = 512;

fn design_run(b: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(b) else {
        return false;
    };
    let Ok(cfg) = toml::from_str::<crate::design::DesignCfg>(text) else {
        return false;
    };
    let big = text
        .split(|c: char| !c.is_ascii_digit())
        .any(|t| t.len() > 3 && t.parse::<u64>().map_or(true, |v| v > RESOLVE_MAX_INT));
    if big {
        return true;
    }
    cfg.resolve().is_ok()
}

fn spec_seeds() -> Vec<Vec<u8>> {
    [
        r#"{"method":"n2uq-act","bits":2,"start":0.0,"a":[0.5,0.6,0.7],"beta1":1.0,"beta2":1.0}"#,
        r#"{"method":"n2uq-weight","bits":2,"clip":2.0}"#,
        r#"{"method":"lcq-act","bits":2,"alpha":1.5,"theta":[0.1,0.2,0.3,0.4],"outer_bits":8}"#,
        r#"{"method":"lcq-weight","bits":2,"alpha":1.0,"theta":null,"outer_bits":8,"lwn":true}"#,
        r#"{"method":"qn","levels":[-1,0,1],"biases":[-0.5,0.5],"alpha":1.0,"beta":1.0,"offset":true}"#,
        r#"{"method":"uniform","bits":4,"signed":true,"scale":[0.1,0.2],"narrow":true}"#,
        r#"{"method":"uniform","bits":3,"signed":false,"scale":0.25,"rounding":"floor"}"#,
        r#"{"method":"binary","scale":0.1}"#,
        r#"{"method":"ternary","threshold":0.3,"scale":1.0}"#,
        r#"{"method":"multithreshold","thresholds":[-0.5,0.0,0.5],"out_scale":2.0,"out_bias":-1.0}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn spec_run(b: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(b) else {
        return false;
    };
    let Ok(spec) = quant::spec::QuantSpec::from_json(text) else {
        return false;
    };
    let data = [0.5, -1.0, 2.0, 0.0, -0.25, 3.5];
    if let Ok(p) = spec.prepare(&data, &[2, 3]) {
        let _ = p.quantize(&data);
    }
    if let Ok(q) = spec.scalar() {
        let _ = (q.staircase(), q.index(0.3), q.num_levels());
    }
    true
}

fn npy_seeds() -> Vec<Vec<u8>> {
    use quant::npy::{encode_float, encode_i32, Dtype};
    vec![
        encode_float(Dtype::F32, &[2, 3], &[1.0, -2.0, 0.5, 3.0, 0.0, 7.0]),
        encode_float(Dtype::F64, &[4], &[1.0, 2.0, 3.0, 4.0]),
        encode_float(Dtype::F32, &[], &[1.5]),
        encode_i32(&[1, 2, 2], &[1, -2, 3, 4]),
    ]
}

fn npy_run(b: &[u8]) -> bool {
    quant::npy::parse_float(b, "fuzz").is_ok()
}

fn network_seeds() -> Vec<Vec<u8>> {
    [
        r#"{"name": "tiny", "layers": [
  {"name": "conv1", "op": "conv", "in_channels": 3, "out_channels": 4, "kernel": [3, 3],
   "stride": 1, "padding": 1, "in_hw": [4, 4]},
  {"name": "bn1", "op": "batchnorm", "channels": 4},
  {"name": "conv2", "op": "conv", "in_channels": 4, "out_channels": 8, "kernel": [3, 3],
   "stride": 2, "padding": 1, "groups": 2, "bias": true, "in_hw": [4, 4]},
  {"name": "pool", "op": "maxpool"},
  {"name": "fc", "op": "fc", "in_features": 32, "out_features": 10, "bias": true}]}"#,
        r#"{"name": "b", "layers": [{"name": "c1", "op": "conv", "in_channels": 3, "out_channels": 16, "kernel": [1, 1], "in_hw": [8, 8]}, {"name": "fc", "op": "fc", "in_features": 1024, "out_features": 2}]}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn network_run(b: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(b) else {
        return false;
    };
    let Ok(net) = crate::network::Network::from_json(text) else {
        return false;
    };
    let _ = net.compute_layers();
    for l in &net.layers {
        let _ = (l.gemm(), l.weights(), l.biases(), l.params());
    }
    true
}

/// Manifest and tensors of a small trained fixture, joined as `manifest \0\0\0\0 tensors`.
fn model_seeds() -> Vec<Vec<u8>> {
    let mut v =
        include_bytes!("../../../testbench/fixtures/models/binary_w1a2/model.json").to_vec();
    v.extend([0, 0, 0, 0]);
    v.extend(include_bytes!(
        "../../../testbench/fixtures/models/binary_w1a2/model.safetensors"
    ));
    vec![v]
}

fn model_run(b: &[u8]) -> bool {
    let cut = b
        .windows(4)
        .position(|w| w == [0, 0, 0, 0])
        .unwrap_or(b.len());
    let (manifest, tensors) = (&b[..cut], b.get(cut + 4..).unwrap_or(&[]));
    let Ok(m) = model::Model::from_bytes(manifest, tensors) else {
        return false;
    };
    let n: usize = m
        .inputs
        .iter()
        .map(|i| i.shape.iter().product::<usize>())
        .sum();
    if n <= 1 << 16 {
        let _ = model::float::run(&m, &vec![0.5; n]);
    }
    true
}

fn onnx_seeds() -> Vec<Vec<u8>> {
    vec![
        include_bytes!("../../../testbench/fixtures/qonnx_ops/ops_trunc/ops_trunc.onnx").to_vec(),
        include_bytes!("../../../testbench/fixtures/qonnx_ops/ops_cnn/ops_cnn.onnx").to_vec(),
        include_bytes!(
            "../../../testbench/fixtures/qonnx_ops/ops_bipolar_conv/ops_bipolar_conv.onnx"
        )
        .to_vec(),
    ]
}

fn onnx_run(b: &[u8]) -> bool {
    let Ok(g) = onnx::graph::from_bytes(b.to_vec().into(), None) else {
        return false;
    };
    let Ok(m) = onnx::import::from_graph(&g, "fuzz") else {
        return false;
    };
    let n: usize = m
        .inputs
        .iter()
        .map(|i| i.shape.iter().product::<usize>())
        .sum();
    if n <= 1 << 16 {
        let _ = model::float::run(&m, &vec![0.5; n]);
    }
    true
}

/// One target's outcome.
struct Outcome {
    name: &'static str,
    cases: u64,
    accepted: u64,
    panics: Vec<(u64, String)>,
    secs: f64,
}

fn case_rng(seed: u64, i: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.wrapping_shl(32) ^ i)
}

fn fuzz_target(
    t: &Target,
    seed: u64,
    cases: u64,
    only: Option<u64>,
    last: &Arc<Mutex<String>>,
) -> Outcome {
    let seeds = (t.seeds)();
    let start = Instant::now();
    let (mut accepted, mut panics, mut n) = (0u64, Vec::new(), 0u64);
    let range = match only {
        Some(i) => i..i + 1,
        None => 0..cases,
    };
    for i in range {
        let mut rng = case_rng(seed, i);
        let r = match t.tree {
            Some(tree) => catch_unwind(AssertUnwindSafe(|| tree(&mut rng))),
            None => {
                let a = &seeds[rng.gen_range(0..seeds.len())];
                let b = &seeds[rng.gen_range(0..seeds.len())];
                let input = mutate::mutate(a, b, t.text, &mut rng);
                catch_unwind(AssertUnwindSafe(|| Ok((t.run)(&input))))
            }
        };
        match r {
            Ok(Ok(ok)) => accepted += ok as u64,
            Ok(Err(broken)) => panics.push((i, format!("invariant: {broken}"))),
            Err(_) => {
                let msg = last.lock().map(|m| m.clone()).unwrap_or_default();
                panics.push((i, msg));
            }
        }
        n += 1;
    }
    Outcome {
        name: t.name,
        cases: n,
        accepted,
        panics,
        secs: start.elapsed().as_secs_f64(),
    }
}

/// `qforge fuzz`.
pub fn run_cmd(a: &Args) -> Result<()> {
    let targets: Vec<&Target> = if a.target == "all" {
        TARGETS.iter().collect()
    } else {
        match TARGETS.iter().find(|t| t.name == a.target) {
            Some(t) => vec![t],
            None => bail!(
                "--target: {:?} is not one of all, {}",
                a.target,
                TARGETS
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    if a.cases == 0 || a.cases > 100_000_000 {
        bail!("--cases: must be in 1..=100000000, got {}", a.cases);
    }
    // Panics are caught per case; keep their message (with location) instead of printing it.
    let last = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&last);
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut m) = sink.lock() {
            *m = info.to_string();
        }
    }));
    let outcomes: Vec<Outcome> = targets
        .iter()
        .map(|t| fuzz_target(t, a.seed, a.cases, a.case, &last))
        .collect();
    std::panic::set_hook(prev);
    let panics: usize = outcomes.iter().map(|o| o.panics.len()).sum();
    if a.json {
        let v: Vec<_> = outcomes
            .iter()
            .map(|o| {
                serde_json::json!({
                    "target": o.name, "cases": o.cases, "accepted": o.accepted,
                    "rejected": o.cases - o.accepted - o.panics.len() as u64,
                    "panics": o.panics.len(), "seconds": o.secs,
                    "first_panics": o.panics.iter().take(5).map(|(i, m)| serde_json::json!({"case": i, "message": m})).collect::<Vec<_>>(),
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"seed": a.seed, "targets": v}))?
        );
    } else {
        outln!("# qforge fuzz, seed {}\n", a.seed);
        outln!("| target | cases | accepted | rejected (clean error) | panics | seconds |");
        outln!("|---|---|---|---|---|---|");
        for o in &outcomes {
            outln!(
                "| {} | {} | {} | {} | {} | {:.1} |",
                o.name,
                o.cases,
                o.accepted,
                o.cases - o.accepted - o.panics.len() as u64,
                o.panics.len(),
                o.secs
            );
        }
        for o in &outcomes {
            for (i, m) in o.panics.iter().take(5) {
                outln!(
                    "PANIC {} case {i} (rerun: qforge fuzz --target {} --seed {} --case {i}): {m}",
                    o.name,
                    o.name,
                    a.seed
                );
            }
        }
    }
    if panics > 0 {
        bail!("{panics} panics");
    }
    Ok(())
}
