//! The vendor cell models an engine's RTL needs. With `EngineParams::target = Xcup` every
//! AND-popcount is `and_popcount_xcup`, built of instantiated `LUT6_2` and `CARRY8`
//! primitives; simulators get their real models, Yosys's `xilinx/cells_sim.v` (located by
//! `crate::gatelevel::yosys_datdir`, copied into the build directory), never a behavioural
//! stand-in. `Generic` designs need nothing.
//!
//! Verilator reports warnings inside the vendor file (`UNOPTFLAT` on `CARRY8`'s `CO`, which
//! feeds itself bit by bit, `TIMESCALEMOD` on its modules without a `timescale`, and lint
//! and style warnings in models the engine never uses):
//! they are not ours to fix, so a Verilator configuration file ([`WAIVER`]) turns them off
//! for that file alone (`lint_off -file "*cells_sim.v"`); every warning in qforge's own
//! files stays as fatal as before.

use std::path::{Path, PathBuf};

use hdl::params::{EngineParams, Target};

use crate::bench::Simulator;
use crate::gatelevel::yosys_datdir;

/// The copied cell models' file name.
pub const CELLS: &str = "cells_sim.v";
/// The Verilator configuration file's name.
pub const WAIVER: &str = "cells_sim.vlt";

/// The Verilator configuration that waives every warning located in `cells_sim.v`.
pub const WAIVER_TEXT: &str = "`verilator_config\n\
// Yosys's Xilinx cell models: their warnings are the vendor's, waived for that file only.\n\
lint_off -file \"*cells_sim.v\"\n\
lint_off -rule UNOPTFLAT -file \"*cells_sim.v\"\n\
lint_off -rule UNOPT -file \"*cells_sim.v\"\n\
lint_off -rule TIMESCALEMOD -file \"*cells_sim.v\"\n";

/// Whether `p`'s RTL instantiates vendor primitives.
pub fn needs_cells(p: &EngineParams) -> bool {
    p.target == Target::Xcup
}

/// Copy `cells_sim.v` into `dir`; its path.
pub fn copy_cells(dir: &Path) -> Result<PathBuf, String> {
    let cells = dir.join(CELLS);
    std::fs::copy(yosys_datdir()?.join("xilinx").join(CELLS), &cells)
        .map_err(|e| format!("copying {CELLS} into {}: {e}", dir.display()))?;
    Ok(cells)
}

/// Write the Verilator configuration file [`WAIVER`] into `dir`; its path.
pub fn write_waiver(dir: &Path) -> Result<PathBuf, String> {
    let vlt = dir.join(WAIVER);
    std::fs::write(&vlt, WAIVER_TEXT).map_err(|e| format!("{}: {e}", vlt.display()))?;
    Ok(vlt)
}

/// The files to add to `p`'s sources under `sim` (written into `dir`): none for `Generic`;
/// for `Xcup` the waiver (Verilator only, given before any source so it applies to all)
/// and the cell models. Put them first on the command line.
pub fn sim_files(dir: &Path, p: &EngineParams, sim: Simulator) -> Result<Vec<PathBuf>, String> {
    if !needs_cells(p) {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    if sim == Simulator::Verilator {
        files.push(write_waiver(dir)?);
    }
    files.push(copy_cells(dir)?);
    Ok(files)
}

/// The cell models as a (file name, text) source: none for `Generic`.
pub fn cell_sources(p: &EngineParams) -> Result<Vec<(String, String)>, String> {
    if !needs_cells(p) {
        return Ok(Vec::new());
    }
    let path = yosys_datdir()?.join("xilinx").join(CELLS);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(vec![(CELLS.to_string(), text)])
}

/// [`sim_files`] for Verilator as (file name, text) sources: what `crate::dynrtl` writes
/// and hashes. The waiver comes first.
pub fn verilator_sources(p: &EngineParams) -> Result<Vec<(String, String)>, String> {
    let cells = cell_sources(p)?;
    if cells.is_empty() {
        return Ok(cells);
    }
    let mut v = vec![(WAIVER.to_string(), WAIVER_TEXT.to_string())];
    v.extend(cells);
    Ok(v)
}

/// Whether `modules` instantiate vendor primitives (one of them is the xcup compressor).
pub fn modules_need_cells(modules: &[hdl::ast::Module]) -> bool {
    let xcup = hdl::popcount_xcup::CompressorParams::new(1, Target::Xcup);
    modules.iter().any(|m| m.name == xcup.top_name())
}
