//! FINN/QONNX `MultiThreshold` as an activation quantizer (`method = "multithreshold"`):
//! `index = #{i : x >= t_i}` over sorted thresholds, `value = out_bias + out_scale·index`
//! (qonnx's `multithreshold` with one threshold row for every channel).
//!
//! The engine needs integer levels with one real step: `level(i) = n·i + k` and
//! `level_scale() = out_scale / n`, with `n` the smallest integer in `1..=`[`MAX_STEP`] that
//! makes `k = n·out_bias/out_scale` an integer (within [`RATIO_TOL`], so parameters stored as
//! float32, as ONNX attributes are, still qualify). `n = 1` is the usual FINN case
//! (`out_bias` a multiple of `out_scale`: `level = index + out_bias/out_scale`); bipolar
//! outputs (`out_scale = 2`, `out_bias = −1`) get `n = 2`, levels `2i − 1`, step 1. The
//! hardware value `level_scale·level(i)` equals `value(i)` up to float64 rounding and that
//! tolerance (exactly when `out_scale/n` is a power of two and `k` exact).
//!
//! Codes are the indices `0..=T` (the MultiThreshold node's raw count).

use serde::{Deserialize, Serialize};

use crate::error::{finite, positive, Error, Result};
use crate::scalar::ScalarQuantizer;
use crate::staircase::{Staircase, Threshold};

/// Most thresholds a spec may have.
pub const MAX_THRESHOLDS: usize = 65_535;

/// Largest level step `n` tried for `out_bias/out_scale` (see the module docs).
pub const MAX_STEP: i64 = 16;

/// How close `n·out_bias/out_scale` must be to an integer (relative to `max(1, |k|)`).
pub const RATIO_TOL: f64 = 1e-6;

fn one() -> f64 {
    1.0
}

/// Spec of a multithreshold quantizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiThresholdSpec {
    /// Thresholds `t_0 <= t_1 <= ... ` (finite, at least one); `x >= t_i` passes step `i`.
    pub thresholds: Vec<f64>,
    /// Value of one index step (> 0; default 1).
    #[serde(default = "one")]
    pub out_scale: f64,
    /// Value of index 0 (default 0).
    #[serde(default)]
    pub out_bias: f64,
}

/// A prepared multithreshold quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiThreshold {
    thresholds: Vec<f64>,
    out_scale: f64,
    out_bias: f64,
    /// Level step `n`.
    step: i64,
    /// Level of index 0, `k`.
    base: i64,
}

impl MultiThreshold {
    /// Validate the spec and find its integer levels.
    pub fn new(spec: &MultiThresholdSpec) -> Result<Self> {
        let t = &spec.thresholds;
        if t.is_empty() {
            return Err(Error::new(
                "thresholds",
                "must not be empty (at least one threshold)",
            ));
        }
        if t.len() > MAX_THRESHOLDS {
            return Err(Error::new(
                "thresholds",
                format!("has {} entries; at most {MAX_THRESHOLDS}", t.len()),
            ));
        }
        for (i, &v) in t.iter().enumerate() {
            if !v.is_finite() {
                return Err(Error::new(
                    "thresholds",
                    format!("entry {i} is {v}; every threshold must be finite"),
                ));
            }
        }
        if let Some(i) = t.windows(2).position(|w| w[1] < w[0]) {
            return Err(Error::new(
                "thresholds",
                format!(
                    "must be sorted non-decreasing, but entry {} ({}) is below entry {i} ({})",
                    i + 1,
                    t[i + 1],
                    t[i]
                ),
            ));
        }
        let out_scale = positive("out_scale", spec.out_scale)?;
        let out_bias = finite("out_bias", spec.out_bias)?;
        let ratio = out_bias / out_scale;
        if !ratio.is_finite() || ratio.abs() > (1u64 << 40) as f64 {
            return Err(Error::new(
                "out_bias",
                format!("out_bias/out_scale = {ratio} is too large for integer levels"),
            ));
        }
        let (step, base) = (1..=MAX_STEP)
            .find_map(|n| {
                let k = (n as f64 * ratio).round();
                let close = (n as f64 * ratio - k).abs() <= RATIO_TOL * k.abs().max(1.0);
                close.then_some((n, k as i64))
            })
            .ok_or_else(|| {
                Error::new(
                    "out_bias",
                    format!(
                        "{out_bias} is not a multiple of out_scale/n ({out_scale}/n) for any \
                         integer n <= {MAX_STEP}: the values out_bias + out_scale·i have no \
                         integer levels"
                    ),
                )
            })?;
        Ok(MultiThreshold {
            thresholds: t.clone(),
            out_scale,
            out_bias,
            step,
            base,
        })
    }
}

impl ScalarQuantizer for MultiThreshold {
    fn num_levels(&self) -> usize {
        self.thresholds.len() + 1
    }

    fn index(&self, x: f64) -> usize {
        // Sorted thresholds: the ones passed (`x >= t`) are a prefix.
        self.thresholds.partition_point(|&t| x >= t)
    }

    fn staircase(&self) -> Staircase {
        Staircase {
            gain: 1.0,
            offset: 0.0,
            thresholds: self
                .thresholds
                .iter()
                .map(|&value| Threshold {
                    value,
                    inclusive: true,
                })
                .collect(),
        }
    }

    fn code(&self, i: usize) -> i32 {
        i as i32
    }

    fn value(&self, i: usize) -> f64 {
        self.out_bias + self.out_scale * i as f64
    }

    fn level(&self, i: usize) -> i64 {
        self.step * i as i64 + self.base
    }

    fn level_scale(&self) -> f64 {
        self.out_scale / self.step as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mt(t: &[f64], out_scale: f64, out_bias: f64) -> Result<MultiThreshold> {
        MultiThreshold::new(&MultiThresholdSpec {
            thresholds: t.to_vec(),
            out_scale,
            out_bias,
        })
    }

    #[test]
    fn index_counts_inclusive_thresholds() {
        let q = mt(&[-1.0, 0.5, 0.5, 2.0], 0.25, -0.5).unwrap();
        let got: Vec<usize> = [-3.0, -1.0, 0.4999, 0.5, 1.9, 2.0, 9.0]
            .iter()
            .map(|&x| q.index(x))
            .collect();
        assert_eq!(got, vec![0, 1, 1, 3, 3, 4, 4]);
        assert_eq!(q.index(f64::NAN), 0);
        // out_bias = -2·out_scale: levels -2..=2, step 0.25.
        assert_eq!((q.level(0), q.level(4), q.level_scale()), (-2, 2, 0.25));
        assert_eq!((q.value(0), q.value(4)), (-0.5, 0.5));
        assert_eq!((q.code(3), q.num_levels()), (3, 5));
    }

    #[test]
    fn bipolar_levels_use_a_step_of_two() {
        let q = mt(&[0.0], 2.0, -1.0).unwrap();
        assert_eq!((q.level(0), q.level(1), q.level_scale()), (-1, 1, 1.0));
        assert_eq!((q.value(0), q.value(1)), (-1.0, 1.0));
        // Float32-stored parameters still qualify: -3·0.1 in float32.
        let s = 0.1f32 as f64;
        let q = mt(&[0.0, 1.0], s, (-3.0f32 * 0.1f32) as f64).unwrap();
        assert_eq!((q.level(0), q.level(2)), (-3, -1));
    }

    #[test]
    fn bad_specs_name_the_field() {
        let field = |r: Result<MultiThreshold>| r.unwrap_err().field;
        assert_eq!(field(mt(&[], 1.0, 0.0)), "thresholds");
        assert_eq!(field(mt(&[1.0, 0.0], 1.0, 0.0)), "thresholds");
        assert_eq!(field(mt(&[0.0, f64::NAN], 1.0, 0.0)), "thresholds");
        assert_eq!(field(mt(&[f64::INFINITY], 1.0, 0.0)), "thresholds");
        assert_eq!(field(mt(&[0.0], 0.0, 0.0)), "out_scale");
        assert_eq!(field(mt(&[0.0], -1.0, 0.0)), "out_scale");
        assert_eq!(field(mt(&[0.0], 1.0, f64::NAN)), "out_bias");
        assert_eq!(field(mt(&[0.0], 1.0, 0.123_456_7)), "out_bias");
        // A tenth: levels 10i + 3, step 0.1.
        let q = mt(&[0.0], 1.0, 0.3).unwrap();
        assert_eq!((q.level(0), q.level(1)), (3, 13));
        assert_eq!(field(mt(&[0.0], 1e-300, 1e10)), "out_bias");
        let e = mt(&[2.0, 1.0], 1.0, 0.0).unwrap_err();
        assert!(e.message.contains("sorted"), "{e}");
    }
}
