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
mod targets;

use targets::{Target, TARGETS};

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
