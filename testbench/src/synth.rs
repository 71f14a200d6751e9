//! Resource and logic-depth measurement with Yosys `synth_xilinx -family xcup` (UltraScale+).
//!
//! Yosys has no UltraScale+ timing model, so depth is measured on the mapped netlist
//! (`write_json`): the longest chain of LUTs between sequential elements (flip-flops, SRLs,
//! memories, DSPs) or ports. Carry chains (CARRY4/CARRY8) and wide muxes (MUXF7/8) add no
//! LUT level but are followed through. Results are read from files Yosys writes, never from
//! its stdout (see `tools::Tool::Yosys`).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use hdl::ast::Module;
use serde_json::Value;

use crate::tools::{find, Tool};
use crate::verilator::write_modules;

/// What synthesis produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynthResult {
    /// LUT1..LUT6 counts (index 1..=6).
    pub lut_by_size: [u64; 7],
    /// Flip-flops (FDRE/FDSE/FDCE/FDPE).
    pub ffs: u64,
    /// CARRY4 + CARRY8 cells.
    pub carry: u64,
    /// MUXF7/MUXF8 cells.
    pub muxf: u64,
    /// DSP48E2 cells.
    pub dsp: u64,
    /// RAMB36E2 / RAMB18E2 cells.
    pub bram36: u64,
    /// RAMB18E2 cells.
    pub bram18: u64,
    /// URAM288 cells.
    pub uram: u64,
    /// LUT-RAM and SRL cells (RAM32M/RAM64M/RAM*X1*/SRL*).
    pub lutram: u64,
    /// LUT sites those LUT-RAM and SRL cells occupy (RAM64M: 4, RAM32M16: 8, RAM64X1D: 2, ...).
    pub lutram_sites: u64,
    /// Longest chain of LUTs between sequential elements or ports.
    pub lut_levels: u32,
}

impl SynthResult {
    /// All LUTs.
    pub fn luts(&self) -> u64 {
        self.lut_by_size.iter().sum()
    }
}

/// Synthesize `modules` (top `top`, flattened) in `dir`; `extra` is added to `synth_xilinx`.
pub fn synth(
    dir: &Path,
    modules: &[Module],
    top: &str,
    extra: &str,
) -> Result<SynthResult, String> {
    let y = find(Tool::Yosys)?;
    let files = write_modules(dir, modules).map_err(|e| e.to_string())?;
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let abc9 = if y.version.starts_with("Yosys 0.2") {
        " -abc9"
    } else {
        ""
    };
    let script = format!(
        "read_verilog -sv {}; synth_xilinx -family xcup -flatten -noiopad{abc9} {extra} -top {top}; tee -q -o stat.txt stat; write_json netlist.json",
        names.join(" ")
    );
    let out = Command::new(&y.command)
        .current_dir(dir)
        .args(["-q", "-l", "yosys.log", "-p", &script])
        .output()
        .map_err(|e| format!("{}: {e}", y.command))?;
    if !out.status.success() {
        let log = std::fs::read_to_string(dir.join("yosys.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        return Err(format!(
            "yosys failed ({}):\n{}",
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    let json = std::fs::read_to_string(dir.join("netlist.json"))
        .map_err(|e| format!("yosys wrote no netlist: {e}"))?;
    let net: Value = serde_json::from_str(&json).map_err(|e| format!("netlist.json: {e}"))?;
    let module = net["modules"][top]
        .as_object()
        .ok_or_else(|| format!("netlist has no module {top}"))?;
    let cells = module["cells"]
        .as_object()
        .ok_or("netlist module has no cells")?;
    let mut r = SynthResult::default();
    for cell in cells.values() {
        let ty = cell["type"].as_str().unwrap_or("");
        match ty {
            "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" => {
                r.lut_by_size[(ty.as_bytes()[3] - b'0') as usize] += 1
            }
            "FDRE" | "FDSE" | "FDCE" | "FDPE" => r.ffs += 1,
            "CARRY4" | "CARRY8" => r.carry += 1,
            "MUXF7" | "MUXF8" | "MUXF9" => r.muxf += 1,
            "DSP48E2" => r.dsp += 1,
            "RAMB36E2" => r.bram36 += 1,
            "RAMB18E2" => r.bram18 += 1,
            "URAM288" => r.uram += 1,
            t if t.starts_with("RAM") || t.starts_with("SRL") => {
                r.lutram += 1;
                r.lutram_sites += lutram_sites(t);
            }
            _ => {}
        }
    }
    r.lut_levels = lut_levels(cells);
    Ok(r)
}

/// LUT sites one LUT-RAM / SRL primitive occupies (UltraScale+ SLICEM).
pub fn lutram_sites(ty: &str) -> u64 {
    match ty {
        "RAM32M16" | "RAM64M8" | "RAM512X1S" => 8,
        "RAM32M" | "RAM64M" | "RAM128X1D" | "RAM256X1S" => 4,
        "RAM256X1D" => 8,
        "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => 2,
        _ => 1,
    }
}

fn is_sequential(ty: &str) -> bool {
    ty.starts_with("FD")
        || ty.starts_with("SRL")
        || ty.starts_with("RAM")
        || ty.starts_with("DSP")
        || ty.starts_with("URAM")
}

/// Longest LUT chain through combinational cells.
fn lut_levels(cells: &serde_json::Map<String, Value>) -> u32 {
    // Driver of each net bit: the combinational cell whose output it is.
    let mut driver: HashMap<i64, usize> = HashMap::new();
    let list: Vec<&Value> = cells.values().collect();
    for (i, cell) in list.iter().enumerate() {
        let ty = cell["type"].as_str().unwrap_or("");
        if is_sequential(ty) {
            continue;
        }
        let dirs = cell["port_directions"].as_object();
        for (port, bits) in cell["connections"].as_object().into_iter().flatten() {
            if dirs.and_then(|d| d.get(port)).and_then(|v| v.as_str()) == Some("output") {
                for b in bits
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|b| b.as_i64())
                {
                    driver.insert(b, i);
                }
            }
        }
    }
    let mut memo: Vec<Option<u32>> = vec![None; list.len()];
    fn depth(
        i: usize,
        list: &[&Value],
        driver: &HashMap<i64, usize>,
        memo: &mut Vec<Option<u32>>,
        guard: u32,
    ) -> u32 {
        if let Some(d) = memo[i] {
            return d;
        }
        if guard > 100_000 {
            return 0;
        }
        let cell = list[i];
        let own = cell["type"].as_str().is_some_and(|t| t.starts_with("LUT")) as u32;
        let dirs = cell["port_directions"].as_object();
        let mut best = 0;
        for (port, bits) in cell["connections"].as_object().into_iter().flatten() {
            if dirs.and_then(|d| d.get(port)).and_then(|v| v.as_str()) != Some("input") {
                continue;
            }
            for b in bits
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b.as_i64())
            {
                if let Some(&j) = driver.get(&b) {
                    if j != i {
                        best = best.max(depth(j, list, driver, memo, guard + 1));
                    }
                }
            }
        }
        memo[i] = Some(own + best);
        own + best
    }
    (0..list.len())
        .filter(|&i| !is_sequential(list[i]["type"].as_str().unwrap_or("")))
        .map(|i| depth(i, &list, &driver, &mut memo, 0))
        .max()
        .unwrap_or(0)
}
