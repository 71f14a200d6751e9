//! Terse constructors of [`Expr`]s (`e::id`, `e::lit`, `e::add`, …), for the generators.

use super::{BinOp, Expr, UnOp};

/// A name.
pub fn id(name: impl Into<String>) -> Expr {
    Expr::Id(name.into())
}
/// A sized decimal literal.
pub fn lit(width: u32, value: u128) -> Expr {
    assert!(
        width >= 128 || value < (1u128 << width),
        "{value} does not fit {width} bits"
    );
    Expr::Lit {
        width,
        value,
        hex: false,
    }
}
/// A sized hexadecimal literal.
pub fn hex(width: u32, value: u128) -> Expr {
    assert!(
        width >= 128 || value < (1u128 << width),
        "{value} does not fit {width} bits"
    );
    Expr::Lit {
        width,
        value,
        hex: true,
    }
}
/// A one-bit literal.
pub fn bit(v: bool) -> Expr {
    lit(1, v as u128)
}
/// An unsized integer.
pub fn int(v: i64) -> Expr {
    Expr::Int(v)
}
/// `a op b`.
pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Bin(op, Box::new(a), Box::new(b))
}
/// `a + b`.
pub fn add(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Add, a, b)
}
/// `a - b`.
pub fn sub(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Sub, a, b)
}
/// `a * b`.
pub fn mul(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Mul, a, b)
}
/// `a & b`.
pub fn and(a: Expr, b: Expr) -> Expr {
    bin(BinOp::And, a, b)
}
/// `a && b`.
pub fn land(a: Expr, b: Expr) -> Expr {
    bin(BinOp::LogAnd, a, b)
}
/// `a || b`.
pub fn lor(a: Expr, b: Expr) -> Expr {
    bin(BinOp::LogOr, a, b)
}
/// `a == b`.
pub fn eq(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Eq, a, b)
}
/// `a != b`.
pub fn ne(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Ne, a, b)
}
/// `a << b`.
pub fn shl(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Shl, a, b)
}
/// `!a`.
pub fn not(a: Expr) -> Expr {
    Expr::Un(UnOp::LogNot, Box::new(a))
}
/// `-a`.
pub fn neg(a: Expr) -> Expr {
    Expr::Un(UnOp::Neg, Box::new(a))
}
/// `c ? a : b`.
pub fn cond(c: Expr, a: Expr, b: Expr) -> Expr {
    Expr::Cond(Box::new(c), Box::new(a), Box::new(b))
}
/// `e[i]`.
pub fn index(e: Expr, i: Expr) -> Expr {
    Expr::Index(Box::new(e), Box::new(i))
}
/// `e[hi:lo]`.
pub fn slice(e: Expr, hi: Expr, lo: Expr) -> Expr {
    Expr::Slice(Box::new(e), Box::new(hi), Box::new(lo))
}
/// `e[base +: width]`.
pub fn part(e: Expr, base: Expr, width: Expr) -> Expr {
    Expr::Part(Box::new(e), Box::new(base), Box::new(width))
}
/// `{...}`.
pub fn concat(parts: Vec<Expr>) -> Expr {
    Expr::Concat(parts)
}
/// `{n{e}}`.
pub fn repeat(n: Expr, e: Expr) -> Expr {
    Expr::Repeat(Box::new(n), Box::new(e))
}
/// `name(args)`.
pub fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(name.to_string(), args)
}
/// `$signed(e)`.
pub fn signed(e: Expr) -> Expr {
    call("$signed", vec![e])
}
/// `$unsigned(e)`.
pub fn unsigned(e: Expr) -> Expr {
    call("$unsigned", vec![e])
}
/// `W'(e)`.
pub fn cast(width: Expr, e: Expr) -> Expr {
    Expr::Cast(Box::new(width), Box::new(e))
}
/// `w - 1`, folded when `w` is a literal.
pub fn minus1(w: Expr) -> Expr {
    match w {
        Expr::Int(v) => Expr::Int(v - 1),
        w => sub(w, int(1)),
    }
}

/// Field `i` of a word of fields `width` wide, both names (a genvar and a localparam):
/// `v[i * width +: width]`.
pub fn field(v: Expr, i: &str, width: &str) -> Expr {
    let w = id(width);
    part(v, mul(id(i), w.clone()), w)
}
