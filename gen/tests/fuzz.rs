//! `qforge fuzz`: a short run of every parser target in the test command (the binary built
//! with debug assertions, so an arithmetic overflow panics too): no panics. The long run
//! (`--cases 100000`) is in `docs/fuzz.md` and the issue note.

mod common;

use common::qforge;
use serde_json::Value;

#[test]
fn every_parser_survives_mutated_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, stdout, err) = qforge(
        &["fuzz", "--cases", "400", "--seed", "20261202", "--json"],
        tmp.path(),
    );
    let j: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{err}"));
    let targets = j["targets"].as_array().unwrap();
    let names: Vec<&str> = targets
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["design", "spec", "npy", "network", "model", "onnx", "outputs"]
    );
    for t in targets {
        assert_eq!(t["cases"], 400, "{t}");
        assert_eq!(t["panics"], 0, "{t}");
        // The mutations leave some inputs valid and make most invalid: both paths run.
        assert!(t["accepted"].as_u64().unwrap() > 0, "{t}");
        assert!(t["rejected"].as_u64().unwrap() > 0, "{t}");
    }
    assert!(ok, "{err}");
}

#[test]
fn a_bad_target_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, _, err) = qforge(&["fuzz", "--target", "yaml"], tmp.path());
    assert!(
        !ok && err.contains("--target") && err.contains("yaml"),
        "{err}"
    );
    let (ok, _, err) = qforge(&["fuzz", "--cases", "0"], tmp.path());
    assert!(!ok && err.contains("--cases"), "{err}");
}
