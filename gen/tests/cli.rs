//! End-to-end tests of the `qforge` binary: happy paths, and every class of bad input gets an
//! error naming the field, a non-zero exit and no output file.

use std::path::{Path, PathBuf};
use std::process::Command;

use quant::npy::{encode_float, encode_i32, parse_float, Dtype};

mod common;
use common::qforge;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Read an int32 .npy written by qforge (header as `encode_i32` writes it).
fn read_codes(path: &Path) -> Vec<i32> {
    let bytes = std::fs::read(path).unwrap();
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[10 + header_len..]
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn quantize_n2uq_weight_per_channel() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "spec.json", br#"{"method": "n2uq-weight", "bits": 2}"#);
    // Two channels; channel 0 is the hand-computed case [0.5, -0.25, 1.0, -1.25] -> [2, 1, 3, 0].
    write(
        d,
        "w.npy",
        &encode_float(
            Dtype::F32,
            &[2, 2, 2],
            &[0.5, -0.25, 1.0, -1.25, 5.0, -2.5, 10.0, -12.5],
        ),
    );
    let (ok, out, err) = qforge(
        &[
            "quantize",
            "--spec",
            "spec.json",
            "--input",
            "w.npy",
            "--codes",
            "c.npy",
            "--values",
            "v.npy",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert!(out.contains("n2uq-weight: 8 elements"), "{out}");
    assert_eq!(read_codes(&d.join("c.npy")), vec![2, 1, 3, 0, 2, 1, 3, 0]);
    let v = parse_float(&std::fs::read(d.join("v.npy")).unwrap(), "v").unwrap();
    assert_eq!((v.dtype, v.shape.clone()), (Dtype::F32, vec![2, 2, 2]));
    // value = sf·(2·code − 3)/3 with sf = 1.125 (channel 0) and 11.25 (channel 1).
    assert!(
        (v.data[0] - 0.375).abs() < 1e-6 && (v.data[4] - 3.75).abs() < 1e-5,
        "{:?}",
        v.data
    );
}

#[test]
fn quantize_every_method_from_spec_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let x = encode_float(Dtype::F64, &[6], &[-2.0, -0.6, -0.1, 0.1, 0.6, 2.0]);
    write(d, "x.npy", &x);
    let cases: [(&str, Vec<i32>); 8] = [
        (
            r#"{"method": "n2uq-act", "bits": 2, "start": 0, "a": [0.6667, 0.6667, 0.6667], "beta1": 1, "beta2": 1}"#,
            vec![0, 0, 0, 0, 1, 3],
        ),
        // 1-D input: axis 0 makes every element its own channel, so w/sf = ±2/3 -> 0 or 2.
        (
            r#"{"method": "n2uq-weight", "bits": 2}"#,
            vec![0, 0, 0, 2, 2, 2],
        ),
        (
            r#"{"method": "lcq-act", "bits": 2, "alpha": 2, "theta": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}"#,
            vec![0, 0, 0, 0, 1, 3],
        ),
        (
            r#"{"method": "lcq-weight", "bits": 3, "alpha": 1, "theta": null, "lwn": false}"#,
            vec![-3, -2, 0, 0, 2, 3],
        ),
        (
            r#"{"method": "qn", "levels": [-1, 0, 1], "biases": [-0.5, 0.5], "alpha": 1, "beta": 1, "offset": true}"#,
            vec![0, 0, 1, 1, 2, 2],
        ),
        (
            r#"{"method": "uniform", "bits": 2, "signed": true, "scale": 0.5}"#,
            vec![-2, -1, 0, 0, 1, 1],
        ),
        (r#"{"method": "binary"}"#, vec![0, 0, 0, 1, 1, 1]),
        (
            r#"{"method": "ternary", "threshold": 0.5, "scale": 1}"#,
            vec![-1, -1, 0, 0, 1, 1],
        ),
    ];
    for (spec, want) in cases {
        write(d, "s.json", spec.as_bytes());
        let (ok, _, err) = qforge(
            &[
                "quantize", "--spec", "s.json", "--input", "x.npy", "--codes", "c.npy",
            ],
            d,
        );
        assert!(ok, "{spec}: {err}");
        assert_eq!(read_codes(&d.join("c.npy")), want, "{spec}");
    }
}

/// Run `quantize` expecting failure: the message must contain each of `needles`, and neither
/// output file may exist afterwards.
/// `outs` replaces the default `--codes c.npy --values v.npy` when not empty.
fn rejects(spec: &str, input: &[u8], outs: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "s.json", spec.as_bytes());
    write(d, "x.npy", input);
    let mut args = vec!["quantize", "--spec", "s.json", "--input", "x.npy"];
    args.extend_from_slice(if outs.is_empty() {
        &["--codes", "c.npy", "--values", "v.npy"]
    } else {
        outs
    });
    let out = Command::new(env!("CARGO_BIN_EXE_qforge"))
        .args(&args)
        .current_dir(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted {spec}");
    assert_ne!(out.status.code(), Some(101), "panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "error for {spec} lacks {n:?}: {err}");
    }
    let left: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !left
            .iter()
            .any(|f| f.starts_with("c.npy") || f.starts_with("v.npy")),
        "output left behind: {left:?}"
    );
}

fn good_input() -> Vec<u8> {
    encode_float(Dtype::F32, &[2, 3], &[0.5, -1.0, 0.25, 2.0, -0.5, 1.0])
}

#[test]
fn bad_specs_name_the_field() {
    let x = good_input();
    rejects(
        r#"{"method": "qn", "levels": [-1, 0, 1], "biases": [0.5, -0.5], "alpha": 1, "beta": 1, "offset": true}"#,
        &x,
        &[],
        &["biases", "strictly increasing"],
    );
    rejects(
        r#"{"method": "qn", "levels": [1, 0, -1], "biases": [-0.5, 0.5], "alpha": 1, "beta": 1, "offset": true}"#,
        &x,
        &[],
        &["levels", "strictly increasing"],
    );
    rejects(
        r#"{"method": "qn", "levels": [-1, 0, 1], "biases": [0.5], "alpha": 1, "beta": 1, "offset": true}"#,
        &x,
        &[],
        &["biases", "2 entries"],
    );
    rejects(
        r#"{"method": "qn", "levels": [-1, 0, 1], "biases": [-0.5, 0.5], "alpha": 1e999, "beta": 1, "offset": true}"#,
        &x,
        &[],
        &["alpha"],
    );
    rejects(
        r#"{"method": "qn", "levels": [-1, 0, 1], "biases": [-0.5, 0.5], "alpha": -1, "beta": 1, "offset": true}"#,
        &x,
        &[],
        &["alpha", "> 0"],
    );
    rejects(
        r#"{"method": "n2uq-act", "bits": 2, "start": 0, "a": [1, 1], "beta1": 1, "beta2": 1}"#,
        &x,
        &[],
        &["a:", "3 entries"],
    );
    rejects(
        r#"{"method": "n2uq-act", "bits": 2, "start": 1e30, "a": [1, 1, 1], "beta1": 1, "beta2": 1}"#,
        &x,
        &[],
        &["a:", "not strictly increasing"],
    );
    rejects(
        r#"{"method": "n2uq-act", "bits": 2, "start": 0, "a": [1, "x", 1], "beta1": 1, "beta2": 1}"#,
        &x,
        &[],
        &["a[1]"],
    );
    rejects(
        r#"{"method": "n2uq-weight", "bits": 9}"#,
        &x,
        &[],
        &["bits", "1..=8"],
    );
    rejects(
        r#"{"method": "n2uq-weight", "bits": 0}"#,
        &x,
        &[],
        &["bits"],
    );
    rejects(
        r#"{"method": "uniform", "bits": 2, "signed": false, "scale": 1, "zero_point": 7}"#,
        &x,
        &[],
        &["zero_point"],
    );
    rejects(
        r#"{"method": "lcq-act", "bits": 2, "alpha": 1, "theta": [0, 0, 0]}"#,
        &x,
        &[],
        &["theta", "16 entries"],
    );
    rejects(
        r#"{"method": "lcq-weight", "bits": 2, "alpha": 1, "theta": [0, 0], "segments": 3}"#,
        &x,
        &[],
        &["theta", "3 entries"],
    );
    rejects(
        r#"{"method": "lcq-weight", "bits": 1, "alpha": 1, "theta": null}"#,
        &x,
        &[],
        &["bits", "2..=8"],
    );
    rejects(r#"{"method": "binary", "scael": 1}"#, &x, &[], &["scael"]);
    rejects(r#"{"method": "quaternary"}"#, &x, &[], &["quaternary"]);
    rejects(r#"{"bits": 2}"#, &x, &[], &["method"]);
    rejects("{not json", &x, &[], &["--spec"]);
}

#[test]
fn bad_tensors_name_the_problem() {
    let spec = r#"{"method": "n2uq-weight", "bits": 2}"#;
    let nan = encode_float(Dtype::F64, &[2, 2], &[1.0, f64::NAN, 0.5, 0.25]);
    rejects(spec, &nan, &[], &["input[0, 1]", "NaN"]);
    let inf = encode_float(Dtype::F32, &[3], &[1.0, 2.0, f64::INFINITY]);
    rejects(spec, &inf, &[], &["input[2]", "inf"]);
    rejects(
        spec,
        &encode_i32(&[2], &[1, 2]),
        &[],
        &["x.npy", "unsupported dtype '<i4'"],
    );
    let mut corrupt = good_input();
    corrupt[20] = b'#';
    corrupt[21] = b'#';
    rejects(spec, &corrupt, &[], &["x.npy", "header"]);
    let good = good_input();
    rejects(spec, &good[..good.len() - 4], &[], &["x.npy", "truncated"]);
    rejects(spec, b"plain text", &[], &["x.npy", "magic"]);
    // An all-zero N2UQ channel is rejected unless asked for, and then defined (value 0).
    let zero = encode_float(Dtype::F32, &[2, 2], &[0.0, 0.0, 1.0, -1.0]);
    rejects(spec, &zero, &[], &["channel(s) 0", "--allow-zero-channels"]);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.json", spec.as_bytes());
    write(dir.path(), "x.npy", &zero);
    let (ok, out, err) = qforge(
        &[
            "quantize",
            "--spec",
            "s.json",
            "--input",
            "x.npy",
            "--codes",
            "c.npy",
            "--values",
            "v.npy",
            "--allow-zero-channels",
        ],
        dir.path(),
    );
    assert!(ok, "{err}");
    assert!(out.contains("1 all-zero channels"), "{out}");
    let v = parse_float(&std::fs::read(dir.path().join("v.npy")).unwrap(), "v").unwrap();
    assert_eq!(&v.data[..2], &[0.0, 0.0]);
    assert_eq!(read_codes(&dir.path().join("c.npy"))[..2], [2, 2]);
}

#[test]
fn bad_outputs_leave_nothing() {
    let spec = r#"{"method": "binary"}"#;
    rejects(
        spec,
        &good_input(),
        &["--codes", "v.npy", "--values", "v.npy"],
        &["--values", "already the destination"],
    );
    rejects(
        spec,
        &good_input(),
        &["--codes", "no/such/dir/c.npy", "--values", "v.npy"],
        &["--codes", "does not exist"],
    );
}

#[test]
fn init_then_quantize() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "w.npy",
        &encode_float(Dtype::F64, &[6], &[-2.0, -1.9, 0.0, 0.05, 2.0, 1.9]),
    );
    let (ok, _, err) = qforge(
        &[
            "init",
            "--method",
            "qn",
            "--levels",
            "-1,0,1",
            "--weights",
            "--input",
            "w.npy",
            "--out",
            "qn.json",
        ],
        d,
    );
    assert!(ok, "{err}");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("qn.json")).unwrap()).unwrap();
    assert_eq!(spec["beta"], 0.625);
    let (ok, _, err) = qforge(
        &[
            "quantize", "--spec", "qn.json", "--input", "w.npy", "--codes", "c.npy",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert_eq!(read_codes(&d.join("c.npy")), vec![0, 0, 1, 1, 2, 2]);
    for (method, extra) in [
        ("n2uq-act", vec!["--bits", "3"]),
        ("lcq-weight", vec!["--bits", "3", "--input", "w.npy"]),
        ("ternary", vec!["--input", "w.npy"]),
    ] {
        let mut args = vec!["init", "--method", method, "--out", "s.json"];
        args.extend(extra);
        let (ok, _, err) = qforge(&args, d);
        assert!(ok, "{method}: {err}");
    }
    let (ok, _, err) = qforge(
        &[
            "init", "--method", "qn", "--levels", "-1,0,1", "--out", "s2.json",
        ],
        d,
    );
    assert!(
        !ok && err.contains("--input is required") && !d.join("s2.json").exists(),
        "{err}"
    );
}

#[test]
fn reference_runs_the_default_layer_exactly() {
    // A smaller instance of the default design keeps the test fast; same code path.
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = qforge(&["reference", "--channels", "32", "--hw", "6"], dir.path());
    assert!(ok, "{err}");
    assert!(out.contains("0 mismatches"), "{out}");
}

#[test]
fn init_baselines_use_the_design_layers_calibration() {
    // The same helpers the uniform / binary / ternary design layers use: max-abs, mean|x|,
    // TWN 0.7·mean|x|. Hand-computed for x = [-2, -1.9, 0, 0.05, 2, 1.9]: max|x| = 2,
    // mean|x| = 7.85 / 6, TWN threshold 0.7·7.85/6, the four |x| above it average 1.95.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "w.npy",
        &encode_float(Dtype::F64, &[6], &[-2.0, -1.9, 0.0, 0.05, 2.0, 1.9]),
    );
    let mean = 7.85 / 6.0;
    for (method, extra, field, want, codes) in [
        (
            "uniform",
            vec!["--bits", "3", "--weights"],
            "scale",
            2.0 / 3.0,
            vec![-3, -3, 0, 0, 3, 3],
        ),
        (
            "uniform",
            vec!["--bits", "2"],
            "scale",
            2.0 / 3.0,
            vec![0, 0, 0, 0, 3, 3],
        ),
        ("binary", vec![], "scale", mean, vec![0, 0, 1, 1, 1, 1]),
        (
            "ternary",
            vec![],
            "threshold",
            0.7 * mean,
            vec![-1, -1, 0, 0, 1, 1],
        ),
        ("ternary", vec![], "scale", 1.95, vec![-1, -1, 0, 0, 1, 1]),
    ] {
        let mut args = vec![
            "init", "--method", method, "--input", "w.npy", "--out", "s.json",
        ];
        args.extend(extra);
        let _ = std::fs::remove_file(d.join("s.json"));
        let (ok, _, err) = qforge(&args, d);
        assert!(ok, "{method}: {err}");
        let spec: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("s.json")).unwrap()).unwrap();
        let got = spec[field].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-12,
            "{method} {field}: {got} != {want}"
        );
        let (ok, _, err) = qforge(
            &[
                "quantize", "--spec", "s.json", "--input", "w.npy", "--codes", "c.npy",
            ],
            d,
        );
        assert!(ok, "{err}");
        assert_eq!(read_codes(&d.join("c.npy")), codes, "{method}");
    }
    // An all-zero tensor has no scale: an error naming the input, and no spec file.
    write(
        d,
        "z.npy",
        &encode_float(Dtype::F64, &[3], &[0.0, 0.0, 0.0]),
    );
    for (method, extra) in [
        ("uniform", vec!["--bits", "4", "--weights"]),
        ("binary", vec![]),
        ("ternary", vec![]),
    ] {
        let mut args = vec![
            "init", "--method", method, "--input", "z.npy", "--out", "z.json",
        ];
        args.extend(extra);
        let (ok, _, err) = qforge(&args, d);
        assert!(
            !ok && err.contains("input") && err.contains("no scale") && !d.join("z.json").exists(),
            "{method}: {err}"
        );
    }
}
