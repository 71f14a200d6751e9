//! `multithreshold` as a `quant` node: float evaluation, the manifest round trip, and the
//! errors of a bad spec or a misuse as a weight quantizer.

mod common;

use common::{t, write_model};
use model::{float, GraphInput, Model, Node, Op};
use quant::QuantSpec;
use serde_json::json;

fn spec(text: &str) -> QuantSpec {
    QuantSpec::from_json(text).unwrap()
}

#[test]
fn evaluates_counts_and_values() {
    let m = Model::new(
        "t",
        vec![GraphInput {
            name: "x".into(),
            shape: vec![6],
        }],
        vec!["q".into()],
        vec![Node::new(
            "q",
            Op::Quant {
                spec: spec(
                    r#"{"method": "multithreshold", "thresholds": [-0.5, 0.0, 0.0, 1.5], "out_scale": 0.5, "out_bias": -1.0}"#,
                ),
            },
            vec!["x".into()],
        )],
    )
    .unwrap();
    let x = [-1.0, -0.5, -1e-9, 0.0, 1.4999, 7.0];
    let r = float::run(&m, &x).unwrap();
    let q = r.get("q").unwrap();
    assert_eq!(q.indices.as_deref(), Some(&[0, 1, 1, 3, 3, 4][..]));
    assert_eq!(q.value.data, vec![-1.0, -0.5, -0.5, 0.5, 0.5, 1.0]);
    // Exactly at a threshold: distance 0.
    assert_eq!(q.threshold_distance, Some(0.0));
}

fn manifest(spec: serde_json::Value, weight_quant: Option<serde_json::Value>) -> serde_json::Value {
    let mut nodes = vec![json!({ "name": "q", "op": "quant", "inputs": ["x"], "spec": spec })];
    let mut out = "q";
    if let Some(wq) = weight_quant {
        nodes.push(
            json!({ "name": "fc", "op": "fc", "inputs": ["q"], "weight": "w", "weight_quant": wq }),
        );
        out = "fc";
    }
    json!({
        "format": "qforge-model", "version": 1, "name": "t", "tensors": "model.safetensors",
        "inputs": [{ "name": "x", "shape": [2] }], "outputs": [out], "nodes": nodes
    })
}

#[test]
fn manifest_round_trip_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let tensors = [t("w", &[1, 2], &[0.5, -0.5])];
    let good = json!({ "method": "multithreshold", "thresholds": [0.25, 0.75] });
    let path = write_model(dir.path(), &manifest(good.clone(), None), &tensors);
    let m = Model::load(&path).unwrap();
    let out = tempfile::tempdir().unwrap();
    m.to_dir(out.path()).unwrap();
    assert_eq!(Model::load(out.path()).unwrap(), m);
    let (json, _) = m.to_manifest();
    assert_eq!(json["nodes"][0]["spec"]["out_scale"], 1.0);
    assert_eq!(json["nodes"][0]["spec"]["out_bias"], 0.0);
    // A quantized fc may read it.
    let wq = json!({ "method": "uniform", "bits": 2, "signed": true, "scale": 0.5 });
    let path = write_model(dir.path(), &manifest(good.clone(), Some(wq)), &tensors);
    Model::load(&path).unwrap();

    let cases = [
        (
            json!({ "method": "multithreshold", "thresholds": [0.75, 0.25] }),
            "spec.thresholds",
            "sorted",
        ),
        (
            json!({ "method": "multithreshold", "thresholds": [] }),
            "spec.thresholds",
            "empty",
        ),
        (
            json!({ "method": "multithreshold", "thresholds": [0.0], "out_bias": 0.1234567 }),
            "spec.out_bias",
            "integer levels",
        ),
        (
            json!({ "method": "multithreshold", "thresholds": [0.0], "out_scale": -1 }),
            "spec.out_scale",
            "> 0",
        ),
        (
            json!({ "method": "multithreshold", "threshold": [0.0] }),
            "spec.threshold",
            "did you mean \"thresholds\"",
        ),
    ];
    for (bad, field, word) in cases {
        let path = write_model(dir.path(), &manifest(bad, None), &tensors);
        let e = Model::load(&path).unwrap_err();
        assert_eq!(
            (e.at.as_str(), e.field.as_str()),
            (r#"nodes[0] "q""#, field),
            "{e}"
        );
        assert!(e.to_string().contains(word), "{e}");
    }
    // Not a weight quantizer.
    let path = write_model(dir.path(), &manifest(good.clone(), Some(good)), &tensors);
    let e = Model::load(&path).unwrap_err();
    assert_eq!(
        (e.at.as_str(), e.field.as_str()),
        (r#"nodes[1] "fc""#, "weight_quant.method")
    );
    // NaN thresholds (only reachable from code): an error naming the field.
    let bad = QuantSpec::MultiThreshold(quant::multithreshold::MultiThresholdSpec {
        thresholds: vec![0.0, f64::NAN],
        out_scale: 1.0,
        out_bias: 0.0,
    });
    let e = Model::new(
        "t",
        vec![GraphInput {
            name: "x".into(),
            shape: vec![2],
        }],
        vec!["q".into()],
        vec![Node::new("q", Op::Quant { spec: bad }, vec!["x".into()])],
    )
    .unwrap_err();
    assert_eq!(e.field, "spec.thresholds", "{e}");
}
