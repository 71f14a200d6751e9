//! Helpers the engine's block generators share to build a module body: declarations with
//! their widths, assignments checked for equal widths, and the simulation-only range checks
//! (`trunc`, `index`) a block collects and emits as one `SimCheck`.

use crate::ast::{e, Decl, Dir, Item, Param, Port, PortGroup, Stmt};
use crate::popcount::ubits;
use crate::typed::{k, kw, sig, V};

/// A module body under construction.
#[derive(Default)]
pub struct B {
    /// The body's items, in order.
    pub items: Vec<Item>,
    /// Simulation-only range checks: (when, value, limit, message).
    pub checks: Vec<(V, V, u64, String)>,
}

impl B {
    /// Declare a `w`-bit variable.
    pub fn decl(&mut self, name: &str, w: u32, doc: &str) -> V {
        self.items.push(Item::Decl(Decl {
            name: name.into(),
            width: Some(e::int(w as i64)),
            signed: false,
            depth: None,
            doc: doc.into(),
        }));
        sig(name, w)
    }
    /// Declare a variable and drive it with `v`.
    pub fn wire(&mut self, name: &str, v: V, doc: &str) -> V {
        let s = self.decl(name, v.w, doc);
        self.items.push(Item::Assign(s.e.clone(), v.e));
        s
    }
    /// Declare a memory of `depth` words of `w` bits.
    pub fn mem(&mut self, name: &str, w: u32, depth: u32, doc: &str) {
        self.items.push(Item::Decl(Decl {
            name: name.into(),
            width: Some(e::int(w as i64)),
            signed: false,
            depth: Some(e::int(depth as i64)),
            doc: doc.into(),
        }));
    }
    /// A section comment.
    pub fn comment(&mut self, text: &str) {
        self.items.push(Item::Comment(text.into()));
    }
    /// `assign port = v;` for an output port.
    pub fn drive(&mut self, port: &str, v: &V) {
        self.items.push(Item::Assign(e::id(port), v.e.clone()));
    }
    /// The collected range checks as `$fatal` statements (none while `rst` is high).
    pub fn take_checks(&mut self) -> Vec<Stmt> {
        std::mem::take(&mut self.checks)
            .into_iter()
            .map(|(when, v, limit, msg)| {
                let cond = e::land(e::land(e::not(e::id("rst")), when.e), v.ge(&k(limit)).e);
                Stmt::If(cond, vec![Stmt::Fatal(msg, vec![])], vec![])
            })
            .collect()
    }
}

/// `l = r` (equal widths).
pub fn set(l: &V, r: V) -> Stmt {
    assert_eq!(l.w, r.w, "width mismatch assigning {:?}", l.e);
    Stmt::Assign(l.e.clone(), r.e)
}

/// `if (c) then else els`.
pub fn when(c: &V, then: Vec<Stmt>, els: Vec<Stmt>) -> Stmt {
    Stmt::If(c.e.clone(), then, els)
}

/// `name[lo +: w]`.
pub fn slice(name: &str, lo: u32, w: u32) -> V {
    V {
        e: e::part(e::id(name), e::int(lo as i64), e::int(w as i64)),
        w,
    }
}

/// Index width for a memory of `depth` words.
pub fn idx_w(depth: u32) -> u32 {
    ubits(depth.saturating_sub(1) as u64)
}

/// An input port of `w` bits (`None`: a scalar).
pub fn input(name: &str, w: Option<u32>, doc: &str) -> Port {
    Port::new(Dir::In, name, w, doc)
}

/// An output port of `w` bits (`None`: a scalar).
pub fn output(name: &str, w: Option<u32>, doc: &str) -> Port {
    Port::new(Dir::Out, name, w, doc)
}

/// The "Clock and synchronous reset" port group every block starts with.
pub fn clock_reset(rst_doc: &str) -> PortGroup {
    PortGroup {
        doc: "Clock and synchronous reset".into(),
        ports: vec![input("clk", None, ""), input("rst", None, rst_doc)],
    }
}

/// A wire `name = min(v, limit)` of width `w` (`limit` fits `w` bits), through a named wire so
/// the low bits can be selected.
pub fn min_wire(b: &mut B, name: &str, v: V, limit: u32, w: u32, doc: &str) -> V {
    let full = b.wire(&format!("{name}_full"), v, "");
    let low = if full.w >= w {
        slice(&format!("{name}_full"), 0, w)
    } else {
        full.ext(w)
    };
    b.wire(
        name,
        V::mux(&full.lt(&k(limit as u64)), &low, &kw(limit as u64, w)),
        doc,
    )
}

/// A wire holding the low `w` bits of `v` (or `v` zero-extended when narrower). Whenever
/// `when` holds, the dropped bits must be zero: a simulation-only check says so.
pub fn trunc(b: &mut B, name: &str, v: V, w: u32, when: V) -> V {
    if v.w <= w {
        return v.ext(w);
    }
    let full = b.wire(&format!("{name}_full"), v, "");
    b.checks
        .push((when, full, 1u64 << w, format!("{name} overflows {w} bits")));
    b.wire(name, slice(&format!("{name}_full"), 0, w), "")
}

/// A memory index: the low bits of `v` that address `depth` words, with a simulation-only
/// check that `v < depth` whenever `when` holds.
pub fn index(b: &mut B, name: &str, v: V, depth: u32, when: V) -> V {
    let w = idx_w(depth);
    let full = b.wire(&format!("{name}_full"), v, "");
    b.checks.push((
        when,
        full.clone(),
        depth as u64,
        format!("{name} out of range"),
    ));
    if full.w > w {
        b.wire(name, slice(&format!("{name}_full"), 0, w), "")
    } else {
        b.wire(name, full.ext(w), "")
    }
}

/// `v · c` for a small constant (`v` itself when `c` is 1).
pub fn scale(v: &V, c: u32) -> V {
    if c == 1 {
        v.clone()
    } else {
        v.mul_k(c as u64)
    }
}

/// `localparam int NAME = value;` items, each with its one-line description.
pub fn localparams(list: &[(&str, u32, &str)]) -> Vec<Item> {
    list.iter()
        .map(|&(name, value, doc)| {
            Item::LocalParam(Param {
                name: name.into(),
                value: e::int(value as i64),
                doc: doc.into(),
                width: None,
            })
        })
        .collect()
}
