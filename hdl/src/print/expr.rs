//! Expressions as SystemVerilog text: operators, parenthesized operands, literals.

use crate::ast::{BinOp, Expr, UnOp};

fn binop(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Mod => "%",
        BinOp::And => "&",
        BinOp::Or => "|",
        BinOp::Xor => "^",
        BinOp::LogAnd => "&&",
        BinOp::LogOr => "||",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Shl => "<<",
        BinOp::Shr => ">>",
        BinOp::Ashr => ">>>",
    }
}

/// An operand: compound expressions get parentheses, so precedence never has to be recalled.
pub(super) fn operand(e: &Expr) -> String {
    match e {
        Expr::Bin(..) | Expr::Cond(..) => format!("({})", expr(e)),
        _ => expr(e),
    }
}

/// The text of an expression.
pub fn expr(e: &Expr) -> String {
    match e {
        Expr::Id(n) => n.clone(),
        Expr::Lit { width, value, hex } => {
            if *hex {
                format!("{width}'h{value:x}")
            } else {
                format!("{width}'d{value}")
            }
        }
        Expr::Int(v) => v.to_string(),
        Expr::Zeros => "'0".into(),
        Expr::Ones => "'1".into(),
        Expr::Str(s) => format!("{s:?}"),
        Expr::Index(a, i) => format!("{}[{}]", operand(a), expr(i)),
        Expr::Slice(a, hi, lo) => format!("{}[{}:{}]", operand(a), expr(hi), expr(lo)),
        Expr::Part(a, base, w) => format!("{}[{} +: {}]", operand(a), expr(base), expr(w)),
        Expr::Bin(op, a, b) => format!("{} {} {}", operand(a), binop(*op), operand(b)),
        Expr::Un(op, a) => {
            let o = match op {
                UnOp::Not => "~",
                UnOp::LogNot => "!",
                UnOp::Neg => "-",
                UnOp::RedOr => "|",
                UnOp::RedAnd => "&",
            };
            format!("{o}{}", operand(a))
        }
        Expr::Cond(c, a, b) => format!("{} ? {} : {}", operand(c), operand(a), operand(b)),
        Expr::Concat(parts) => format!(
            "{{{}}}",
            parts.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        Expr::Repeat(n, x) => format!("{{{}{{{}}}}}", expr(n), expr(x)),
        Expr::Call(name, args) => format!(
            "{name}({})",
            args.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        Expr::Cast(w, x) => format!("{}'({})", operand(w), expr(x)),
    }
}
