//! The structural half of the contract: no combinational path from `m_axis_out_tready` to
//! the output stream's `tvalid`, `tdata` or `tlast`, and the flip-flops it reaches
//! combinationally (the output skid register's valid bit alone), checked with Yosys on the
//! flattened netlist.

use std::path::Path;
use std::process::Command;

use hdl::ast::Module;

use crate::tools::{find, Tool};
use crate::verilator::write_modules;

fn module_names(dir: &Path, modules: &[Module]) -> Result<Vec<String>, String> {
    Ok(write_modules(dir, modules)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect())
}

/// Where `m_axis_out_tready` goes without passing a flip-flop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreadyCone {
    /// The `m_axis_out` outputs (of `tvalid`, `tdata`, `tlast`) it reaches (`top/name`).
    pub outputs: Vec<String>,
    /// The flip-flops whose next value it reaches, named by their output (`top/inst.reg`).
    pub flops: Vec<String>,
}

/// Where `m_axis_out_tready` goes combinationally in `modules` (top `top`, flattened,
/// memories mapped to registers). Runs Yosys in `dir`.
pub fn comb_tready_paths(dir: &Path, modules: &[Module], top: &str) -> Result<TreadyCone, String> {
    let y = find(Tool::Yosys)?;
    let mut names = module_names(dir, modules)?;
    if crate::vendor::modules_need_cells(modules) {
        // Real models, not blackboxes: a path through a primitive is followed.
        crate::vendor::copy_cells(dir)?;
        names.insert(0, crate::vendor::CELLS.into());
    }
    let cone = r"w:m_axis_out_tready %co*:-$dff";
    let outs = "w:m_axis_out_tvalid w:m_axis_out_tdata w:m_axis_out_tlast %u %u";
    let script = format!(
        "read_verilog -sv -DSYNTHESIS {}; prep -flatten -top {top}; memory_map; opt_clean; dffunmap; \
         tee -q -o cone.txt select -list {cone} {outs} %i; \
         tee -q -o flops.txt select -list {cone} %co1 t:$dff %i %co1:+$dff[Q] w:* %i; \
         tee -q -o size.txt select -count {cone}",
        names.join(" ")
    );
    let out = Command::new(&y.command)
        .current_dir(dir)
        .args(["-q", "-l", "comb.log", "-p", &script])
        .output()
        .map_err(|e| format!("{}: {e}", y.command))?;
    let size = std::fs::read_to_string(dir.join("size.txt")).unwrap_or_default();
    if !out.status.success() || !size.contains("objects") {
        let log = std::fs::read_to_string(dir.join("comb.log")).unwrap_or_default();
        return Err(format!("yosys cone check failed ({}):\n{log}", out.status));
    }
    let list = |f: &str| -> Result<Vec<String>, String> {
        let text = std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{f}: {e}"))?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect())
    };
    Ok(TreadyCone {
        outputs: list("cone.txt")?,
        flops: list("flops.txt")?,
    })
}
