//! Golden RTL: `qforge generate` on a few designs must write exactly the Verilog checked in
//! under `gen/tests/golden/<design>/` (the default bit-serial design, an LCQ LUT engine, a
//! small signed raw-capable engine). Any change to the emitted RTL shows up here as a diff
//! to review; after a deliberate change, re-bless with
//! `QFORGE_BLESS=1 cargo test -p qforge --test golden_rtl` and commit the new files.

mod common;

use std::path::{Path, PathBuf};

use common::qforge;

fn golden_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn docs(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(rel)
        .display()
        .to_string()
}

/// `qforge generate` with `args` into a temporary dir; its `rtl/` files by name.
fn generated(args: &[&str]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut all = vec!["generate", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let (ok, so, se) = qforge(&all, dir.path());
    assert!(ok, "qforge {all:?} failed:\n{so}\n{se}");
    let mut files: Vec<(String, String)> = std::fs::read_dir(out.join("rtl"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

fn check(name: &str, args: &[&str]) {
    let files = generated(args);
    let dir = golden_dir(name);
    if std::env::var_os("QFORGE_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (f, text) in &files {
            std::fs::write(dir.join(f), text).unwrap();
        }
        return;
    }
    let mut want: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with QFORGE_BLESS=1)", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    want.sort();
    let got: Vec<String> = files.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!(got, want, "{name}: the set of RTL files changed");
    for (f, text) in &files {
        let gold = std::fs::read_to_string(dir.join(f)).unwrap();
        if *text != gold {
            let line = text
                .lines()
                .zip(gold.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| text.lines().count().min(gold.lines().count()));
            panic!(
                "{name}/{f} differs from the golden file at line {}:\n  golden:    {:?}\n  generated: {:?}\n(review, then bless with QFORGE_BLESS=1)",
                line + 1,
                gold.lines().nth(line).unwrap_or("<end>"),
                text.lines().nth(line).unwrap_or("<end>")
            );
        }
    }
}

#[test]
fn the_default_design_is_golden() {
    check("default", &[]);
}

#[test]
fn an_lcq_lut_engine_is_golden() {
    check("lcq_w3a3", &["--config", &docs("examples/lcq_w3a3.toml")]);
}

#[test]
fn a_small_signed_engine_is_golden() {
    check(
        "uniform_w4a4",
        &["--config", &docs("examples/uniform_w4a4.toml")],
    );
}
