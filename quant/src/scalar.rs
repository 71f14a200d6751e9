//! The interface every prepared quantizer offers: the published computation (`index`), the
//! same function as a staircase of sorted thresholds, and the map from index to spec-file
//! code, float value and integer hardware level.
//!
//! An *index* is the staircase position `0..num_levels()`. A *code* is what `qforge quantize`
//! writes (the spec's convention per method: `0..L`, `sign·j`, `−1/0/1`, …). A *level* is the
//! integer the hardware multiplies; `level_scale() · level(i)` is the real value it stands
//! for. That equals `value(i)` exactly for every method except LCQ, whose hardware levels are
//! its outer-bit-width re-quantization of the float levels, and multithreshold, where it
//! equals `out_bias + out_scale·i` up to float64 rounding (see `multithreshold`).

use crate::staircase::Staircase;

/// A quantizer with all its parameters (and any tensor statistics) fixed.
pub trait ScalarQuantizer {
    /// Number of output levels (the staircase has one threshold fewer).
    fn num_levels(&self) -> usize;

    /// The index of input `x`, computed the way the published code computes it.
    fn index(&self, x: f64) -> usize;

    /// The same function as sorted thresholds. Agrees with [`ScalarQuantizer::index`] on
    /// every input not within float rounding distance of a threshold.
    fn staircase(&self) -> Staircase;

    /// The spec-file code of index `i`.
    fn code(&self, i: usize) -> i32;

    /// The float value (the dequantized output) of index `i`.
    fn value(&self, i: usize) -> f64;

    /// The integer level hardware uses for index `i`.
    fn level(&self, i: usize) -> i64;

    /// The real value of one integer level step: the hardware represents
    /// `level_scale() · level(i)`.
    fn level_scale(&self) -> f64;

    /// The index whose spec-file code is `code`, if any.
    fn index_of_code(&self, code: i32) -> Option<usize> {
        (0..self.num_levels()).find(|&i| self.code(i) == code)
    }

    /// The integer level for spec-file code `code`, if it is a valid code.
    fn level_of_code(&self, code: i32) -> Option<i64> {
        self.index_of_code(code).map(|i| self.level(i))
    }

    /// The code of input `x`.
    fn code_of(&self, x: f64) -> i32 {
        self.code(self.index(x))
    }

    /// The quantized float value of input `x`.
    fn quantize(&self, x: f64) -> f64 {
        self.value(self.index(x))
    }

    /// Smallest and largest integer level.
    fn level_range(&self) -> (i64, i64) {
        let levels = (0..self.num_levels()).map(|i| self.level(i));
        let lo = levels.clone().min().unwrap_or(0);
        let hi = levels.max().unwrap_or(0);
        (lo, hi)
    }
}
