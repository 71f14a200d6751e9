//! Every quantizer here is a monotone staircase: its output index is the number of sorted
//! thresholds its (pre-scaled) input has passed. This module holds that common form, which
//! is what hardware builds (a bank of comparisons plus a map from index to level).

use serde::{Deserialize, Serialize};

/// Which comparison a threshold uses: the published code's strict `>` or the paper's `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compare {
    /// `x > t` passes (the published code; the default).
    #[default]
    Gt,
    /// `x >= t` passes (the papers' equations).
    Ge,
}

/// One step of a staircase: passed by `u > value`, or by `u == value` too when `inclusive`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    /// Position of the step in the compare domain.
    pub value: f64,
    /// Whether an input exactly at `value` passes (a `>=` step, or a round-half-to-even tie
    /// that goes up).
    pub inclusive: bool,
}

impl Threshold {
    /// A threshold with the given comparison.
    pub fn new(value: f64, compare: Compare) -> Self {
        Threshold {
            value,
            inclusive: compare == Compare::Ge,
        }
    }

    /// Does `u` (in the compare domain) pass this step?
    pub fn passed_by(&self, u: f64) -> bool {
        u > self.value || (self.inclusive && u == self.value)
    }
}

/// A quantizer as sorted thresholds in a compare domain `u = gain·x + offset`.
///
/// `index(x) = #{i : u passes thresholds[i]}`. Thresholds are non-decreasing; two equal
/// thresholds differ in `inclusive` (ternary at threshold 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Staircase {
    /// Gain of the map from the quantizer's input to its compare domain.
    pub gain: f64,
    /// Offset of that map.
    pub offset: f64,
    /// The steps, sorted by value.
    pub thresholds: Vec<Threshold>,
}

impl Staircase {
    /// The compare-domain value of input `x` (exact real map, no float32 rounding).
    pub fn compare_domain(&self, x: f64) -> f64 {
        self.gain * x + self.offset
    }

    /// The staircase index of input `x`.
    pub fn index(&self, x: f64) -> usize {
        let u = self.compare_domain(x);
        self.thresholds.iter().filter(|t| t.passed_by(u)).count()
    }

    /// Thresholds mapped back to the input domain (`(t − offset)/gain`), or `None` when the
    /// gain is zero (a constant quantizer).
    pub fn input_thresholds(&self) -> Option<Vec<f64>> {
        (self.gain != 0.0).then(|| {
            self.thresholds
                .iter()
                .map(|t| (t.value - self.offset) / self.gain)
                .collect()
        })
    }

    /// Distance in the compare domain from `x` to the nearest threshold.
    pub fn distance_to_step(&self, x: f64) -> f64 {
        let u = self.compare_domain(x);
        self.thresholds
            .iter()
            .map(|t| (u - t.value).abs())
            .fold(f64::INFINITY, f64::min)
    }
}

/// Round half to even, the rounding of `torch.round` and numpy.
#[inline]
pub fn round_half_even(x: f64) -> f64 {
    // For |x| < 2^52, adding and subtracting 2^52 rounds |x| to an integer in the default
    // round-to-nearest-even mode: the same result as `round_ties_even`, without the libm call
    // it compiles to on baseline x86-64 (no SSE4.1), which dominated weight quantization of
    // large models. Larger magnitudes (and infinities) are already integers; NaN stays NaN.
    const TWO52: f64 = 4_503_599_627_370_496.0;
    let a = x.abs();
    if a < TWO52 {
        ((a + TWO52) - TWO52).copysign(x)
    } else {
        x
    }
}

/// Float32 rounding, `fl()` in the spec.
pub fn fl(x: f64) -> f64 {
    x as f32 as f64
}

/// Thresholds of `round(u)` for output integers `first+1 ..= last`, with the half-to-even
/// tie rule: the step into integer `q` sits at `q − 0.5`, and an exact tie goes up to `q`
/// only when `q` is even.
pub fn rounding_steps(first: i64, last: i64) -> Vec<Threshold> {
    ((first + 1)..=last)
        .map(|q| Threshold {
            value: q as f64 - 0.5,
            inclusive: q.rem_euclid(2) == 0,
        })
        .collect()
}

/// Thresholds of `floor(u)` for output integers `first+1 ..= last`: the step into integer
/// `q` sits at `q` and is inclusive (`u >= q`).
pub fn floor_steps(first: i64, last: i64) -> Vec<Threshold> {
    ((first + 1)..=last)
        .map(|q| Threshold {
            value: q as f64,
            inclusive: true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_half_even_equals_round_ties_even() {
        let mut v = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            4503599627370495.5,
            -4503599627370495.5,
            4503599627370496.0,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -1e-320,
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.push(f64::from_bits(x));
            v.push((x % 4096) as f64 / 8.0 - 256.0);
        }
        for &y in &v {
            let (a, b) = (round_half_even(y), y.round_ties_even());
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{y}: {a} vs {b}"
            );
        }
    }

    #[test]
    fn rounding_steps_follow_half_even() {
        let s = Staircase {
            gain: 1.0,
            offset: 0.0,
            thresholds: rounding_steps(0, 3),
        };
        for (x, want) in [
            (0.5, 0),
            (1.5, 2),
            (2.5, 2),
            (0.49, 0),
            (0.51, 1),
            (9.0, 3),
            (-3.0, 0),
        ] {
            assert_eq!(s.index(x), want, "x = {x}");
            assert_eq!(
                s.index(x) as f64,
                round_half_even(x).clamp(0.0, 3.0),
                "x = {x}"
            );
        }
    }

    #[test]
    fn compare_conventions() {
        let gt = Threshold::new(1.0, Compare::Gt);
        let ge = Threshold::new(1.0, Compare::Ge);
        assert!(!gt.passed_by(1.0) && ge.passed_by(1.0));
        assert!(gt.passed_by(1.0 + 1e-12) && !ge.passed_by(1.0 - 1e-12));
    }
}
