//! From real thresholds to integer hardware: fold every scale, the conv bias, BatchNorm and
//! the next quantizer into per-output-channel integer thresholds on the accumulator.
//!
//! Per output channel the real input of the next quantizer is an affine function of the
//! exact integer accumulator, `y = k·acc + m`, and that quantizer passes threshold `t` when its
//! compare-domain value `u = gain·y + offset` passes `t`. With `K = gain·k`,
//! `M = gain·m + offset` and `r = (t − M)/K` (computed in float64):
//!
//! | `K`   | `>` step (`inclusive = false`)  | `>=` step (`inclusive = true`) |
//! |-------|----------------------------------|--------------------------------|
//! | `> 0` | `acc >= floor(r) + 1`            | `acc >= ceil(r)`               |
//! | `< 0` | `acc <= ceil(r) − 1`             | `acc <= floor(r)`              |
//! | `= 0` | constant: passes iff `M > t`     | constant: passes iff `M >= t`  |
//!
//! A channel with `K < 0` (negative BatchNorm scale) counts thresholds *from above*
//! ([`Direction::Descending`]). Thresholds saturate to `[lo − 1, hi + 1]` of the accumulator
//! bound, which never changes the result for a reachable accumulator.
//!
//! **Tie rule.** The integer thresholds are exact for the real number `r` as float64 computes
//! it from the float64 parameters; an accumulator exactly at `r` goes the way the quantizer's
//! own comparison goes (`gt`, `ge`, or the half-to-even tie of a rounding quantizer). The float
//! path (`y` in float, then quantize) can differ from this only when `y` lies within float
//! rounding distance of a threshold (float32 for N2UQ and QN, which round `beta·x`).

use serde::Serialize;

use crate::accum::AccBound;
use crate::error::{finite, Error, Result};
use crate::staircase::Staircase;

/// The real affine map from accumulator to the next quantizer's input: `y = k·acc + m`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Affine {
    /// Gain.
    pub k: f64,
    /// Offset.
    pub m: f64,
}

impl Affine {
    /// `y` for accumulator `acc`.
    pub fn apply(&self, acc: f64) -> f64 {
        self.k * acc + self.m
    }
}

/// Inference BatchNorm of one channel: `gamma·(x − mean)/sqrt(var + eps) + beta`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct BatchNorm {
    /// Scale (may be negative or zero).
    pub gamma: f64,
    /// Shift.
    pub beta: f64,
    /// Running mean.
    pub mean: f64,
    /// Running variance (>= 0).
    pub var: f64,
    /// Epsilon (> 0 unless var > 0).
    pub eps: f64,
}

impl BatchNorm {
    /// The identity BatchNorm.
    pub fn identity() -> Self {
        BatchNorm {
            gamma: 1.0,
            beta: 0.0,
            mean: 0.0,
            var: 1.0,
            eps: 0.0,
        }
    }

    /// Check the parameters (field names relative to this BatchNorm).
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("gamma", self.gamma),
            ("beta", self.beta),
            ("mean", self.mean),
            ("var", self.var),
            ("eps", self.eps),
        ] {
            finite(name, v)?;
        }
        if self.var < 0.0 || self.eps < 0.0 {
            return Err(Error::new("var", "var and eps must be >= 0"));
        }
        if self.var + self.eps <= 0.0 {
            return Err(Error::new("eps", "var + eps must be > 0"));
        }
        Ok(())
    }

    /// Apply to a float.
    pub fn apply(&self, x: f64) -> f64 {
        self.gamma * (x - self.mean) / (self.var + self.eps).sqrt() + self.beta
    }
}

/// The affine map of one output channel: accumulator → `acc_scale·acc + bias` → BatchNorm.
pub fn channel_affine(acc_scale: f64, bias: f64, bn: &BatchNorm) -> Affine {
    let s = bn.gamma / (bn.var + bn.eps).sqrt();
    Affine {
        k: s * acc_scale,
        m: s * (bias - bn.mean) + bn.beta,
    }
}

/// Which way a channel's thresholds count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// `index = #{i : acc >= t_i}`, `t` non-decreasing.
    Ascending,
    /// `index = #{i : acc <= t_i}`, `t` non-increasing (negative channel gain).
    Descending,
}

/// Integer thresholds of one output channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelThresholds {
    /// Counting direction.
    pub direction: Direction,
    /// One threshold per step of the next quantizer, saturated to `[lo − 1, hi + 1]`.
    pub t: Vec<i64>,
}

impl ChannelThresholds {
    /// The next quantizer's index for accumulator `acc`.
    pub fn index(&self, acc: i64) -> usize {
        match self.direction {
            Direction::Ascending => self.t.iter().filter(|&&t| acc >= t).count(),
            Direction::Descending => self.t.iter().filter(|&&t| acc <= t).count(),
        }
    }
}

/// Fold `affine` and the next quantizer's `staircase` into integer thresholds for an
/// accumulator within `bound`.
pub fn fold(affine: Affine, staircase: &Staircase, bound: &AccBound) -> ChannelThresholds {
    let kk = staircase.gain * affine.k;
    let mm = staircase.gain * affine.m + staircase.offset;
    let (lo, hi) = (bound.lo as f64 - 1.0, bound.hi as f64 + 1.0);
    let sat = |v: f64| v.clamp(lo, hi) as i64;
    if kk == 0.0 || !kk.is_finite() {
        // Constant channel: always passes (lo − 1 <= acc) or never (hi + 1 > acc).
        let t = staircase
            .thresholds
            .iter()
            .map(|t| {
                if t.passed_by(mm) {
                    bound.lo as i64 - 1
                } else {
                    bound.hi as i64 + 1
                }
            })
            .collect();
        return ChannelThresholds {
            direction: Direction::Ascending,
            t,
        };
    }
    let t = staircase
        .thresholds
        .iter()
        .map(|t| {
            let r = (t.value - mm) / kk;
            match (kk > 0.0, t.inclusive) {
                (true, false) => sat(r.floor() + 1.0),
                (true, true) => sat(r.ceil()),
                (false, false) => sat(r.ceil() - 1.0),
                (false, true) => sat(r.floor()),
            }
        })
        .collect();
    let direction = if kk > 0.0 {
        Direction::Ascending
    } else {
        Direction::Descending
    };
    ChannelThresholds { direction, t }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accum::LevelRange;
    use crate::staircase::{Compare, Threshold};

    fn stairs(ts: &[f64], c: Compare) -> Staircase {
        Staircase {
            gain: 1.0,
            offset: 0.0,
            thresholds: ts.iter().map(|&t| Threshold::new(t, c)).collect(),
        }
    }

    #[test]
    fn hand_computed_folds() {
        let bound = AccBound::new(10, LevelRange::new(-1, 1), LevelRange::new(0, 1)).unwrap(); // [-10, 10]
                                                                                               // y = 0.5·acc + 1, thresholds 2 and 3 (gt): acc > 2 -> 3; acc > 4 -> 5.
        let f = fold(
            Affine { k: 0.5, m: 1.0 },
            &stairs(&[2.0, 3.0], Compare::Gt),
            &bound,
        );
        assert_eq!(
            (f.direction, f.t.clone()),
            (Direction::Ascending, vec![3, 5])
        );
        // ge: acc >= 2, acc >= 4.
        let f = fold(
            Affine { k: 0.5, m: 1.0 },
            &stairs(&[2.0, 3.0], Compare::Ge),
            &bound,
        );
        assert_eq!(f.t, vec![2, 4]);
        // Negative gain y = -0.5·acc: y > 2 <=> acc < -4 <=> acc <= -5; y > 3 <=> acc <= -7.
        let f = fold(
            Affine { k: -0.5, m: 0.0 },
            &stairs(&[2.0, 3.0], Compare::Gt),
            &bound,
        );
        assert_eq!(
            (f.direction, f.t.clone()),
            (Direction::Descending, vec![-5, -7])
        );
        assert_eq!(
            (f.index(-4), f.index(-5), f.index(-7), f.index(-10)),
            (0, 1, 2, 2)
        );
        // Out of range saturates: y = acc + 100 passes 2 and 3 always; y = acc - 100 never.
        let f = fold(
            Affine { k: 1.0, m: 100.0 },
            &stairs(&[2.0, 3.0], Compare::Gt),
            &bound,
        );
        assert_eq!(f.t, vec![-11, -11]);
        let f = fold(
            Affine { k: 1.0, m: -100.0 },
            &stairs(&[2.0, 3.0], Compare::Gt),
            &bound,
        );
        assert_eq!(f.t, vec![11, 11]);
        // Zero gain: constant from m.
        let f = fold(
            Affine { k: 0.0, m: 2.5 },
            &stairs(&[2.0, 3.0], Compare::Gt),
            &bound,
        );
        assert_eq!((f.index(-10), f.index(10)), (1, 1));
    }

    #[test]
    fn batchnorm_folds_into_affine() {
        let bn = BatchNorm {
            gamma: -2.0,
            beta: 0.5,
            mean: 1.0,
            var: 3.0,
            eps: 1.0,
        };
        let a = channel_affine(0.25, 0.1, &bn);
        for acc in [-7.0, 0.0, 3.0, 11.0] {
            let want = bn.apply(0.25 * acc + 0.1);
            assert!((a.apply(acc) - want).abs() < 1e-12);
        }
        assert!(BatchNorm { var: -1.0, ..bn }.validate().is_err());
        assert!(BatchNorm {
            gamma: f64::NAN,
            ..bn
        }
        .validate()
        .is_err());
    }
}
