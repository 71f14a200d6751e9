//! Quantization Networks (Yang et al., CVPR 2019), inference form (Eq. 11):
//! `y = alpha·(Σ_i s_i·step(beta·x − b_i) − o)` over a sorted integer level set `Y`, with
//! `s_i = Y[i+1] − Y[i]` and `o = (Y_last − Y_0)/2` for weights, 0 for activations.
//! So `code = #{i : fl(beta·x) > b_i}` and `y = alpha·(Y[code] − Y_0 − o)`.
//!
//! Parameters are held as float32 as in a trained model. The integer hardware level is
//! `Y[code] − Y_0 − o` when that is an integer for every code; when `o` is a half-integer
//! (an odd span such as `[0, 1, 2, 3]` used for weights) it is doubled, `2(Y[code] − Y_0) −
//! (Y_last − Y_0)`, and the level scale halved.

use serde::{Deserialize, Serialize};

use crate::error::{all_finite, positive, Error, Result};
use crate::scalar::ScalarQuantizer;
use crate::staircase::{fl, Compare, Staircase, Threshold};

/// Largest magnitude accepted for a level.
pub const MAX_LEVEL: i64 = 1 << 15;

/// Spec of a Quantization Networks quantizer (`method = "qn"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QnSpec {
    /// The target level set `Y`, strictly increasing integers.
    pub levels: Vec<i64>,
    /// One bias per step, `len(levels) − 1`, strictly increasing.
    pub biases: Vec<f64>,
    /// Output scale.
    pub alpha: f64,
    /// Input scale.
    pub beta: f64,
    /// True for weights (symmetric output, `o = span/2`), false for activations (`o = 0`).
    pub offset: bool,
    /// `gt` (published code, default) or `ge`.
    #[serde(default)]
    pub compare: Compare,
}

/// A prepared Quantization Networks quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct Qn {
    levels: Vec<i64>,
    biases: Vec<f32>,
    alpha: f32,
    beta: f32,
    offset: bool,
    compare: Compare,
}

impl Qn {
    /// Validate the spec.
    pub fn new(spec: &QnSpec) -> Result<Self> {
        let n = spec.levels.len();
        if !(2..=256).contains(&n) {
            return Err(Error::new(
                "levels",
                format!("needs 2..=256 levels, got {n}"),
            ));
        }
        if let Some(i) = spec.levels.iter().position(|l| l.abs() > MAX_LEVEL) {
            return Err(Error::new(
                format!("levels[{i}]"),
                format!(
                    "magnitude must be at most {MAX_LEVEL}, got {}",
                    spec.levels[i]
                ),
            ));
        }
        if let Some(i) = spec.levels.windows(2).position(|w| w[1] <= w[0]) {
            return Err(Error::new(
                "levels",
                format!(
                    "must be strictly increasing: levels[{}] = {} is not above levels[{i}] = {}",
                    i + 1,
                    spec.levels[i + 1],
                    spec.levels[i]
                ),
            ));
        }
        if spec.biases.len() != n - 1 {
            return Err(Error::new(
                "biases",
                format!(
                    "needs len(levels) − 1 = {} entries, got {}",
                    n - 1,
                    spec.biases.len()
                ),
            ));
        }
        all_finite("biases", &spec.biases)?;
        let biases: Vec<f32> = spec.biases.iter().map(|&b| b as f32).collect();
        if let Some(i) = biases.windows(2).position(|w| w[1] <= w[0]) {
            return Err(Error::new(
                "biases",
                format!(
                    "must be strictly increasing (in float32): biases[{}] = {} is not above biases[{i}] = {}",
                    i + 1,
                    spec.biases[i + 1],
                    spec.biases[i]
                ),
            ));
        }
        let alpha = positive("alpha", spec.alpha)? as f32;
        let beta = positive("beta", spec.beta)? as f32;
        if !alpha.is_normal() || !beta.is_normal() || biases.iter().any(|b| !b.is_finite()) {
            return Err(Error::new(
                "alpha/beta/biases",
                "must be representable as float32",
            ));
        }
        Ok(Qn {
            levels: spec.levels.clone(),
            biases,
            alpha,
            beta,
            offset: spec.offset,
            compare: spec.compare,
        })
    }

    fn span(&self) -> i64 {
        self.levels[self.levels.len() - 1] - self.levels[0]
    }

    /// Whether the integer levels are doubled (weights with an odd span).
    fn doubled(&self) -> bool {
        self.offset && self.span() % 2 != 0
    }
}

impl ScalarQuantizer for Qn {
    fn num_levels(&self) -> usize {
        self.levels.len()
    }

    fn index(&self, x: f64) -> usize {
        let u = fl(self.beta as f64 * x);
        self.biases
            .iter()
            .filter(|&&b| match self.compare {
                Compare::Gt => u > b as f64,
                Compare::Ge => u >= b as f64,
            })
            .count()
    }

    fn staircase(&self) -> Staircase {
        Staircase {
            gain: self.beta as f64,
            offset: 0.0,
            thresholds: self
                .biases
                .iter()
                .map(|&b| Threshold::new(b as f64, self.compare))
                .collect(),
        }
    }

    fn code(&self, i: usize) -> i32 {
        i as i32
    }

    fn value(&self, i: usize) -> f64 {
        let o = if self.offset {
            self.span() as f64 / 2.0
        } else {
            0.0
        };
        self.alpha as f64 * ((self.levels[i] - self.levels[0]) as f64 - o)
    }

    fn level(&self, i: usize) -> i64 {
        let d = self.levels[i] - self.levels[0];
        match (self.offset, self.doubled()) {
            (false, _) => d,
            (true, false) => d - self.span() / 2,
            (true, true) => 2 * d - self.span(),
        }
    }

    fn level_scale(&self) -> f64 {
        if self.doubled() {
            self.alpha as f64 / 2.0
        } else {
            self.alpha as f64
        }
    }
}
