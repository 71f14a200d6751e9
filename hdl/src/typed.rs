//! Width-tracked expressions for generators: every value carries its bit width, and
//! arithmetic widens operands explicitly, so emitted RTL has no implicit extension or
//! truncation (Verilator `-Wall` WIDTH warnings) by construction.

use crate::ast::{e, BinOp, Expr};
use crate::popcount::ubits;

/// An unsigned expression of known width.
#[derive(Debug, Clone, PartialEq)]
pub struct V {
    /// The expression.
    pub e: Expr,
    /// Its width in bits.
    pub w: u32,
}

/// A named signal of width `w`.
pub fn sig(name: &str, w: u32) -> V {
    V { e: e::id(name), w }
}

/// A constant, in the fewest bits that hold it.
pub fn k(v: u64) -> V {
    let w = ubits(v);
    V {
        e: e::lit(w, v as u128),
        w,
    }
}

/// A constant of width `w`.
pub fn kw(v: u64, w: u32) -> V {
    V {
        e: e::lit(w, v as u128),
        w,
    }
}

impl V {
    /// Zero-extend to `w` bits (`w >= self.w`); a constant is folded into a `w`-bit literal.
    pub fn ext(&self, w: u32) -> V {
        assert!(w >= self.w, "cannot extend {} bits to {w}", self.w);
        if w == self.w {
            self.clone()
        } else if let Expr::Lit { value, hex, .. } = self.e {
            V {
                e: Expr::Lit {
                    width: w,
                    value,
                    hex,
                },
                w,
            }
        } else {
            V {
                e: e::concat(vec![e::lit(w - self.w, 0), self.e.clone()]),
                w,
            }
        }
    }

    fn pair(a: &V, b: &V) -> (Expr, Expr, u32) {
        let w = a.w.max(b.w);
        (a.ext(w).e, b.ext(w).e, w)
    }

    /// `a + b`, one bit wider than the wider operand (never overflows).
    pub fn add(&self, b: &V) -> V {
        let w = self.w.max(b.w) + 1;
        V {
            e: e::add(self.ext(w).e, b.ext(w).e),
            w,
        }
    }

    /// `a + b` in exactly `w` bits (the caller knows it fits).
    pub fn add_in(&self, b: &V, w: u32) -> V {
        V {
            e: e::add(self.ext(w).e, b.ext(w).e),
            w,
        }
    }

    /// `a − b` in the wider operand's width (the caller knows `a >= b`).
    pub fn sub(&self, b: &V) -> V {
        let (x, y, w) = Self::pair(self, b);
        V { e: e::sub(x, y), w }
    }

    /// `a + 1` in `a`'s own width.
    pub fn inc(&self) -> V {
        V {
            e: e::add(self.e.clone(), e::lit(self.w, 1)),
            w: self.w,
        }
    }

    /// `a · c` for a constant `c`, widened to hold the product.
    pub fn mul_k(&self, c: u64) -> V {
        let w = self.w + ubits(c);
        V {
            e: e::mul(self.ext(w).e, e::lit(w, c as u128)),
            w,
        }
    }

    fn cmp(&self, op: BinOp, b: &V) -> V {
        let (x, y, _) = Self::pair(self, b);
        V {
            e: e::bin(op, x, y),
            w: 1,
        }
    }

    /// `a == b`.
    pub fn eq(&self, b: &V) -> V {
        self.cmp(BinOp::Eq, b)
    }
    /// `a != b`.
    pub fn ne(&self, b: &V) -> V {
        self.cmp(BinOp::Ne, b)
    }
    /// `a < b`.
    pub fn lt(&self, b: &V) -> V {
        self.cmp(BinOp::Lt, b)
    }
    /// `a <= b`.
    pub fn le(&self, b: &V) -> V {
        self.cmp(BinOp::Le, b)
    }
    /// `a >= b`.
    pub fn ge(&self, b: &V) -> V {
        self.cmp(BinOp::Ge, b)
    }

    /// `c ? a : b` (same width).
    pub fn mux(c: &V, a: &V, b: &V) -> V {
        let (x, y, w) = Self::pair(a, b);
        V {
            e: e::cond(c.e.clone(), x, y),
            w,
        }
    }

    /// `a && b`.
    pub fn and(&self, b: &V) -> V {
        V {
            e: e::land(self.e.clone(), b.e.clone()),
            w: 1,
        }
    }

    /// `a || b`.
    pub fn or(&self, b: &V) -> V {
        V {
            e: e::lor(self.e.clone(), b.e.clone()),
            w: 1,
        }
    }

    /// `!a`.
    pub fn not(&self) -> V {
        V {
            e: e::not(self.e.clone()),
            w: 1,
        }
    }
}
