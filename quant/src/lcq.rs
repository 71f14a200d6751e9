//! LCQ, Learnable Companding Quantization (Yamamoto, CVPR 2021).
//!
//! A piecewise-linear compressing function `f` on [0, 1] with `K` segments (slopes
//! `g_k = K·softmax(theta)_k`) is applied before uniform rounding, and its exact inverse
//! expands the result. Activations are unsigned (`s = L`), weights symmetric
//! (`s = 2^(n−1) − 1`) and by default limited-weight-normalised (LWN: quantize
//! `(W − mu)/sigma`, multiply the result by sigma, do not add mu back).
//!
//! Hardware never sees the float levels: each level is re-quantized to an outer bit-width
//! `b'` (8 by default) and the products of those integers are what a LUT PE stores. Here
//! `level(i)` is that outer-bit-width integer and `value(i)` the paper's float level.
//! All arithmetic is in float64 (the LCQ code is not published; see `docs/quantizers.md`).

use serde::{Deserialize, Serialize};

use crate::error::{all_finite, bits_in, positive, Error, Result};
use crate::scalar::ScalarQuantizer;
use crate::staircase::{round_half_even, Staircase, Threshold};

/// Default number of companding segments.
pub const DEFAULT_SEGMENTS: usize = 16;
/// Default outer bit-width `b'`.
pub const DEFAULT_OUTER_BITS: u32 = 8;

fn default_segments() -> usize {
    DEFAULT_SEGMENTS
}
fn default_outer_bits() -> u32 {
    DEFAULT_OUTER_BITS
}
fn default_true() -> bool {
    true
}

/// The companding function pair `f` / `f^-1` on [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Compander {
    /// `None` is the identity (no companding); otherwise `(g, c)` with `c` of length K + 1.
    segments: Option<(Vec<f64>, Vec<f64>)>,
}

impl Compander {
    /// The identity compander (`theta = null`).
    pub fn identity() -> Self {
        Compander { segments: None }
    }

    /// The compander of softmax logits `theta` (field name used in errors: `theta`).
    pub fn from_theta(theta: &[f64], segments: usize) -> Result<Self> {
        if theta.len() != segments {
            return Err(Error::new(
                "theta",
                format!("needs segments = {segments} entries, got {}", theta.len()),
            ));
        }
        if segments == 0 {
            return Err(Error::new("segments", "must be at least 1"));
        }
        all_finite("theta", theta)?;
        let max = theta.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = theta.iter().map(|t| (t - max).exp()).collect();
        let sum: f64 = e.iter().sum();
        let p: Vec<f64> = e.iter().map(|v| v / sum).collect();
        if let Some(k) = p.iter().position(|&p| p <= 0.0) {
            return Err(Error::new(
                format!("theta[{k}]"),
                "its softmax weight underflows to 0 (entries must lie within ~700 of the largest)",
            ));
        }
        let kf = segments as f64;
        let g: Vec<f64> = p.iter().map(|p| kf * p).collect();
        let mut c = Vec::with_capacity(segments + 1);
        let mut acc = 0.0;
        for p in &p {
            c.push(acc);
            acc += p;
        }
        c.push(1.0);
        Ok(Compander {
            segments: Some((g, c)),
        })
    }

    /// The compressing function `f(v)`, v in [0, 1].
    pub fn compress(&self, v: f64) -> f64 {
        match &self.segments {
            None => v,
            Some((g, c)) => {
                let k = g.len();
                let seg = ((v * k as f64).floor() as usize).min(k - 1);
                g[seg] * (v - seg as f64 / k as f64) + c[seg]
            }
        }
    }

    /// The expanding function `f^-1(u)`, u in [0, 1].
    pub fn expand(&self, u: f64) -> f64 {
        match &self.segments {
            None => u,
            Some((g, c)) => {
                let k = g.len();
                // The last segment m (< K) with c_m <= u.
                let m = c[..k].iter().rposition(|&cm| cm <= u).unwrap_or(0);
                (u - c[m]) / g[m] + m as f64 / k as f64
            }
        }
    }
}

/// Spec of the LCQ activation quantizer (`method = "lcq-act"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LcqActSpec {
    /// Bits n (1..=8); `s = 2^n − 1`.
    pub bits: u32,
    /// Clipping value.
    pub alpha: f64,
    /// Softmax logits of the segment widths (`segments` entries).
    pub theta: Vec<f64>,
    /// Number of companding segments K (default 16).
    #[serde(default = "default_segments")]
    pub segments: usize,
    /// Outer bit-width b' of the hardware levels (default 8).
    #[serde(default = "default_outer_bits")]
    pub outer_bits: u32,
}

impl LcqActSpec {
    /// Default parameters from a calibration tensor: identity companding (`theta = 0`) and
    /// `alpha = max(x)` (our choice; the LCQ paper's initialisation is not in the available
    /// text). Errors when no element is positive.
    pub fn init(bits: u32, data: &[f64]) -> Result<Self> {
        bits_in("bits", bits, 1, 8)?;
        let max = data.iter().cloned().fold(0.0, f64::max);
        if max <= 0.0 || !max.is_finite() {
            return Err(Error::new(
                "input",
                "needs at least one finite positive activation",
            ));
        }
        Ok(LcqActSpec {
            bits,
            alpha: max,
            theta: vec![0.0; DEFAULT_SEGMENTS],
            segments: DEFAULT_SEGMENTS,
            outer_bits: DEFAULT_OUTER_BITS,
        })
    }
}

fn check_outer(outer_bits: u32, bits: u32) -> Result<u32> {
    bits_in("outer_bits", outer_bits, 2, 16)?;
    if outer_bits < bits {
        return Err(Error::new(
            "outer_bits",
            format!("must be at least bits = {bits}, got {outer_bits}"),
        ));
    }
    Ok(outer_bits)
}

/// A prepared LCQ activation quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct LcqAct {
    s: u32,
    alpha: f64,
    outer_max: f64,
    compander: Compander,
}

impl LcqAct {
    /// Validate the spec.
    pub fn new(spec: &LcqActSpec) -> Result<Self> {
        let bits = bits_in("bits", spec.bits, 1, 8)?;
        let alpha = positive("alpha", spec.alpha)?;
        let compander = Compander::from_theta(&spec.theta, spec.segments)?;
        let outer = check_outer(spec.outer_bits, bits)?;
        Ok(LcqAct {
            s: (1 << bits) - 1,
            alpha,
            outer_max: ((1u32 << outer) - 1) as f64,
            compander,
        })
    }
}

impl ScalarQuantizer for LcqAct {
    fn num_levels(&self) -> usize {
        self.s as usize + 1
    }

    fn index(&self, x: f64) -> usize {
        if x <= 0.0 {
            return 0;
        }
        let v = (x / self.alpha).min(1.0);
        round_half_even(self.compander.compress(v) * self.s as f64) as usize
    }

    fn staircase(&self) -> Staircase {
        let s = self.s as f64;
        let thresholds = (1..=self.s)
            .map(|j| Threshold {
                value: self.compander.expand((j as f64 - 0.5) / s),
                inclusive: j % 2 == 0,
            })
            .collect();
        Staircase {
            gain: 1.0 / self.alpha,
            offset: 0.0,
            thresholds,
        }
    }

    fn code(&self, i: usize) -> i32 {
        i as i32
    }

    fn value(&self, i: usize) -> f64 {
        self.alpha * self.compander.expand(i as f64 / self.s as f64)
    }

    fn level(&self, i: usize) -> i64 {
        round_half_even(self.compander.expand(i as f64 / self.s as f64) * self.outer_max) as i64
    }

    fn level_scale(&self) -> f64 {
        self.alpha / self.outer_max
    }
}

/// Spec of the LCQ weight quantizer (`method = "lcq-weight"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LcqWeightSpec {
    /// Bits n (2..=8); `s = 2^(n−1) − 1`.
    pub bits: u32,
    /// Clipping value (in units of sigma when `lwn`).
    pub alpha: f64,
    /// Softmax logits (`segments` entries), or `null` for identity companding.
    pub theta: Option<Vec<f64>>,
    /// Number of companding segments K (default 16).
    #[serde(default = "default_segments")]
    pub segments: usize,
    /// Outer bit-width b' of the hardware levels (default 8).
    #[serde(default = "default_outer_bits")]
    pub outer_bits: u32,
    /// Limited weight normalisation over the whole tensor (default true).
    #[serde(default = "default_true")]
    pub lwn: bool,
}

impl LcqWeightSpec {
    /// Default parameters from a weight tensor: identity companding and `alpha` = the
    /// largest |normalised weight| (our choice, as for [`LcqActSpec::init`]).
    pub fn init(bits: u32, data: &[f64], lwn: bool) -> Result<Self> {
        bits_in("bits", bits, 2, 8)?;
        let (mu, sigma) = if lwn { lwn_stats(data)? } else { (0.0, 1.0) };
        let alpha = data
            .iter()
            .map(|w| ((w - mu) / sigma).abs())
            .fold(0.0, f64::max);
        if alpha <= 0.0 || !alpha.is_finite() {
            return Err(Error::new(
                "input",
                "needs at least one finite non-zero weight",
            ));
        }
        Ok(LcqWeightSpec {
            bits,
            alpha,
            theta: Some(vec![0.0; DEFAULT_SEGMENTS]),
            segments: DEFAULT_SEGMENTS,
            outer_bits: DEFAULT_OUTER_BITS,
            lwn,
        })
    }

    /// Validate the spec and fix the LWN statistics of tensor `data`.
    pub fn prepare(&self, data: &[f64]) -> Result<LcqWeight> {
        let bits = bits_in("bits", self.bits, 2, 8)?;
        let alpha = positive("alpha", self.alpha)?;
        let compander = match &self.theta {
            None => Compander::identity(),
            Some(theta) => Compander::from_theta(theta, self.segments)?,
        };
        let outer = check_outer(self.outer_bits, bits)?;
        let (mu, sigma) = if self.lwn {
            lwn_stats(data)?
        } else {
            (0.0, 1.0)
        };
        Ok(LcqWeight {
            s: (1 << (bits - 1)) - 1,
            alpha,
            outer_max: ((1u32 << (outer - 1)) - 1) as f64,
            compander,
            mu,
            sigma,
        })
    }
}

/// Mean and unbiased standard deviation over a whole tensor, for LWN.
pub fn lwn_stats(data: &[f64]) -> Result<(f64, f64)> {
    if data.len() < 2 {
        return Err(Error::new(
            "input",
            format!(
                "LWN needs at least 2 weights for an unbiased std, got {}",
                data.len()
            ),
        ));
    }
    let n = data.len() as f64;
    let mu = data.iter().sum::<f64>() / n;
    let var = data.iter().map(|w| (w - mu) * (w - mu)).sum::<f64>() / (n - 1.0);
    let sigma = var.sqrt();
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(Error::new(
            "input",
            "LWN needs a non-constant tensor (its standard deviation is 0); set lwn = false",
        ));
    }
    Ok((mu, sigma))
}

/// A prepared LCQ weight quantizer (LWN statistics fixed).
#[derive(Debug, Clone, PartialEq)]
pub struct LcqWeight {
    s: u32,
    alpha: f64,
    outer_max: f64,
    compander: Compander,
    mu: f64,
    sigma: f64,
}

impl LcqWeight {
    /// The LWN statistics `(mu, sigma)` (`(0, 1)` without LWN).
    pub fn lwn(&self) -> (f64, f64) {
        (self.mu, self.sigma)
    }

    fn signed_index(&self, i: usize) -> (f64, u32) {
        let j = i as i64 - self.s as i64;
        (j.signum() as f64, j.unsigned_abs() as u32)
    }
}

impl ScalarQuantizer for LcqWeight {
    fn num_levels(&self) -> usize {
        2 * self.s as usize + 1
    }

    fn index(&self, x: f64) -> usize {
        let u = (x - self.mu) / self.sigma;
        let mag = (u.abs() / self.alpha).min(1.0);
        let j = round_half_even(self.compander.compress(mag) * self.s as f64);
        let code = if u > 0.0 {
            j
        } else if u < 0.0 {
            -j
        } else {
            0.0
        };
        (code as i64 + self.s as i64) as usize
    }

    fn staircase(&self) -> Staircase {
        let s = self.s as f64;
        let t = |j: u32| self.compander.expand((j as f64 - 0.5) / s);
        let negative = (1..=self.s).rev().map(|j| Threshold {
            value: -t(j),
            inclusive: j % 2 == 1,
        });
        let positive = (1..=self.s).map(|j| Threshold {
            value: t(j),
            inclusive: j % 2 == 0,
        });
        let scale = self.sigma * self.alpha;
        Staircase {
            gain: 1.0 / scale,
            offset: -self.mu / scale,
            thresholds: negative.chain(positive).collect(),
        }
    }

    fn code(&self, i: usize) -> i32 {
        i as i32 - self.s as i32
    }

    fn value(&self, i: usize) -> f64 {
        let (sign, j) = self.signed_index(i);
        sign * self.alpha * self.compander.expand(j as f64 / self.s as f64) * self.sigma
    }

    fn level(&self, i: usize) -> i64 {
        let (sign, j) = self.signed_index(i);
        let mag = round_half_even(self.compander.expand(j as f64 / self.s as f64) * self.outer_max);
        (sign * mag) as i64
    }

    fn level_scale(&self) -> f64 {
        self.alpha * self.sigma / self.outer_max
    }
}
