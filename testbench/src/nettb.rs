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
use crate::tb::{dut_instance, hex_file, PORT_DECLS, XORSHIFT32};
use crate::verilator::write_modules;

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

/// A string literal for SystemVerilog.
fn sv_string(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if c.is_ascii_graphic() || c == ' ' => o.push(c),
            _ => o.push('_'),
        }
    }
    o.push('"');
    o
}

/// The testbench source (`tb_network.sv`) for `net` on design `p`; `max_cycles` bounds each
/// job (a hang is reported, not waited out).
pub fn testbench(p: &EngineParams, net: &Network, max_cycles: u64) -> String {
    let (wtw, acw, ow) = (
        p.wt_stream_width(),
        p.act_stream_width(),
        p.out_stream_width(),
    );
    let (wt_total, act_total, out_total) = net.totals();
    let top = p.top_name();
    let mut names = String::new();
    for (i, l) in net.layers.iter().enumerate() {
        writeln!(names, "            {i}: return {};", sv_string(l)).unwrap();
    }
    let model = net.name.replace(['\n', '\r'], " ");
    format!(
        r#"`timescale 1ns / 1ps
// Whole-network self-checking testbench for {top} running model {model}, generated by qforge:
// every job back to back on one engine instance, each after a one-cycle reset, as
// sim::harness::run runs them. Vectors: wt.hex, act.hex, exp.hex ({{tlast, tdata}} per line,
// every job's beats concatenated) and the job table jobs.hex (per job: wt_off wt_n act_off
// act_n out_off out_n layer cycles, 32-bit hex words; cycles 0 = not checked).
// Plusargs (optional): +wt_pct +act_pct +out_pct (0..100, default 100), +seed (default 1),
// +no_cycle_check (do not check the job table's cycles, which are the no-stall counts).
module {TOP};
    localparam int WTW = {wtw};
    localparam int ACW = {acw};
    localparam int OW = {ow};
    localparam int NJOBS = {njobs};
    localparam int JOB_WORDS = {JOB_WORDS};
    localparam int WT_TOTAL = {wt_total};
    localparam int ACT_TOTAL = {act_total};
    localparam int OUT_TOTAL = {out_total};
    localparam longint MAX_CYCLES = {max_cycles};

    logic clk = 1'b0;
    initial forever #5 clk = ~clk;

    logic [WTW:0] wt_mem [WT_TOTAL];
    logic [ACW:0] act_mem [ACT_TOTAL];
    logic [OW:0] exp_mem [OUT_TOTAL];
    logic [31:0] job_mem [NJOBS * JOB_WORDS];
    int wt_pct, act_pct, out_pct;
    int unsigned seed;
    logic cycle_check;
    logic [31:0] thr_w, thr_a, thr_r, seed_w, seed_a, seed_r;

{xorshift}
    function automatic string layer_name(input int i);
        case (i)
{names}            default: return "?";
        endcase
    endfunction

    // The job being run and its row of the job table.
    int job;
    int wt_off, wt_n, act_off, act_n, out_off, out_n, layer;
    longint want_cycles;
    assign wt_off = int'(job_mem[job * JOB_WORDS + 0]);
    assign wt_n = int'(job_mem[job * JOB_WORDS + 1]);
    assign act_off = int'(job_mem[job * JOB_WORDS + 2]);
    assign act_n = int'(job_mem[job * JOB_WORDS + 3]);
    assign out_off = int'(job_mem[job * JOB_WORDS + 4]);
    assign out_n = int'(job_mem[job * JOB_WORDS + 5]);
    assign layer = int'(job_mem[job * JOB_WORDS + 6]);
    assign want_cycles = longint'({{32'd0, job_mem[job * JOB_WORDS + 7]}});

    // The reset cycle before each job; cycles within the job; cycles of the finished jobs.
    logic rst;
    longint cyc, total;

    // Sources and sink, as sim::harness drives the model (beat indices within the job).
    int wt_idx, act_idx, out_idx;
    logic wt_valid, act_valid, ready;
    logic [31:0] lfsr_w, lfsr_a, lfsr_r;

{port_decls}
    assign s_axis_wt_tvalid = wt_valid;
    assign s_axis_wt_tdata = wt_valid ? wt_mem[wt_off + wt_idx][WTW-1:0] : '0;
    assign s_axis_wt_tlast = wt_valid && wt_mem[wt_off + wt_idx][WTW];
    assign s_axis_act_tvalid = act_valid;
    assign s_axis_act_tdata = act_valid ? act_mem[act_off + act_idx][ACW-1:0] : '0;
    assign s_axis_act_tlast = act_valid && act_mem[act_off + act_idx][ACW];

{dut}
    initial begin
        if (!$value$plusargs("wt_pct=%d", wt_pct)) wt_pct = 100;
        if (!$value$plusargs("act_pct=%d", act_pct)) act_pct = 100;
        if (!$value$plusargs("out_pct=%d", out_pct)) out_pct = 100;
        if (!$value$plusargs("seed=%d", seed)) seed = 1;
        cycle_check = !$test$plusargs("no_cycle_check");
        thr_w = (wt_pct > 100 ? 100 : wt_pct) * 256 / 100;
        thr_a = (act_pct > 100 ? 100 : act_pct) * 256 / 100;
        thr_r = (out_pct > 100 ? 100 : out_pct) * 256 / 100;
        seed_w = (seed == 0) ? 32'd1 : seed;
        seed_a = (seed + 1 == 0) ? 32'd1 : seed + 1;
        seed_r = (seed + 2 == 0) ? 32'd1 : seed + 2;
        $readmemh("wt.hex", wt_mem, 0, WT_TOTAL - 1);
        $readmemh("act.hex", act_mem, 0, ACT_TOTAL - 1);
        $readmemh("exp.hex", exp_mem, 0, OUT_TOTAL - 1);
        $readmemh("jobs.hex", job_mem, 0, NJOBS * JOB_WORDS - 1);
        job = 0; rst = 1'b1; cyc = 0; total = 0;
        wt_idx = 0; act_idx = 0; out_idx = 0;
        wt_valid = 1'b0; act_valid = 1'b0; ready = 1'b0;
        lfsr_w = seed_w; lfsr_a = seed_a; lfsr_r = seed_r;
    end

    always @(posedge clk) begin
        if (rst) begin
            rst <= 1'b0;
        end else begin
            // Weight/threshold source.
            if (wt_valid && s_axis_wt_tready) begin
                wt_idx <= wt_idx + 1;
                wt_valid <= (wt_idx + 1 < wt_n) && ({{24'd0, lfsr_w[7:0]}} < thr_w);
            end else if (!wt_valid) begin
                wt_valid <= (wt_idx < wt_n) && ({{24'd0, lfsr_w[7:0]}} < thr_w);
            end
            lfsr_w <= xorshift32(lfsr_w);
            // Activation source.
            if (act_valid && s_axis_act_tready) begin
                act_idx <= act_idx + 1;
                act_valid <= (act_idx + 1 < act_n) && ({{24'd0, lfsr_a[7:0]}} < thr_a);
            end else if (!act_valid) begin
                act_valid <= (act_idx < act_n) && ({{24'd0, lfsr_a[7:0]}} < thr_a);
            end
            lfsr_a <= xorshift32(lfsr_a);
            ready <= ({{24'd0, lfsr_r[7:0]}} < thr_r);
            lfsr_r <= xorshift32(lfsr_r);
            cyc <= cyc + 1;
            if (cyc >= MAX_CYCLES)
                $fatal(1, "job %0d (layer %s): timeout after %0d cycles with %0d of %0d beats",
                       job, layer_name(layer), cyc, out_idx, out_n);
            // Output sink: compare every accepted beat; after a job's last beat, reset and
            // start the next job.
            if (m_axis_out_tvalid && ready) begin
                if ({{m_axis_out_tlast, m_axis_out_tdata}} !== exp_mem[out_off + out_idx])
                    $fatal(1, "job %0d (layer %s) output beat %0d: got last=%0d data=%h, expected last=%0d data=%h (cycle %0d)",
                           job, layer_name(layer), out_idx, m_axis_out_tlast, m_axis_out_tdata,
                           exp_mem[out_off + out_idx][OW], exp_mem[out_off + out_idx][OW-1:0], cyc);
                if (out_idx + 1 == out_n) begin
                    $display("JOB %0d %s cycles=%0d", job, layer_name(layer), cyc + 1);
                    if (cycle_check && want_cycles != 0 && cyc + 1 != want_cycles)
                        $fatal(1, "job %0d (layer %s): %0d cycles, the cycle model's %0d",
                               job, layer_name(layer), cyc + 1, want_cycles);
                    if (job + 1 == NJOBS) begin
                        $display("PASS jobs=%0d cycles=%0d", NJOBS, total + cyc + 1);
                        $finish;
                    end
                    total <= total + cyc + 1;
                    job <= job + 1;
                    rst <= 1'b1;
                    cyc <= 0;
                    wt_idx <= 0; act_idx <= 0; out_idx <= 0;
                    wt_valid <= 1'b0; act_valid <= 1'b0; ready <= 1'b0;
                    lfsr_w <= seed_w; lfsr_a <= seed_a; lfsr_r <= seed_r;
                end else begin
                    out_idx <= out_idx + 1;
                end
            end
        end
    end
endmodule
"#,
        njobs = net.jobs.len(),
        xorshift = XORSHIFT32,
        port_decls = PORT_DECLS,
        dut = dut_instance(top),
    )
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
        let mut files: Vec<PathBuf> = write_modules(dir, &modules(p)).map_err(io)?;
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
