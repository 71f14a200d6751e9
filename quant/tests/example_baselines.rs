//! The synthetic example layer quantized with the uniform / binary / ternary baselines: the
//! weight levels each method promises, calibrated (max-abs / XNOR / TWN) scales, uniform
//! unsigned activations as the output quantizer, and the integer path equal to the float path.

use quant::example_layer::{ExampleLayer, Method};

fn layer(method: &Method, w_bits: u32, a_bits: u32) -> ExampleLayer {
    ExampleLayer::with_method(16, 16, 4, w_bits, a_bits, method, 7).unwrap()
}

/// Integer codes equal float codes everywhere except exactly at a step.
fn integer_equals_float(l: &ExampleLayer) -> usize {
    let int = l.int_layer().unwrap();
    let n = l.conv.n();
    let codes = int.forward(&l.act_levels_im2col(), n);
    let float = l.params(&l.bn).float_forward(&l.act_idx_im2col(), n);
    let st = l.next_q.staircase();
    let mut compared = 0;
    for (&c, &(y, idx)) in codes.iter().zip(&float) {
        if st.distance_to_step(y) > 1e-6 * (1.0 + st.compare_domain(y).abs()) {
            assert_eq!(c as usize, idx, "integer and float codes differ at y = {y}");
            compared += 1;
        }
    }
    compared
}

fn level_set(l: &ExampleLayer) -> Vec<i64> {
    let mut v = l.int_layer().unwrap().weights;
    v.sort();
    v.dedup();
    v
}

#[test]
fn uniform_signed_weights_are_twos_complement_with_max_abs_scale() {
    let l = layer(&Method::Uniform { signed: true }, 4, 3);
    let q = &l.weight_q.quantizers;
    assert_eq!(q.len(), 1, "per-tensor scale");
    assert_eq!(q[0].num_levels(), 16);
    let max = l.weights.iter().map(|w| w.abs()).fold(0.0, f64::max);
    assert!((q[0].level_scale() - max / 7.0).abs() < 1e-12);
    let lv = level_set(&l);
    // The largest |w| maps to ±7; -8 is representable but only reached by clamping.
    assert!(lv.iter().all(|v| (-8..=7).contains(v)), "{lv:?}");
    assert!(
        lv.iter().any(|v| v.abs() == 7) && lv.contains(&0) && lv[0] < -3,
        "{lv:?}"
    );
    // Activations (and outputs) are uniform unsigned 3-bit: levels 0..=7.
    assert_eq!(l.act_q.num_levels(), 8);
    assert_eq!(l.next_q.num_levels(), 8);
    assert!((0..8).all(|i| l.act_q.level(i) == i as i64 && l.next_q.level(i) == i as i64));
    assert!(integer_equals_float(&l) > 200);
}

#[test]
fn uniform_unsigned_weights_clamp_negatives_to_zero() {
    let l = layer(&Method::Uniform { signed: false }, 2, 2);
    let lv = level_set(&l);
    assert_eq!(lv, vec![0, 1, 2, 3]);
    let int = l.int_layer().unwrap();
    for (w, v) in l.weights.iter().zip(&int.weights) {
        if *w < 0.0 {
            assert_eq!(*v, 0);
        }
    }
    assert!(integer_equals_float(&l) > 200);
}

#[test]
fn binary_weights_are_plus_minus_one_with_mean_abs_scale() {
    let l = layer(&Method::Binary, 1, 2);
    assert_eq!(level_set(&l), vec![-1, 1]);
    let mean = l.weights.iter().map(|w| w.abs()).sum::<f64>() / l.weights.len() as f64;
    assert!((l.weight_q.quantizers[0].level_scale() - mean).abs() < 1e-12);
    let int = l.int_layer().unwrap();
    for (w, v) in l.weights.iter().zip(&int.weights) {
        assert_eq!(*v, if *w >= 0.0 { 1 } else { -1 });
    }
    assert_eq!(l.next_q.num_levels(), 4);
    assert!(integer_equals_float(&l) > 200);
}

#[test]
fn ternary_weights_use_the_twn_threshold() {
    let l = layer(&Method::Ternary, 2, 2);
    assert_eq!(level_set(&l), vec![-1, 0, 1]);
    let mean = l.weights.iter().map(|w| w.abs()).sum::<f64>() / l.weights.len() as f64;
    let delta = 0.7 * mean;
    let int = l.int_layer().unwrap();
    let mut above = Vec::new();
    for (w, v) in l.weights.iter().zip(&int.weights) {
        let want = if *w > delta {
            1
        } else if *w < -delta {
            -1
        } else {
            0
        };
        assert_eq!(*v, want, "w = {w}, delta = {delta}");
        if w.abs() > delta {
            above.push(w.abs());
        }
    }
    let scale = above.iter().sum::<f64>() / above.len() as f64;
    assert!((l.weight_q.quantizers[0].level_scale() - scale).abs() < 1e-12);
    assert!(integer_equals_float(&l) > 200);
}

#[test]
fn outputs_use_several_levels() {
    for (m, w) in [
        (Method::Uniform { signed: true }, 4),
        (Method::Binary, 1),
        (Method::Ternary, 2),
    ] {
        let l = layer(&m, w, 2);
        let int = l.int_layer().unwrap();
        let codes = int.forward(&l.act_levels_im2col(), l.conv.n());
        let mut hist = [0usize; 4];
        for c in codes {
            hist[c as usize] += 1;
        }
        assert!(
            hist.iter().filter(|&&h| h > 0).count() >= 3,
            "{m:?}: {hist:?}"
        );
        assert!(m.is_baseline());
    }
    assert!(!Method::N2uq.is_baseline());
}
