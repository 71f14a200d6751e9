//! `qforge verify`: build the design's RTL and testbench under Verilator and/or Icarus, run
//! the layer (without stalls and with random stalls on every port), and check that the RTL's
//! outputs equal the golden reference and its cycle counts equal the cycle model's.
//!
//! `--model M`: the whole-network testbench (`testbench::nettb`) of the engine the model runs
//! on, with every job of one sample (sample 0 of `--input`, or the synthetic sample of
//! `generate --model`); passes when every output beat equals the golden reference and every
//! job's RTL cycle count equals the cycle model's (and, per layer, `sim::timing`'s).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use sim::harness::{run_job, Stalls};
use testbench::bench::{Bench, Simulator, MAX_CYCLES};

use crate::design::DesignCfg;
use crate::run::EngineArgs;

/// Arguments of `qforge verify`.
#[derive(clap::Args)]
pub struct Args {
    /// Design config (TOML); the built-in default when neither this nor `--model` is given.
    #[arg(long, conflicts_with = "model")]
    config: Option<PathBuf>,
    /// A model (docs/model.md): run every job of one sample in the whole-network testbench.
    #[arg(long)]
    model: Option<PathBuf>,
    /// `--model`: input batch (.npy); sample 0 runs. Default: the synthetic sample.
    #[arg(long, requires = "model")]
    input: Option<PathBuf>,
    /// Engine flags (`--model` only).
    #[command(flatten)]
    engine: EngineArgs,
    /// verilator, icarus or both.
    #[arg(long, default_value = "verilator")]
    simulator: String,
    /// Keep the build in this directory (default: a temporary one).
    #[arg(long)]
    work: Option<PathBuf>,
}

/// Run the command.
pub fn run_cmd(args: &Args) -> Result<()> {
    let sims = match args.simulator.as_str() {
        "verilator" => vec![Simulator::Verilator],
        "icarus" => vec![Simulator::Icarus],
        "both" => vec![Simulator::Verilator, Simulator::Icarus],
        other => bail!("--simulator: {other:?} is not one of verilator, icarus, both"),
    };
    if let Some(m) = &args.model {
        return verify_model(args, m, &sims);
    }
    let e = &args.engine;
    if e.engine != "auto" || e.array.is_some() || e.clock_mhz != 300.0 {
        bail!("--engine, --array, --clock-mhz: apply to --model only (a design config sets its engine in [engine])");
    }
    let d = DesignCfg::load(args.config.as_deref())?.resolve()?;
    let p = d.params;
    let want = d.job.expected(&p);
    let cases = [
        Stalls::NONE,
        Stalls {
            wt_pct: 70,
            act_pct: 60,
            out_pct: 50,
            seed: 12345,
        },
    ];
    let tmp = tempfile::tempdir()?;
    for sim in sims {
        let dir = args
            .work
            .clone()
            .unwrap_or_else(|| tmp.path().to_path_buf())
            .join(format!("{sim:?}").to_lowercase());
        std::fs::create_dir_all(&dir)?;
        let bench = Bench::build(&p, &dir, sim).map_err(|e| anyhow!("{sim:?} build: {e}"))?;
        for stalls in cases {
            let (model, _) = run_job(&p, &d.job, stalls, None, MAX_CYCLES)
                .map_err(|e| anyhow!("cycle model: {e}"))?;
            if model.beats != want {
                bail!("cycle model disagrees with the golden reference");
            }
            let rtl = bench
                .run_job(&d.job, stalls, None)
                .map_err(|e| anyhow!("{sim:?}: {e}"))?;
            let verdict = if rtl == model.cycles { "PASS" } else { "FAIL" };
            println!("{verdict} {sim:?}: {} beats equal golden; RTL {rtl} cycles, model {} cycles (stalls {}/{}/{}%)", want.len(), model.cycles, stalls.wt_pct, stalls.act_pct, stalls.out_pct);
            if rtl != model.cycles {
                bail!(
                    "{sim:?}: RTL took {rtl} cycles, the cycle model {}",
                    model.cycles
                );
            }
        }
    }
    Ok(())
}

/// `verify --model`.
fn verify_model(args: &Args, model: &Path, sims: &[Simulator]) -> Result<()> {
    let plan = crate::run::plan(model, &args.engine)?;
    let (x, sample) = crate::generate::model_sample(&plan, args.input.as_deref())?;
    let (net, run) = crate::generate::model_network(&plan, &x)?;
    let closed = crate::run::timing(&plan);
    let tmp = tempfile::tempdir()?;
    let p = &plan.params;
    println!(
        "# {}: {} jobs of {} on the {} engine {}x{}x{}\n",
        plan.model.name,
        net.jobs.len(),
        sample,
        if p.is_lut() { "LUT" } else { "bit-serial" },
        p.dm,
        p.dn,
        p.dk
    );
    for &sim in sims {
        let name = format!("{sim:?}").to_lowercase();
        let dir = match &args.work {
            Some(w) => w.join(&name),
            None => tmp.path().join(&name),
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow!("--work: cannot create {}: {e}", dir.display()))?;
        let pass = testbench::nettb::build_and_run(p, &net, &dir, sim, MAX_CYCLES)
            .map_err(|e| anyhow!("{sim:?}: {e}"))?;
        if pass.jobs.len() != net.jobs.len() {
            bail!(
                "{sim:?}: the testbench ran {} jobs, the model has {}",
                pass.jobs.len(),
                net.jobs.len()
            );
        }
        let mut rtl_layer = vec![0u64; net.layers.len()];
        for (i, (got, want)) in pass.jobs.iter().zip(&net.jobs).enumerate() {
            let layer = &net.layers[want.layer];
            if got.job != i || got.layer != *layer || got.cycles != want.cycles {
                bail!(
                    "{sim:?}: job {i} ({layer}): RTL reports job {} ({}) in {} cycles, the cycle model {} cycles",
                    got.job,
                    got.layer,
                    got.cycles,
                    want.cycles
                );
            }
            rtl_layer[want.layer] += got.cycles;
        }
        let mut s = String::new();
        writeln!(
            s,
            "| layer | jobs | RTL cycles ({name}) | cycle model | sim::timing | |\n|---|---|---|---|---|---|"
        )?;
        for (li, l) in net.layers.iter().enumerate() {
            let jobs = net.jobs.iter().filter(|j| j.layer == li).count();
            let ok = rtl_layer[li] == run.layer_cycles[li] && rtl_layer[li] == closed[li];
            writeln!(
                s,
                "| {l} | {jobs} | {} | {} | {} | {} |",
                rtl_layer[li],
                run.layer_cycles[li],
                closed[li],
                if ok { "ok" } else { "MISMATCH" }
            )?;
            if !ok {
                print!("{s}");
                bail!(
                    "{sim:?}: layer {l}: RTL {} cycles, cycle model {}, sim::timing {}",
                    rtl_layer[li],
                    run.layer_cycles[li],
                    closed[li]
                );
            }
        }
        let total: u64 = run.layer_cycles.iter().sum();
        if pass.cycles != total {
            bail!(
                "{sim:?}: RTL total {} cycles, cycle model {total}",
                pass.cycles
            );
        }
        print!("{s}");
        println!(
            "\nPASS {sim:?}: {} jobs, every output beat equal to golden; RTL {} cycles = cycle model {total} cycles\n",
            net.jobs.len(),
            pass.cycles
        );
    }
    println!("PASS");
    Ok(())
}
