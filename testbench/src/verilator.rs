//! Running Verilator and Icarus on emitted modules: lint (`--lint-only -Wall`, no waivers),
//! and build-and-run of self-checking testbenches (`--binary --timing`, `iverilog -g2012`).
//! Every failure returns the tool's full output.

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

/// `verilator --lint-only -Wall` on `files` with top module `top`. Any warning is an error.
pub fn lint(dir: &Path, files: &[PathBuf], top: &str) -> Result<(), String> {
    let v = find(Tool::Verilator)?;
    let text = run(
        Command::new(&v.command)
            .current_dir(dir)
            .args(["--lint-only", "-Wall", "--top-module", top])
            .args(files),
        &format!("verilator --lint-only -Wall ({top})"),
    )?;
    if text.contains("%Warning") {
        return Err(format!("verilator -Wall warnings on {top}:\n{text}"));
    }
    Ok(())
}

/// Build `files` (testbench top `top`) with `verilator --binary --timing` in `dir/obj_<top>`
/// and run it; returns its output.
pub fn verilator_run(dir: &Path, files: &[PathBuf], top: &str) -> Result<String, String> {
    let v = find(Tool::Verilator)?;
    let mdir = format!("obj_{top}");
    run(
        Command::new(&v.command)
            .current_dir(dir)
            .args([
                "--binary",
                "--timing",
                "-O2",
                "-j",
                "2",
                "--top-module",
                top,
                "--Mdir",
                &mdir,
                "-o",
                top,
            ])
            .args(files),
        &format!("verilator --binary ({top})"),
    )?;
    run(
        Command::new(dir.join(&mdir).join(top)).current_dir(dir),
        &format!("verilator simulation of {top}"),
    )
}

/// Build `files` with `iverilog -g2012` and run with `vvp`; returns its output.
pub fn icarus_run(dir: &Path, files: &[PathBuf], top: &str) -> Result<String, String> {
    let i = find(Tool::Icarus)?;
    let out = format!("{top}.vvp");
    run(
        Command::new(&i.command)
            .current_dir(dir)
            .args(["-g2012", "-s", top, "-o", &out])
            .args(files),
        &format!("iverilog ({top})"),
    )?;
    let text = run(
        Command::new("vvp").current_dir(dir).args(["-n", &out]),
        &format!("vvp {top}"),
    )?;
    // Icarus returns 0 after $fatal in some versions: check the text too.
    if text.contains("FATAL") || text.contains("ERROR") {
        return Err(format!("vvp {top} reported a failure:\n{text}"));
    }
    Ok(text)
}
