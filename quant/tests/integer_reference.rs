//! The integer path (levels, exact accumulator, folded integer thresholds) equals the float
//! path (real values, bias, BatchNorm, the next quantizer as published) on every output not
//! within rounding distance of a threshold, over random layers with negative and zero
//! BatchNorm scales and thresholds far outside the accumulator range. Also: the tie rule on
//! exact ties, and the accumulator bound at all-max codes.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use quant::accum::{fits, AccBound, LevelRange};
use quant::fold::{fold, Affine, BatchNorm};
use quant::gemm::{gemm, LayerParams};
use quant::uniform::{Scale, Uniform, UniformSpec};
use quant::{QuantSpec, ScalarQuantizer};

#[derive(Debug, Clone)]
struct Case {
    w_spec: QuantSpec,
    act_spec: QuantSpec,
    next_spec: QuantSpec,
    m: usize,
    k: usize,
    n: usize,
    weights: Vec<f64>,
    act_seed: Vec<u32>,
    bias: Vec<f64>,
    bn: Vec<BatchNorm>,
}

fn bn() -> impl Strategy<Value = BatchNorm> {
    let gamma = prop_oneof![6 => -2.0..2.0f64, 1 => Just(0.0), 1 => -1e-9..1e-9f64];
    (gamma, -50.0..50.0f64, -50.0..50.0f64, 0.01..4.0f64).prop_map(|(gamma, beta, mean, var)| {
        BatchNorm {
            gamma,
            beta,
            mean,
            var,
            eps: 1e-5,
        }
    })
}

fn case() -> impl Strategy<Value = Case> {
    (
        common::weight_spec(4),
        common::act_spec(4),
        common::act_spec(4),
        1usize..6,
        1usize..25,
        1usize..6,
    )
        .prop_flat_map(|(w_spec, act_spec, next_spec, m, k, n)| {
            // Non-constant by construction (LWN needs a standard deviation), and LWN needs two
            // weights at least.
            let weights = prop::collection::vec(-3.0..3.0f64, m * k).prop_map(|mut v| {
                if v.len() > 1 && v.iter().all(|&x| x == v[0]) {
                    v[0] += 1.0;
                }
                v
            });
            let w_spec = match w_spec {
                QuantSpec::LcqWeight(mut s) if m * k < 2 => {
                    s.lwn = false;
                    QuantSpec::LcqWeight(s)
                }
                // A per-channel uniform scale: one entry per output channel, all different.
                QuantSpec::Uniform(mut s) => {
                    if let Scale::Channel(v) = &s.scale {
                        let base = v[0];
                        s.scale = Scale::Channel(
                            (0..m).map(|c| base * (1.0 + 0.37 * c as f64)).collect(),
                        );
                    }
                    QuantSpec::Uniform(s)
                }
                other => other,
            };
            let bias = prop_oneof![Just(Vec::new()), prop::collection::vec(-5.0..5.0f64, m)];
            let bns = prop_oneof![1 => Just(Vec::new()), 4 => prop::collection::vec(bn(), m)];
            (
                weights,
                prop::collection::vec(any::<u32>(), k * n),
                bias,
                bns,
            )
                .prop_map(move |(weights, act_seed, bias, bn)| Case {
                    w_spec: w_spec.clone(),
                    act_spec: act_spec.clone(),
                    next_spec: next_spec.clone(),
                    m,
                    k,
                    n,
                    weights,
                    act_seed,
                    bias,
                    bn,
                })
        })
}

#[test]
fn integer_path_equals_float_path() {
    let cases = common::cases(3000);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let checked = std::cell::Cell::new(0usize);
    let skipped = std::cell::Cell::new(0usize);
    let out_of_range = std::cell::Cell::new(0usize);
    runner
        .run(&case(), |c| {
            let wp = c.w_spec.prepare(&c.weights, &[c.m, c.k]).unwrap();
            let weight_idx: Vec<usize> = (0..c.m * c.k)
                .map(|i| wp.quantizer_of(i).index(c.weights[i]))
                .collect();
            let act_q = c.act_spec.scalar().unwrap();
            let next_q = c.next_spec.scalar().unwrap();
            let a_idx: Vec<usize> = c
                .act_seed
                .iter()
                .map(|&s| s as usize % act_q.num_levels())
                .collect();
            let params = LayerParams {
                weight_q: &wp.quantizers,
                weight_idx: &weight_idx,
                m: c.m,
                k: c.k,
                act_q: act_q.as_ref(),
                bias: &c.bias,
                bn: &c.bn,
                next_q: next_q.as_ref(),
            };
            let layer = params.to_int().unwrap();
            let a_levels: Vec<i64> = a_idx.iter().map(|&i| act_q.level(i)).collect();
            let acc = layer.accumulate(&a_levels, c.n);
            prop_assert!(acc.iter().all(|&v| layer.bound.contains(v as i128)));
            let int_idx = layer.requantize(&acc, c.n);
            let float = params.float_forward(&a_idx, c.n);
            let st = next_q.staircase();
            for (o, (&got, &(y, want))) in int_idx.iter().zip(&float).enumerate() {
                let u = st.compare_domain(y);
                if st.distance_to_step(y) <= 1e-6 * (1.0 + u.abs()) {
                    skipped.set(skipped.get() + 1);
                    continue;
                }
                checked.set(checked.get() + 1);
                let t = &layer.thresholds[o / c.n];
                if t.t
                    .iter()
                    .any(|&v| (v as i128) < layer.bound.lo || (v as i128) > layer.bound.hi)
                {
                    out_of_range.set(out_of_range.get() + 1);
                }
                prop_assert_eq!(
                    got as usize,
                    want,
                    "output {} acc {} y {} thresholds {:?}",
                    o,
                    acc[o],
                    y,
                    t
                );
            }
            Ok(())
        })
        .unwrap();
    // The property must not pass vacuously: nearly every output is compared, and saturated
    // (out-of-range) thresholds are exercised.
    let (c, s) = (checked.get(), skipped.get());
    assert!(
        c > 5 * cases as usize && s * 100 < c,
        "checked {c}, skipped {s}"
    );
    assert!(
        out_of_range.get() > 1000,
        "saturated thresholds exercised {} times",
        out_of_range.get()
    );
}

#[test]
fn exact_ties_follow_the_quantizers_own_rule() {
    // Next quantizer: unsigned 2-bit uniform, scale 1: steps at 0.5 (exclusive, 1 is odd),
    // 1.5 (inclusive, 2 is even), 2.5 (exclusive). y = 0.5·acc is exact in binary floating point.
    let q = Uniform::new(&UniformSpec {
        bits: 2,
        signed: false,
        scale: 1.0.into(),
        zero_point: 0,
        narrow: false,
        rounding: Default::default(),
    })
    .unwrap();
    let bound = AccBound::new(8, LevelRange::new(-1, 1), LevelRange::new(0, 1)).unwrap();
    let t = fold(Affine { k: 0.5, m: 0.0 }, &q.staircase(), &bound);
    for acc in -8..=8i64 {
        let y = 0.5 * acc as f64;
        assert_eq!(
            t.index(acc),
            q.index(y),
            "acc {acc}: y = {y} rounds half to even"
        );
    }
    // acc = 1 (y = 0.5) stays at 0; acc = 3 (y = 1.5) goes to 2; acc = 5 (y = 2.5) stays at 2.
    assert_eq!((t.index(1), t.index(3), t.index(5)), (0, 2, 2));
    // Negative gain: y = -0.5·acc, ties mirrored.
    let t = fold(Affine { k: -0.5, m: 0.0 }, &q.staircase(), &bound);
    for acc in -8..=8i64 {
        assert_eq!(t.index(acc), q.index(-0.5 * acc as f64), "acc {acc}");
    }
}

/// Indices of a quantizer's smallest and largest level.
fn extremes(q: &dyn ScalarQuantizer) -> [usize; 2] {
    let n = q.num_levels();
    let lo = (0..n).min_by_key(|&i| q.level(i)).unwrap();
    let hi = (0..n).max_by_key(|&i| q.level(i)).unwrap();
    [lo, hi]
}

#[test]
fn accumulator_width_holds_all_max_codes_and_is_tight() {
    let w_specs = [
        r#"{"method": "n2uq-weight", "bits": BITS}"#,
        r#"{"method": "uniform", "bits": BITS, "signed": true, "scale": 1.0}"#,
        r#"{"method": "lcq-weight", "bits": BITS, "alpha": 1.0, "theta": null, "lwn": false}"#,
        r#"{"method": "binary"}"#,
        r#"{"method": "ternary", "threshold": 0.5, "scale": 1.0}"#,
    ];
    let a_specs = [
        r#"{"method": "uniform", "bits": BITS, "signed": false, "scale": 1.0}"#,
        r#"{"method": "uniform", "bits": BITS, "signed": true, "scale": 1.0}"#,
        r#"{"method": "lcq-act", "bits": BITS, "alpha": 1.0, "theta": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}"#,
        r#"{"method": "qn", "levels": [-4, -2, -1, 0, 1, 2, 4], "biases": [-3, -1.5, -0.5, 0.5, 1.5, 3], "alpha": 1, "beta": 1, "offset": false}"#,
    ];
    let mut cases = 0;
    for bits in 1..=4u32 {
        for ws in w_specs {
            for as_ in a_specs {
                // LCQ weights need at least 2 bits.
                let w_bits = if ws.contains("lcq") {
                    bits.max(2)
                } else {
                    bits
                };
                let wspec = QuantSpec::from_json(&ws.replace("BITS", &w_bits.to_string())).unwrap();
                let wq = wspec
                    .prepare(&[-1.0, 0.5, 1.0], &[1, 3])
                    .unwrap()
                    .quantizers
                    .remove(0);
                let aq = QuantSpec::from_json(&as_.replace("BITS", &bits.to_string()))
                    .unwrap()
                    .scalar()
                    .unwrap();
                for k in [1usize, 7, 64, 2304] {
                    let bound = AccBound::new(
                        k as u64,
                        LevelRange::of(wq.as_ref()),
                        LevelRange::of(aq.as_ref()),
                    )
                    .unwrap();
                    let width = bound.width();
                    let mut reached = Vec::new();
                    for wi in extremes(wq.as_ref()) {
                        for ai in extremes(aq.as_ref()) {
                            let acc = gemm(&vec![wq.level(wi); k], &vec![aq.level(ai); k], 1, k, 1)
                                [0] as i128;
                            assert!(
                                bound.contains(acc) && fits(acc, width),
                                "bits {bits} k {k}: {acc} in {width} bits"
                            );
                            reached.push(acc);
                        }
                    }
                    // Both ends of the bound are reached, and one bit less overflows on one of them.
                    assert!(reached.contains(&bound.lo) && reached.contains(&bound.hi));
                    assert!(
                        !fits(bound.lo, width - 1) || !fits(bound.hi, width - 1),
                        "width {width} is not tight"
                    );
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 4 * 5 * 4 * 4);
}
