//! `qforge verify`: build the design's RTL and testbench under Verilator and/or Icarus, run
//! the layer (without stalls and with random stalls on every port), and check that the RTL's
//! outputs equal the golden reference and its cycle counts equal the cycle model's.
//!
//! `--model M`: the whole-network testbench (`testbench::nettb`) of the engine the model runs
//! on, with every job of one sample (sample 0 of `--input`, or the synthetic sample of
//! `generate --model`); passes when every output beat equals the golden reference and every
//! job's RTL cycle count equals the cycle model's (and, per layer, `sim::timing`'s); then the
//! same with stalls on every port (70/60/50%, seed 12345) against the cycle model run job by
//! job under the same stalls.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use sim::harness::{run_job, Stalls};
use testbench::bench::{Bench, Simulator, MAX_CYCLES};
use testbench::nettb::{NetBench, NetPass, Network};

use crate::console::{out, outln};
use crate::design::DesignCfg;
use crate::engine_spec::EngineFlags;

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
    /// Engine flags (`--model` only: a design config sets its engine in `[engine]`).
    #[command(flatten)]
    engine: EngineFlags,
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
    let tmp = crate::output::temp_dir()?;
    for sim in sims {
        let dir = work_dir(
            args.work.as_deref().unwrap_or(tmp.path()),
            &format!("{sim:?}").to_lowercase(),
        )?;
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
            outln!("{verdict} {sim:?}: {} beats equal golden; RTL {rtl} cycles, model {} cycles (stalls {}/{}/{}%)", want.len(), model.cycles, stalls.wt_pct, stalls.act_pct, stalls.out_pct);
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

/// `work/sub`, created, as an absolute path: the simulators run in the build directory, so
/// a relative `--work` would otherwise be resolved twice.
pub fn work_dir(work: &Path, sub: &str) -> Result<PathBuf> {
    let dir = work.join(sub);
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow!("--work: cannot create {}: {e}", dir.display()))?;
    std::path::absolute(&dir).map_err(|e| anyhow!("--work: {}: {e}", dir.display()))
}

/// The stalls of `verify --model`'s second run (the same as `verify --config`'s).
const MODEL_STALLS: Stalls = Stalls {
    wt_pct: 70,
    act_pct: 60,
    out_pct: 50,
    seed: 12345,
};

/// Every job of `net` on one cycle-model engine under `stalls`, as the testbench runs them
/// (`sim::harness::run` per job, in order); the cycles per job.
fn model_job_cycles(
    p: &hdl::params::EngineParams,
    net: &Network,
    stalls: Stalls,
) -> Result<Vec<u64>> {
    let mut e = sim::engine::Engine::new(*p);
    net.jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let r = sim::harness::run(&mut e, &j.wt, &j.act, j.out.len(), stalls, None, MAX_CYCLES)
                .map_err(|e| anyhow!("cycle model, job {i}: {e}"))?;
            if r.beats != j.out {
                bail!("cycle model, job {i}: output differs from the golden reference under stalls (a bug)");
            }
            Ok(r.cycles)
        })
        .collect()
}

/// Check the testbench's `JOB` lines against `want` (cycles per job); the RTL's cycles per
/// layer.
fn rtl_layers(sim: Simulator, pass: &NetPass, net: &Network, want: &[u64]) -> Result<Vec<u64>> {
    if pass.jobs.len() != net.jobs.len() {
        bail!(
            "{sim:?}: the testbench ran {} jobs, the model has {}",
            pass.jobs.len(),
            net.jobs.len()
        );
    }
    let mut per_layer = vec![0u64; net.layers.len()];
    for (i, ((got, job), &w)) in pass.jobs.iter().zip(&net.jobs).zip(want).enumerate() {
        let layer = &net.layers[job.layer];
        if got.job != i || got.layer != *layer || got.cycles != w {
            bail!(
                "{sim:?}: job {i} ({layer}): RTL reports job {} ({}) in {} cycles, the cycle model {w} cycles",
                got.job,
                got.layer,
                got.cycles
            );
        }
        per_layer[job.layer] += got.cycles;
    }
    if pass.cycles != want.iter().sum::<u64>() {
        bail!(
            "{sim:?}: RTL total {} cycles, cycle model {}",
            pass.cycles,
            want.iter().sum::<u64>()
        );
    }
    Ok(per_layer)
}

/// `verify --model`.
fn verify_model(args: &Args, model: &Path, sims: &[Simulator]) -> Result<()> {
    let plan = crate::run::plan(model, &args.engine)?;
    let (x, sample) = crate::generate::model_sample(&plan, args.input.as_deref())?;
    let (net, run) = crate::generate::model_network(&plan, &x)?;
    let closed = crate::run::timing(&plan);
    let p = &plan.params;
    let plain: Vec<u64> = net.jobs.iter().map(|j| j.cycles).collect();
    let stalled = model_job_cycles(p, &net, MODEL_STALLS)?;
    let per_layer = |cycles: &[u64]| {
        let mut v = vec![0u64; net.layers.len()];
        for (j, c) in net.jobs.iter().zip(cycles) {
            v[j.layer] += c;
        }
        v
    };
    let stalled_layer = per_layer(&stalled);
    let tmp = crate::output::temp_dir()?;
    outln!(
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
        let dir = work_dir(args.work.as_deref().unwrap_or(tmp.path()), &name)?;
        let bench = NetBench::build(p, &net, &dir, sim, MAX_CYCLES)
            .map_err(|e| anyhow!("{sim:?} build: {e}"))?;
        let pass = bench.run(None).map_err(|e| anyhow!("{sim:?}: {e}"))?;
        let rtl = rtl_layers(sim, &pass, &net, &plain)?;
        let pass_st = bench
            .run(Some(MODEL_STALLS))
            .map_err(|e| anyhow!("{sim:?} (stalls): {e}"))?;
        let rtl_st = rtl_layers(sim, &pass_st, &net, &stalled)?;
        let st = MODEL_STALLS;
        let mut s = String::new();
        writeln!(
            s,
            "| layer | jobs | RTL ({name}) | cycle model | sim::timing | RTL, stalls {}/{}/{}% | cycle model, stalls | |\n|---|---|---|---|---|---|---|---|",
            st.wt_pct, st.act_pct, st.out_pct
        )?;
        let mut bad = None;
        for (li, l) in net.layers.iter().enumerate() {
            let jobs = net.jobs.iter().filter(|j| j.layer == li).count();
            let ok = rtl[li] == run.layer_cycles[li]
                && rtl[li] == closed[li]
                && rtl_st[li] == stalled_layer[li];
            writeln!(
                s,
                "| {l} | {jobs} | {} | {} | {} | {} | {} | {} |",
                rtl[li],
                run.layer_cycles[li],
                closed[li],
                rtl_st[li],
                stalled_layer[li],
                if ok { "ok" } else { "MISMATCH" }
            )?;
            if !ok && bad.is_none() {
                bad = Some(l.clone());
            }
        }
        out!("{s}");
        if let Some(l) = bad {
            bail!("{sim:?}: layer {l}: the RTL's cycles differ from the cycle model's or sim::timing's");
        }
        outln!(
            "\nPASS {sim:?}: {} jobs, every output beat equal to golden; RTL {} cycles = cycle model {} cycles; with stalls RTL {} = cycle model {}\n",
            net.jobs.len(),
            pass.cycles,
            run.layer_cycles.iter().sum::<u64>(),
            pass_st.cycles,
            stalled.iter().sum::<u64>()
        );
    }
    outln!("PASS");
    Ok(())
}
