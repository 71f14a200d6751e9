//! Accumulator width: the smallest two's-complement width that can never overflow for a
//! dot product of length `K` over given integer level ranges.
//!
//! Each product `w·a` lies in `[p_lo, p_hi]`, the extremes of the four corner products of the
//! weight range `[w_lo, w_hi]` and activation range `[a_lo, a_hi]` (a bilinear function takes
//! its extremes at corners). A sum of K products lies in `[K·p_lo, K·p_hi]`, and both ends are
//! reached (every term at the same corner), so the bound is tight: the width is exactly
//! enough for the all-max (or all-min) inputs and one bit less overflows on them.

use crate::error::{Error, Result};
use crate::scalar::ScalarQuantizer;

/// An inclusive range of integer levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelRange {
    /// Smallest level.
    pub lo: i64,
    /// Largest level.
    pub hi: i64,
}

impl LevelRange {
    /// `[lo, hi]`; panics if `lo > hi` (a programming error, not an input error).
    pub fn new(lo: i64, hi: i64) -> Self {
        assert!(lo <= hi, "empty level range [{lo}, {hi}]");
        LevelRange { lo, hi }
    }
    /// Unsigned n-bit codes `0 ..= 2^n − 1`.
    pub fn unsigned(bits: u32) -> Self {
        LevelRange::new(0, (1i64 << bits) - 1)
    }
    /// Two's-complement n-bit codes `−2^(n−1) ..= 2^(n−1) − 1`.
    pub fn signed(bits: u32) -> Self {
        LevelRange::new(-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
    }
    /// N2UQ odd weight levels `2·code − L`, i.e. `−L ..= L`.
    pub fn odd(bits: u32) -> Self {
        let l = (1i64 << bits) - 1;
        LevelRange::new(-l, l)
    }
    /// The range of a quantizer's integer levels.
    pub fn of(q: &dyn ScalarQuantizer) -> Self {
        let (lo, hi) = q.level_range();
        LevelRange::new(lo, hi)
    }
    /// The smallest range holding both.
    pub fn union(self, other: LevelRange) -> Self {
        LevelRange::new(self.lo.min(other.lo), self.hi.max(other.hi))
    }
}

/// The exact range of a K-term dot product and the width that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccBound {
    /// Dot-product length.
    pub k: u64,
    /// Smallest reachable accumulator value.
    pub lo: i128,
    /// Largest reachable accumulator value.
    pub hi: i128,
}

/// Largest accumulator width qforge generates.
pub const MAX_ACC_WIDTH: u32 = 64;

impl AccBound {
    /// The bound for `k` products of a weight in `w` and an activation in `a`.
    pub fn new(k: u64, w: LevelRange, a: LevelRange) -> Result<Self> {
        if k == 0 {
            return Err(Error::new("K", "dot-product length must be at least 1"));
        }
        let corners = [
            w.lo as i128 * a.lo as i128,
            w.lo as i128 * a.hi as i128,
            w.hi as i128 * a.lo as i128,
            w.hi as i128 * a.hi as i128,
        ];
        let p_lo = *corners.iter().min().unwrap();
        let p_hi = *corners.iter().max().unwrap();
        let bound = AccBound {
            k,
            lo: p_lo * k as i128,
            hi: p_hi * k as i128,
        };
        if bound.threshold_width() > MAX_ACC_WIDTH {
            return Err(Error::new(
                "K",
                format!(
                    "K = {k} with levels [{}, {}] x [{}, {}] needs a {}-bit accumulator, above {MAX_ACC_WIDTH}",
                    w.lo, w.hi, a.lo, a.hi, bound.width()
                ),
            ));
        }
        Ok(bound)
    }

    /// Smallest two's-complement width holding `[lo, hi]`.
    pub fn width(&self) -> u32 {
        signed_bits(self.lo).max(signed_bits(self.hi))
    }

    /// Width of a threshold compared against this accumulator: thresholds saturate to
    /// `[lo − 1, hi + 1]` (never-pass and always-pass in both directions).
    pub fn threshold_width(&self) -> u32 {
        signed_bits(self.lo - 1).max(signed_bits(self.hi + 1))
    }

    /// Whether `acc` is within the bound.
    pub fn contains(&self, acc: i128) -> bool {
        (self.lo..=self.hi).contains(&acc)
    }
}

/// Smallest `w >= 1` with `−2^(w−1) <= v <= 2^(w−1) − 1`.
pub fn signed_bits(v: i128) -> u32 {
    let mag = if v < 0 { !v } else { v };
    128 - mag.leading_zeros() + 1
}

/// Whether `v` fits a `width`-bit two's-complement register.
pub fn fits(v: i128, width: u32) -> bool {
    signed_bits(v) <= width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_bits_edges() {
        for (v, w) in [
            (0, 1),
            (-1, 1),
            (1, 2),
            (-2, 2),
            (2, 3),
            (3, 3),
            (-4, 3),
            (4, 4),
            (127, 8),
            (-128, 8),
            (128, 9),
        ] {
            assert_eq!(signed_bits(v), w, "v = {v}");
        }
    }

    #[test]
    fn hand_computed_widths() {
        // W2A2 N2UQ: weights in [-3, 3], activations [0, 3], K = 2304 -> [-20736, 20736] -> 16 bits.
        let b = AccBound::new(2304, LevelRange::odd(2), LevelRange::unsigned(2)).unwrap();
        assert_eq!((b.lo, b.hi, b.width()), (-20736, 20736, 16));
        // Binary x binary, K = 64: [-64, 64] -> 8 bits (64 needs 8 bits signed).
        let b = AccBound::new(64, LevelRange::new(-1, 1), LevelRange::new(-1, 1)).unwrap();
        assert_eq!(b.width(), 8);
        // Signed 4-bit x signed 4-bit: (-8)(-8) = 64 is the max product, K = 1 -> [-56, 64].
        let b = AccBound::new(1, LevelRange::signed(4), LevelRange::signed(4)).unwrap();
        assert_eq!((b.lo, b.hi, b.width()), (-56, 64, 8));
        // Unsigned 1-bit x unsigned 1-bit, K = 1: [0, 1] -> 2 bits signed.
        let b = AccBound::new(1, LevelRange::unsigned(1), LevelRange::unsigned(1)).unwrap();
        assert_eq!(b.width(), 2);
        assert!(AccBound::new(0, LevelRange::unsigned(1), LevelRange::unsigned(1)).is_err());
        assert!(AccBound::new(u64::MAX, LevelRange::signed(8), LevelRange::signed(8)).is_err());
    }
}
