//! Build an engine design's RTL and testbench once under a simulator, then run jobs on it:
//! each run checks the RTL's output beats against the golden beats (inside the testbench)
//! and returns the RTL's cycle count, which callers compare with the cycle model's.

use std::path::{Path, PathBuf};
use std::process::Command;

use hdl::engine::modules;
use hdl::params::EngineParams;
use sim::harness::Stalls;
use sim::job::Job;

use crate::tb::{parse_pass, testbench, write_vectors, Capacity};
use crate::tools::{find, Tool};
use crate::verilator::{run, write_modules};

/// Which simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simulator {
    /// `verilator --binary --timing` (its steps, with Verilator's runtime objects compiled
    /// once: `crate::vruntime`).
    Verilator,
    /// `iverilog -g2012` + `vvp`.
    Icarus,
}

/// Build testbench `top` from `files` in `dir` under `sim`; `waivers` are extra Verilator
/// flags (e.g. `-Wno-WIDTH`). Returns the executable (Verilator) or the `.vvp` file (Icarus).
pub fn compile(
    dir: &Path,
    files: &[PathBuf],
    sim: Simulator,
    top: &str,
    waivers: &[&str],
) -> Result<PathBuf, String> {
    match sim {
        Simulator::Verilator => {
            let v = find(Tool::Verilator)?;
            Ok(crate::vruntime::build(&v, dir, files, top, waivers)?.exe)
        }
        Simulator::Icarus => {
            let i = find(Tool::Icarus)?;
            let vvp = format!("{top}.vvp");
            run(
                Command::new(&i.command)
                    .current_dir(dir)
                    .args(["-g2012", "-s", top, "-o", &vvp])
                    .args(files),
                "iverilog",
            )?;
            Ok(dir.join(vvp))
        }
    }
}

/// Run a testbench built by [`compile`] in `dir` with plusargs `args`; its output.
pub fn simulate(dir: &Path, exe: &Path, sim: Simulator, args: &[String]) -> Result<String, String> {
    match sim {
        Simulator::Verilator => run(
            Command::new(exe).current_dir(dir).args(args),
            "RTL simulation",
        ),
        Simulator::Icarus => run(
            Command::new("vvp")
                .current_dir(dir)
                .arg("-n")
                .arg(exe)
                .args(args),
            "RTL simulation",
        ),
    }
}

/// A built testbench for one design.
pub struct Bench {
    p: EngineParams,
    dir: PathBuf,
    sim: Simulator,
    exe: PathBuf,
}

/// Verilator flags of an RTL build: the engine and its testbench are `-Wall` clean, and any
/// warning stops the build.
pub const RTL_FLAGS: &[&str] = &["-Wall"];

/// Verilator flags of a netlist build: Yosys's cell models (`cells_sim.v`) are not
/// warning-free, so warnings are reported but not fatal there.
const NETLIST_WAIVERS: &[&str] = &["-Wno-fatal", "-Wno-WIDTH"];

/// Cycle budget for one job (a hang is reported, not waited out).
pub const MAX_CYCLES: u64 = 5_000_000;

impl Bench {
    /// Emit the design and its testbench into `dir` and build them.
    pub fn build(p: &EngineParams, dir: &Path, sim: Simulator) -> Result<Bench, String> {
        let mut files = crate::vendor::sim_files(dir, p, sim)?;
        files.extend(
            write_modules(dir, &modules(p)).map_err(|e| format!("{}: {e}", dir.display()))?,
        );
        Self::build_with(p, dir, sim, files, RTL_FLAGS)
    }

    /// The same testbench on the design's Yosys-synthesized netlist (`synth_xilinx -family
    /// xcup`) simulated with Yosys's Xilinx cell models instead of the RTL
    /// (`crate::gatelevel`): what is synthesized is what was verified.
    pub fn build_netlist(p: &EngineParams, dir: &Path, sim: Simulator) -> Result<Bench, String> {
        let files = crate::gatelevel::netlist(dir, p)?;
        Self::build_with(p, dir, sim, files, NETLIST_WAIVERS)
    }

    fn build_with(
        p: &EngineParams,
        dir: &Path,
        sim: Simulator,
        mut files: Vec<PathBuf>,
        flags: &[&str],
    ) -> Result<Bench, String> {
        let io = |e: std::io::Error| format!("{}: {e}", dir.display());
        let tb = dir.join("tb_engine.sv");
        std::fs::write(&tb, testbench(p, Capacity::of(p), MAX_CYCLES)).map_err(io)?;
        files.push(tb);
        let exe = compile(dir, &files, sim, crate::tb::TOP, flags)?;
        Ok(Bench {
            p: *p,
            dir: dir.to_path_buf(),
            sim,
            exe,
        })
    }

    /// Run `job`; `Ok(cycles)` when every output beat matched the golden beats.
    pub fn run_job(&self, job: &Job, stalls: Stalls, reset_at: Option<u64>) -> Result<u64, String> {
        let args =
            write_vectors(&self.dir, &self.p, job, stalls, reset_at).map_err(|e| e.to_string())?;
        let out = simulate(&self.dir, &self.exe, self.sim, &args)?;
        parse_pass(&out).ok_or_else(|| format!("RTL simulation did not pass:\n{out}"))
    }
}
