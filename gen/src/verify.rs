//! `qforge verify`: build the design's RTL and testbench under Verilator and/or Icarus, run
//! the layer (without stalls and with random stalls on every port), and check that the RTL's
//! outputs equal the golden reference and its cycle counts equal the cycle model's.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use sim::harness::{run_job, Stalls};
use testbench::bench::{Bench, Simulator, MAX_CYCLES};

use crate::design::DesignCfg;

/// Arguments of `qforge verify`.
#[derive(clap::Args)]
pub struct Args {
    /// Design config (TOML); the built-in default when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
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
