//! A small typed AST for the SystemVerilog qforge emits: modules with documented parameters
//! and grouped ports, declarations, continuous assignments, `always_ff` / `always_comb`
//! processes, instances, labelled generate loops and simulation-only checks.
//!
//! It covers only what the generators need, so that every construct prints one readable way
//! (see [`crate::print`]). Widths are expressions, so generated RTL stays parameterized.

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A signal, parameter or genvar name.
    Id(String),
    /// A sized literal `W'dV` (`W'hV` when `hex`); `value` must fit `width`.
    Lit { width: u32, value: u128, hex: bool },
    /// An unsized integer (for parameter values, loop bounds, shift amounts).
    Int(i64),
    /// All zeros of the context's width, `'0`.
    Zeros,
    /// All ones of the context's width, `'1`.
    Ones,
    /// A string literal.
    Str(String),
    /// `e[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `e[hi:lo]`.
    Slice(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `e[base +: width]`.
    Part(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// A unary operation.
    Un(UnOp, Box<Expr>),
    /// `c ? a : b`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `{a, b, ...}`.
    Concat(Vec<Expr>),
    /// `{n{e}}`.
    Repeat(Box<Expr>, Box<Expr>),
    /// A system function or function call, `$clog2(x)`, `$signed(x)`.
    Call(String, Vec<Expr>),
    /// A size cast, `W'(e)`.
    Cast(Box<Expr>, Box<Expr>),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
    LogAnd,
    LogOr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
    /// Arithmetic shift right `>>>`.
    Ashr,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    LogNot,
    Neg,
    /// Reduction OR `|e`.
    RedOr,
    /// Reduction AND `&e`.
    RedAnd,
}

/// Build expressions tersely.
pub mod e {
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
}

/// A module parameter (`parameter int NAME = default`) or derived `localparam`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// `UPPER_SNAKE` name.
    pub name: String,
    /// Default value (or value, for a localparam).
    pub value: Expr,
    /// One-line description printed above it.
    pub doc: String,
    /// `None`: an `int`; `Some(w)`: a `logic [w-1:0]` (for constants compared with signals).
    pub width: Option<u32>,
}

/// Port direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `input wire`.
    In,
    /// `output wire` (or `output logic` when driven by a process).
    Out,
}

/// A port.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    /// Direction.
    pub dir: Dir,
    /// Name.
    pub name: String,
    /// Width expression; `None` is a scalar.
    pub width: Option<Expr>,
    /// Signed.
    pub signed: bool,
    /// Short comment after the port.
    pub doc: String,
}

impl Port {
    /// An unsigned port of `width` bits (`None`: a scalar).
    pub fn new(dir: Dir, name: &str, width: Option<u32>, doc: &str) -> Port {
        Port {
            dir,
            name: name.into(),
            width: width.map(|w| Expr::Int(w as i64)),
            signed: false,
            doc: doc.into(),
        }
    }
}

/// Ports that belong together (an interface), printed under one comment.
#[derive(Debug, Clone, PartialEq)]
pub struct PortGroup {
    /// Heading comment, e.g. `Weights (AXI4-Stream)`.
    pub doc: String,
    /// The ports.
    pub ports: Vec<Port>,
}

/// A variable declaration, `logic [W-1:0] name [DEPTH];`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decl {
    /// Name.
    pub name: String,
    /// Width; `None` is a scalar.
    pub width: Option<Expr>,
    /// Signed.
    pub signed: bool,
    /// Unpacked array depth, if any.
    pub depth: Option<Expr>,
    /// Comment printed above it.
    pub doc: String,
}

/// A procedural statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `lhs <= rhs` in `always_ff`, `lhs = rhs` elsewhere.
    Assign(Expr, Expr),
    /// `if (c) begin ... end else begin ... end`.
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `for (int i = from; i < to; i++) begin ... end`.
    For(String, Expr, Expr, Vec<Stmt>),
    /// `$fatal(1, fmt, args...)`.
    Fatal(String, Vec<Expr>),
    /// A comment line.
    Comment(String),
}

/// A module item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A blank line and comment.
    Comment(String),
    /// A derived constant.
    LocalParam(Param),
    /// A variable.
    Decl(Decl),
    /// `typedef enum logic [width-1:0] { NAME = code, ... } name;` (a state type).
    Enum {
        /// The type's name.
        name: String,
        /// Bits of the encoding.
        width: u32,
        /// Member names and codes, in order.
        members: Vec<(String, u128)>,
        /// Comment printed above it.
        doc: String,
    },
    /// A variable of a named type (`state_t state_q;`).
    TypedVar {
        /// The type's name.
        ty: String,
        /// The variable's name.
        name: String,
        /// Comment printed above it.
        doc: String,
    },
    /// `assign lhs = rhs;`.
    Assign(Expr, Expr),
    /// `always_ff @(posedge clk) begin ... end`.
    AlwaysFf(String, Vec<Stmt>),
    /// `always_comb begin ... end`.
    AlwaysComb(Vec<Stmt>),
    /// A submodule instance.
    Instance(Instance),
    /// `for (genvar v = 0; v < count; v++) begin : label ... end`.
    Generate {
        label: String,
        var: String,
        count: Expr,
        items: Vec<Item>,
    },
    /// Simulation-only `always_ff` checks, inside `` `ifndef SYNTHESIS ``.
    SimCheck(String, Vec<Stmt>),
}

/// A submodule instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Module name.
    pub module: String,
    /// Instance name (`u_` prefix).
    pub name: String,
    /// Parameter overrides.
    pub params: Vec<(String, Expr)>,
    /// Port connections.
    pub ports: Vec<(String, Expr)>,
}

/// A module.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// Name, same as its file's.
    pub name: String,
    /// Description lines printed above the module.
    pub doc: Vec<String>,
    /// Parameters.
    pub params: Vec<Param>,
    /// Ports by interface.
    pub ports: Vec<PortGroup>,
    /// Body.
    pub items: Vec<Item>,
}

impl Module {
    /// Every port name, for checks.
    pub fn port_names(&self) -> impl Iterator<Item = &str> {
        self.ports
            .iter()
            .flat_map(|g| g.ports.iter().map(|p| p.name.as_str()))
    }
}

impl Module {
    /// Every submodule instance, inside generate loops too, for passes that rewrite them.
    pub fn instances_mut(&mut self) -> Vec<&mut Instance> {
        fn walk<'a>(items: &'a mut [Item], out: &mut Vec<&'a mut Instance>) {
            for it in items {
                match it {
                    Item::Instance(inst) => out.push(inst),
                    Item::Generate { items, .. } => walk(items, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&mut self.items, &mut out);
        out
    }
}
