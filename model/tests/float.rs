//! The float evaluator by hand on tiny tensors, through models built in code with
//! `Model::new` (the QONNX importer's path).

use model::float::{self, near_threshold};
use model::{GraphInput, Model, Node, Op, Tensor};
use quant::QuantSpec;

fn input(shape: &[usize]) -> Vec<GraphInput> {
    vec![GraphInput {
        name: "x".into(),
        shape: shape.to_vec(),
    }]
}

fn node(name: &str, op: Op, inputs: &[&str]) -> Node {
    Node::new(name, op, inputs.iter().map(|s| s.to_string()).collect())
}

fn tensor(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec()).unwrap()
}

fn spec(json: &str) -> QuantSpec {
    QuantSpec::from_json(json).unwrap()
}

/// Run a one-node model (`y` reads `x`) on `x`.
fn run1(shape: &[usize], op: Op, x: &[f64]) -> Tensor {
    let m = Model::new(
        "t",
        input(shape),
        vec!["y".into()],
        vec![node("y", op, &["x"])],
    )
    .unwrap();
    float::run(&m, x).unwrap().tensor("y").unwrap().clone()
}

fn seq(lo: i32, hi: i32) -> Vec<f64> {
    (lo..=hi).map(f64::from).collect()
}

#[test]
fn conv_stride2_padding1_groups2() {
    // ch0 = 1..9, ch1 = 10..18 (3×3 each); oc0 reads ch0 with [[1,2],[3,4]], oc1 reads ch1
    // with [[1,0],[0,-1]]; padded 5×5, windows 2×2 at stride 2 → 2×2 outputs.
    let op = Op::Conv {
        weight: tensor(&[2, 1, 2, 2], &[1.0, 2.0, 3.0, 4.0, 1.0, 0.0, 0.0, -1.0]),
        bias: Some(tensor(&[2], &[0.5, -1.0])),
        stride: 2,
        padding: 1,
        groups: 2,
        weight_quant: None,
    };
    let y = run1(&[2, 3, 3], op, &seq(1, 18));
    assert_eq!(y.shape, vec![2, 2, 2]);
    assert_eq!(
        y.data,
        vec![4.5, 18.5, 36.5, 77.5, -11.0, -13.0, -17.0, -5.0]
    );
}

#[test]
fn conv_with_quantized_weights_uses_their_values() {
    // Uniform signed 4-bit weights, scale 0.5: 0.3 → 0.5, -0.8 → -1.0, 0.2 → 0.0, 1.3 → 1.5.
    // Input quantized by uniform scale 1 (codes 0..3): x = [0.4, 1.6, 2.2, 7.0] → [0, 2, 2, 3].
    let m = Model::new(
        "t",
        input(&[1, 2, 2]),
        vec!["c".into()],
        vec![
            node(
                "c",
                Op::Conv {
                    weight: tensor(&[1, 1, 2, 2], &[0.3, -0.8, 0.2, 1.3]),
                    bias: None,
                    stride: 1,
                    padding: 0,
                    groups: 1,
                    weight_quant: Some(spec(
                        r#"{"method":"uniform","bits":4,"signed":true,"scale":0.5}"#,
                    )),
                },
                &["q"],
            ),
            node(
                "q",
                Op::Quant {
                    spec: spec(r#"{"method":"uniform","bits":2,"signed":false,"scale":1.0}"#),
                },
                &["x"],
            ),
        ],
    )
    .unwrap();
    // Sorted: q before c.
    assert_eq!(m.nodes[0].name, "q");
    let run = float::run(&m, &[0.4, 1.6, 2.2, 7.0]).unwrap();
    let q = run.get("q").unwrap();
    assert_eq!(q.value.data, vec![0.0, 2.0, 2.0, 3.0]);
    assert_eq!(q.indices.as_deref(), Some(&[0, 2, 2, 3][..]));
    // Nearest threshold: 0.4 is 0.1 from 0.5, 1.6 is 0.1 from 1.5.
    assert!((q.threshold_distance.unwrap() - 0.1).abs() < 1e-12);
    let y = run.tensor("c").unwrap();
    assert_eq!(y.data, vec![0.5 * 0.0 - 1.0 * 2.0 + 0.0 * 2.0 + 1.5 * 3.0]);
    let w = m.node("c").unwrap().quantized_weights().unwrap().unwrap();
    assert_eq!(w.values, vec![0.5, -1.0, 0.0, 1.5]);
    assert_eq!((w.m, w.k), (1, 4));
    assert!(m.node("q").unwrap().quantized_weights().unwrap().is_none());
}

#[test]
fn maxpool_padding_never_wins() {
    // All inputs negative: a counted zero pad would win every border window.
    let op = Op::MaxPool {
        kernel: 2,
        stride: 2,
        padding: 1,
    };
    let y = run1(
        &[1, 3, 3],
        op,
        &seq(-9, -1).into_iter().rev().collect::<Vec<_>>(),
    );
    assert_eq!(y.shape, vec![1, 2, 2]);
    assert_eq!(y.data, vec![-1.0, -2.0, -4.0, -5.0]);
}

#[test]
fn avgpool_counts_padding() {
    let op = Op::AvgPool {
        kernel: 2,
        stride: 2,
        padding: 1,
    };
    let y = run1(&[1, 3, 3], op, &seq(1, 9));
    assert_eq!(y.data, vec![0.25, 1.25, 2.75, 7.0]);
    // Overlapping windows without padding: stride 1 over 3×3 → 2×2.
    let op = Op::AvgPool {
        kernel: 2,
        stride: 1,
        padding: 0,
    };
    let y = run1(&[1, 3, 3], op, &seq(1, 9));
    assert_eq!(y.data, vec![3.0, 4.0, 6.0, 7.0]);
}

#[test]
fn add_relu_flatten_order_and_global_avgpool() {
    let m = Model::new(
        "t",
        input(&[2, 2, 2]),
        vec!["f".into(), "g".into()],
        vec![
            node("f", Op::Flatten, &["a"]),
            node("a", Op::Add, &["r", "x"]),
            node("r", Op::Relu, &["x"]),
            node("g", Op::GlobalAvgPool, &["x"]),
        ],
    )
    .unwrap();
    let order: Vec<&str> = m.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(order, ["r", "a", "f", "g"]);
    let x = [1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0];
    let run = float::run(&m, &x).unwrap();
    assert_eq!(
        run.tensor("r").unwrap().data,
        [1.0, 0.0, 3.0, 0.0, 5.0, 0.0, 7.0, 0.0]
    );
    let f = run.tensor("f").unwrap();
    assert_eq!(f.shape, vec![8]);
    // C-major: channel 0's 2×2 first, row by row.
    assert_eq!(f.data, [2.0, -2.0, 6.0, -4.0, 10.0, -6.0, 14.0, -8.0]);
    assert_eq!(run.tensor("g").unwrap().data, [-0.5, -0.5]);
    let outs = run.outputs(&m);
    assert_eq!(outs.len(), 2);
    assert_eq!(outs[1].shape, vec![2]);
}

#[test]
fn batchnorm_and_fc() {
    let bn = Op::BatchNorm {
        gamma: vec![2.0, -1.0],
        beta: vec![0.5, 0.0],
        mean: vec![1.0, 0.0],
        var: vec![3.0, 0.0],
        eps: 1.0,
    };
    // ch0: 2·(x − 1)/2 + 0.5; ch1: −x/1.
    let y = run1(&[2, 1, 2], bn, &[1.0, 3.0, 4.0, -2.0]);
    assert_eq!(y.data, vec![0.5, 2.5, -4.0, 2.0]);
    let fc = Op::Fc {
        weight: tensor(&[2, 3], &[1.0, 2.0, 3.0, -1.0, 0.0, 0.5]),
        bias: Some(tensor(&[2], &[0.25, -0.25])),
        weight_quant: None,
    };
    let y = run1(&[3], fc, &[1.0, 1.0, 2.0]);
    assert_eq!(y.data, vec![9.25, -0.25]);
}

#[test]
fn near_threshold_in_input_domain() {
    let q = spec(r#"{"method":"uniform","bits":3,"signed":false,"scale":0.5}"#)
        .scalar()
        .unwrap();
    // Thresholds at 0.25, 0.75, ...
    assert!((near_threshold(&[0.0, 0.6], q.as_ref()) - 0.15).abs() < 1e-12);
    assert_eq!(near_threshold(&[], q.as_ref()), f64::INFINITY);
}

#[test]
fn input_errors() {
    let m = Model::new(
        "t",
        input(&[3]),
        vec!["y".into()],
        vec![node("y", Op::Relu, &["x"])],
    )
    .unwrap();
    let e = float::run(&m, &[1.0]).unwrap_err();
    assert!(e.to_string().contains("needs 3"), "{e}");
    let e = float::run(&m, &[1.0, f64::NAN, 0.0]).unwrap_err();
    assert_eq!(e.field, "[1]");
}

#[test]
fn every_quantizer_value_rises_with_its_index() {
    // docs/model.md relies on this: maxpool of values is maxpool of codes.
    let specs = [
        r#"{"method": "n2uq-act", "bits": 2, "start": 0.0, "a": [0.667, 0.667, 0.667], "beta1": 1.0, "beta2": 1.0}"#,
        r#"{"method": "lcq-act", "bits": 3, "alpha": 2.5, "theta": [0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]}"#,
        r#"{"method": "qn", "levels": [-4, -2, -1, 0, 1, 2, 4], "biases": [-3, -1.5, -0.5, 0.5, 1.5, 3], "alpha": 0.25, "beta": 1.0, "offset": true}"#,
        r#"{"method": "uniform", "bits": 4, "signed": true, "scale": 0.1, "zero_point": 0}"#,
        r#"{"method": "binary", "scale": 1.0}"#,
        r#"{"method": "ternary", "threshold": 0.05, "scale": 0.1}"#,
        r#"{"method": "multithreshold", "thresholds": [-1, 0, 0, 2], "out_scale": 2, "out_bias": -1}"#,
        r#"{"method": "n2uq-weight", "bits": 3}"#,
        r#"{"method": "lcq-weight", "bits": 3, "alpha": 2.0, "theta": null}"#,
    ];
    let w: Vec<f64> = (0..16).map(|i| (i as f64 - 7.5) / 4.0).collect();
    for s in specs {
        let p = spec(s).prepare(&w, &[2, 8]).unwrap();
        for q in &p.quantizers {
            let v: Vec<f64> = (0..q.num_levels()).map(|i| q.value(i)).collect();
            assert!(v.windows(2).all(|p| p[0] < p[1]), "{s}: {v:?}");
        }
    }
}
