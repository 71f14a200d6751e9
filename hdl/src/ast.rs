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
pub mod e;

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
