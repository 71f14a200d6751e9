//! A model using the QONNX importer's IR ops (`mul`, `div`, `add_const`, a `multithreshold`
//! quantizer), built with `Model::new`, written with `Model::to_dir` and run by `qforge run`:
//! the affine chains fold into the engine layers (`nodes[].ran`), the host runs the rest, and
//! the outputs equal `model::float::run` on every sample without a near-threshold decision.

mod common;

use common::qforge;
use model::{float, GraphInput, Model, Node, Op, Tensor};
use quant::npy::{encode_float, Dtype};
use quant::QuantSpec;
use serde_json::Value;

fn node(name: &str, op: Op, inputs: &[&str]) -> Node {
    Node::new(name, op, inputs.iter().map(|s| s.to_string()).collect())
}

fn spec(json: &str) -> QuantSpec {
    QuantSpec::from_json(json).unwrap()
}

/// Deterministic values in `[lo, hi)`.
fn values(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

fn model() -> Model {
    let w2 = r#"{"method": "uniform", "bits": 2, "signed": true, "scale": 0.5}"#;
    let t = |shape: &[usize], data: Vec<f64>| Tensor::new(shape.to_vec(), data).unwrap();
    Model::new(
        "irops",
        vec![GraphInput {
            name: "x".into(),
            shape: vec![1, 6, 6],
        }],
        vec!["out".into()],
        vec![
            node(
                "q_in",
                Op::Quant {
                    spec: spec(r#"{"method": "uniform", "bits": 3, "signed": false, "scale": 0.25}"#),
                },
                &["x"],
            ),
            node(
                "conv",
                Op::Conv {
                    weight: t(&[4, 1, 3, 3], values(36, 1, -1.0, 1.0)),
                    bias: None,
                    stride: 1,
                    padding: 1,
                    groups: 1,
                    weight_quant: Some(spec(w2)),
                },
                &["q_in"],
            ),
            node(
                "scale",
                Op::Mul {
                    value: t(&[4, 1, 1], vec![0.7, 1.3, -0.9, 0.45]),
                },
                &["conv"],
            ),
            node(
                "shift",
                Op::AddConst {
                    value: t(&[], vec![0.35]),
                },
                &["scale"],
            ),
            node("relu", Op::Relu, &["shift"]),
            node(
                "mt",
                Op::Quant {
                    spec: spec(
                        r#"{"method": "multithreshold", "thresholds": [0.2, 0.6, 1.1], "out_scale": 0.5}"#,
                    ),
                },
                &["relu"],
            ),
            node(
                "pool",
                Op::MaxPool {
                    kernel: 2,
                    stride: 2,
                    padding: 0,
                },
                &["mt"],
            ),
            node("flat", Op::Flatten, &["pool"]),
            node(
                "fc",
                Op::Fc {
                    weight: t(&[3, 36], values(108, 2, -1.0, 1.0)),
                    bias: Some(Tensor::vector(vec![0.1, -0.2, 0.3])),
                    weight_quant: Some(spec(w2)),
                },
                &["flat"],
            ),
            node(
                "div",
                Op::Div {
                    value: t(&[1], vec![-1.7]),
                },
                &["fc"],
            ),
            node(
                "out",
                Op::AddConst {
                    value: Tensor::vector(vec![0.5, 0.0, -0.5]),
                },
                &["div"],
            ),
        ],
    )
    .unwrap()
}

#[test]
fn qforge_run_folds_the_affine_chain_and_matches_the_float_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let m = model();
    let dir = d.join("model");
    m.to_dir(&dir).unwrap();
    let batch = 16;
    let x = values(batch * 36, 3, -0.2, 2.0);
    std::fs::write(
        d.join("x.npy"),
        encode_float(Dtype::F64, &[batch, 1, 6, 6], &x),
    )
    .unwrap();
    let (ok, stdout, stderr) = qforge(
        &[
            "run", "--model", "model", "--input", "x.npy", "--output", "y.npy", "--json",
        ],
        d,
    );
    assert!(ok, "qforge run failed: {stderr}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    let ran = |name: &str| -> String {
        j["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {j}"))["ran"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(ran("conv"), "engine");
    for n in ["scale", "shift", "relu", "mt"] {
        assert_eq!(ran(n), "engine (folded into conv)", "{n}");
    }
    assert_eq!(ran("fc"), "engine (raw accumulators)");
    for n in ["q_in", "pool", "flat", "div", "out"] {
        assert_eq!(ran(n), "host", "{n}");
    }
    let y = quant::npy::read_float(&d.join("y.npy")).unwrap();
    assert_eq!(y.shape, vec![batch, 3]);
    let near = j["near_threshold"].as_array().unwrap();
    let mut exact = 0;
    for s in 0..batch {
        let want = float::run(&m, &x[s * 36..(s + 1) * 36]).unwrap();
        let want = &want.tensor("out").unwrap().data;
        let got = &y.data[s * 3..(s + 1) * 3];
        if near[s] == 0 {
            let scale = want.iter().fold(1f64, |a, v| a.max(v.abs()));
            for (a, b) in got.iter().zip(want) {
                assert!(
                    (a - b).abs() <= 1e-9 * scale,
                    "sample {s}: {got:?} vs {want:?}"
                );
            }
            exact += 1;
        }
    }
    assert!(
        exact >= batch - 2,
        "only {exact}/{batch} samples without a near decision"
    );
}
