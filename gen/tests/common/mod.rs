//! Shared by the CLI tests: run the `qforge` binary; find the model fixtures.

use std::path::{Path, PathBuf};
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

/// The model fixtures directory (`testbench/fixtures/models`).
#[allow(dead_code)]
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures/models")
}

/// Model fixture `name`.
#[allow(dead_code)]
pub fn fixture(name: &str) -> PathBuf {
    fixtures_root().join(name)
}

/// Every model fixture (a directory with a `model.json`), sorted; at least one.
#[allow(dead_code)]
pub fn fixtures() -> Vec<PathBuf> {
    let root = fixtures_root();
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.json").is_file())
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no model fixtures under {}", root.display());
    v
}
