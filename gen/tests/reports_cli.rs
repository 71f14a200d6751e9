//! `qforge network` and `qforge report`: every report for every catalog network, a network
//! file, the output formats, and bad input that names the layer and field.

use std::path::Path;

mod common;
use common::qforge;

const FILE: &str = r#"{"name": "tiny", "layers": [
  {"name": "conv1", "op": "conv", "in_channels": 3, "out_channels": 4, "kernel": [3, 3],
   "stride": 1, "padding": 1, "in_hw": [4, 4]},
  {"name": "bn1", "op": "batchnorm", "channels": 4},
  {"name": "conv2", "op": "conv", "in_channels": 4, "out_channels": 8, "kernel": [3, 3],
   "stride": 2, "padding": 1, "groups": 2, "bias": true, "in_hw": [4, 4]},
  {"name": "pool", "op": "maxpool"},
  {"name": "fc", "op": "fc", "in_features": 32, "out_features": 10, "bias": true}]}"#;

#[test]
fn every_report_for_every_network() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.json"), FILE).unwrap();
    let (ok, list, err) = qforge(&["network", "list"], d);
    assert!(
        ok && list.contains("resnet50") && list.contains("alexnet"),
        "{err}"
    );
    for net in [
        "resnet18",
        "resnet34",
        "resnet50",
        "mobilenet_v2",
        "alexnet",
        "tiny.json",
    ] {
        let (ok, show, err) = qforge(&["network", "show", net], d);
        assert!(ok && show.contains("| 0 |"), "{net}: {err}");
        for (report, key) in [("memory", "total_bytes"), ("time", "cycles")] {
            for engine in ["bitserial", "lut"] {
                let (ok, out, err) = qforge(
                    &[
                        "report",
                        report,
                        "--network",
                        net,
                        "--engine",
                        engine,
                        "--array",
                        "4x4x64",
                        "--json",
                    ],
                    d,
                );
                assert!(ok, "{net} {report} {engine}: {err}");
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert!(v[key].as_u64().unwrap() > 0, "{net} {report}");
            }
        }
        let (ok, out, err) = qforge(
            &["report", "resources", "--network", net, "--array", "4x4x64"],
            d,
        );
        assert!(ok && out.contains("xcvu9p"), "{net}: {err}");
        let (ok, out, err) = qforge(&["report", "compare", "--network", net, "--json"], d);
        assert!(ok, "{net} compare: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["configs"][0]["time_vs_binary"], 1.0, "{net}");
    }
    let (ok, csv, err) = qforge(&["report", "memory", "--network", "tiny.json", "--csv"], d);
    assert!(ok, "{err}");
    assert!(csv.lines().last().unwrap().ends_with(",538"), "{csv}");
    let (ok, out, err) = qforge(
        &[
            "report",
            "compare",
            "--network",
            "resnet18",
            "--svg",
            "plots",
        ],
        d,
    );
    assert!(
        ok && out.contains("binary 1/1") && out.contains("TOPS"),
        "{out}{err}"
    );
    let (ok, csv, err) = qforge(&["report", "compare", "--network", "alexnet", "--csv"], d);
    assert!(
        ok && csv.lines().nth(1).unwrap().starts_with("binary 1/1,"),
        "{csv}{err}"
    );
    let (ok, _, err) = qforge(
        &["report", "time", "--network", "resnet18", "--svg", "plots"],
        d,
    );
    assert!(ok, "{err}");
    let (ok, _, err) = qforge(
        &[
            "report",
            "memory",
            "--network",
            "resnet18",
            "--svg",
            "plots",
        ],
        d,
    );
    assert!(ok, "{err}");
    for f in ["compare.svg", "time.svg", "memory.svg"] {
        let s = std::fs::read_to_string(d.join("plots").join(f)).unwrap();
        assert!(s.starts_with("<svg") && s.contains("<rect"), "{f}");
    }
}

#[test]
fn bad_input_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bad.json"),
        r#"{"name": "b", "layers": [{"name": "c1", "op": "conv", "in_channels": 3}]}"#,
    )
    .unwrap();
    for (args, needle) in [
        (
            vec!["report", "memory", "--network", "bad.json"],
            "layers[0] (c1).out_channels",
        ),
        (vec!["report", "memory", "--network", "nosuch"], "--network"),
        (vec!["report", "time", "--bits", "2"], "--bits"),
        (vec!["report", "time", "--bits", "9/2"], "--bits"),
        (vec!["report", "time", "--array", "8x8"], "--array"),
        (
            vec!["report", "time", "--first-last-bits", "16"],
            "--first-last-bits",
        ),
        (vec!["report", "time", "--engine", "gpu"], "--engine"),
        (vec!["report", "time", "--clock-mhz", "0"], "--clock-mhz"),
        (vec!["report", "compare", "--budget", "1.5"], "--budget"),
        (vec!["report", "memory", "--json", "--csv"], "--json"),
    ] {
        let (ok, _, err) = qforge(&args, d);
        assert!(!ok && err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn config_sets_the_engine() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = root.join("docs/examples/qn_pow2_4.toml");
    let (ok, out, err) = qforge(
        &[
            "report",
            "memory",
            "--network",
            "alexnet",
            "--config",
            cfg.to_str().unwrap(),
            "--json",
        ],
        dir.path(),
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // QN {0, ±1, ±2, ±4} x {0..3}: 3-bit sign-magnitude weights, 2-bit activations, 4-bit
    // products: 3 · 3 = 9 one-byte entries for each of AlexNet's 6 quantized layers.
    assert_eq!(v["lut_bytes"], 54);
}
