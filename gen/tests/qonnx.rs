//! QONNX models (`testbench/fixtures/qonnx/*`, Brevitas QAT exported by both exporters and
//! cleaned, made by `scripts/make_qonnx_fixtures.py`) run, import, generate and verify:
//! `qforge run --model M.onnx` matches the qonnx executor's outputs (max abs difference within
//! 1e-4 of the largest output magnitude, the same argmax on every sample); `--rtl` gives the
//! cycle model's outputs bit for bit with equal cycles; `qforge import` writes a native model
//! that runs identically; `qforge verify --model M.onnx` passes under Verilator; a bad file is
//! an error that names the node and writes nothing.

mod common;

use std::path::{Path, PathBuf};

use common::qforge;
use serde_json::Value;

const FIXTURES: [&str; 3] = ["mlp_w2a2_bn", "mlp_bipolar", "cnn_w4_perchannel"];
const EXPORTERS: [&str; 2] = ["dynamo", "legacy"];
/// Hand-built graphs of the other ops (`scripts/make_qonnx_op_fixtures.py`).
const OP_FIXTURES: [&str; 3] = ["ops_cnn", "ops_trunc", "ops_bipolar_conv"];
/// The array of the RTL runs (a quick Verilator build).
const SMALL: &str = "4x4x64";

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testbench/fixtures/qonnx")
        .join(name)
}

fn op_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testbench/fixtures/qonnx_ops")
        .join(name)
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn argmax(v: &[f64]) -> usize {
    let mut b = 0;
    for i in 1..v.len() {
        if v[i] > v[b] {
            b = i;
        }
    }
    b
}

/// `qforge run --model model --input X --json [extra]`: (outputs, json).
fn run(model: &Path, input: &Path, extra: &[&str], tmp: &Path, tag: &str) -> (Vec<f64>, Value) {
    let out = tmp.join(format!("{tag}.npy"));
    let (m, i, o) = (s(model), s(input), s(&out));
    let mut args = vec![
        "run", "--model", &m, "--input", &i, "--output", &o, "--json",
    ];
    args.extend(extra);
    let (ok, stdout, stderr) = qforge(&args, tmp);
    assert!(ok, "{tag}: qforge run failed: {stderr}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    (quant::npy::read_float(&out).unwrap().data, j)
}

/// Every fixture: (tag, onnx file, input, reference, whether to run it on the RTL too).
fn cases() -> Vec<(String, PathBuf, PathBuf, PathBuf, bool)> {
    let mut v = Vec::new();
    for name in FIXTURES {
        let d = dir(name);
        for exp in EXPORTERS {
            v.push((
                format!("{name}_{exp}"),
                d.join(format!("{name}_{exp}.onnx")),
                d.join("input.npy"),
                d.join(format!("reference_{exp}.npy")),
                // Both exporters lower to the same jobs: the RTL runs one of them.
                exp == "dynamo",
            ));
        }
    }
    for name in OP_FIXTURES {
        let d = op_dir(name);
        v.push((
            name.to_string(),
            d.join(format!("{name}.onnx")),
            d.join("input.npy"),
            d.join("reference.npy"),
            true,
        ));
    }
    v
}

#[test]
fn every_fixture_matches_the_qonnx_executor_on_model_and_rtl() {
    let tmp = tempfile::tempdir().unwrap();
    let mut summary = Vec::new();
    for (tag, onnx, input, reference, rtl) in cases() {
        let (y, j) = run(&onnx, &input, &[], tmp.path(), &tag);
        let r = quant::npy::read_float(&reference).unwrap();
        assert_eq!(y.len(), r.data.len(), "{tag}: output size");
        let b = r.shape[0];
        let c = r.data.len() / b;
        let big = r.data.iter().fold(0f64, |a, &v| a.max(v.abs()));
        let mut worst = 0f64;
        for k in 0..b {
            let (ys, rs) = (&y[k * c..(k + 1) * c], &r.data[k * c..(k + 1) * c]);
            assert_eq!(argmax(ys), argmax(rs), "{tag} sample {k}: predicted class");
            worst = ys
                .iter()
                .zip(rs)
                .fold(worst, |a, (x, y)| a.max((x - y).abs()));
        }
        assert!(
            worst <= 1e-4 * big,
            "{tag}: max |run - executor| = {worst} > 1e-4 x {big}"
        );
        // Where every node ran is in the JSON, in the file's node names.
        let nodes = j["nodes"].as_array().expect("nodes in --json");
        assert!(
            nodes
                .iter()
                .any(|n| n["ran"].as_str().is_some_and(|p| p.starts_with("engine"))),
            "{tag}: {nodes:?}"
        );
        // The RTL, bit for bit with equal cycles.
        if rtl {
            let (ys, js) = run(
                &onnx,
                &input,
                &["--array", SMALL],
                tmp.path(),
                &format!("{tag}_s"),
            );
            let (yr, jr) = run(
                &onnx,
                &input,
                &["--array", SMALL, "--rtl"],
                tmp.path(),
                &format!("{tag}_r"),
            );
            assert_eq!(ys, y, "{tag}: the array changed the outputs");
            assert_eq!(ys, yr, "{tag}: --rtl outputs differ from the cycle model");
            assert_eq!(js["cycles"], jr["cycles"], "{tag}: cycles");
            assert_eq!(js["layers"], jr["layers"], "{tag}: per-layer cycles");
            assert_eq!(jr["simulator"], "verilator");
        }
        summary.push(format!(
            "{tag}: max |diff| {worst:.2e} (largest |output| {big:.2}, ratio {:.1e}), {} cycles/sample{}",
            worst / big,
            j["cycles"],
            if rtl { ", --rtl identical" } else { "" }
        ));
    }
    eprintln!("{}", summary.join("\n"));
}

#[test]
fn both_exporters_give_the_same_plan() {
    let tmp = tempfile::tempdir().unwrap();
    for name in FIXTURES {
        let d = dir(name);
        let input = d.join("input.npy");
        let (_, jd) = run(
            &d.join(format!("{name}_dynamo.onnx")),
            &input,
            &[],
            tmp.path(),
            "d",
        );
        let (_, jl) = run(
            &d.join(format!("{name}_legacy.onnx")),
            &input,
            &[],
            tmp.path(),
            "l",
        );
        assert_eq!(jd["engine"], jl["engine"], "{name}: engine");
        assert_eq!(jd["cycles"], jl["cycles"], "{name}: cycles");
    }
}

#[test]
fn import_writes_a_native_model_that_runs_identically() {
    let tmp = tempfile::tempdir().unwrap();
    for name in FIXTURES {
        let d = dir(name);
        let onnx = d.join(format!("{name}_legacy.onnx"));
        let out = tmp.path().join(name);
        let (ok, stdout, err) = qforge(
            &["import", &s(&onnx), "--out", &s(&out), "--json"],
            tmp.path(),
        );
        assert!(ok, "{name}: {err}");
        let j: Value = serde_json::from_str(&stdout).unwrap();
        assert!(!j["nodes"].as_array().unwrap().is_empty());
        assert!(out.join("model.json").is_file() && out.join("model.safetensors").is_file());
        let input = d.join("input.npy");
        let (y1, j1) = run(&onnx, &input, &[], tmp.path(), "a");
        let (y2, j2) = run(&out, &input, &[], tmp.path(), "b");
        assert_eq!(y1, y2, "{name}: imported model runs differently");
        assert_eq!(j1["cycles"], j2["cycles"]);
    }
}

#[test]
fn verify_model_passes_on_every_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<(String, PathBuf)> = FIXTURES
        .iter()
        .zip(["legacy", "dynamo", "legacy"])
        .map(|(name, exp)| {
            (
                name.to_string(),
                dir(name).join(format!("{name}_{exp}.onnx")),
            )
        })
        .collect();
    files.push(("ops_cnn".into(), op_dir("ops_cnn").join("ops_cnn.onnx")));
    for (name, file) in files {
        let onnx = s(&file);
        let input = s(&file.with_file_name("input.npy"));
        let (ok, stdout, err) = qforge(
            &[
                "verify", "--model", &onnx, "--input", &input, "--array", "2x2x32",
            ],
            tmp.path(),
        );
        assert!(ok, "{name}: {stdout}\n{err}");
        assert!(
            stdout.lines().any(|l| l.trim() == "PASS"),
            "{name}: {stdout}"
        );
    }
}

#[test]
fn a_bad_onnx_file_names_the_node_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let good = std::fs::read(dir("mlp_w2a2_bn").join("mlp_w2a2_bn_legacy.onnx")).unwrap();
    // Truncated: an error, no output.
    std::fs::write(t.join("cut.onnx"), &good[..good.len() / 2]).unwrap();
    // An op renamed in place (same length): `NodeProto.op_type` (field 4, a 4-byte string)
    // "Relu" → "Tanh".
    let pos = good
        .windows(6)
        .position(|w| w == b"\x22\x04Relu")
        .expect("a Relu op_type");
    let mut bad = good.clone();
    bad[pos + 2..pos + 6].copy_from_slice(b"Tanh");
    std::fs::write(t.join("tanh.onnx"), &bad).unwrap();
    std::fs::create_dir(t.join("keep")).unwrap();
    std::fs::write(t.join("keep/model.json"), "earlier").unwrap();
    for (file, needles) in [
        ("cut.onnx", vec!["cut.onnx"]),
        ("tanh.onnx", vec!["tanh.onnx", "(Tanh)", "not supported"]),
    ] {
        let (ok, _, err) = qforge(&["import", file, "--out", "keep"], t);
        assert!(!ok, "{file} imported");
        for n in &needles {
            assert!(err.contains(n), "{file}: error does not name {n}: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(
            std::fs::read_to_string(t.join("keep/model.json")).unwrap(),
            "earlier"
        );
        assert!(!t.join("keep/model.safetensors").exists());
        let (ok, _, err) = qforge(
            &[
                "run",
                "--model",
                file,
                "--input",
                &s(&dir("mlp_w2a2_bn").join("input.npy")),
            ],
            t,
        );
        assert!(
            !ok && err.contains("--model") && err.contains(file),
            "{err}"
        );
    }
}

#[test]
fn bench_onnx_imports_a_qonnx_resnet18() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, stdout, err) = qforge(&["bench", "--onnx", "--runs", "1", "--json"], tmp.path());
    assert!(ok, "{err}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    // ResNet-18's 11 689 512 parameters, plus BatchNorm's four per channel (9 600 channels)
    // and the QONNX scalars (scale, zero point, bit width per Quant; per-channel scales).
    assert!(j["parameters"].as_u64().unwrap() > 11_689_512, "{j}");
    assert!(j["bytes"].as_u64().unwrap() > 46_000_000, "{j}");
    assert_eq!(j["onnx_nodes"], 107, "{j}");
    for k in ["decode_ms", "graph_view_ms", "import_ms"] {
        assert!(j[k].as_f64().unwrap() > 0.0, "{k}: {j}");
    }
}
