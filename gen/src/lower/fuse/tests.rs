//! Fusion of affine chains (`mul`, `div`, `add_const`, `batchnorm`) and of `multithreshold`
//! output quantizers: small models built in code, lowered, checked for what folds, and run on
//! the cycle model against `model::float::run` on random samples.

use model::{float, GraphInput, Model, Node, Op, Tensor};
use quant::QuantSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::engine::Engine;

use super::{compose, Composite};
use crate::lower::{ArrayCfg, EngineChoice, Place, Plan};

fn node(name: &str, op: Op, inputs: &[&str]) -> Node {
    Node::new(name, op, inputs.iter().map(|s| s.to_string()).collect())
}

fn spec(json: &str) -> QuantSpec {
    QuantSpec::from_json(json).unwrap()
}

fn quant(name: &str, json: &str, input: &str) -> Node {
    node(name, Op::Quant { spec: spec(json) }, &[input])
}

fn vector(v: &[f64]) -> Tensor {
    Tensor::vector(v.to_vec())
}

fn scalar(v: f64) -> Tensor {
    Tensor::new(vec![], vec![v]).unwrap()
}

fn random(rng: &mut ChaCha8Rng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n).map(|_| rng.gen_range(lo..hi)).collect()
}

const Q_IN: &str = r#"{"method": "uniform", "bits": 3, "signed": false, "scale": 0.25}"#;
const W2: &str = r#"{"method": "uniform", "bits": 2, "signed": true, "scale": 0.5}"#;

fn fc(name: &str, input: &str, out: usize, inf: usize, rng: &mut ChaCha8Rng) -> Node {
    node(
        name,
        Op::Fc {
            weight: Tensor::new(vec![out, inf], random(rng, out * inf, -1.0, 1.0)).unwrap(),
            bias: Some(vector(&random(rng, out, -0.3, 0.3))),
            weight_quant: Some(spec(W2)),
        },
        &[input],
    )
}

fn plan(model: &Model) -> Plan {
    let cfg = ArrayCfg {
        kind: EngineChoice::Auto,
        array: None,
        clock_mhz: 300.0,
        target: hdl::params::Target::Generic,
    };
    Plan::new(model.clone(), &cfg).unwrap()
}

#[track_caller]
fn assert_fused(plan: &Plan, layer: &str, nodes: &[&str]) {
    assert_eq!(
        plan.places[layer],
        Place::Engine {
            raw: false,
            jobs: 1
        },
        "{layer}"
    );
    for n in nodes {
        assert_eq!(
            plan.places[*n],
            Place::Fused {
                layer: layer.into()
            },
            "{n}"
        );
    }
}

/// Run `samples` random inputs (uniform in `[lo, hi)`) through the plan on the cycle model and
/// through the float reference. Quantized outputs must agree exactly, float outputs within
/// `1e-9` relative, on every sample without a near-threshold decision; returns how many
/// samples had one, and the distinct codes seen per quantized output.
fn compare(model: &Model, plan: &Plan, samples: usize, lo: f64, hi: f64) -> (usize, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut engine = Engine::new(plan.params);
    let eval = float::Evaluator::new(model).unwrap();
    let n: usize = model.inputs[0].shape.iter().product();
    let mut near_samples = 0;
    let mut seen: Vec<std::collections::BTreeSet<u64>> =
        vec![Default::default(); model.outputs.len()];
    for s in 0..samples {
        let x = random(&mut rng, n, lo, hi);
        let run = plan.run_sample(&mut engine, &x, None).unwrap();
        let want = eval.run(&x).unwrap();
        let mut same = true;
        for (o, (name, got)) in model.outputs.iter().zip(&run.outputs).enumerate() {
            let w = want.get(name).unwrap();
            match (&w.indices, plan.quant_index.get(name)) {
                (Some(idx), Some(&qi)) => {
                    // The host's value of a code: level times level scale.
                    let q = plan.quants[qi].as_ref();
                    let hw: Vec<f64> = idx
                        .iter()
                        .map(|&i| q.level(i) as f64 * q.level_scale())
                        .collect();
                    same &= &hw == got;
                    seen[o].extend(got.iter().map(|v| v.to_bits()));
                }
                _ => {
                    let scale = w.value.data.iter().fold(1f64, |a, v| a.max(v.abs()));
                    same &= got
                        .iter()
                        .zip(&w.value.data)
                        .all(|(a, b)| (a - b).abs() <= 1e-9 * scale);
                }
            }
        }
        if run.near > 0 {
            near_samples += 1;
        } else {
            assert!(same, "sample {s}: engine {:?} vs float", run.outputs);
        }
    }
    eprintln!(
        "{}: {near_samples}/{samples} samples near a threshold, distinct codes {:?}",
        model.name,
        seen.iter().map(|s| s.len()).collect::<Vec<_>>()
    );
    (near_samples, seen.iter().map(|s| s.len()).collect())
}

fn input(shape: &[usize]) -> Vec<GraphInput> {
    vec![GraphInput {
        name: "x".into(),
        shape: shape.to_vec(),
    }]
}

#[test]
fn fc_mul_add_const_relu_quant_folds() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let model = Model::new(
        "fc_affine",
        input(&[8]),
        vec!["q_out".into()],
        vec![
            quant("q_in", Q_IN, "x"),
            fc("fc", "q_in", 5, 8, &mut rng),
            node(
                "mul",
                Op::Mul {
                    value: vector(&[0.9, -1.3, 0.37, 2.1, 1.0]),
                },
                &["fc"],
            ),
            node(
                "shift",
                Op::AddConst {
                    value: vector(&[0.11, 0.6, -0.05, 0.3, 0.77]),
                },
                &["mul"],
            ),
            node("relu", Op::Relu, &["shift"]),
            quant(
                "q_out",
                r#"{"method": "uniform", "bits": 2, "signed": false, "scale": 0.43}"#,
                "relu",
            ),
        ],
    )
    .unwrap();
    let plan = plan(&model);
    assert_fused(&plan, "fc", &["mul", "shift", "relu", "q_out"]);
    let (near, seen) = compare(&model, &plan, 50, -0.2, 2.0);
    assert!(near <= 2, "{near} samples near a threshold");
    assert!(seen[0] >= 3, "codes seen: {seen:?}");
}

#[test]
fn multithreshold_outputs_fold_and_feed_the_next_layer() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mt =
        r#"{"method": "multithreshold", "thresholds": [0.1, 0.5, 0.5, 0.9], "out_scale": 0.5}"#;
    let bipolar =
        r#"{"method": "multithreshold", "thresholds": [0.0], "out_scale": 2, "out_bias": -1}"#;
    let model = Model::new(
        "fc_mt",
        input(&[8]),
        vec!["mt1".into(), "mt2".into(), "fc3".into()],
        vec![
            quant("q_in", Q_IN, "x"),
            fc("fc1", "q_in", 6, 8, &mut rng),
            node("mul", Op::Mul { value: scalar(0.8) }, &["fc1"]),
            node(
                "shift",
                Op::AddConst {
                    value: vector(&random(&mut rng, 6, 0.0, 0.6)),
                },
                &["mul"],
            ),
            node("relu", Op::Relu, &["shift"]),
            quant("mt1", mt, "relu"),
            fc("fc2", "mt1", 4, 6, &mut rng),
            node(
                "div",
                Op::Div {
                    value: scalar(-0.7),
                },
                &["fc2"],
            ),
            quant("mt2", bipolar, "div"),
            // The LUT engine (multithreshold is not a bit-serial activation method) needs
            // levels >= 0 from index 0 = level 0: mt1's codes can feed a layer, mt2's can't.
            fc("fc3", "mt1", 3, 6, &mut rng),
        ],
    )
    .unwrap();
    let plan = plan(&model);
    assert_fused(&plan, "fc1", &["mul", "shift", "relu", "mt1"]);
    assert_fused(&plan, "fc2", &["div", "mt2"]);
    assert_eq!(plan.places["fc3"], Place::Engine { raw: true, jobs: 1 });
    let (near, seen) = compare(&model, &plan, 50, -0.2, 2.0);
    assert!(near <= 2, "{near} samples near a threshold");
    assert!(seen[0] >= 3 && seen[1] == 2, "codes seen: {seen:?}");
}

#[test]
fn conv_div_batchnorm_quant_folds() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let conv = Op::Conv {
        weight: Tensor::new(vec![3, 2, 3, 3], random(&mut rng, 54, -1.0, 1.0)).unwrap(),
        bias: Some(vector(&[0.1, -0.2, 0.05])),
        stride: 1,
        padding: 1,
        groups: 1,
        weight_quant: Some(spec(
            r#"{"method": "ternary", "threshold": 0.3, "scale": 0.6}"#,
        )),
    };
    let bn = Op::BatchNorm {
        gamma: vec![1.2, -0.8, 0.5],
        beta: vec![0.3, 0.1, -0.2],
        mean: vec![0.05, -0.1, 0.2],
        var: vec![0.9, 1.7, 0.4],
        eps: 1e-5,
    };
    let model = Model::new(
        "conv_div_bn",
        input(&[2, 5, 5]),
        vec!["q_out".into()],
        vec![
            quant("q_in", Q_IN, "x"),
            node("conv", conv, &["q_in"]),
            node(
                "div",
                Op::Div {
                    value: Tensor::new(vec![3, 1, 1], vec![1.7, -2.3, 0.9]).unwrap(),
                },
                &["conv"],
            ),
            node("bn", bn, &["div"]),
            quant(
                "q_out",
                r#"{"method": "uniform", "bits": 3, "signed": true, "scale": 0.29}"#,
                "bn",
            ),
        ],
    )
    .unwrap();
    let plan = plan(&model);
    assert_fused(&plan, "conv", &["div", "bn", "q_out"]);
    let (near, seen) = compare(&model, &plan, 50, -0.2, 2.0);
    assert!(near <= 3, "{near} samples near a threshold");
    assert!(seen[0] >= 4, "codes seen: {seen:?}");
}

#[test]
fn a_shared_mul_runs_on_the_host() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let u = r#"{"method": "uniform", "bits": 2, "signed": false, "scale": 0.4}"#;
    let model = Model::new(
        "shared",
        input(&[8]),
        vec!["qa".into(), "qb".into()],
        vec![
            quant("q_in", Q_IN, "x"),
            fc("fc", "q_in", 4, 8, &mut rng),
            node("mul", Op::Mul { value: scalar(1.5) }, &["fc"]),
            quant("qa", u, "mul"),
            node("shift", Op::AddConst { value: scalar(0.2) }, &["mul"]),
            quant("qb", u, "shift"),
        ],
    )
    .unwrap();
    let plan = plan(&model);
    assert_eq!(plan.places["fc"], Place::Engine { raw: true, jobs: 1 });
    for n in ["mul", "qa", "shift", "qb"] {
        assert_eq!(plan.places[n], Place::Host, "{n}");
    }
    let (near, _) = compare(&model, &plan, 20, -0.2, 2.0);
    assert!(near <= 1, "{near}");
}

#[test]
fn one_op_chains_compose_exactly() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let one = |op: Op| compose(&[&node("n", op, &["x"])], 1).unwrap()[0];
    for _ in 0..2000 {
        let v = rng.gen_range(-3.0..3.0f64);
        let z = rng.gen_range(-100.0..100.0f64);
        let c = rng.gen_range(-3.0..3.0f64);
        assert_eq!(one(Op::Mul { value: scalar(v) }).apply(z), z * v);
        assert_eq!(one(Op::Div { value: scalar(v) }).apply(z), z / v);
        assert_eq!(one(Op::AddConst { value: scalar(v) }).apply(z), z + v);
        // mul, then div, then one add_const: still the float chain bit for bit.
        let chain = [
            node("a", Op::Mul { value: scalar(v) }, &["x"]),
            node("b", Op::Div { value: scalar(c) }, &["a"]),
            node(
                "c",
                Op::AddConst {
                    value: scalar(v - c),
                },
                &["b"],
            ),
        ];
        let refs: Vec<&Node> = chain.iter().collect();
        let bn = compose(&refs, 1).unwrap()[0];
        assert_eq!(bn.apply(z), z * v / c + (v - c));
        // Any order: within rounding of the float chain.
        let chain = [
            node("a", Op::AddConst { value: scalar(c) }, &["x"]),
            node("b", Op::Div { value: scalar(v) }, &["a"]),
            node("c", Op::Mul { value: scalar(c) }, &["b"]),
        ];
        let refs: Vec<&Node> = chain.iter().collect();
        let got = compose(&refs, 1).unwrap()[0].apply(z);
        let want = (z + c) / v * c;
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{got} vs {want}"
        );
    }
    // A single BatchNorm is passed on as it is.
    let bn = Op::BatchNorm {
        gamma: vec![1.5],
        beta: vec![0.25],
        mean: vec![0.1],
        var: vec![2.0],
        eps: 1e-5,
    };
    let got = one(bn);
    assert_eq!(
        (got.gamma, got.mean, got.var, got.eps),
        (1.5, 0.1, 2.0, 1e-5)
    );
    // A non-finite composite does not fuse.
    let big = [
        node(
            "a",
            Op::Mul {
                value: scalar(1e300),
            },
            &["x"],
        ),
        node(
            "b",
            Op::Mul {
                value: scalar(1e300),
            },
            &["a"],
        ),
    ];
    let refs: Vec<&Node> = big.iter().collect();
    assert!(compose(&refs, 1).is_none());
    assert_eq!(Composite::IDENTITY.batchnorm().unwrap().apply(0.3), 0.3);
}
