//! `qforge run --model M --input X.npy --output Y.npy [--rtl] [--json] [--dump-streams DIR]`,
//! or `qforge run --network NAME|FILE.json --bits W/A [--seed S]` (a seeded synthetic network,
//! `crate::synthnet`; `--input` optional, default one seeded sample): a whole model on one engine instance, sample by sample (`crate::exec`), on the cycle model
//! or (`--rtl`) on the Verilated RTL of the same engine. Prints per engine layer and in total
//! cycles, latency at the clock and utilization (equal to `report time --model`), and where
//! every node ran.

mod tables;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use sim::engine::Engine;

use crate::engine_spec::{EngineFlags, EngineSpec};
use crate::exec::{JobStreams, SampleRun};
use crate::lower::Plan;
use crate::output::Outputs;

use crate::console::out;
pub use tables::{engine_json, layer_rows, layer_table, node_rows, timing};

/// Arguments of `qforge run`.
#[derive(clap::Args)]
pub struct Args {
    /// The model: a `model.json` manifest or a directory holding one (`docs/model.md`), or a
    /// QONNX `.onnx` file (`docs/qonnx.md`).
    #[arg(long, conflicts_with = "network", required_unless_present = "network")]
    pub model: Option<PathBuf>,
    /// Instead of `--model`: a built-in network (`qforge network list`) or a network JSON file,
    /// built with seeded synthetic weights and calibrated BatchNorm (`crate::synthnet`).
    #[arg(long)]
    pub network: Option<String>,
    /// With `--network`: weight/activation bits `W/A` of every layer.
    #[arg(long, requires = "network", default_value = "2/2")]
    pub bits: String,
    /// With `--network`: seed of the synthetic weights, BatchNorm and input sample.
    #[arg(long, requires = "network", default_value_t = 1)]
    pub seed: u64,
    /// Input batch: float32/float64 .npy with the model's input shape and a leading batch axis
    /// (required with `--model`; with `--network` the default is one seeded synthetic sample).
    #[arg(long, required_unless_present = "network")]
    pub input: Option<PathBuf>,
    /// Write the model's output (float64 .npy, batch first).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Run the jobs on the Verilated RTL (Verilator) instead of the cycle model.
    #[arg(long)]
    pub rtl: bool,
    /// Directory for the Verilator build (`--rtl`; default: a temporary directory).
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Write every job's weight, activation and expected output streams into this directory
    /// (with a manifest: a re-run replaces the files of the previous dump, keeps any others).
    #[arg(long)]
    pub dump_streams: Option<PathBuf>,
    /// Write `--dump-streams` into a non-empty directory that has no qforge manifest.
    #[arg(long, requires = "dump_streams")]
    pub force: bool,
    /// Engine flags (`crate::engine_spec`).
    #[command(flatten)]
    pub engine: EngineFlags,
}

/// Load a model and lower it onto an engine.
pub fn plan(model: &Path, engine: &EngineFlags) -> Result<Plan> {
    let cfg = EngineSpec::from_flags(engine)?.array_cfg();
    let m = crate::import::load_model(model)?;
    Plan::new(m, &cfg).map_err(|e| anyhow!("--model {}: {e:#}", model.display()))
}

/// A built-in network or network file, built with seeded weights (`crate::synthnet`) and
/// lowered onto an engine; errors name `--network` or `--bits`.
pub fn network_plan(
    network: &str,
    bits: &str,
    seed: u64,
    engine: &EngineFlags,
) -> Result<(Plan, crate::synthnet::SynthNet)> {
    let cfg = EngineSpec::from_flags(engine)?.array_cfg();
    let (w, a) = crate::policy::Policy::parse_bits(bits)?;
    let net = crate::netreport::load_network(network)?;
    let need = crate::engine_limits::network_bytes(&net);
    if need > crate::engine_limits::MAX_BUILD_BYTES {
        bail!(
            "--network {network}: building it with seeded weights needs about {:.1} GiB, above the {} GiB bound; use a network with fewer channels or smaller maps",
            need as f64 / (1u64 << 30) as f64,
            crate::engine_limits::MAX_BUILD_BYTES >> 30
        );
    }
    let synth = crate::synthnet::build(&net, w, a, seed)
        .map_err(|e| anyhow!("--network {network}: {e:#}"))?;
    let plan =
        Plan::new(synth.model.clone(), &cfg).map_err(|e| anyhow!("--network {network}: {e:#}"))?;
    Ok((plan, synth))
}

/// A whole batch's result.
pub struct BatchRun {
    /// Per sample.
    pub samples: Vec<SampleRun>,
    /// The output shape of one sample.
    pub out_shape: Vec<usize>,
}

/// Read `X.npy` and check it against the model's input shape; returns samples.
pub fn read_input(plan: &Plan, path: &Path) -> Result<Vec<Vec<f64>>> {
    let x = quant::npy::read_float(path).map_err(|e| anyhow!("--input: {e}"))?;
    let want = &plan.model.inputs[0].shape;
    if x.shape.len() != want.len() + 1 || &x.shape[1..] != want.as_slice() {
        bail!(
            "--input {}: shape {:?} is not a batch of the model's input {:?} (expected [B, {}])",
            path.display(),
            x.shape,
            want,
            want.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if x.shape[0] == 0 {
        bail!("--input {}: the batch is empty", path.display());
    }
    if let Some(i) = x.data.iter().position(|v| !v.is_finite()) {
        bail!("--input {}: element {i} is not finite", path.display());
    }
    let per: usize = want.iter().product();
    Ok(x.data.chunks(per).map(<[f64]>::to_vec).collect())
}

/// Run every sample on the cycle model, or on `rtl` when given.
pub fn run_batch(
    plan: &Plan,
    samples: &[Vec<f64>],
    rtl: Option<&mut dyn sim::dut::Dut>,
    mut dump: Option<&mut Vec<JobStreams>>,
) -> Result<BatchRun> {
    let mut out = Vec::new();
    let mut model_engine;
    let dut: &mut dyn sim::dut::Dut = match rtl {
        Some(r) => r,
        None => {
            model_engine = Engine::new(plan.params);
            &mut model_engine
        }
    };
    for (i, x) in samples.iter().enumerate() {
        let d = if i == 0 { dump.as_deref_mut() } else { None };
        let r = plan
            .run_sample(dut, x, d)
            .with_context(|| format!("sample {i}"))?;
        out.push(r);
    }
    let out_shape = crate::lower::shape_of(&plan.model, &plan.model.outputs[0]);
    Ok(BatchRun {
        samples: out,
        out_shape,
    })
}

fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv {
                (i, x)
            } else {
                (bi, bv)
            }
        })
        .0
}

/// Build the Verilated RTL of the plan's engine.
pub fn build_rtl(
    plan: &Plan,
    work: Option<&Path>,
) -> Result<(testbench::dynrtl::DynRtl, Option<crate::output::TempDir>)> {
    let (dir, tmp) = match work {
        Some(w) => (crate::verify::work_dir(w, "")?, None),
        None => {
            let t = crate::output::temp_dir().context("temporary directory")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let r =
        testbench::dynrtl::DynRtl::build(&plan.params, &dir).map_err(|e| anyhow!("--rtl: {e}"))?;
    Ok((r, tmp))
}

/// Run the command.
pub fn run_cmd(a: &Args) -> Result<()> {
    let (plan, synth) = match (&a.model, &a.network) {
        (Some(m), None) => (plan(m, &a.engine)?, None),
        (None, Some(n)) => {
            let (p, s) = network_plan(n, &a.bits, a.seed, &a.engine)?;
            (p, Some(s))
        }
        _ => bail!("--model / --network: give exactly one"),
    };
    let samples = match (&a.input, &synth) {
        (Some(i), _) => {
            if plan.model.inputs.len() > 1 {
                bail!(
                    "--input: the network has {} graph inputs (see the notes); run it without --input",
                    plan.model.inputs.len()
                );
            }
            read_input(&plan, i)?
        }
        (None, Some(s)) => vec![s.sample()],
        (None, None) => bail!("--input: required with --model"),
    };
    let mut outs = Outputs::default();
    if let Some(o) = &a.output {
        // Checked before any work so a bad path fails fast; written at the end.
        outs.add("--output", o, Vec::new())?;
    }
    if let Some(d) = &a.dump_streams {
        outs.dir("--dump-streams", d, a.force)?;
    }
    let mut dump = a.dump_streams.as_ref().map(|_| Vec::new());
    let mut rtl = if a.rtl {
        Some(build_rtl(&plan, a.work.as_deref())?)
    } else {
        None
    };
    let batch = run_batch(
        &plan,
        &samples,
        rtl.as_mut().map(|(r, _)| r as &mut dyn sim::dut::Dut),
        dump.as_mut(),
    )?;
    let cycles = batch.samples[0].layer_cycles.clone();
    if let Some(i) = batch.samples.iter().position(|s| s.layer_cycles != cycles) {
        bail!("sample {i}: cycle counts differ from sample 0 (the schedule is data-independent: a bug)");
    }
    let closed = timing(&plan);
    if closed != cycles {
        bail!("cycles {cycles:?} differ from sim::timing's {closed:?} (a bug)");
    }
    let mut outs = Outputs::default();
    if let Some(o) = &a.output {
        let mut shape = vec![batch.samples.len()];
        shape.extend(&batch.out_shape);
        let data: Vec<f64> = batch
            .samples
            .iter()
            .flat_map(|s| s.outputs[0].iter().copied())
            .collect();
        outs.add(
            "--output",
            o,
            quant::npy::encode_float(quant::npy::Dtype::F64, &shape, &data),
        )?;
    }
    if let (Some(dir), Some(d)) = (&a.dump_streams, &dump) {
        crate::streams::dump(&mut outs, dir, a.force, &plan, d)?;
    }
    let total: u64 = cycles.iter().sum();
    let near: Vec<usize> = batch.samples.iter().map(|s| s.near).collect();
    let classes: Vec<usize> = batch
        .samples
        .iter()
        .map(|s| argmax(&s.outputs[0]))
        .collect();
    let text = if a.json {
        serde_json::to_string_pretty(&json!({
            "model": plan.model.name,
            "network": synth.as_ref().map(|s| json!({
                "bits": a.bits, "seed": a.seed, "notes": s.notes,
                "graph_inputs": plan.model.inputs.iter().map(|g| json!({"name": g.name, "shape": g.shape})).collect::<Vec<_>>(),
            })),
            "engine": engine_json(&plan),
            "simulator": if a.rtl { "verilator" } else { "cycle model" },
            "samples": samples.len(),
            "cycles": total,
            "us": total as f64 / plan.clock_mhz,
            "layers": layer_rows(&plan, &cycles),
            "nodes": node_rows(&plan),
            "near_threshold": near,
            "argmax": classes,
        }))? + "\n"
    } else {
        let mut s = String::new();
        writeln!(
            s,
            "# {}: {} sample(s) on the {} ({} engine {}x{}x{}, W{}/A{}, out {} bits)\n",
            plan.model.name,
            samples.len(),
            if a.rtl {
                "Verilated RTL"
            } else {
                "cycle model"
            },
            if plan.params.is_lut() {
                "LUT"
            } else {
                "bit-serial"
            },
            plan.params.dm,
            plan.params.dn,
            plan.params.dk,
            plan.params.w_bits,
            plan.params.a_bits,
            plan.params.out_bits
        )?;
        if let Some(syn) = &synth {
            writeln!(
                s,
                "Synthetic network: W/A {}, seed {}, seeded weights and calibrated BatchNorm.",
                a.bits, a.seed
            )?;
            for n in &syn.notes {
                writeln!(s, "- {n}")?;
            }
            writeln!(s)?;
        }
        s += &layer_table(&plan, &cycles)?;
        let host: Vec<&str> = plan
            .model
            .nodes
            .iter()
            .filter(|n| plan.places[&n.name] == crate::lower::Place::Host)
            .map(|n| n.name.as_str())
            .collect();
        writeln!(
            s,
            "Host nodes: {}.",
            if host.is_empty() {
                "none".into()
            } else {
                host.join(", ")
            }
        )?;
        writeln!(
            s,
            "Every job's output equals the golden integer reference; cycles equal `sim::timing` ({total} per sample)."
        )?;
        let n_near: usize = near.iter().sum();
        writeln!(
            s,
            "Quantizer decisions within rounding distance of a threshold: {n_near} (in {} of {} samples).",
            near.iter().filter(|&&c| c > 0).count(),
            near.len()
        )?;
        s
    };
    outs.commit()?;
    out!("{text}");
    let _ = total;
    Ok(())
}
