//! Whole-network self-checking testbench: every job of a model (all engine layers, all
//! groups, in order) on one engine instance, back to back, exactly as `sim::harness::run` runs
//! each of them one after the other on the same device (`Plan::run_sample` in `qforge`).
//!
//! Per job the testbench does what the harness does per call: one reset cycle (every source
//! idle, `tready` low), then the registered xorshift32 sources (re-seeded, holding each beat
//! until accepted) and the registered xorshift32 `tready`, the same generators as the
//! single-job testbench (`crate::tb`). It compares every output beat with the golden beat
//! (`$fatal` naming the job, the layer and the beat), checks the job's cycle count against the
//! cycle model's when the job table gives one, prints `JOB <i> <layer> cycles=<n>` and at the
//! end `PASS jobs=<J> cycles=<total>`: `total` is the sum of the jobs' counts (the model's
//! cycles per sample); the `J` reset cycles between jobs are not counted.
//!
//! Files, read with `$readmemh`: `wt.hex`, `act.hex`, `exp.hex` hold every job's beats
//! concatenated in job order (`{tlast, tdata}` per line, as `crate::tb`), and `jobs.hex` is the
//! job table, one line per job of eight 32-bit hex words:
//! `wt_off wt_n act_off act_n out_off out_n layer cycles` (offsets and counts in beats into the
//! three stream files, the index of the layer's name, the cycle model's count for the job;
//! `0` = not checked). Stall plusargs `+wt_pct +act_pct +out_pct` (default 100) and `+seed`
//! (default 1) apply to every job, as `sim::harness::Stalls`; `+no_cycle_check` skips the
//! job table's cycle check (its counts are the no-stall ones).
//!
//! The source is `verilator --binary --timing -Wall` clean without waivers and runs under
//! Icarus (`iverilog -g2012`).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use hdl::engine::modules;
use hdl::params::EngineParams;
use sim::harness::Stalls;
use sim::job::Packet;

use crate::bench::{compile, simulate, Simulator};
use crate::tb::hex_file;
use crate::verilator::write_modules;

mod sv;

pub use sv::{testbench, testbench_prefixed};

/// The testbench's top module (and file stem).
pub const TOP: &str = "tb_network";

/// Words per job in the job table (`jobs.hex`).
pub const JOB_WORDS: usize = 8;

/// One job of a network: its streams, in the engine's packing.
#[derive(Debug, Clone)]
pub struct NetJob {
    /// Index into [`Network::layers`].
    pub layer: usize,
    /// Weight/threshold beats.
    pub wt: Vec<Packet>,
    /// Activation beats.
    pub act: Vec<Packet>,
    /// Expected output beats (`m_axis_out_tdata` words, tlast).
    pub out: Vec<(Vec<u64>, bool)>,
    /// The cycle model's count for this job (`0`: not checked by the testbench).
    pub cycles: u64,
}

/// Every job of one sample through a model.
#[derive(Debug, Clone)]
pub struct Network {
    /// The model's name (a comment in the testbench).
    pub name: String,
    /// Layer names, indexed by [`NetJob::layer`].
    pub layers: Vec<String>,
    /// Jobs in the order they run.
    pub jobs: Vec<NetJob>,
}

impl Network {
    /// Total beats of the (weight, activation, output) streams.
    pub fn totals(&self) -> (usize, usize, usize) {
        self.jobs.iter().fold((0, 0, 0), |(w, a, o), j| {
            (w + j.wt.len(), a + j.act.len(), o + j.out.len())
        })
    }

    /// Checks the testbench relies on: at least one job, every job with beats on every
    /// stream, layer indices in range, counts that fit the job table's 32-bit words.
    pub fn validate(&self) -> Result<(), String> {
        if self.jobs.is_empty() {
            return Err("the network has no engine jobs".into());
        }
        for (i, j) in self.jobs.iter().enumerate() {
            if j.wt.is_empty() || j.act.is_empty() || j.out.is_empty() {
                return Err(format!("job {i}: a stream without beats"));
            }
            if j.layer >= self.layers.len() {
                return Err(format!("job {i}: layer index {} out of range", j.layer));
            }
            if j.cycles > u32::MAX as u64 {
                return Err(format!(
                    "job {i}: {} cycles do not fit the job table",
                    j.cycles
                ));
            }
        }
        let (w, a, o) = self.totals();
        if w.max(a).max(o) > i32::MAX as usize {
            return Err("the streams do not fit the job table".into());
        }
        Ok(())
    }
}

/// The job table (`jobs.hex`).
pub fn job_table(net: &Network) -> String {
    let (mut w, mut a, mut o) = (0usize, 0usize, 0usize);
    let mut s = String::new();
    for j in &net.jobs {
        let row = [
            w,
            j.wt.len(),
            a,
            j.act.len(),
            o,
            j.out.len(),
            j.layer,
            j.cycles as usize,
        ];
        let words: Vec<String> = row.iter().map(|v| format!("{:08x}", *v as u32)).collect();
        writeln!(s, "{}", words.join(" ")).unwrap();
        w += j.wt.len();
        a += j.act.len();
        o += j.out.len();
    }
    s
}

/// The vector files: (`wt.hex`, `act.hex`, `exp.hex`, `jobs.hex`) with their contents.
pub fn vectors(p: &EngineParams, net: &Network) -> Vec<(&'static str, String)> {
    let wt: Vec<Packet> = net.jobs.iter().flat_map(|j| j.wt.iter().cloned()).collect();
    let act: Vec<Packet> = net
        .jobs
        .iter()
        .flat_map(|j| j.act.iter().cloned())
        .collect();
    let exp: Vec<Packet> = net
        .jobs
        .iter()
        .flat_map(|j| j.out.iter())
        .map(|(data, last)| Packet {
            data: data.clone(),
            last: *last,
        })
        .collect();
    vec![
        ("wt.hex", hex_file(&wt, p.wt_stream_width())),
        ("act.hex", hex_file(&act, p.act_stream_width())),
        ("exp.hex", hex_file(&exp, p.out_stream_width())),
        ("jobs.hex", job_table(net)),
    ]
}

/// One `JOB` line of the testbench's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPass {
    /// Job index.
    pub job: usize,
    /// Layer name.
    pub layer: String,
    /// Cycles.
    pub cycles: u64,
}

/// What a passing run printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetPass {
    /// Every job's line, in order.
    pub jobs: Vec<JobPass>,
    /// The `PASS` line's total cycles.
    pub cycles: u64,
}

/// Parse the `JOB` lines and the final `PASS jobs=<J> cycles=<n>` line; `None` without a
/// `PASS` line or when its job count differs from the `JOB` lines.
pub fn parse_output(out: &str) -> Option<NetPass> {
    let mut jobs = Vec::new();
    for l in out.lines().map(str::trim) {
        if let Some(rest) = l.strip_prefix("JOB ") {
            let mut it = rest.split_whitespace();
            let job = it.next()?.parse().ok()?;
            let cyc = it.next_back()?.strip_prefix("cycles=")?.parse().ok()?;
            let layer = it.collect::<Vec<_>>().join(" ");
            jobs.push(JobPass {
                job,
                layer,
                cycles: cyc,
            });
        } else if let Some(rest) = l.strip_prefix("PASS jobs=") {
            let (n, c) = rest.split_once(" cycles=")?;
            let n: usize = n.trim().parse().ok()?;
            let cycles = c.trim().parse().ok()?;
            return (n == jobs.len()).then_some(NetPass { jobs, cycles });
        }
    }
    None
}

/// The whole-network testbench built under a simulator.
pub struct NetBench {
    dir: PathBuf,
    sim: Simulator,
    exe: PathBuf,
}

impl NetBench {
    /// Write the design's RTL, the network testbench and its vectors into `dir` and build
    /// them under `sim` (Verilator without waivers).
    pub fn build(
        p: &EngineParams,
        net: &Network,
        dir: &Path,
        sim: Simulator,
        max_cycles: u64,
    ) -> Result<NetBench, String> {
        net.validate()?;
        let io = |e: std::io::Error| format!("{}: {e}", dir.display());
        // An `Xcup` design's cell models (and Verilator's waiver for them) first.
        let mut files: Vec<PathBuf> = crate::vendor::sim_files(dir, p, sim)?;
        files.extend(write_modules(dir, &modules(p)).map_err(io)?);
        let tb = dir.join(format!("{TOP}.sv"));
        std::fs::write(&tb, testbench(p, net, max_cycles)).map_err(io)?;
        files.push(tb);
        for (name, text) in vectors(p, net) {
            std::fs::write(dir.join(name), text).map_err(io)?;
        }
        let exe = compile(dir, &files, sim, TOP, &[])?;
        Ok(NetBench {
            dir: dir.to_path_buf(),
            sim,
            exe,
        })
    }

    /// Run it; `Ok` only when the testbench passed. `stalls` (default none) apply to every
    /// job; with stalls the job table's cycle counts (the no-stall model's) are not checked
    /// (`+no_cycle_check`): compare the `JOB` lines with the model under the same stalls.
    pub fn run(&self, stalls: Option<Stalls>) -> Result<NetPass, String> {
        let args: Vec<String> = match stalls {
            None => Vec::new(),
            Some(s) => vec![
                format!("+wt_pct={}", s.wt_pct),
                format!("+act_pct={}", s.act_pct),
                format!("+out_pct={}", s.out_pct),
                format!("+seed={}", s.seed),
                "+no_cycle_check".into(),
            ],
        };
        let out = simulate(&self.dir, &self.exe, self.sim, &args)?;
        parse_output(&out).ok_or_else(|| format!("the network testbench did not pass:\n{out}"))
    }
}

#[cfg(test)]
mod tests {
    use super::sv::sv_string;
    use super::*;

    #[test]
    fn output_lines_parse() {
        let out = "JOB 0 conv1 cycles=10\nJOB 1 fc cycles=5\n- tb.sv:1: Verilog $finish\nPASS jobs=2 cycles=15\n";
        let r = parse_output(out).unwrap();
        assert_eq!(r.cycles, 15);
        assert_eq!(r.jobs[1].layer, "fc");
        assert_eq!(r.jobs[1].cycles, 5);
        assert!(parse_output("JOB 0 a cycles=1\nPASS jobs=2 cycles=1\n").is_none());
        assert_eq!(sv_string("a\"b\\c\n"), "\"a\\\"b\\\\c_\"");
    }
}
