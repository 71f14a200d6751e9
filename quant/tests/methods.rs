//! Hand-computed cases for every method, bits 1..4 where the method allows, from the papers'
//! formulas as pinned down in `shared/spec/quantizers.md`. Each expected number is worked out
//! in the comment beside it.

use quant::lcq::{LcqAct, LcqActSpec, LcqWeightSpec};
use quant::n2uq::{N2uqAct, N2uqActSpec, N2uqWeightSpec};
use quant::qn::{Qn, QnSpec};
use quant::uniform::{
    Binary, BinarySpec, Rounding, Scale, Ternary, TernarySpec, Uniform, UniformSpec,
};
use quant::{Compare, ScalarQuantizer};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + b.abs())
}

fn codes(q: &dyn ScalarQuantizer, xs: &[f64]) -> Vec<i32> {
    xs.iter().map(|&x| q.code_of(x)).collect()
}

/// value(i) == level_scale · level(i) for every method whose hardware level is exact.
fn exact_levels(q: &dyn ScalarQuantizer) {
    for i in 0..q.num_levels() {
        assert!(
            close(q.value(i), q.level(i) as f64 * q.level_scale()),
            "index {i}"
        );
    }
}

#[test]
fn n2uq_act_init_thresholds_are_midpoints() {
    // Init: start 0, a_i = 2/L: T_i = (2i + 1)/L, levels 2i/L. The middle of each step maps
    // back to its own code, for bits 1..4.
    for bits in 1..=4 {
        let q = N2uqAct::new(&N2uqActSpec::init(bits).unwrap()).unwrap();
        let l = ((1 << bits) - 1) as f64;
        for i in 0..q.num_levels() {
            assert_eq!(
                q.code_of(2.0 * i as f64 / l),
                i as i32,
                "bits {bits} level {i}"
            );
            assert!(close(q.value(i), 2.0 * i as f64 / l));
        }
        for (i, t) in q.thresholds().iter().enumerate() {
            assert!(
                (*t as f64 - (2 * i + 1) as f64 / l).abs() < 1e-6,
                "bits {bits} T_{i} = {t}"
            );
        }
        exact_levels(&q);
    }
}

#[test]
fn n2uq_act_learned_parameters() {
    // bits 2, start 0.2, a = [0.4, -0.5, 0.6] (the -0.5 clamps to 1e-3), beta1 2, beta2 0.5:
    // T0 = 0.2 + 0.2 = 0.4; T1 = 0.4 + (0.2 + 0.0005) = 0.6005; T2 = 0.6005 + (0.0005 + 0.3) = 0.901.
    let spec = N2uqActSpec {
        bits: 2,
        start: 0.2,
        a: vec![0.4, -0.5, 0.6],
        beta1: 2.0,
        beta2: 0.5,
        compare: Compare::Gt,
    };
    let q = N2uqAct::new(&spec).unwrap();
    let t: Vec<f64> = q.thresholds().iter().map(|&t| t as f64).collect();
    for (got, want) in t.iter().zip([0.4, 0.6005, 0.901]) {
        assert!((got - want).abs() < 1e-6, "{t:?}");
    }
    // x1 = 2x: 0.25 -> 0.5 (code 1), 0.3005 -> 0.601 (code 2), 0.46 -> 0.92 (code 3), -1 -> 0.
    assert_eq!(codes(&q, &[0.25, 0.3005, 0.46, -1.0]), vec![1, 2, 3, 0]);
    // value = beta2·code·2/L = 0.5·code·2/3.
    assert!(close(q.value(1), 1.0 / 3.0) && close(q.value(3), 1.0));
    assert_eq!(q.level(3), 3);
}

#[test]
fn n2uq_act_gt_and_ge_differ_only_at_the_threshold() {
    // bits 1: a = [2], T0 = 0 + 1 = 1 exactly. x = 1: `>` gives 0, `>=` gives 1.
    let mut spec = N2uqActSpec::init(1).unwrap();
    let gt = N2uqAct::new(&spec).unwrap();
    spec.compare = Compare::Ge;
    let ge = N2uqAct::new(&spec).unwrap();
    assert_eq!((gt.code_of(1.0), ge.code_of(1.0)), (0, 1));
    assert_eq!((gt.code_of(1.0001), ge.code_of(0.9999)), (1, 0));
    // value of code 1 at bits 1: beta2·1·2/1 = 2.
    assert!(close(gt.value(1), 2.0));
}

#[test]
fn n2uq_weight_bits_1_to_4() {
    // Channel [0.5, -0.25, 1.0, -1.25], mean|W| = 0.75, gamma = L/2^(n-1).
    let w = [0.5, -0.25, 1.0, -1.25];
    // bits 1: sf = 0.75; w' = [0.667, -0.333, 1 (clipped), -1]; (w'+1)/2 = [.833, .333, 1, 0].
    // bits 2: sf = 1.125; w' = [.444, -.222, .889, -1]; (w'+1)·1.5 = [2.17, 1.17, 2.83, 0].
    // bits 3: sf = 1.3125; (w'+1)·3.5 = [4.83, 2.83, 6.17, 0.17].
    // bits 4: sf = 1.40625; (w'+1)·7.5 = [10.17, 6.17, 12.83, 0.83].
    let want = [
        (1, 0.75, vec![1, 0, 1, 0]),
        (2, 1.125, vec![2, 1, 3, 0]),
        (3, 1.3125, vec![5, 3, 6, 0]),
        (4, 1.40625, vec![10, 6, 13, 1]),
    ];
    for (bits, sf, want_codes) in want {
        let qs = N2uqWeightSpec { bits, clip: 2.0 }
            .prepare(&w, &[1, 4])
            .unwrap();
        assert_eq!(qs.len(), 1);
        let q = &qs[0];
        assert!(
            close(q.scale_factor(), sf),
            "bits {bits}: sf {}",
            q.scale_factor()
        );
        assert_eq!(codes(q, &w), want_codes, "bits {bits}");
        // level 2·code − L, value sf·(2·code − L)/L.
        let l = (1 << bits) - 1;
        for (i, &c) in want_codes.iter().enumerate() {
            let idx = c as usize;
            assert_eq!(q.level(idx), 2 * c as i64 - l, "bits {bits} elem {i}");
            assert!(close(
                q.value(idx),
                sf * (2 * c - l as i32) as f64 / l as f64
            ));
        }
        exact_levels(q);
    }
}

#[test]
fn n2uq_weight_zero_tie_and_zero_channel() {
    // [0, 1] at bits 2: sf = 1.5·0.5 = 0.75, w' = 0 -> (0 + 1)·1.5 = 1.5 -> half to even = 2 = 2^(n-1).
    let q = &N2uqWeightSpec { bits: 2, clip: 2.0 }
        .prepare(&[0.0, 1.0], &[1, 2])
        .unwrap()[0];
    assert_eq!(q.code_of(0.0), 2);
    // An all-zero channel: sf = 0, every weight takes the zero tie code, every value is 0.
    for (bits, code) in [(1, 0), (2, 2), (3, 4), (4, 8)] {
        let qs = N2uqWeightSpec { bits, clip: 2.0 }
            .prepare(&[0.0, 0.0, 1.0, -1.0], &[2, 2])
            .unwrap();
        assert!(qs[0].is_zero_channel() && !qs[1].is_zero_channel());
        assert_eq!(qs[0].code_of(0.0), code, "bits {bits}");
        assert_eq!(qs[0].value(code as usize), 0.0);
        assert_eq!(qs[0].level_scale(), 0.0);
        assert!(!qs[0].value(code as usize).is_nan());
    }
}

#[test]
fn lcq_act_identity_companding() {
    // theta = 0: softmax uniform, slopes 1, f(v) = v exactly. alpha = 2, bits 2 (s = 3):
    // x = 0.9 -> v = 0.45 -> 1.35 -> 1; value 2·(1/3); outer level round(255/3) = 85.
    let spec = LcqActSpec {
        bits: 2,
        alpha: 2.0,
        theta: vec![0.0; 16],
        segments: 16,
        outer_bits: 8,
    };
    let q = LcqAct::new(&spec).unwrap();
    assert_eq!(codes(&q, &[0.9, 5.0, -1.0, 0.0]), vec![1, 3, 0, 0]);
    assert!(close(q.value(1), 2.0 / 3.0));
    assert_eq!((q.level(1), q.level(3)), (85, 255));
    // bits 1 (s = 1), alpha 1: 0.3 -> 0, 0.6 -> 1 (level 255).
    let q1 = LcqAct::new(&LcqActSpec {
        bits: 1,
        alpha: 1.0,
        ..spec.clone()
    })
    .unwrap();
    assert_eq!((q1.code_of(0.3), q1.code_of(0.6), q1.level(1)), (0, 1, 255));
    // bits 3 (s = 7): 0.5·7 = 3.5 ties to 4; level round(4/7·255) = round(145.71) = 146.
    let q3 = LcqAct::new(&LcqActSpec {
        bits: 3,
        alpha: 1.0,
        ..spec.clone()
    })
    .unwrap();
    assert_eq!((q3.code_of(0.5), q3.level(4)), (4, 146));
    // bits 4 (s = 15): 0.5·15 = 7.5 ties to 8; level 8/15·255 = 136.
    let q4 = LcqAct::new(&LcqActSpec {
        bits: 4,
        alpha: 1.0,
        ..spec
    })
    .unwrap();
    assert_eq!((q4.code_of(0.5), q4.level(8)), (8, 136));
}

#[test]
fn lcq_act_learned_companding() {
    // theta = [ln 2, 0 × 15]: p0 = 2/17, p_k = 1/17; g0 = 32/17, g_k = 16/17;
    // c_0 = 0, c_k = (k + 1)/17 for k >= 1.
    let mut theta = vec![0.0; 16];
    theta[0] = 2f64.ln();
    let q = LcqAct::new(&LcqActSpec {
        bits: 2,
        alpha: 1.0,
        theta,
        segments: 16,
        outer_bits: 8,
    })
    .unwrap();
    // x = 0.5: segment 8, f = 9/17 = 0.529 -> ·3 = 1.59 -> 2.
    // x = 0.02: segment 0, f = 32/17·0.02 = 0.0376 -> ·3 = 0.11 -> 0.
    assert_eq!(codes(&q, &[0.5, 0.02]), vec![2, 0]);
    // value(2) = f^-1(2/3): segment 10 (11/17 <= 2/3 < 12/17): (2/3 − 11/17)·17/16 + 10/16 = 31/48.
    assert!(close(q.value(2), 31.0 / 48.0), "{}", q.value(2));
    // outer level round(31/48·255) = round(164.6875) = 165.
    assert_eq!(q.level(2), 165);
    // first threshold t_1 = f^-1(1/6): segment 1: (1/6 − 2/17)·17/16 + 1/16 = 11/96.
    assert!(close(q.staircase().thresholds[0].value, 11.0 / 96.0));
}

#[test]
fn lcq_weight_bits_2_to_4_and_lwn() {
    let base = LcqWeightSpec {
        bits: 2,
        alpha: 1.0,
        theta: None,
        segments: 16,
        outer_bits: 8,
        lwn: false,
    };
    // bits 2 (s = 1): companding has no effect; ±0.6 -> ±1, 0.4 -> 0; outer level ±127.
    let q = base.prepare(&[0.0, 1.0]).unwrap();
    assert_eq!(codes(&q, &[0.6, -0.6, 0.4, 0.0]), vec![1, -1, 0, 0]);
    assert_eq!(
        (q.level_of_code(1), q.level_of_code(-1)),
        (Some(127), Some(-127))
    );
    // bits 3 (s = 3): -0.5 -> -round(1.5) = -2; level -round(2/3·127) = -round(84.67) = -85.
    let q = LcqWeightSpec {
        bits: 3,
        ..base.clone()
    }
    .prepare(&[0.0, 1.0])
    .unwrap();
    assert_eq!((q.code_of(-0.5), q.level_of_code(-2)), (-2, Some(-85)));
    // bits 4 (s = 7): 0.3 -> round(2.1) = 2; value 2/7; level round(2/7·127) = round(36.29) = 36.
    let q = LcqWeightSpec {
        bits: 4,
        ..base.clone()
    }
    .prepare(&[0.0, 1.0])
    .unwrap();
    assert_eq!(q.code_of(0.3), 2);
    assert!(close(q.value(q.index_of_code(2).unwrap()), 2.0 / 7.0));
    assert_eq!(q.level_of_code(2), Some(36));
    // bits 1 has no symmetric level: rejected.
    assert_eq!(
        LcqWeightSpec {
            bits: 1,
            ..base.clone()
        }
        .prepare(&[0.0, 1.0])
        .unwrap_err()
        .field,
        "bits"
    );
    // LWN over [1..5]: mu = 3, sigma = sqrt(10/4) = 1.5811; normalised ±1.26, ±0.63, 0 -> codes
    // [-1, -1, 0, 1, 1]; values ±1·sigma (mu is not added back).
    let data = [1.0, 2.0, 3.0, 4.0, 5.0];
    let q = LcqWeightSpec { lwn: true, ..base }.prepare(&data).unwrap();
    let sigma = 2.5f64.sqrt();
    assert!(close(q.lwn().0, 3.0) && close(q.lwn().1, sigma));
    assert_eq!(codes(&q, &data), vec![-1, -1, 0, 1, 1]);
    assert!(
        close(q.quantize(5.0), sigma) && close(q.quantize(1.0), -sigma) && q.quantize(3.0) == 0.0
    );
}

#[test]
fn qn_level_sets() {
    // Ternary weights: levels [-1, 0, 1], biases ±0.5, alpha 0.5, beta 2, offset: o = 1.
    let spec = QnSpec {
        levels: vec![-1, 0, 1],
        biases: vec![-0.5, 0.5],
        alpha: 0.5,
        beta: 2.0,
        offset: true,
        compare: Compare::Gt,
    };
    let q = Qn::new(&spec).unwrap();
    // beta·x: 0.3 -> 0.6 (code 2), 0.25 -> 0.5 (not > 0.5: code 1), -0.3 -> -0.6 (code 0).
    assert_eq!(codes(&q, &[0.3, 0.25, -0.3]), vec![2, 1, 0]);
    // value alpha·(Y[code] − Y0 − o): code 2 -> 0.5·(1 + 1 − 1) = 0.5; level 1.
    assert!(close(q.value(2), 0.5) && q.level(2) == 1 && q.level(0) == -1);
    let ge = Qn::new(&QnSpec {
        compare: Compare::Ge,
        ..spec.clone()
    })
    .unwrap();
    assert_eq!(ge.code_of(0.25), 2);
    exact_levels(&q);
    // 3-bit ±4 set: o = 4; code 6 -> level 4, code 2 -> Y = -1 -> level -1.
    let q = Qn::new(&QnSpec {
        levels: vec![-4, -2, -1, 0, 1, 2, 4],
        biases: vec![-3.0, -1.5, -0.5, 0.5, 1.5, 3.0],
        alpha: 0.25,
        beta: 1.0,
        offset: true,
        compare: Compare::Gt,
    })
    .unwrap();
    assert_eq!(codes(&q, &[-5.0, -2.0, 0.0, 2.0, 3.5]), vec![0, 1, 3, 5, 6]);
    assert_eq!((q.level(6), q.level(2)), (4, -1));
    exact_levels(&q);
    // 2-bit activations [0, 1, 2, 3] (o = 0): levels 0..3, value alpha·Y.
    let act = Qn::new(&QnSpec {
        levels: vec![0, 1, 2, 3],
        biases: vec![0.5, 1.5, 2.5],
        alpha: 0.5,
        beta: 1.0,
        offset: false,
        compare: Compare::Gt,
    })
    .unwrap();
    assert_eq!((act.code_of(1.7), act.level(2), act.value(3)), (2, 2, 1.5));
    // The same set as weights: o = 1.5 is a half-integer, so levels double: 2·Y − 3 = -3,-1,1,3,
    // scale alpha/2; values alpha·(Y − 1.5).
    let w = Qn::new(&QnSpec {
        offset: true,
        ..act_spec()
    })
    .unwrap();
    assert_eq!(
        (0..4).map(|i| w.level(i)).collect::<Vec<_>>(),
        vec![-3, -1, 1, 3]
    );
    assert!(close(w.value(0), -0.75));
    exact_levels(&w);
    // Binary weights [-1, 1], b = 0 (paper: n = 1, s = 2, o = 1): levels -1, +1.
    let b = Qn::new(&QnSpec {
        levels: vec![-1, 1],
        biases: vec![0.0],
        alpha: 1.0,
        beta: 1.0,
        offset: true,
        compare: Compare::Gt,
    })
    .unwrap();
    assert_eq!(
        (b.code_of(0.0), b.code_of(0.1), b.level(0), b.level(1)),
        (0, 1, -1, 1)
    );
}

fn act_spec() -> QnSpec {
    QnSpec {
        levels: vec![0, 1, 2, 3],
        biases: vec![0.5, 1.5, 2.5],
        alpha: 0.5,
        beta: 1.0,
        offset: false,
        compare: Compare::Gt,
    }
}

#[test]
fn uniform_bits_1_to_4() {
    let u = |bits, signed, scale, zero_point| {
        Uniform::new(&UniformSpec {
            bits,
            signed,
            scale: Scale::Tensor(scale),
            zero_point,
            narrow: false,
            rounding: Rounding::Round,
        })
        .unwrap()
    };
    // Unsigned 2-bit, scale 0.5: 0.75/0.5 = 1.5 -> 2 (tie to even); 0.25 -> 0.5 -> 0; clamp 3 and 0.
    assert_eq!(
        codes(&u(2, false, 0.5, 0), &[0.75, 0.25, 10.0, -1.0]),
        vec![2, 0, 3, 0]
    );
    // Signed 2-bit: codes -2..=1: -10 -> -2; 0.6 -> 1.2 -> 1.
    assert_eq!(codes(&u(2, true, 0.5, 0), &[-10.0, 0.6]), vec![-2, 1]);
    // Signed 1-bit: codes -1..=0.
    let s1 = u(1, true, 1.0, 0);
    assert_eq!(
        (codes(&s1, &[-3.0, 3.0]), s1.num_levels()),
        (vec![-1, 0], 2)
    );
    // Unsigned 3-bit: 2.5 -> 2, 3.5 -> 4 (ties to even).
    assert_eq!(codes(&u(3, false, 1.0, 0), &[2.5, 3.5]), vec![2, 4]);
    // Unsigned 4-bit with zero point 8, scale 0.1: -0.3 -> -3 + 8 = 5, level -3, value -0.3.
    let q = u(4, false, 0.1, 8);
    assert_eq!(q.code_of(-0.3), 5);
    let i = q.index_of_code(5).unwrap();
    assert!(q.level(i) == -3 && close(q.value(i), -0.3));
    for q in [
        u(1, false, 1.0, 0),
        u(2, true, 0.5, -1),
        u(3, true, 0.25, 0),
        u(4, false, 0.1, 8),
    ] {
        exact_levels(&q);
    }
}

#[test]
fn binary_and_ternary() {
    let b = Binary::new(&BinarySpec { scale: 2.0 }).unwrap();
    // x >= 0 -> code 1 (+1): 0 -> 1, -0.001 -> 0; values ±2.
    assert_eq!(codes(&b, &[0.0, -0.001, 5.0]), vec![1, 0, 1]);
    assert_eq!((b.value(0), b.value(1), b.level(0)), (-2.0, 2.0, -1));
    let t = Ternary::new(&TernarySpec {
        threshold: 0.5,
        scale: 1.5,
    })
    .unwrap();
    // |x| > 0.5 -> ±1: 0.5 -> 0, 0.51 -> 1, -0.5 -> 0, -0.51 -> -1.
    assert_eq!(codes(&t, &[0.5, 0.51, -0.5, -0.51]), vec![0, 1, 0, -1]);
    assert_eq!((t.value(2), t.level(0)), (1.5, -1));
    exact_levels(&b);
    exact_levels(&t);
}
