//! `qforge run --network`: a small catalog-like network file (conv-bn-relu, a residual block
//! with a strided downsample, global average pool, fc) built with seeded synthetic weights and
//! run whole on the cycle model; deterministic per seed, different across seeds; bad flags
//! are errors naming the flag.

mod common;

use std::path::Path;

use common::qforge;
use serde_json::Value;

const NET: &str = r#"{"name": "tiny_resnet", "layers": [
  {"name": "conv1", "op": "conv", "in_channels": 3, "out_channels": 8, "kernel": [3, 3],
   "stride": 1, "padding": 1, "in_hw": [8, 8]},
  {"name": "bn1", "op": "batchnorm", "channels": 8},
  {"name": "relu", "op": "relu"},
  {"name": "layer1.0.conv1", "op": "conv", "in_channels": 8, "out_channels": 16, "kernel": [3, 3],
   "stride": 2, "padding": 1, "in_hw": [8, 8]},
  {"name": "layer1.0.bn1", "op": "batchnorm", "channels": 16},
  {"name": "layer1.0.conv2", "op": "conv", "in_channels": 16, "out_channels": 16, "kernel": [3, 3],
   "stride": 1, "padding": 1, "in_hw": [4, 4]},
  {"name": "layer1.0.bn2", "op": "batchnorm", "channels": 16},
  {"name": "layer1.0.downsample.0", "op": "conv", "in_channels": 8, "out_channels": 16,
   "kernel": [1, 1], "stride": 2, "padding": 0, "in_hw": [8, 8]},
  {"name": "layer1.0.downsample.1", "op": "batchnorm", "channels": 16},
  {"name": "layer1.0.add", "op": "add"},
  {"name": "avgpool", "op": "avgpool"},
  {"name": "fc", "op": "fc", "in_features": 16, "out_features": 10, "bias": true}]}"#;

/// Run on `net` with `extra` flags; (JSON, output .npy bytes).
fn run(dir: &Path, net: &str, seed: &str) -> (Value, Vec<u8>) {
    let out = dir.join(format!("y{seed}.npy"));
    let outs = out.to_string_lossy().to_string();
    let args = [
        "run",
        "--network",
        net,
        "--bits",
        "2/2",
        "--seed",
        seed,
        "--json",
        "--output",
        &outs,
    ];
    let (ok, stdout, stderr) = qforge(&args, dir);
    assert!(ok, "{args:?}: {stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    (v, std::fs::read(&out).unwrap())
}

#[test]
fn a_residual_network_file_runs_whole_and_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.json");
    std::fs::write(&net, NET).unwrap();
    let net = net.to_string_lossy().to_string();
    let (v, y) = run(dir.path(), &net, "1");
    let layers = v["layers"].as_array().unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "conv1",
            "layer1.0.conv1",
            "layer1.0.conv2",
            "layer1.0.downsample.0",
            "fc"
        ]
    );
    let sum: u64 = layers.iter().map(|l| l["cycles"].as_u64().unwrap()).sum();
    assert_eq!(v["cycles"].as_u64().unwrap(), sum);
    // The block's last conv and the downsample feed the add: raw; so does the last layer.
    let modes: Vec<&str> = layers.iter().map(|l| l["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["codes", "codes", "raw", "raw", "raw"]);
    // The residual add, the pool and the quantizers between them are real graph nodes.
    let ops: Vec<(&str, &str)> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["name"].as_str().unwrap(), n["op"].as_str().unwrap()))
        .collect();
    for want in [
        ("layer1.0.add", "add"),
        ("avgpool", "global_avgpool"),
        ("avgpool.q", "quant"),
        ("layer1.0.add.q", "quant"),
    ] {
        assert!(ops.contains(&want), "{want:?} in {ops:?}");
    }
    assert_eq!(v["network"]["graph_inputs"].as_array().unwrap().len(), 1);
    // Deterministic: the same seed gives the same JSON and outputs.
    let (v2, y2) = run(dir.path(), &net, "1");
    assert_eq!(v, v2);
    assert_eq!(y, y2);
    // Another seed: other weights and input, other outputs (same schedule).
    let (v3, y3) = run(dir.path(), &net, "2");
    assert_ne!(y, y3);
    assert_eq!(v["cycles"], v3["cycles"]);
}

#[test]
fn a_layer_whose_input_does_not_follow_reads_a_separate_seeded_input() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.json");
    std::fs::write(
        &net,
        r#"{"name": "gap", "layers": [
      {"name": "a", "op": "conv", "in_channels": 3, "out_channels": 8, "kernel": [3, 3],
       "padding": 1, "in_hw": [6, 6]},
      {"name": "b", "op": "conv", "in_channels": 5, "out_channels": 4, "kernel": [1, 1], "separate_input": true,
       "in_hw": [6, 6]},
      {"name": "fc", "op": "fc", "in_features": 144, "out_features": 3}]}"#,
    )
    .unwrap();
    let (v, _) = run(dir.path(), &net.to_string_lossy(), "1");
    let inputs = v["network"]["graph_inputs"].as_array().unwrap();
    // Layer a (and the first input) no longer feed anything: dropped, and noted.
    assert_eq!(inputs.len(), 1, "{v}");
    assert_eq!(inputs[0]["name"], "b.in");
    let notes = v["network"]["notes"].to_string();
    assert!(notes.contains("separate seeded input"), "{notes}");
    assert!(notes.contains("dropped): a"), "{notes}");
    let layers: Vec<&str> = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["b", "fc"]);
}

#[test]
fn bad_flags_are_errors_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            vec!["run", "--network", "resnet18", "--model", "m.json"],
            "--model",
        ),
        (vec!["run", "--network", "resnet99"], "--network"),
        (
            vec!["run", "--network", "resnet18", "--bits", "9/2"],
            "--bits",
        ),
        (
            vec!["run", "--network", "resnet18", "--bits", "2"],
            "--bits",
        ),
        (
            vec!["run", "--model", "m.json", "--bits", "2/2"],
            "--network",
        ),
    ] {
        let (ok, _, stderr) = qforge(&args, dir.path());
        assert!(!ok, "{args:?} succeeded");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
