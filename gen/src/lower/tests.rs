//! Binary ±1 activations on the engine, end to end: small models built in code (fc and
//! grouped conv layers, binary and narrow per-channel uniform weights, BatchNorm of either
//! sign, fused and raw outputs) lowered, run on the cycle model (every job checked against
//! the golden reference by `run_sample`) and compared with the float64 reference evaluator.

use model::{GraphInput, Model, Node, Op, Tensor};
use quant::fold::Direction;
use quant::uniform::{BinarySpec, Rounding, Scale, UniformSpec};
use quant::QuantSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::engine::Engine;

use super::{ArrayCfg, EngineChoice, Place, Plan};
use hdl::params::{ActEnc, Kind};

fn binary(scale: f64) -> QuantSpec {
    QuantSpec::Binary(BinarySpec { scale })
}

fn uniform(bits: u32, signed: bool, scale: Scale, narrow: bool) -> QuantSpec {
    QuantSpec::Uniform(UniformSpec {
        bits,
        signed,
        scale,
        zero_point: 0,
        narrow,
        rounding: Rounding::Round,
    })
}

fn randn(rng: &mut ChaCha8Rng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n).map(|_| rng.gen_range(lo..hi)).collect()
}

fn fc(
    rng: &mut ChaCha8Rng,
    name: &str,
    input: &str,
    (o, i): (usize, usize),
    wq: QuantSpec,
    bias: bool,
) -> Node {
    let weight = Tensor::new(vec![o, i], randn(rng, o * i, -1.0, 1.0)).unwrap();
    let bias = bias.then(|| Tensor::new(vec![o], randn(rng, o, -2.0, 2.0)).unwrap());
    Node::new(
        name,
        Op::Fc {
            weight,
            bias,
            weight_quant: Some(wq),
        },
        vec![input.into()],
    )
}

/// BatchNorm over `c` channels; `negative` makes every other gamma negative.
fn bn(rng: &mut ChaCha8Rng, name: &str, input: &str, c: usize, negative: bool) -> Node {
    let gamma = (0..c)
        .map(|i| {
            let g = rng.gen_range(0.3..2.0);
            if negative && i % 2 == 0 {
                -g
            } else {
                g
            }
        })
        .collect();
    Node::new(
        name,
        Op::BatchNorm {
            gamma,
            beta: randn(rng, c, -0.5, 0.5),
            mean: randn(rng, c, -1.0, 1.0),
            var: randn(rng, c, 0.5, 2.0),
            eps: 1e-5,
        },
        vec![input.into()],
    )
}

fn quant(name: &str, input: &str, spec: QuantSpec) -> Node {
    Node::new(name, Op::Quant { spec }, vec![input.into()])
}

/// input → quant(`in_q`) → fc(`w1`) → bn → binary → fc(`w2`) → bn(`negative`) → binary →
/// fc(binary, raw, float bias).
fn mlp(in_q: QuantSpec, w2: QuantSpec, negative: bool, seed: u64) -> Model {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (f, h1, h2, o) = (12, 16, 16, 10);
    let nodes = vec![
        quant("q_in", "x", in_q),
        fc(&mut rng, "fc1", "q_in", (h1, f), binary(0.4), true),
        bn(&mut rng, "bn1", "fc1", h1, false),
        quant("q1", "bn1", binary(1.0)),
        fc(&mut rng, "fc2", "q1", (h2, h1), w2, false),
        bn(&mut rng, "bn2", "fc2", h2, negative),
        quant("q2", "bn2", binary(0.5)),
        fc(&mut rng, "fc3", "q2", (o, h2), binary(0.3), true),
    ];
    Model::new(
        "binary_mlp",
        vec![GraphInput {
            name: "x".into(),
            shape: vec![f],
        }],
        vec!["fc3".into()],
        nodes,
    )
    .unwrap()
}

fn cfg(kind: EngineChoice) -> ArrayCfg {
    ArrayCfg {
        kind,
        array: Some((4, 4, 8)),
        clock_mhz: 100.0,
        target: hdl::params::Target::Generic,
    }
}

/// Run `samples` random inputs in `[lo, hi)` on the cycle model and the float reference:
/// every output equal within 1e-9 relative. Returns the near-threshold decisions counted.
fn check_against_float(plan: &Plan, samples: usize, lo: f64, hi: f64) -> usize {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let n: usize = plan.model.inputs[0].shape.iter().product();
    let mut engine = Engine::new(plan.params);
    let mut near_total = 0;
    for s in 0..samples {
        let x = randn(&mut rng, n, lo, hi);
        let r = plan.run_sample(&mut engine, &x, None).unwrap();
        let f = model::float::run(&plan.model, &x).unwrap();
        let want = &f.outputs(&plan.model)[0].data;
        let got = &r.outputs[0];
        assert_eq!(got.len(), want.len());
        let bad = got
            .iter()
            .zip(want)
            .position(|(g, w)| (g - w).abs() > 1e-9 * w.abs().max(1.0));
        // A decision within rounding distance of a step could explain a mismatch; there
        // must be none, so a mismatch is always a bug.
        assert!(
            bad.is_none(),
            "sample {s}: output {bad:?} differs: engine {got:?} vs float {want:?} ({} near-threshold decisions)",
            r.near
        );
        near_total += r.near;
    }
    near_total
}

fn is_bit_serial(plan: &Plan) -> bool {
    plan.params.kind == Kind::BitSerial
}

#[test]
fn binary_activations_run_bit_serial_with_one_bit_codes() {
    let model = mlp(binary(1.0), binary(0.7), false, 1);
    let plan = Plan::new(model, &cfg(EngineChoice::Auto)).unwrap();
    assert!(is_bit_serial(&plan), "{:?}", plan.params.kind);
    assert_eq!(plan.params.a_bits, 1);
    assert_eq!(plan.params.a_enc, ActEnc::Unsigned);
    for l in &plan.layers {
        let o = l
            .act_offset
            .as_ref()
            .expect("every layer reads binary inputs");
        assert_eq!((o.mul, o.base, o.sum_w.len()), (2, -1, l.affine.len()));
        assert_eq!(l.a_code, [0, 1]);
    }
    assert_eq!(plan.places["fc3"], Place::Engine { raw: true, jobs: 1 });
    assert!(matches!(plan.places["q2"], Place::Fused { .. }));
    let near = check_against_float(&plan, 50, -1.0, 1.0);
    assert_eq!(near, 0);
}

#[test]
fn binary_activations_after_a_4_bit_input() {
    for (signed, lo) in [(false, 0.0), (true, -2.0)] {
        let model = mlp(
            uniform(4, signed, 0.15.into(), false),
            binary(0.7),
            false,
            2,
        );
        let plan = Plan::new(model, &cfg(EngineChoice::Auto)).unwrap();
        assert!(is_bit_serial(&plan));
        assert_eq!(plan.params.a_bits, 4);
        assert!(plan.layers[0].act_offset.is_none());
        assert!(plan.layers[1..].iter().all(|l| l.act_offset.is_some()));
        assert_eq!(check_against_float(&plan, 50, lo, 2.0), 0);
    }
}

#[test]
fn negative_batchnorm_gamma_gives_descending_engine_thresholds() {
    let model = mlp(binary(1.0), binary(0.7), true, 3);
    let plan = Plan::new(model, &cfg(EngineChoice::BitSerial)).unwrap();
    let fc2 = plan.layers.iter().find(|l| l.name == "fc2").unwrap();
    let dirs: Vec<Direction> = fc2.jobs[0].thresholds.iter().map(|t| t.direction).collect();
    assert!(dirs.contains(&Direction::Descending) && dirs.contains(&Direction::Ascending));
    assert_eq!(check_against_float(&plan, 50, -1.0, 1.0), 0);
}

#[test]
fn narrow_per_channel_uniform_weights_with_binary_inputs() {
    let scales: Vec<f64> = (0..16).map(|c| 0.2 + 0.05 * c as f64).collect();
    let w2 = uniform(2, true, Scale::Channel(scales.clone()), true);
    let model = mlp(binary(1.0), w2, true, 4);
    let plan = Plan::new(model, &cfg(EngineChoice::Auto)).unwrap();
    assert!(is_bit_serial(&plan));
    let fc2 = plan.layers.iter().find(|l| l.name == "fc2").unwrap();
    // One weight scale per channel reaches the affine (level scale × activation scale 1).
    assert_eq!(fc2.affine[3].0, scales[3]);
    assert_ne!(fc2.affine[3].0, fc2.affine[4].0);
    assert_eq!(check_against_float(&plan, 50, -1.0, 1.0), 0);
}

#[test]
fn binary_activations_on_the_lut_engine() {
    let model = mlp(binary(1.0), binary(0.7), true, 5);
    let plan = Plan::new(model, &cfg(EngineChoice::Lut)).unwrap();
    assert!(plan.params.is_lut());
    assert_eq!(check_against_float(&plan, 20, -1.0, 1.0), 0);
}

/// input → binary → grouped conv (no padding) → bn → binary → flatten → fc (raw).
fn conv_model(pad: usize) -> model::Result<Model> {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let (c, h, co, g) = (4, 5, 6, 2);
    let weight = Tensor::new(
        vec![co, c / g, 3, 3],
        randn(&mut rng, co * c / g * 9, -1.0, 1.0),
    )
    .unwrap();
    let ho = h + 2 * pad - 2;
    let nodes = vec![
        quant("q_in", "x", binary(1.0)),
        Node::new(
            "conv",
            Op::Conv {
                weight,
                bias: None,
                stride: 1,
                padding: pad,
                groups: g,
                weight_quant: Some(binary(0.5)),
            },
            vec!["q_in".into()],
        ),
        bn(&mut rng, "bn", "conv", co, true),
        quant("q1", "bn", binary(1.0)),
        Node::new("flat", Op::Flatten, vec!["q1".into()]),
        fc(&mut rng, "fc", "flat", (5, co * ho * ho), binary(0.2), true),
    ];
    Model::new(
        "binary_conv",
        vec![GraphInput {
            name: "x".into(),
            shape: vec![c, h, h],
        }],
        vec!["fc".into()],
        nodes,
    )
}

#[test]
fn grouped_conv_with_binary_inputs() {
    let plan = Plan::new(conv_model(0).unwrap(), &cfg(EngineChoice::Auto)).unwrap();
    assert!(is_bit_serial(&plan));
    assert_eq!(plan.params.a_bits, 1);
    assert_eq!(
        plan.places["conv"],
        Place::Engine {
            raw: false,
            jobs: 2
        }
    );
    assert_eq!(check_against_float(&plan, 50, -1.0, 1.0), 0);
}

#[test]
fn padded_conv_with_binary_inputs_is_refused() {
    let err = conv_model(1)
        .map_err(|e| e.to_string())
        .and_then(|m| {
            Plan::new(m, &cfg(EngineChoice::Auto))
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .unwrap_err();
    assert!(err.contains("zero level"), "{err}");
}

/// A decision of a fused output fed by binary inputs that lies within rounding distance of
/// its step is counted as near: `count_near` reads the true accumulator, not the engine's.
#[test]
fn near_threshold_decisions_use_the_true_accumulator() {
    let mut model = mlp(binary(1.0), binary(0.7), true, 7);
    let x = randn(&mut ChaCha8Rng::seed_from_u64(8), 12, -1.0, 1.0);
    let y0 = model::float::run(&model, &x)
        .unwrap()
        .tensor("bn2")
        .unwrap()
        .data[1];
    // Shift channel 1 of bn2 so this sample's quantizer input sits 1e-9 above the step at 0.
    let bn2 = model.nodes.iter_mut().find(|n| n.name == "bn2").unwrap();
    let Op::BatchNorm { beta, .. } = &mut bn2.op else {
        panic!("bn2 is a BatchNorm")
    };
    beta[1] -= y0 - 1e-9;
    let plan = Plan::new(model, &cfg(EngineChoice::BitSerial)).unwrap();
    let r = plan
        .run_sample(&mut Engine::new(plan.params), &x, None)
        .unwrap();
    assert!(r.near >= 1, "near = {}", r.near);
}

/// The 1-bit unsigned activations with 1-bit offset weights on the Verilated RTL: the same
/// output beats (checked per job by `run_sample`), outputs and cycles as the cycle model.
#[test]
fn binary_activations_on_the_rtl() {
    let plan = Plan::new(
        mlp(binary(1.0), binary(0.7), true, 9),
        &cfg(EngineChoice::Auto),
    )
    .unwrap();
    assert_eq!((plan.params.a_bits, plan.params.w_bits), (1, 1));
    let (mut rtl, _tmp) = crate::run::build_rtl(&plan, None).unwrap();
    let mut engine = Engine::new(plan.params);
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    for _ in 0..3 {
        let x = randn(&mut rng, 12, -1.0, 1.0);
        let a = plan.run_sample(&mut engine, &x, None).unwrap();
        let b = plan.run_sample(&mut rtl, &x, None).unwrap();
        assert_eq!(a.outputs, b.outputs);
        assert_eq!(a.layer_cycles, b.layer_cycles);
    }
}
