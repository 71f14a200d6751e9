//! The baselines every report compares to: uniform n-bit (DoReFa / LSQ style,
//! `code = clamp(round(x/scale) + zero_point)`), binary (`x >= 0` → +1) and ternary
//! (`|x| > threshold` → ±1).

use serde::{Deserialize, Serialize};

use crate::error::{bits_in, finite, positive, Error, Result};
use crate::scalar::ScalarQuantizer;
use crate::staircase::{round_half_even, rounding_steps, Staircase, Threshold};

/// Spec of a uniform quantizer (`method = "uniform"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniformSpec {
    /// Bits n (1..=8).
    pub bits: u32,
    /// Two's-complement codes `−2^(n−1) ..= 2^(n−1) − 1` when true, `0 ..= 2^n − 1` when false.
    pub signed: bool,
    /// Step size.
    pub scale: f64,
    /// Code of the real value 0 (default 0); must be a valid code.
    #[serde(default)]
    pub zero_point: i64,
}

/// A prepared uniform quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct Uniform {
    qmin: i64,
    qmax: i64,
    scale: f64,
    zero_point: i64,
}

impl Uniform {
    /// Validate the spec.
    pub fn new(spec: &UniformSpec) -> Result<Self> {
        let bits = bits_in("bits", spec.bits, 1, 8)?;
        let scale = positive("scale", spec.scale)?;
        let (qmin, qmax) = if spec.signed {
            (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
        } else {
            (0, (1i64 << bits) - 1)
        };
        if !(qmin..=qmax).contains(&spec.zero_point) {
            return Err(Error::new(
                "zero_point",
                format!(
                    "must be a valid code in {qmin}..={qmax}, got {}",
                    spec.zero_point
                ),
            ));
        }
        Ok(Uniform {
            qmin,
            qmax,
            scale,
            zero_point: spec.zero_point,
        })
    }
}

impl ScalarQuantizer for Uniform {
    fn num_levels(&self) -> usize {
        (self.qmax - self.qmin + 1) as usize
    }

    fn index(&self, x: f64) -> usize {
        let q = round_half_even(x / self.scale) + self.zero_point as f64;
        (q.clamp(self.qmin as f64, self.qmax as f64) as i64 - self.qmin) as usize
    }

    fn staircase(&self) -> Staircase {
        let zp = self.zero_point;
        Staircase {
            gain: 1.0 / self.scale,
            offset: 0.0,
            thresholds: rounding_steps(self.qmin - zp, self.qmax - zp),
        }
    }

    fn code(&self, i: usize) -> i32 {
        (i as i64 + self.qmin) as i32
    }

    fn value(&self, i: usize) -> f64 {
        self.scale * self.level(i) as f64
    }

    fn level(&self, i: usize) -> i64 {
        i as i64 + self.qmin - self.zero_point
    }

    fn level_scale(&self) -> f64 {
        self.scale
    }
}

fn one() -> f64 {
    1.0
}

/// Spec of the binary quantizer (`method = "binary"`): codes 0/1 for −1/+1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinarySpec {
    /// Magnitude of the two levels (default 1.0).
    #[serde(default = "one")]
    pub scale: f64,
}

/// A prepared binary quantizer: `x >= 0` gives +1 (code 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Binary {
    scale: f64,
}

impl Binary {
    /// Validate the spec.
    pub fn new(spec: &BinarySpec) -> Result<Self> {
        Ok(Binary {
            scale: positive("scale", spec.scale)?,
        })
    }
}

impl ScalarQuantizer for Binary {
    fn num_levels(&self) -> usize {
        2
    }
    fn index(&self, x: f64) -> usize {
        (x >= 0.0) as usize
    }
    fn staircase(&self) -> Staircase {
        Staircase {
            gain: 1.0,
            offset: 0.0,
            thresholds: vec![Threshold {
                value: 0.0,
                inclusive: true,
            }],
        }
    }
    fn code(&self, i: usize) -> i32 {
        i as i32
    }
    fn value(&self, i: usize) -> f64 {
        self.scale * self.level(i) as f64
    }
    fn level(&self, i: usize) -> i64 {
        2 * i as i64 - 1
    }
    fn level_scale(&self) -> f64 {
        self.scale
    }
}

/// Spec of the ternary quantizer (`method = "ternary"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TernarySpec {
    /// Dead-zone half-width Δ ≥ 0: `x > Δ` → +1, `x < −Δ` → −1, else 0.
    pub threshold: f64,
    /// Magnitude of the ±1 levels.
    pub scale: f64,
}

/// A prepared ternary quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct Ternary {
    threshold: f64,
    scale: f64,
}

impl Ternary {
    /// Validate the spec.
    pub fn new(spec: &TernarySpec) -> Result<Self> {
        let threshold = finite("threshold", spec.threshold)?;
        if threshold < 0.0 {
            return Err(Error::new(
                "threshold",
                format!("must be >= 0, got {threshold}"),
            ));
        }
        Ok(Ternary {
            threshold,
            scale: positive("scale", spec.scale)?,
        })
    }
}

impl ScalarQuantizer for Ternary {
    fn num_levels(&self) -> usize {
        3
    }
    fn index(&self, x: f64) -> usize {
        if x > self.threshold {
            2
        } else if x < -self.threshold {
            0
        } else {
            1
        }
    }
    fn staircase(&self) -> Staircase {
        Staircase {
            gain: 1.0,
            offset: 0.0,
            thresholds: vec![
                Threshold {
                    value: -self.threshold,
                    inclusive: true,
                },
                Threshold {
                    value: self.threshold,
                    inclusive: false,
                },
            ],
        }
    }
    fn code(&self, i: usize) -> i32 {
        i as i32 - 1
    }
    fn value(&self, i: usize) -> f64 {
        self.scale * self.level(i) as f64
    }
    fn level(&self, i: usize) -> i64 {
        i as i64 - 1
    }
    fn level_scale(&self) -> f64 {
        self.scale
    }
}
