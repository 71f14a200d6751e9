//! Layers whose engine is fed the input quantizer's *index* instead of its level (binary ±1
//! inputs: levels `−1 + 2·index`, which no unsigned code holds): which inputs qualify, the
//! levels the engine then multiplies, and the per-channel constant that turns the engine's
//! accumulator back into the layer's true one (folded into thresholds by `encode`, applied by
//! the host to raw accumulators in `crate::exec`).

use quant::scalar::ScalarQuantizer;
use quant::spec::QuantSpec;

use super::{levels, Layer, Pre};

/// The constant correction of a layer whose engine multiplies activation *indices*: the
/// input quantizer's level of index `b` is `base + mul·b` (binary: `−1 + 2·b`), so for output
/// channel `c` the true accumulator `Σ_k w_k·a_k` is `mul·acc_e + base·sum_w[c]`, `acc_e`
/// being the engine's accumulator `Σ_k w_k·b_k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActOffset {
    /// Level step per index (`> 0`; 2 for binary).
    pub mul: i64,
    /// Level of index 0 (−1 for binary).
    pub base: i64,
    /// Per output channel (all groups, `c = g·M + row`): the sum of that channel's weight
    /// levels over its K inputs (a grouped conv: over its group's row).
    pub sum_w: Vec<i64>,
}

impl ActOffset {
    /// The true accumulator of output channel `c` for engine accumulator `acc_e`.
    pub fn true_acc(&self, c: usize, acc_e: i64) -> i64 {
        self.mul * acc_e + self.base * self.sum_w[c]
    }
}

impl Layer {
    /// The true accumulator `Σ_k w_k·a_k` (integer levels) of output channel `c` (all groups)
    /// for an accumulator `acc_e` the engine returned.
    pub fn true_acc(&self, c: usize, acc_e: i64) -> i64 {
        self.act_offset
            .as_ref()
            .map_or(acc_e, |o| o.true_acc(c, acc_e))
    }
}

impl Pre {
    /// The activation levels the engine multiplies, by input index: the indices themselves
    /// when it is fed indices, else the input quantizer's levels.
    pub(super) fn engine_levels(&self, q: &dyn ScalarQuantizer) -> Vec<i64> {
        match self.act_form {
            Some(_) => (0..q.num_levels() as i64).collect(),
            None => levels(q),
        }
    }
}

/// `(base, mul)` when a layer reading quantizer `q` (spec `spec`) feeds the engine the input
/// *index* `b` instead of its level `base + mul·b`: binary inputs, whose levels ±1 have no
/// unsigned code (and signed codes would waste a bit on a level never used). The layer's
/// [`ActOffset`] then restores the true accumulator.
pub(super) fn act_form(spec: &QuantSpec, q: &dyn ScalarQuantizer) -> Option<(i64, i64)> {
    if !matches!(spec, QuantSpec::Binary(_)) || q.num_levels() < 2 {
        return None;
    }
    let base = q.level(0);
    let mul = q.level(1) - base;
    let affine = (0..q.num_levels()).all(|i| q.level(i) == base + mul * i as i64);
    (mul > 0 && affine).then_some((base, mul))
}
