//! Random quantizer specs for the property tests.
#![allow(dead_code)]

use proptest::prelude::*;
use quant::lcq::{LcqActSpec, LcqWeightSpec};
use quant::multithreshold::MultiThresholdSpec;
use quant::n2uq::{N2uqActSpec, N2uqWeightSpec};
use quant::qn::QnSpec;
use quant::uniform::{BinarySpec, Rounding, Scale, TernarySpec, UniformSpec};
use quant::{Compare, QuantSpec};

pub fn compare() -> impl Strategy<Value = Compare> {
    prop_oneof![Just(Compare::Gt), Just(Compare::Ge)]
}

fn sorted_distinct(n: usize, lo: f64, step_hi: f64) -> impl Strategy<Value = Vec<f64>> {
    (lo..lo + 1.0, prop::collection::vec(0.05..step_hi, n)).prop_map(|(start, steps)| {
        steps
            .iter()
            .scan(start, |s, d| {
                let v = *s;
                *s += d;
                Some(v)
            })
            .collect()
    })
}

fn level_set(n: usize, symmetric: bool) -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(1i64..4, n - 1).prop_map(move |gaps| {
        if symmetric && n % 2 == 1 {
            let half: Vec<i64> = gaps[..n / 2]
                .iter()
                .scan(0, |s, g| {
                    *s += g;
                    Some(*s)
                })
                .collect();
            let mut v: Vec<i64> = half.iter().rev().map(|x| -x).collect();
            v.push(0);
            v.extend(half);
            v
        } else {
            let mut v = vec![-(gaps.iter().sum::<i64>() / 2)];
            for g in gaps {
                v.push(v.last().unwrap() + g);
            }
            v
        }
    })
}

/// A QN spec with n levels.
pub fn qn(offset: bool) -> impl Strategy<Value = QuantSpec> {
    (2usize..9).prop_flat_map(move |n| {
        (
            level_set(n, offset),
            sorted_distinct(n - 1, -2.0, 1.0),
            0.05..3.0f64,
            0.2..4.0f64,
            compare(),
        )
            .prop_map(move |(levels, biases, alpha, beta, compare)| {
                QuantSpec::Qn(QnSpec {
                    levels,
                    biases,
                    alpha,
                    beta,
                    offset,
                    compare,
                })
            })
    })
}

pub fn n2uq_act(max_bits: u32) -> impl Strategy<Value = QuantSpec> {
    (1..=max_bits).prop_flat_map(|bits| {
        let l = (1usize << bits) - 1;
        (
            -1.0..1.0f64,
            prop::collection::vec(-0.1..1.0f64, l),
            0.1..4.0f64,
            0.1..4.0f64,
            compare(),
        )
            .prop_map(move |(start, a, beta1, beta2, compare)| {
                QuantSpec::N2uqAct(N2uqActSpec {
                    bits,
                    start,
                    a,
                    beta1,
                    beta2,
                    compare,
                })
            })
    })
}

pub fn lcq_act(max_bits: u32) -> impl Strategy<Value = QuantSpec> {
    (
        1..=max_bits,
        0.1..10.0f64,
        prop::collection::vec(-3.0..3.0f64, 16),
    )
        .prop_map(|(bits, alpha, theta)| {
            QuantSpec::LcqAct(LcqActSpec {
                bits,
                alpha,
                theta,
                segments: 16,
                outer_bits: 8,
            })
        })
}

/// A uniform spec: any width, zero point, narrow range and rounding; `per_channel` (weights)
/// sometimes gives the scale as a one-entry array (the property tests prepare one channel).
pub fn uniform(signed: bool, max_bits: u32, per_channel: bool) -> impl Strategy<Value = QuantSpec> {
    (
        1..=max_bits,
        0.01..2.0f64,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(move |(bits, scale, narrow, floor, array)| {
            let narrow = narrow && bits >= 2;
            let n = narrow as i64;
            let (lo, hi) = if signed {
                (-(1i64 << (bits - 1)) + n, (1i64 << (bits - 1)) - 1)
            } else {
                (0, (1i64 << bits) - 1 - n)
            };
            let scale = if per_channel && array {
                Scale::Channel(vec![scale])
            } else {
                Scale::Tensor(scale)
            };
            let rounding = if floor {
                Rounding::Floor
            } else {
                Rounding::Round
            };
            (lo..=hi).prop_map(move |zero_point| {
                QuantSpec::Uniform(UniformSpec {
                    bits,
                    signed,
                    scale: scale.clone(),
                    zero_point,
                    narrow,
                    rounding,
                })
            })
        })
}

pub fn binary() -> impl Strategy<Value = QuantSpec> {
    (0.1..3.0f64).prop_map(|scale| QuantSpec::Binary(BinarySpec { scale }))
}

pub fn ternary() -> impl Strategy<Value = QuantSpec> {
    (0.0..1.0f64, 0.1..3.0f64)
        .prop_map(|(threshold, scale)| QuantSpec::Ternary(TernarySpec { threshold, scale }))
}

pub fn n2uq_weight(max_bits: u32) -> impl Strategy<Value = QuantSpec> {
    (1..=max_bits).prop_map(|bits| QuantSpec::N2uqWeight(N2uqWeightSpec { bits, clip: 2.0 }))
}

pub fn lcq_weight(max_bits: u32) -> impl Strategy<Value = QuantSpec> {
    (
        2..=max_bits,
        0.3..4.0f64,
        prop::option::of(prop::collection::vec(-3.0..3.0f64, 16)),
        any::<bool>(),
    )
        .prop_map(|(bits, alpha, theta, lwn)| {
            QuantSpec::LcqWeight(LcqWeightSpec {
                bits,
                alpha,
                theta,
                segments: 16,
                outer_bits: 8,
                lwn,
            })
        })
}

/// FINN MultiThreshold: sorted thresholds (ties allowed), `out_bias = out_scale·k/n` for
/// `n` in 1..=2.
pub fn multithreshold() -> impl Strategy<Value = QuantSpec> {
    (
        prop::collection::vec(-5.0..5.0f64, 1..20),
        prop::sample::select(vec![0.1, 0.25, 0.5, 1.0, 2.0, 0.3]),
        -8i64..8,
        1i64..=2,
        any::<bool>(),
    )
        .prop_map(|(mut thresholds, out_scale, k, n, tie)| {
            thresholds.sort_by(f64::total_cmp);
            if tie && thresholds.len() > 1 {
                thresholds[1] = thresholds[0];
            }
            QuantSpec::MultiThreshold(MultiThresholdSpec {
                thresholds,
                out_scale,
                out_bias: out_scale * k as f64 / n as f64,
            })
        })
}

/// Quantizers of activations (unsigned or otherwise, no tensor statistics).
pub fn act_spec(max_bits: u32) -> impl Strategy<Value = QuantSpec> {
    prop_oneof![
        n2uq_act(max_bits),
        lcq_act(max_bits),
        qn(false),
        uniform(false, max_bits, false),
        uniform(true, max_bits, false),
        binary(),
        ternary(),
        multithreshold()
    ]
}

/// Quantizers of weights (may need tensor statistics).
pub fn weight_spec(max_bits: u32) -> impl Strategy<Value = QuantSpec> {
    prop_oneof![
        n2uq_weight(max_bits),
        lcq_weight(max_bits),
        qn(true),
        uniform(true, max_bits, true),
        binary(),
        ternary()
    ]
}

/// Any spec.
pub fn any_spec(max_bits: u32) -> impl Strategy<Value = QuantSpec> {
    prop_oneof![act_spec(max_bits), weight_spec(max_bits)]
}

/// A non-constant float tensor.
pub fn tensor(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-3.0..3.0f64, 2..max_len)
        .prop_filter("non-constant", |v| v.iter().any(|&x| x != v[0]))
}

/// Property-test cases: `PROPTEST_CASES` from the environment, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
