//! The compressor block (`hdl::popcount_xcup::CompressorParams`) on its own: a self-checking
//! testbench against the Rust popcount model, built under Verilator or Icarus with Yosys's
//! Xilinx cell models (`xilinx/cells_sim.v`, the real `LUT6_2`/`CARRY8` simulation models),
//! its `-Wall` lint, and its synthesis.
//!
//! Vectors: all zeros, all ones, alternating bits (both phases, against ones and against
//! each other), a walking one, then seeded random operands. The testbench feeds one vector
//! per clock and compares `count` `latency` clocks later with the model's value embedded in
//! it; it prints `COMPRESSOR PASS <n>` or calls `$fatal`.
//!
//! Verilator flags: the testbench build passes `-Wno-fatal` because the vendor model file
//! trips Verilator's performance warning `UNOPTFLAT` (`CARRY8`'s `CO` vector feeds itself bit
//! by bit). The lint step runs `-Wall` on our module with `cells_sim.v` as a `-v` library
//! and fails on any warning located in our file; warnings located in `cells_sim.v` are not
//! ours to fix and are ignored (they are returned for the record).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use hdl::popcount_xcup::CompressorParams;

use crate::bench::{compile, simulate, Simulator};
use crate::gatelevel::yosys_datdir;
use crate::synth::{synth, SynthResult};
use crate::tools::{find, Tool};
use crate::verilator::write_modules;

/// One test vector: operands `a`, `b` (bit 0 first).
pub type Vector = (Vec<bool>, Vec<bool>);

/// The model: `popcount(a & b)`.
pub fn model(v: &Vector) -> u64 {
    v.0.iter().zip(&v.1).filter(|(x, y)| **x && **y).count() as u64
}

/// Edge-case vectors then `random` seeded random ones, for `width` bits.
pub fn vectors(width: u32, random: usize, seed: u64) -> Vec<Vector> {
    let w = width as usize;
    let ones = vec![true; w];
    let zeros = vec![false; w];
    let alt: Vec<bool> = (0..w).map(|i| i % 2 == 0).collect();
    let nalt: Vec<bool> = alt.iter().map(|x| !x).collect();
    let mut v = vec![
        (zeros.clone(), zeros.clone()),
        (ones.clone(), ones.clone()),
        (ones.clone(), zeros.clone()),
        (alt.clone(), ones.clone()),
        (nalt.clone(), ones.clone()),
        (alt.clone(), alt.clone()),
        (alt.clone(), nalt),
    ];
    for i in 0..w.min(16) {
        let mut one = zeros.clone();
        one[(i * 37) % w] = true;
        v.push((one.clone(), one));
    }
    // xorshift64*: reproducible without a dependency.
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut bit = |p: f64| {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    };
    for k in 0..random {
        // Vary the density so counts spread over the whole range.
        let p = [0.5, 0.9, 0.1, 0.7][k % 4];
        let a = (0..w).map(|_| bit(p)).collect();
        let b = (0..w).map(|_| bit(p)).collect();
        v.push((a, b));
    }
    v
}

fn hex(width: u32, bits: &[bool]) -> String {
    let mut s = String::new();
    for d in (0..bits.len().div_ceil(4)).rev() {
        let n: u32 = (0..4)
            .map(|k| (bits.get(4 * d + k).copied().unwrap_or(false) as u32) << k)
            .sum();
        write!(s, "{n:x}").unwrap();
    }
    format!("{width}'h{s}")
}

/// The self-checking testbench `tb_compressor` for `p` on `vecs`.
pub fn testbench(p: &CompressorParams, vecs: &[Vector]) -> String {
    testbench_for(p.top_name(), p.width, p.latency(), vecs)
}

/// The testbench for any module `top` with ports `clk`, `a`, `b`, `count` of `width` bits
/// and `latency` cycles (a peer's too).
pub fn testbench_for(top: &str, width: u32, latency: u32, vecs: &[Vector]) -> String {
    let ow = hdl::popcount::ubits(width as u64);
    let (w, lat, n) = (width, latency, vecs.len());
    let mut s = String::new();
    writeln!(s, "`timescale 1ns / 1ps").unwrap();
    writeln!(s, "module tb_compressor;").unwrap();
    writeln!(s, "  logic clk = 1'b0;").unwrap();
    writeln!(s, "  logic [{}:0] a, b;", w - 1).unwrap();
    writeln!(s, "  wire [{}:0] count;", ow - 1).unwrap();
    writeln!(s, "  logic [{}:0] va [{n}];", w - 1).unwrap();
    writeln!(s, "  logic [{}:0] vb [{n}];", w - 1).unwrap();
    writeln!(s, "  logic [{}:0] ve [{n}];", ow - 1).unwrap();
    writeln!(s, "  integer i, errors;").unwrap();
    writeln!(s, "  {top} dut (.clk(clk), .a(a), .b(b), .count(count));").unwrap();
    writeln!(s, "  initial begin").unwrap();
    for (k, v) in vecs.iter().enumerate() {
        writeln!(
            s,
            "    va[{k}] = {}; vb[{k}] = {}; ve[{k}] = {ow}'d{};",
            hex(w, &v.0),
            hex(w, &v.1),
            model(v)
        )
        .unwrap();
    }
    writeln!(s, "    errors = 0;").unwrap();
    writeln!(
        s,
        "    for (i = 0; i < {}; i = i + 1) begin",
        n as u32 + lat - 1
    )
    .unwrap();
    writeln!(s, "      a = (i < {n}) ? va[i] : '0;").unwrap();
    writeln!(s, "      b = (i < {n}) ? vb[i] : '0;").unwrap();
    writeln!(s, "      #1 clk = 1'b1;").unwrap();
    writeln!(s, "      #1;").unwrap();
    writeln!(
        s,
        "      if (i >= {} && count !== ve[i - {}]) begin",
        lat - 1,
        lat - 1
    )
    .unwrap();
    writeln!(
        s,
        "        $display(\"MISMATCH vector %0d: count %0d, model %0d\", i - {}, count, ve[i - {}]);",
        lat - 1,
        lat - 1
    )
    .unwrap();
    writeln!(s, "        errors = errors + 1;").unwrap();
    writeln!(s, "      end").unwrap();
    writeln!(s, "      #1 clk = 1'b0;").unwrap();
    writeln!(s, "      #1;").unwrap();
    writeln!(s, "    end").unwrap();
    writeln!(
        s,
        "    if (errors != 0) $fatal(1, \"COMPRESSOR FAIL %0d mismatches\", errors);"
    )
    .unwrap();
    writeln!(s, "    $display(\"COMPRESSOR PASS %0d\", {n});").unwrap();
    writeln!(s, "    $finish;").unwrap();
    writeln!(s, "  end").unwrap();
    writeln!(s, "endmodule").unwrap();
    s
}

/// Copy Yosys's `xilinx/cells_sim.v` into `dir`; its path.
pub fn cells_sim(dir: &Path) -> Result<PathBuf, String> {
    let cells = dir.join("cells_sim.v");
    std::fs::copy(yosys_datdir()?.join("xilinx").join("cells_sim.v"), &cells)
        .map_err(|e| format!("copying cells_sim.v: {e}"))?;
    Ok(cells)
}

/// Build and run the testbench for `p` on `vecs` under `sim` in `dir`; the number of vectors
/// checked, or the simulator's output on any mismatch or failure.
pub fn simulate_block(
    p: &CompressorParams,
    vecs: &[Vector],
    dir: &Path,
    sim: Simulator,
) -> Result<usize, String> {
    let mut files = write_modules(dir, &[p.module()]).map_err(|e| e.to_string())?;
    files.push(cells_sim(dir)?);
    let tb = dir.join("tb_compressor.sv");
    std::fs::write(&tb, testbench(p, vecs)).map_err(|e| e.to_string())?;
    files.push(tb);
    let exe = compile(dir, &files, sim, "tb_compressor", &["-Wno-fatal"])?;
    let out = simulate(dir, &exe, sim, &[])?;
    let pass = format!("COMPRESSOR PASS {}", vecs.len());
    if out.contains(&pass) && !out.contains("MISMATCH") {
        Ok(vecs.len())
    } else {
        Err(format!("{sim:?} testbench did not pass:\n{out}"))
    }
}

/// Simulate a peer's Verilog `file` (module `top`, qforge's ports, `latency` cycles) under
/// `sim` with the cell models, like [`simulate_block`].
pub fn simulate_peer(
    file: &Path,
    top: &str,
    width: u32,
    latency: u32,
    vecs: &[Vector],
    dir: &Path,
    sim: Simulator,
) -> Result<usize, String> {
    let local = dir.join(file.file_name().ok_or("peer file has no name")?);
    std::fs::copy(file, &local).map_err(|e| format!("{}: {e}", file.display()))?;
    let tb = dir.join("tb_compressor.sv");
    std::fs::write(&tb, testbench_for(top, width, latency, vecs)).map_err(|e| e.to_string())?;
    let files = vec![local, cells_sim(dir)?, tb];
    let exe = compile(dir, &files, sim, "tb_compressor", &["-Wno-fatal"])?;
    let out = simulate(dir, &exe, sim, &[])?;
    if out.contains(&format!("COMPRESSOR PASS {}", vecs.len())) && !out.contains("MISMATCH") {
        Ok(vecs.len())
    } else {
        Err(format!("{sim:?} testbench of {top} did not pass:\n{out}"))
    }
}

/// `verilator --lint-only -Wall` on `p`'s module, `cells_sim.v` as a library; an error for
/// any warning in our file. Returns the vendor-file warnings ignored.
pub fn lint_block(p: &CompressorParams, dir: &Path) -> Result<Vec<String>, String> {
    let v = find(Tool::Verilator)?;
    let files = write_modules(dir, &[p.module()]).map_err(|e| e.to_string())?;
    let cells = cells_sim(dir)?;
    let out = Command::new(&v.command)
        .current_dir(dir)
        .args(["--lint-only", "-Wall", "--top-module", p.top_name()])
        .args(&files)
        .arg("-v")
        .arg(&cells)
        .output()
        .map_err(|e| format!("verilator: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let ours = format!("{}.sv:", p.top_name());
    let (mut vendor, mut mine) = (Vec::new(), Vec::new());
    for l in text
        .lines()
        .filter(|l| l.starts_with("%Warning") || l.starts_with("%Error:"))
    {
        if l.starts_with("%Error: Exiting due to") {
            continue;
        }
        if l.contains(&ours) || !l.contains("cells_sim.v:") {
            mine.push(l.to_string());
        } else {
            vendor.push(l.to_string());
        }
    }
    if !mine.is_empty() {
        return Err(format!("verilator -Wall on {}:\n{text}", p.top_name()));
    }
    Ok(vendor)
}

/// Synthesize `p` alone (`synth_xilinx -family xcup`, registered as generated).
pub fn synth_block(p: &CompressorParams, dir: &Path) -> Result<SynthResult, String> {
    synth(dir, &[p.module()], p.top_name(), "")
}
