//! (a) of `qforge bench`: simulated cycles per second of the Rust cycle model and of
//! Verilator on the design's layer, no stalls (the model reuses one engine, each run starting
//! with a reset; Verilator's figure is the wall time of the generated testbench binary, build
//! excluded, best of 3) and, beside it, Verilator in its fastest configuration
//! (`testbench::fastsim`: `--cc -O3 --x-assign fast`, a C++ driver, the job repeated for about a
//! second, process start and file reading excluded).

use std::time::Instant;

use anyhow::{anyhow, Result};
use serde_json::json;
use sim::engine::Engine;
use sim::harness::{run, Stalls};
use testbench::bench::{Bench, Simulator};
use testbench::fastsim::FastSim;

use super::Args;
use crate::console::outln;
use crate::design::DesignCfg;

/// (a): the model against Verilator on the design's layer; prints the table (Markdown unless
/// `--json`) and returns the figures as JSON.
pub(super) fn speed_table(args: &Args) -> Result<serde_json::Value> {
    let d = DesignCfg::load(args.config.as_deref())?.resolve()?;
    let p = d.params;
    let (wt, act, want) = d.job.streams(&p);
    let mut e = Engine::new(p);
    let mut cycles = 0u64;
    let t0 = Instant::now();
    let mut runs = 0;
    while runs < 3 || t0.elapsed().as_secs_f64() < 2.0 {
        let r = run(&mut e, &wt, &act, want.len(), Stalls::NONE, None, u64::MAX)
            .map_err(|e| anyhow!(e))?;
        if r.beats != want {
            return Err(anyhow!("cycle model disagrees with golden"));
        }
        cycles += r.cycles;
        runs += 1;
    }
    let model_rate = cycles as f64 / t0.elapsed().as_secs_f64();
    let per_run = cycles / runs;
    let dir = crate::output::temp_dir()?;
    let t_build = Instant::now();
    let bench = Bench::build(&p, dir.path(), Simulator::Verilator).map_err(|e| anyhow!(e))?;
    let build_s = t_build.elapsed().as_secs_f64();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        let c = bench
            .run_job(&d.job, Stalls::NONE, None)
            .map_err(|e| anyhow!(e))?;
        best = best.min(t.elapsed().as_secs_f64());
        if c != per_run {
            return Err(anyhow!("Verilator took {c} cycles, the model {per_run}"));
        }
    }
    let v_rate = per_run as f64 / best;
    // Verilator at its fastest: --cc -O3 --x-assign fast, no --timing, a C++ driver; the job
    // repeated until the timed loop lasts about a second.
    let fdir = crate::output::temp_dir()?;
    let t_fbuild = Instant::now();
    let fast = FastSim::build(&p, fdir.path()).map_err(|e| anyhow!(e))?;
    let fbuild_s = t_fbuild.elapsed().as_secs_f64();
    let once = fast.run_job(&d.job, 1).map_err(|e| anyhow!(e))?;
    if once.cycles != per_run {
        return Err(anyhow!(
            "fast Verilator took {} cycles, the model {per_run}",
            once.cycles
        ));
    }
    let reps = ((1.0 / once.seconds.max(1e-6)).ceil() as u64).clamp(1, 1_000_000);
    let timed = fast.run_job(&d.job, reps).map_err(|e| anyhow!(e))?;
    let f_rate = (timed.cycles * timed.runs) as f64 / timed.seconds;
    if !args.json {
        outln!(
            "## (a) simulation speed, {} x {} x {} array, layer M={} K={} N={}: {} cycles\n",
            p.dm,
            p.dn,
            p.dk,
            d.job.m,
            d.job.k,
            d.job.n,
            per_run
        );
        outln!("| simulator | cycles/s | run time | notes |\n|---|---|---|---|");
        outln!(
            "| Rust cycle model | {:.0} | {:.1} ms | mean of {runs} runs |",
            model_rate,
            per_run as f64 / model_rate * 1e3
        );
        outln!("| Verilator 5 (--binary --timing -O2) | {:.0} | {:.1} ms | best of 3; build {:.0} s excluded |", v_rate, best * 1e3, build_s);
        outln!(
            "| Verilator 5 fastest (--cc -O3 --x-assign fast --x-initial fast --noassert, C++ driver) | {:.0} | {:.2} ms | {} runs in {:.2} s; build {:.0} s excluded |",
            f_rate,
            per_run as f64 / f_rate * 1e3,
            timed.runs,
            timed.seconds,
            fbuild_s
        );
        outln!(
            "\nmodel / Verilator (--binary --timing): {:.1}x; model / Verilator fastest: {:.2}x\n",
            model_rate / v_rate,
            model_rate / f_rate
        );
    }
    Ok(json!({
        "array": {"dm": p.dm, "dn": p.dn, "dk": p.dk},
        "layer": {"m": d.job.m, "k": d.job.k, "n": d.job.n},
        "cycles_per_job": per_run,
        "model": {"cycles_per_s": model_rate, "runs": runs},
        "verilator_testbench": {
            "config": "--binary --timing -O2",
            "cycles_per_s": v_rate, "best_of": 3, "build_s": build_s,
        },
        "verilator_fastest": {
            "config": "--cc -O3 --x-assign fast --x-initial fast --noassert, C++ driver",
            "cycles_per_s": f_rate, "runs": timed.runs, "seconds": timed.seconds,
            "build_s": fbuild_s,
        },
        "model_over_verilator_testbench": model_rate / v_rate,
        "model_over_verilator_fastest": model_rate / f_rate,
    }))
}
