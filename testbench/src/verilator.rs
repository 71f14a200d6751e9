//! Writing emitted modules to files, linting them with `verilator --lint-only -Wall` (no
//! waivers), and the command runner the other tool drivers share. Building and running
//! testbenches is `crate::bench`. Every failure returns the tool's full output.

use std::path::{Path, PathBuf};
use std::process::Command;

use hdl::ast::Module;
use hdl::print::module_file;

use crate::tools::{find, Tool};

/// Write each module to `dir/<name>.sv`; returns the paths in order.
pub fn write_modules(dir: &Path, modules: &[Module]) -> std::io::Result<Vec<PathBuf>> {
    modules
        .iter()
        .map(|m| {
            let path = dir.join(format!("{}.sv", m.name));
            std::fs::write(&path, module_file(m))?;
            Ok(path)
        })
        .collect()
}

/// Run `cmd`; its stdout and stderr on success, or an error naming `what` with them.
pub(crate) fn run(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot run: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{what} failed ({}):\n{text}", out.status))
    }
}

/// `verilator --lint-only -Wall --timing` on `files` with top module `top` (`--timing` so a
/// testbench's delays lint too; RTL has none). Any warning is an error.
pub fn lint(dir: &Path, files: &[PathBuf], top: &str) -> Result<(), String> {
    let v = find(Tool::Verilator)?;
    let text = run(
        Command::new(&v.command)
            .current_dir(dir)
            .args(["--lint-only", "-Wall", "--timing", "--top-module", top])
            .args(files),
        &format!("verilator --lint-only -Wall ({top})"),
    )?;
    if text.contains("%Warning") {
        return Err(format!("verilator -Wall warnings on {top}:\n{text}"));
    }
    Ok(())
}
