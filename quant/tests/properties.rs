//! Property tests: every quantizer is a monotone staircase, its published computation agrees
//! with its sorted thresholds away from float rounding distance of a step, and code/index/
//! level maps are consistent.

mod common;

use proptest::prelude::*;
use quant::{QuantSpec, ScalarQuantizer};

fn prepared(spec: &QuantSpec, tensor: &[f64]) -> Box<dyn ScalarQuantizer> {
    let mut p = spec
        .prepare(tensor, &[1, tensor.len()])
        .expect("valid spec");
    p.quantizers.remove(0)
}

/// Relative distance below which the published computation (float32 or float64 rounding) and
/// the exact staircase may disagree.
const TOL: f64 = 1e-6;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::cases(600)))]

    #[test]
    fn index_is_monotone(spec in common::any_spec(8), t in common::tensor(40), mut xs in prop::collection::vec(-20.0..20.0f64, 2..60)) {
        let q = prepared(&spec, &t);
        xs.sort_by(f64::total_cmp);
        let idx: Vec<usize> = xs.iter().map(|&x| q.index(x)).collect();
        prop_assert!(idx.windows(2).all(|w| w[0] <= w[1]), "{idx:?}");
        prop_assert!(idx.iter().all(|&i| i < q.num_levels()));
        let values: Vec<f64> = (0..q.num_levels()).map(|i| q.value(i)).collect();
        prop_assert!(values.windows(2).all(|w| w[0] <= w[1]), "values {values:?}");
        let levels: Vec<i64> = (0..q.num_levels()).map(|i| q.level(i)).collect();
        let lcq = matches!(spec, QuantSpec::LcqAct(_) | QuantSpec::LcqWeight(_));
        // LCQ's outer-bit-width levels may coincide after re-quantization; all others are strict.
        prop_assert!(levels.windows(2).all(|w| w[0] < w[1] || (lcq && w[0] == w[1])), "levels {levels:?}");
        if !lcq {
            for i in 0..q.num_levels() {
                let v = q.level(i) as f64 * q.level_scale();
                prop_assert!((q.value(i) - v).abs() <= 1e-9 * (1.0 + v.abs()));
            }
        }
        for i in 0..q.num_levels() {
            prop_assert_eq!(q.index_of_code(q.code(i)), Some(i));
        }
    }

    #[test]
    fn thresholds_agree_with_code(spec in common::any_spec(8), t in common::tensor(40), xs in prop::collection::vec(-20.0..20.0f64, 1..40)) {
        let q = prepared(&spec, &t);
        let st = q.staircase();
        prop_assert_eq!(st.thresholds.len(), q.num_levels() - 1);
        prop_assert!(st.thresholds.windows(2).all(|w| w[0].value <= w[1].value));
        // Random points, and points just either side of every step (the interesting region).
        let mut probes = xs.clone();
        if let Some(steps) = st.input_thresholds() {
            for tau in steps {
                let d = 1e-4 * (1.0 + tau.abs());
                probes.extend([tau - d, tau + d, tau - 10.0 * d, tau + 10.0 * d]);
            }
        }
        for x in probes {
            let u = st.compare_domain(x);
            if st.distance_to_step(x) > TOL * (1.0 + u.abs()) {
                prop_assert_eq!(q.index(x), st.index(x), "x = {} (u = {}) {:?}", x, u, st);
            }
        }
    }

    #[test]
    fn multithreshold_index_is_its_staircase(spec in common::multithreshold(), xs in prop::collection::vec(-6.0..6.0f64, 1..40)) {
        let q = spec.scalar().unwrap();
        let QuantSpec::MultiThreshold(s) = &spec else { unreachable!() };
        let st = q.staircase();
        // Exact everywhere, thresholds themselves included (inclusive steps, gain 1).
        let mut probes = xs.clone();
        probes.extend(s.thresholds.iter().flat_map(|&t| [t, t.next_down(), t.next_up()]));
        for x in probes {
            let want = s.thresholds.iter().filter(|&&t| x >= t).count();
            prop_assert_eq!(q.index(x), want, "x = {}", x);
            prop_assert_eq!(st.index(x), want, "x = {}", x);
            prop_assert_eq!(q.quantize(x), s.out_bias + s.out_scale * want as f64);
        }
        for i in 0..q.num_levels() {
            let hw = q.level(i) as f64 * q.level_scale();
            prop_assert!((hw - q.value(i)).abs() <= 1e-12 * (1.0 + hw.abs()), "{} vs {}", hw, q.value(i));
        }
    }

    #[test]
    fn spec_round_trips_through_json(spec in common::any_spec(8)) {
        let text = spec.to_json();
        prop_assert_eq!(QuantSpec::from_json(&text).unwrap(), spec);
    }
}

#[test]
fn multithreshold_spec_errors_name_the_field() {
    let field = |text: &str| QuantSpec::from_json(text).unwrap_err().field;
    assert_eq!(
        field(r#"{"method": "multithreshold", "thresholds": []}"#),
        "thresholds"
    );
    assert_eq!(
        field(r#"{"method": "multithreshold", "thresholds": [1.0, 0.5]}"#),
        "thresholds"
    );
    assert_eq!(
        field(r#"{"method": "multithreshold", "thresholds": [0.5], "out_bias": 0.1234567}"#),
        "out_bias"
    );
    assert_eq!(
        field(r#"{"method": "multithreshold", "thresholds": [0.5], "out_scale": 0}"#),
        "out_scale"
    );
    assert_eq!(field(r#"{"method": "multithreshold"}"#), "spec");
    assert_eq!(
        field(r#"{"method": "multithreshold", "thresholds": [0.5], "scale": 1}"#),
        "scale"
    );
    let spec = QuantSpec::from_json(r#"{"method": "multithreshold", "thresholds": [0, 1, 1, 3]}"#)
        .unwrap();
    assert_eq!(spec.method(), "multithreshold");
    let q = spec.scalar().unwrap();
    assert_eq!((q.index(1.0), q.level(4), q.level_scale()), (3, 4, 1.0));
    // Per-tensor: prepare gives one quantizer whatever the tensor.
    assert_eq!(spec.prepare(&[1.0, 2.0], &[2]).unwrap().quantizers.len(), 1);
}

#[test]
fn n2uq_weight_channels_are_independent() {
    // Two channels of very different scale: each gets its own sf and the same relative codes.
    let spec = QuantSpec::from_json(r#"{"method": "n2uq-weight", "bits": 2}"#).unwrap();
    let w = [0.1, -0.2, 0.3, 100.0, -200.0, 300.0];
    let p = spec.prepare(&w, &[2, 3]).unwrap();
    assert_eq!(p.quantizers.len(), 2);
    let (codes, values) = p.quantize(&w);
    assert_eq!(codes[..3], codes[3..]);
    for i in 0..3 {
        assert!((values[i + 3] / values[i] - 1000.0).abs() < 1e-9);
    }
}
