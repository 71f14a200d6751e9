//! The uniform quantizer's QONNX modes: narrow range, floor rounding and one scale per output
//! channel — codes by hand, index/level/staircase consistency, errors naming the field and
//! spec-file round trips.

mod common;

use proptest::prelude::*;
use quant::uniform::{Rounding, Scale, Uniform, UniformSpec};
use quant::{QuantSpec, ScalarQuantizer};

fn spec(bits: u32, signed: bool, scale: Scale, narrow: bool, rounding: Rounding) -> UniformSpec {
    UniformSpec {
        bits,
        signed,
        scale,
        zero_point: 0,
        narrow,
        rounding,
    }
}

fn codes(q: &dyn ScalarQuantizer, xs: &[f64]) -> Vec<i32> {
    xs.iter().map(|&x| q.code_of(x)).collect()
}

/// Exact staircase agreement on every input that is a multiple of `scale/8` in a range
/// (exactly representable, so ties are exercised).
fn check_grid(q: &dyn ScalarQuantizer, scale: f64) {
    let st = q.staircase();
    assert_eq!(st.thresholds.len(), q.num_levels() - 1);
    for j in -400..=400 {
        let x = j as f64 * scale / 8.0;
        assert_eq!(q.index(x), st.index(x), "x = {x} ({st:?})");
    }
}

#[test]
fn narrow_ranges_match_qonnx_min_max_int() {
    // QONNX: signed narrow min_int = −2^(b−1) + 1, unsigned narrow max_int = 2^b − 2.
    for (bits, signed, lo, hi) in [
        (2, true, -1, 1),
        (3, true, -3, 3),
        (8, true, -127, 127),
        (2, false, 0, 2),
        (4, false, 0, 14),
    ] {
        let q = Uniform::new(&spec(bits, signed, 1.0.into(), true, Rounding::Round)).unwrap();
        assert_eq!(q.num_levels() as i64, hi - lo + 1, "{bits} {signed}");
        assert_eq!(q.level_range(), (lo, hi));
        assert_eq!(q.code_of(-1e9) as i64, lo);
        assert_eq!(q.code_of(1e9) as i64, hi);
        check_grid(&q, 1.0);
    }
    let q = Uniform::new(&spec(2, true, 0.5.into(), true, Rounding::Round)).unwrap();
    assert_eq!(
        codes(&q, &[-3.0, -0.3, -0.2, 0.2, 0.3, 3.0]),
        [-1, -1, 0, 0, 1, 1]
    );
    assert_eq!(q.value(0), -0.5);
}

#[test]
fn narrow_needs_two_bits() {
    for signed in [false, true] {
        let e = Uniform::new(&spec(1, signed, 1.0.into(), true, Rounding::Round)).unwrap_err();
        assert_eq!(e.field, "narrow");
    }
    // The zero point must be a narrow code: −2 is not one at 2 bits.
    let mut s = spec(2, true, 1.0.into(), true, Rounding::Round);
    s.zero_point = -2;
    assert_eq!(Uniform::new(&s).unwrap_err().field, "zero_point");
}

#[test]
fn floor_rounding_by_hand() {
    let q = Uniform::new(&spec(3, true, 0.5.into(), false, Rounding::Floor)).unwrap();
    // floor(x/0.5): 0.49 -> 0, 0.5 -> 1, -0.01 -> -1, -0.5 -> -1, -0.51 -> -2, clamp to [-4, 3].
    assert_eq!(
        codes(&q, &[0.49, 0.5, -0.01, -0.5, -0.51, 9.0, -9.0, 1.75]),
        [0, 1, -1, -1, -2, 3, -4, 3]
    );
    // Round half to even differs at the same points.
    let r = Uniform::new(&spec(3, true, 0.5.into(), false, Rounding::Round)).unwrap();
    assert_eq!(codes(&r, &[0.49, 0.5, -0.01, 0.75]), [1, 1, 0, 2]);
    // Steps sit at the integers and are inclusive.
    let st = q.staircase();
    assert!(st
        .thresholds
        .iter()
        .all(|t| t.inclusive && t.value.fract() == 0.0));
    check_grid(&q, 0.5);
    // With a zero point: floor(x/scale) + zp.
    let mut s = spec(4, false, 0.25.into(), true, Rounding::Floor);
    s.zero_point = 5;
    let q = Uniform::new(&s).unwrap();
    assert_eq!(codes(&q, &[0.0, -0.01, 0.26, -2.0, 9.0]), [5, 4, 6, 0, 14]);
    assert_eq!(q.level(q.index(-0.01)), -1);
    check_grid(&q, 0.25);
}

#[test]
fn per_channel_scale_prepares_one_quantizer_per_channel() {
    let s = QuantSpec::from_json(
        r#"{"method": "uniform", "bits": 2, "signed": true, "narrow": true, "scale": [0.1, 10.0]}"#,
    )
    .unwrap();
    let w = [0.1, -0.04, -0.2, 10.0, -4.0, -20.0];
    let p = s.prepare(&w, &[2, 3]).unwrap();
    assert_eq!((p.quantizers.len(), p.channel_len), (2, 3));
    let (codes, values) = p.quantize(&w);
    assert_eq!(codes, [1, 0, -1, 1, 0, -1]);
    assert_eq!(values, [0.1, 0.0, -0.1, 10.0, 0.0, -10.0]);
    assert_eq!(p.levels(&w), [1, 0, -1, 1, 0, -1]);
    assert_eq!(p.quantizers[1].level_scale(), 10.0);
    // Wrong channel count.
    let e = s.prepare(&w, &[3, 2]).err().expect("3 channels, 2 scales");
    assert_eq!(e.field, "scale");
    assert!(e.message.contains("3 output channels"), "{e}");
    // Activations take one number.
    let e = s
        .scalar()
        .err()
        .expect("an array scale is refused for activations");
    assert_eq!(e.field, "scale");
    assert!(e.message.contains("weights only"), "{e}");
}

#[test]
fn bad_fields_are_named() {
    for (text, field) in [
        (
            r#"{"method": "uniform", "bits": 2, "signed": true, "scale": [0.1, -1.0]}"#,
            "scale[1]",
        ),
        (
            r#"{"method": "uniform", "bits": 2, "signed": true, "scale": []}"#,
            "scale",
        ),
        (
            r#"{"method": "uniform", "bits": 2, "signed": true, "scale": "big"}"#,
            "scale",
        ),
        (
            r#"{"method": "uniform", "bits": 2, "signed": true, "scale": [0.1, "x"]}"#,
            "scale",
        ),
        (
            r#"{"method": "uniform", "bits": 2, "signed": true, "scale": 0.0}"#,
            "scale",
        ),
        (
            r#"{"method": "uniform", "bits": 2, "signed": true, "scale": 1, "rounding": "ceil"}"#,
            "rounding",
        ),
        (
            r#"{"method": "uniform", "bits": 2, "signed": true, "scale": 1, "narrow": 1}"#,
            "narrow",
        ),
        (
            r#"{"method": "uniform", "bits": 1, "signed": true, "scale": 1, "narrow": true}"#,
            "narrow",
        ),
    ] {
        let e = QuantSpec::from_json(text).unwrap_err();
        assert_eq!(e.field, field, "{text}: {e}");
    }
}

#[test]
fn spec_files_round_trip_and_defaults_stay_unwritten() {
    let plain = r#"{"method": "uniform", "bits": 4, "signed": false, "scale": 0.5}"#;
    let s = QuantSpec::from_json(plain).unwrap();
    let text = s.to_json();
    assert!(text.contains("\"scale\": 0.5"), "{text}");
    assert!(
        !text.contains("narrow") && !text.contains("rounding"),
        "{text}"
    );
    assert_eq!(QuantSpec::from_json(&text).unwrap(), s);
    let full = r#"{"method": "uniform", "bits": 3, "signed": true, "scale": [0.5, 0.25],
                   "narrow": true, "rounding": "floor", "zero_point": 1}"#;
    let s = QuantSpec::from_json(full).unwrap();
    let text = s.to_json();
    assert!(
        text.contains("\"narrow\": true") && text.contains("\"floor\""),
        "{text}"
    );
    assert_eq!(QuantSpec::from_json(&text).unwrap(), s);
    let QuantSpec::Uniform(u) = &s else {
        panic!("uniform")
    };
    assert_eq!(u.scale, Scale::Channel(vec![0.5, 0.25]));
}

fn channel_spec() -> impl Strategy<Value = (UniformSpec, Vec<usize>, Vec<f64>)> {
    (
        1u32..=8,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(0.01..3.0f64, 1..5),
        1usize..6,
    )
        .prop_flat_map(|(bits, signed, narrow, floor, scales, per)| {
            let narrow = narrow && bits >= 2;
            let spec = UniformSpec {
                bits,
                signed,
                scale: Scale::Channel(scales.clone()),
                zero_point: 0,
                narrow,
                rounding: if floor {
                    Rounding::Floor
                } else {
                    Rounding::Round
                },
            };
            let shape = vec![scales.len(), per];
            let n = scales.len() * per;
            (
                Just(spec),
                Just(shape),
                prop::collection::vec(-20.0..20.0f64, n),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::cases(300)))]

    /// Each channel of a per-channel spec is the per-tensor quantizer of that channel's scale,
    /// and its staircase agrees with its index away from a step.
    #[test]
    fn per_channel_is_per_tensor_by_channel((spec, shape, data) in channel_spec()) {
        let qs = QuantSpec::Uniform(spec.clone());
        let p = qs.prepare(&data, &shape).unwrap();
        let Scale::Channel(scales) = &spec.scale else { unreachable!() };
        prop_assert_eq!(p.quantizers.len(), scales.len());
        for (i, &x) in data.iter().enumerate() {
            let c = i / shape[1];
            let mut one = spec.clone();
            one.scale = Scale::Tensor(scales[c]);
            let q1 = Uniform::new(&one).unwrap();
            let q = p.quantizer_of(i);
            prop_assert_eq!(q.index(x), q1.index(x));
            prop_assert_eq!(q.level(q.index(x)), q1.level(q1.index(x)));
            let st = q.staircase();
            if st.distance_to_step(x) > 1e-9 * (1.0 + st.compare_domain(x).abs()) {
                prop_assert_eq!(q.index(x), st.index(x), "x = {}", x);
            }
        }
    }
}
