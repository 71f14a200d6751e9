//! N2UQ (Liu et al., CVPR 2022): the learnable-threshold activation quantizer (official class
//! `LTQ`) and the per-channel weight quantizer (official class `HardQuantizeConv`).
//!
//! Activations: `x1 = fl(x·beta1)`, `code = #{i : x1 > T_i}` (or `>=`), value
//! `beta2·code·2/L`; thresholds `T_0 = s + a_0/2`, `T_i = T_{i−1} + (a_{i−1}/2 + a_i/2)`
//! accumulated in float32 with every `a_i` clamped to at least 1e-3. Parameters are held as
//! float32, as in a trained model.
//!
//! Weights: per output channel `sf = (L/2^(n−1))·mean|W_c|`,
//! `code = round((clip(W/sf, ±clip/2) + clip/2)·L/clip)`, hardware level `2·code − L` (odd,
//! no zero level). An all-zero channel (`sf = 0`) is defined here: every weight takes the
//! code a zero weight rounds to (`2^(n−1)` for n ≥ 2, 0 for n = 1) and the value 0; the level
//! scale is 0, so the channel contributes a constant.

use serde::{Deserialize, Serialize};

use crate::error::{all_finite, bits_in, finite, positive, Error, Result};
use crate::scalar::ScalarQuantizer;
use crate::staircase::{fl, round_half_even, Compare, Staircase, Threshold};

/// The smallest step width the published code lets `a_i` take.
pub const A_MIN: f32 = 1e-3;

/// Spec of the N2UQ activation quantizer (`method = "n2uq-act"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct N2uqActSpec {
    /// Output bits n (1..=8); `L = 2^n − 1` thresholds.
    pub bits: u32,
    /// Learned start `s` of the first step.
    pub start: f64,
    /// Learned step widths, `L` entries.
    pub a: Vec<f64>,
    /// Input scale.
    pub beta1: f64,
    /// Output scale.
    pub beta2: f64,
    /// `gt` (published code, default) or `ge` (paper Eq. 12).
    #[serde(default)]
    pub compare: Compare,
}

impl N2uqActSpec {
    /// The parameters the published code initialises with: `start = 0`, every `a_i = 2/L`,
    /// `beta1 = beta2 = 1`.
    pub fn init(bits: u32) -> Result<Self> {
        bits_in("bits", bits, 1, 8)?;
        let l = (1u32 << bits) - 1;
        Ok(N2uqActSpec {
            bits,
            start: 0.0,
            a: vec![2.0 / l as f64; l as usize],
            beta1: 1.0,
            beta2: 1.0,
            compare: Compare::Gt,
        })
    }
}

/// A prepared N2UQ activation quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct N2uqAct {
    bits: u32,
    beta1: f32,
    beta2: f32,
    compare: Compare,
    thresholds: Vec<f32>,
}

impl N2uqAct {
    /// Validate the spec and compute the float32 thresholds.
    pub fn new(spec: &N2uqActSpec) -> Result<Self> {
        let bits = bits_in("bits", spec.bits, 1, 8)?;
        let l = (1usize << bits) - 1;
        finite("start", spec.start)?;
        all_finite("a", &spec.a)?;
        if spec.a.len() != l {
            return Err(Error::new(
                "a",
                format!(
                    "needs 2^bits − 1 = {l} entries for bits = {bits}, got {}",
                    spec.a.len()
                ),
            ));
        }
        let beta1 = positive("beta1", spec.beta1)? as f32;
        let beta2 = positive("beta2", spec.beta2)? as f32;
        for (name, v) in [("beta1", beta1), ("beta2", beta2)] {
            if !v.is_normal() {
                return Err(Error::new(name, "is not representable as a normal float32"));
            }
        }
        let a_pos: Vec<f32> = spec
            .a
            .iter()
            .map(|&a| if (a as f32) > A_MIN { a as f32 } else { A_MIN })
            .collect();
        let mut thresholds = Vec::with_capacity(l);
        let mut t = spec.start as f32 + a_pos[0] / 2.0;
        thresholds.push(t);
        for i in 1..l {
            t += a_pos[i - 1] / 2.0 + a_pos[i] / 2.0;
            thresholds.push(t);
        }
        if !thresholds.iter().all(|t| t.is_finite()) {
            return Err(Error::new("start", "thresholds overflow float32"));
        }
        if let Some(i) = thresholds.windows(2).position(|w| w[1] <= w[0]) {
            return Err(Error::new(
                "a",
                format!(
                    "thresholds {} and {} are not strictly increasing in float32 \
                     (start is too large for the step widths a)",
                    i,
                    i + 1
                ),
            ));
        }
        Ok(N2uqAct {
            bits,
            beta1,
            beta2,
            compare: spec.compare,
            thresholds,
        })
    }

    /// The float32 thresholds `T_i` (in the `x·beta1` domain).
    pub fn thresholds(&self) -> &[f32] {
        &self.thresholds
    }

    fn l(&self) -> usize {
        (1usize << self.bits) - 1
    }
}

impl ScalarQuantizer for N2uqAct {
    fn num_levels(&self) -> usize {
        self.l() + 1
    }

    fn index(&self, x: f64) -> usize {
        let x1 = fl(x * self.beta1 as f64);
        let passes = |t: &f32| match self.compare {
            Compare::Gt => x1 > *t as f64,
            Compare::Ge => x1 >= *t as f64,
        };
        self.thresholds.iter().filter(|t| passes(t)).count()
    }

    fn staircase(&self) -> Staircase {
        Staircase {
            gain: self.beta1 as f64,
            offset: 0.0,
            thresholds: self
                .thresholds
                .iter()
                .map(|&t| Threshold::new(t as f64, self.compare))
                .collect(),
        }
    }

    fn code(&self, i: usize) -> i32 {
        i as i32
    }

    fn value(&self, i: usize) -> f64 {
        self.beta2 as f64 * i as f64 * 2.0 / self.l() as f64
    }

    fn level(&self, i: usize) -> i64 {
        i as i64
    }

    fn level_scale(&self) -> f64 {
        2.0 * self.beta2 as f64 / self.l() as f64
    }
}

/// Spec of the N2UQ weight quantizer (`method = "n2uq-weight"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct N2uqWeightSpec {
    /// Weight bits n (1..=8).
    pub bits: u32,
    /// Clip range (2.0 in every trained model: the clip is ±1).
    #[serde(default = "default_clip")]
    pub clip: f64,
}

fn default_clip() -> f64 {
    2.0
}

impl N2uqWeightSpec {
    /// Validate the spec and prepare one quantizer per output channel (axis 0 of a tensor of
    /// `shape`, row-major `data`).
    pub fn prepare(&self, data: &[f64], shape: &[usize]) -> Result<Vec<N2uqWeight>> {
        let bits = bits_in("bits", self.bits, 1, 8)?;
        let clip = positive("clip", self.clip)?;
        if shape.is_empty() {
            return Err(Error::new(
                "input",
                "n2uq-weight needs a tensor with at least one axis (axis 0 = output channels)",
            ));
        }
        let channels = shape[0];
        if channels == 0 || data.is_empty() {
            return Err(Error::new("input", "n2uq-weight needs a non-empty tensor"));
        }
        let per = data.len() / channels;
        let l = ((1u32 << bits) - 1) as f64;
        let gamma = l / (1u32 << (bits - 1)) as f64;
        Ok(data
            .chunks(per)
            .map(|ch| {
                let mean = ch.iter().map(|w| w.abs()).sum::<f64>() / ch.len() as f64;
                N2uqWeight {
                    bits,
                    clip,
                    sf: gamma * mean,
                }
            })
            .collect())
    }
}

/// The N2UQ weight quantizer of one output channel, with its scale `sf` fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct N2uqWeight {
    bits: u32,
    clip: f64,
    sf: f64,
}

impl N2uqWeight {
    /// A channel quantizer with a given scale factor (`sf = 0` is an all-zero channel).
    pub fn with_scale(bits: u32, clip: f64, sf: f64) -> Result<Self> {
        bits_in("bits", bits, 1, 8)?;
        positive("clip", clip)?;
        finite("sf", sf)?;
        if sf < 0.0 {
            return Err(Error::new("sf", format!("must be >= 0, got {sf}")));
        }
        Ok(N2uqWeight { bits, clip, sf })
    }

    /// The channel's scale factor `sf = gamma·mean|W_c|`.
    pub fn scale_factor(&self) -> f64 {
        self.sf
    }

    /// True when the channel was all zero (`sf = 0`): every value is 0.
    pub fn is_zero_channel(&self) -> bool {
        self.sf == 0.0
    }

    fn l(&self) -> f64 {
        ((1u32 << self.bits) - 1) as f64
    }
}

impl ScalarQuantizer for N2uqWeight {
    fn num_levels(&self) -> usize {
        1usize << self.bits
    }

    fn index(&self, x: f64) -> usize {
        let half = self.clip / 2.0;
        let w = if self.sf == 0.0 {
            0.0
        } else {
            (x / self.sf).clamp(-half, half)
        };
        round_half_even((w + half) * (self.l() / self.clip)) as usize
    }

    fn staircase(&self) -> Staircase {
        let l = self.l();
        let thresholds = (1..=self.l() as i64)
            .map(|j| Threshold {
                value: (j as f64 - 0.5) * self.clip / l - self.clip / 2.0,
                inclusive: j % 2 == 0,
            })
            .collect();
        let gain = if self.sf == 0.0 { 0.0 } else { 1.0 / self.sf };
        Staircase {
            gain,
            offset: 0.0,
            thresholds,
        }
    }

    fn code(&self, i: usize) -> i32 {
        i as i32
    }

    fn value(&self, i: usize) -> f64 {
        self.sf * (i as f64 / (self.l() / self.clip) - self.clip / 2.0)
    }

    fn level(&self, i: usize) -> i64 {
        2 * i as i64 - self.l() as i64
    }

    fn level_scale(&self) -> f64 {
        self.sf * self.clip / (2.0 * self.l())
    }
}
