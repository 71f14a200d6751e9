//! An engine's integer semantics (part of [`crate::params::EngineParams`]): the level each
//! weight and activation code stands for, the term a compute step adds, and the exact range
//! of an element and of the dot product, from which the accumulator width follows.

use quant::accum::{AccBound, LevelRange};

use crate::params::{sign_extend, sign_mag, ActEnc, EngineParams, Kind, WeightEnc};

impl EngineParams {
    /// Integer range of a weight level.
    pub fn w_range(&self) -> LevelRange {
        match self.w_enc {
            WeightEnc::Unsigned => LevelRange::unsigned(self.w_bits),
            WeightEnc::Signed => LevelRange::signed(self.w_bits),
            WeightEnc::Offset => LevelRange::odd(self.w_bits),
            WeightEnc::SignMag => match self.kind {
                // A weight "level" on the LUT engine is a signed product bound (the activation
                // side is then 0..=1): the accumulator sums at most `max_k` such terms.
                Kind::Lut { prod_bits } => {
                    let m = (1i64 << prod_bits) - 1;
                    LevelRange::new(-m, m)
                }
                Kind::BitSerial => {
                    let m = (1i64 << (self.w_bits - 1)) - 1;
                    LevelRange::new(-m, m)
                }
            },
        }
    }

    /// Integer range of an activation level.
    pub fn a_range(&self) -> LevelRange {
        if self.is_lut() {
            return LevelRange::new(0, 1);
        }
        match self.a_enc {
            ActEnc::Unsigned => LevelRange::unsigned(self.a_bits),
            ActEnc::Signed => LevelRange::signed(self.a_bits),
        }
    }

    /// The weight level of code bits `code`.
    pub fn w_level(&self, code: u32) -> i64 {
        let l = (1i64 << self.w_bits) - 1;
        match self.w_enc {
            WeightEnc::Unsigned => code as i64,
            WeightEnc::Signed => sign_extend(code as i64, self.w_bits),
            WeightEnc::Offset => 2 * code as i64 - l,
            WeightEnc::SignMag => {
                let (negative, mag) = sign_mag(code, self.w_bits);
                if negative {
                    -(mag as i64)
                } else {
                    mag as i64
                }
            }
        }
    }

    /// The activation level of code bits `code`.
    pub fn a_level(&self, code: u32) -> i64 {
        match self.a_enc {
            ActEnc::Unsigned => code as i64,
            ActEnc::Signed => sign_extend(code as i64, self.a_bits),
        }
    }

    /// Code bits of weight level `level`, if representable.
    pub fn w_code(&self, level: i64) -> Option<u32> {
        (0..1u32 << self.w_bits).find(|&c| self.w_level(c) == level)
    }

    /// Code bits of activation level `level`, if representable.
    pub fn a_code(&self, level: i64) -> Option<u32> {
        (0..1u32 << self.a_bits).find(|&c| self.a_level(c) == level)
    }

    /// Whether step `(i, j)` (activation plane i, weight plane j) is negated.
    pub fn negate(&self, i: u32, j: u32) -> bool {
        let a_neg = self.a_enc == ActEnc::Signed && i == self.a_bits - 1;
        let w_neg = self.w_enc == WeightEnc::Signed && j == self.w_bits - 1;
        a_neg != w_neg
    }

    /// The term step `(i, j)` adds for one element (activation code `a`, weight code `w`).
    pub fn step_term(&self, a: u32, w: u32, i: u32, j: u32) -> i64 {
        let ai = ((a >> i) & 1) as i64;
        let wj = ((w >> j) & 1) as i64;
        let t = match self.w_enc {
            WeightEnc::Offset => 2 * ai * wj - ai,
            _ => ai * wj,
        } << (i + j);
        if self.negate(i, j) {
            -t
        } else {
            t
        }
    }

    /// Range of one element's contribution to the accumulator at any point of the schedule
    /// (0, a full product, or a prefix of its steps in `(i, j)` order), found exhaustively.
    ///
    /// The search visits `2^(a_bits + w_bits)` code pairs (65,536 at 8/8, each with 64 steps),
    /// and widths derived from it are asked for per output beat, so results are memoized per
    /// `(w_enc, a_enc, w_bits, a_bits)`: the only fields the range depends on.
    pub fn element_range(&self) -> (i64, i64) {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        type Key = (WeightEnc, ActEnc, u32, u32);
        static CACHE: OnceLock<Mutex<HashMap<Key, (i64, i64)>>> = OnceLock::new();
        let key = (self.w_enc, self.a_enc, self.w_bits, self.a_bits);
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(&r) = cache.lock().expect("not poisoned").get(&key) {
            return r;
        }
        let r = self.element_range_search();
        cache.lock().expect("not poisoned").insert(key, r);
        r
    }

    /// [`Self::element_range`] without the memo: the exhaustive search.
    fn element_range_search(&self) -> (i64, i64) {
        let (mut lo, mut hi) = (0i64, 0i64);
        for a in 0..1u32 << self.a_bits {
            for w in 0..1u32 << self.w_bits {
                let mut s = 0;
                for i in 0..self.a_bits {
                    for j in 0..self.w_bits {
                        s += self.step_term(a, w, i, j);
                        lo = lo.min(s);
                        hi = hi.max(s);
                    }
                }
                debug_assert_eq!(
                    s,
                    self.a_level(a) * self.w_level(w),
                    "planes must sum to the product"
                );
            }
        }
        (lo, hi)
    }

    /// The final dot product's exact range at `max_k` (the foundation's bound).
    pub fn acc_bound(&self) -> AccBound {
        AccBound::new(self.max_k as u64, self.w_range(), self.a_range()).expect("validated")
    }
}

#[cfg(test)]
mod tests {
    use crate::params::*;

    fn p(w_enc: WeightEnc, a_enc: ActEnc, wb: u32, ab: u32) -> EngineParams {
        EngineParams {
            kind: Kind::BitSerial,
            dm: 4,
            dn: 4,
            dk: 64,
            w_bits: wb,
            a_bits: ab,
            out_bits: 2,
            w_enc,
            a_enc,
            max_m: 256,
            max_k: 2304,
            max_n: 196,
            target: Target::Generic,
        }
    }

    #[test]
    fn planes_sum_to_levels_for_every_encoding() {
        for (we, ae, wb, ab) in [
            (WeightEnc::Offset, ActEnc::Unsigned, 2, 2),
            (WeightEnc::Signed, ActEnc::Signed, 3, 4),
            (WeightEnc::Unsigned, ActEnc::Signed, 1, 2),
            (WeightEnc::Offset, ActEnc::Signed, 1, 3),
        ] {
            let q = p(we, ae, wb, ab);
            q.element_range(); // asserts every product in debug builds
            for a in 0..1 << ab {
                for w in 0..1 << wb {
                    let sum: i64 = (0..ab)
                        .flat_map(|i| (0..wb).map(move |j| (i, j)))
                        .map(|(i, j)| q.step_term(a, w, i, j))
                        .sum();
                    assert_eq!(sum, q.a_level(a) * q.w_level(w));
                }
            }
        }
    }

    #[test]
    fn widths_of_the_default_design() {
        // N2UQ W2A2, K = 2304: final [-20736, 20736] -> 16 bits, and offset planes with
        // unsigned activations never leave the product range mid-sum.
        let q = p(WeightEnc::Offset, ActEnc::Unsigned, 2, 2);
        assert_eq!(q.element_range(), (-9, 9));
        assert_eq!((q.acc_width(), q.thr_width()), (16, 16));
        // Signed x signed 2-bit: products lie in [-2, 4], but after steps (0,0), (0,1), (1,0) the
        // prefix a0·w − 2·a1·w0 reaches −3 (a = −1, w = −1): partial sums leave the final range.
        let s = p(WeightEnc::Signed, ActEnc::Signed, 2, 2);
        assert_eq!(s.element_range(), (-3, 4));
        // K = 2304: [-6912, 9216] needs 15 bits either way here.
        assert_eq!((s.acc_width(), s.acc_bound().width()), (15, 15));
        let h = q.header(256, 196, 36, false);
        assert_eq!(h & 0x1ff, 256);
        // M 9 bits, N 8, KC 6: RAW at bit 23.
        assert_eq!(q.raw_bit(), 23);
        assert_eq!(q.header(256, 196, 36, true), h | 1 << 23);
        assert_eq!(q.header_width(), 24);
        // 4 accumulators of 16 bits.
        assert_eq!(q.out_stream_width(), 64);
        let f = [-20736, 20736, -1, 0];
        assert_eq!(q.out_fields(&q.out_words(&f, true), true), f);
        assert_eq!(
            q.out_fields(&q.out_words(&[3, 0, 1, 2], false), false),
            [3, 0, 1, 2]
        );
    }
}
