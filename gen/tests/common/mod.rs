//! Shared by the CLI tests: run the `qforge` binary.

use std::path::Path;
use std::process::Command;

/// Run `qforge args` in `dir`: (success, stdout, stderr).
pub fn qforge(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qforge"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}
