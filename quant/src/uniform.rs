//! The baselines every report compares to: uniform n-bit (DoReFa / LSQ style,
//! `code = clamp(round(x/scale) + zero_point)`, optionally narrow-range, floor-rounded or with
//! one scale per output channel, as QONNX `Quant`/`Trunc`), binary (`x >= 0` → +1) and ternary
//! (`|x| > threshold` → ±1).

use serde::{Deserialize, Serialize};

use crate::error::{bits_in, finite, positive, Error, Result};
use crate::scalar::ScalarQuantizer;
use crate::staircase::{floor_steps, round_half_even, rounding_steps, Staircase, Threshold};

/// Spec of a uniform quantizer (`method = "uniform"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniformSpec {
    /// Bits n (1..=8).
    pub bits: u32,
    /// Two's-complement codes `−2^(n−1) ..= 2^(n−1) − 1` when true, `0 ..= 2^n − 1` when false.
    pub signed: bool,
    /// Step size: one number, or (weights only) one per output channel (axis 0).
    pub scale: Scale,
    /// Code of the real value 0 (default 0); must be a valid code.
    #[serde(default)]
    pub zero_point: i64,
    /// Narrow range (default false): signed codes `−(2^(n−1) − 1) ..= 2^(n−1) − 1`, unsigned
    /// `0 ..= 2^n − 2` (QONNX `Quant` with `narrow = 1`). Needs at least 2 bits.
    #[serde(default, skip_serializing_if = "is_false")]
    pub narrow: bool,
    /// How `x/scale` becomes an integer (default `"round"`, half to even).
    #[serde(default, skip_serializing_if = "Rounding::is_round")]
    pub rounding: Rounding,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The step size of a uniform quantizer: per tensor, or per output channel (axis 0 of a
/// weight tensor). Written in spec files as a number or an array of numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Scale {
    /// One scale for the whole tensor.
    Tensor(f64),
    /// One scale per output channel (weights only).
    Channel(Vec<f64>),
}

impl From<f64> for Scale {
    fn from(s: f64) -> Self {
        Scale::Tensor(s)
    }
}

impl<'de> Deserialize<'de> for Scale {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(f64),
            Many(Vec<f64>),
        }
        match Raw::deserialize(d) {
            Ok(Raw::One(s)) => Ok(Scale::Tensor(s)),
            Ok(Raw::Many(v)) => Ok(Scale::Channel(v)),
            Err(_) => Err(serde::de::Error::custom(
                "must be a number, or an array of one number per output channel",
            )),
        }
    }
}

/// How a uniform quantizer turns `x/scale` into an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Round half to even (`torch.round`, QONNX `Quant`; the default).
    #[default]
    Round,
    /// Round toward −∞ (QONNX `Trunc` with `rounding_mode = "FLOOR"`).
    Floor,
}

impl Rounding {
    fn is_round(&self) -> bool {
        *self == Rounding::Round
    }
}

impl UniformSpec {
    /// Check every parameter; with a per-channel scale, every entry (`scale[i]`).
    pub fn validate(&self) -> Result<()> {
        match &self.scale {
            Scale::Tensor(s) => Uniform::with_scale(self, *s, "scale").map(|_| ()),
            Scale::Channel(v) => {
                if v.is_empty() {
                    return Err(Error::new("scale", "a per-channel scale array is empty"));
                }
                for (i, &s) in v.iter().enumerate() {
                    Uniform::with_scale(self, s, &format!("scale[{i}]"))?;
                }
                Ok(())
            }
        }
    }

    /// One quantizer per output channel of a weight tensor of `shape` (a per-tensor scale
    /// gives one quantizer). A per-channel scale needs exactly `shape[0]` entries.
    pub fn prepare(&self, shape: &[usize]) -> Result<Vec<Uniform>> {
        match &self.scale {
            Scale::Tensor(_) => Ok(vec![Uniform::new(self)?]),
            Scale::Channel(v) => {
                let channels = shape.first().copied().unwrap_or(1);
                if v.len() != channels {
                    return Err(Error::new(
                        "scale",
                        format!(
                            "has {} per-channel entries but the tensor of shape {shape:?} has {channels} output channels (axis 0)",
                            v.len()
                        ),
                    ));
                }
                v.iter()
                    .enumerate()
                    .map(|(i, &s)| Uniform::with_scale(self, s, &format!("scale[{i}]")))
                    .collect()
            }
        }
    }
}

/// The codes `qmin ..= qmax` of a `bits`-bit uniform quantizer (QONNX's `min_int` /
/// `max_int`): two's complement when `signed`, one code fewer at the bottom (signed) or the
/// top (unsigned) when `narrow`.
pub fn code_range(bits: u32, signed: bool, narrow: bool) -> (i64, i64) {
    let (b, n) = (bits as i64, narrow as i64);
    if signed {
        (-(1i64 << (b - 1)) + n, (1i64 << (b - 1)) - 1)
    } else {
        (0, (1i64 << b) - 1 - n)
    }
}

/// A prepared uniform quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct Uniform {
    qmin: i64,
    qmax: i64,
    scale: f64,
    zero_point: i64,
    rounding: Rounding,
}

impl Uniform {
    /// Validate the spec (a per-tensor scale; per-channel scales are for weights, through
    /// [`UniformSpec::prepare`]).
    pub fn new(spec: &UniformSpec) -> Result<Self> {
        match spec.scale {
            Scale::Tensor(s) => Uniform::with_scale(spec, s, "scale"),
            Scale::Channel(_) => Err(Error::new(
                "scale",
                "per-channel scale is for weights only (an activation needs one number)",
            )),
        }
    }

    /// The quantizer of `spec` with step `scale` (named `field` in errors).
    fn with_scale(spec: &UniformSpec, scale: f64, field: &str) -> Result<Self> {
        let bits = bits_in("bits", spec.bits, 1, 8)?;
        let scale = positive(field, scale)?;
        if spec.narrow && bits < 2 {
            return Err(Error::new(
                "narrow",
                "needs bits >= 2 (a 1-bit narrow range holds a single code)",
            ));
        }
        let (qmin, qmax) = code_range(bits, spec.signed, spec.narrow);
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
            rounding: spec.rounding,
        })
    }
}

impl ScalarQuantizer for Uniform {
    fn num_levels(&self) -> usize {
        (self.qmax - self.qmin + 1) as usize
    }

    fn index(&self, x: f64) -> usize {
        let r = match self.rounding {
            Rounding::Round => round_half_even(x / self.scale),
            Rounding::Floor => (x / self.scale).floor(),
        };
        let q = r + self.zero_point as f64;
        (q.clamp(self.qmin as f64, self.qmax as f64) as i64 - self.qmin) as usize
    }

    fn staircase(&self) -> Staircase {
        let zp = self.zero_point;
        let (first, last) = (self.qmin - zp, self.qmax - zp);
        Staircase {
            gain: 1.0 / self.scale,
            offset: 0.0,
            thresholds: match self.rounding {
                Rounding::Round => rounding_steps(first, last),
                Rounding::Floor => floor_steps(first, last),
            },
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
