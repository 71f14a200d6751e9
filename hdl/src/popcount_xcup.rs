//! The AND-popcount compressor for UltraScale+ (`xcup`) as Verilog: the netlist planned by
//! `crate::popcount_gpc` printed as instantiated `LUT6_2` and `CARRY8` primitives (simulated
//! with Yosys's `cells_sim.v`, never replaced by behavioural models), one register per stage.
//! [`CompressorParams`] is the block's one parameter object (target, widths, latency, and
//! the name of its report row) that the generator, the testbench and `qforge bench
//! --compressor` all read; `Target::Generic` is the vendor-neutral behavioural tree of
//! `crate::popcount`.
//!
//! Nets that a primitive drives but nothing reads (most `CARRY8` `CO` bits, the last
//! majority of the ternary adder) are gathered into one `unused_nets` signal, Verilator's
//! documented `*unused*` naming convention; there is no lint pragma.

use std::collections::HashSet;

use crate::ast::{e, Decl, Expr, Instance, Item, Module, Stmt};
use crate::popcount::PopcountParams;
use crate::popcount_gpc::plan;
use crate::popcount_netlist::{Cell, Netlist, Sig};

/// Which technology the compressor (and an engine's popcounts, `EngineParams::target`) is
/// generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Target {
    /// UltraScale+: LUT6_2 + CARRY8 generalized parallel counters.
    Xcup,
    /// Vendor-neutral behavioural tree (`and_popcount`).
    #[default]
    Generic,
}

impl Target {
    /// `xcup` or `generic`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Xcup => "xcup",
            Target::Generic => "generic",
        }
    }

    /// Parse `xcup` / `generic`.
    pub fn parse(s: &str) -> Option<Target> {
        match s {
            "xcup" => Some(Target::Xcup),
            "generic" => Some(Target::Generic),
            _ => None,
        }
    }
}

/// The compressor block: `count = popcount(a & b)` over `width` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressorParams {
    /// Operand bits (Dk).
    pub width: u32,
    /// Technology.
    pub target: Target,
    /// xcup: LUT6_2 per absorption ripple chain (2 operand pairs each); its LUT depth.
    pub ripple: u32,
    /// xcup: GPC stages between pipeline registers (1 LUT level each).
    pub gpc_per_stage: u32,
}

impl CompressorParams {
    /// The default block for `width` bits on `target`.
    pub fn new(width: u32, target: Target) -> Self {
        CompressorParams {
            width,
            target,
            ripple: 6,
            gpc_per_stage: 2,
        }
    }

    /// Bits of the count.
    pub fn out_width(&self) -> u32 {
        crate::popcount::ubits(self.width as u64)
    }

    /// Binary operations per count (an AND and an add per operand pair).
    pub fn binops(&self) -> u32 {
        2 * self.width
    }

    /// Module name.
    pub fn top_name(&self) -> &'static str {
        match self.target {
            Target::Xcup => "and_popcount_xcup",
            Target::Generic => "and_popcount",
        }
    }

    /// Report row label, e.g. `qforge-xcup`.
    pub fn row(&self) -> String {
        format!("qforge-{}", self.target.name())
    }

    /// The xcup netlist (`None` for the generic target).
    pub fn netlist(&self) -> Option<Netlist> {
        (self.target == Target::Xcup).then(|| plan(self.width, self.ripple, self.gpc_per_stage))
    }

    /// Cycles from operands to count.
    pub fn latency(&self) -> u32 {
        match self.target {
            Target::Xcup => {
                // Memoized: an engine's control delay line asks for it per cycle model step.
                use std::collections::HashMap;
                use std::sync::{Mutex, OnceLock};
                type Key = (u32, u32, u32);
                static CACHE: OnceLock<Mutex<HashMap<Key, u32>>> = OnceLock::new();
                let key = (self.width, self.ripple, self.gpc_per_stage);
                let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
                if let Some(&l) = cache.lock().expect("not poisoned").get(&key) {
                    return l;
                }
                let l = self.netlist().unwrap().latency();
                cache.lock().expect("not poisoned").insert(key, l);
                l
            }
            Target::Generic => PopcountParams::new(self.width).latency(),
        }
    }

    /// The module (ports `clk`, `a`, `b`, `count`).
    pub fn module(&self) -> Module {
        match self.target {
            Target::Generic => PopcountParams::new(self.width).module(),
            Target::Xcup => xcup_module(self, &self.netlist().unwrap()),
        }
    }
}

fn sig(s: Sig) -> Expr {
    match s {
        Sig::Zero => e::bit(false),
        Sig::One => e::bit(true),
        Sig::A(i) => e::index(e::id("a"), e::int(i as i64)),
        Sig::B(i) => e::index(e::id("b"), e::int(i as i64)),
        Sig::Net(i) => e::id(format!("w{i}")),
        Sig::Reg(n, i) => e::index(e::id(format!("r{n}")), e::int(i as i64)),
    }
}

/// `{s[7], ..., s[0]}`.
fn msb_first(s: &[Sig]) -> Expr {
    e::concat(s.iter().rev().map(|&x| sig(x)).collect())
}

/// `{w<base+7>, ..., w<base>}`: nets are scalars, so a simulator wakes only the readers of
/// the bit that changed (a vector of all nets made Icarus ~1000x slower).
fn w8(base: u32) -> Expr {
    e::concat((0..8).rev().map(|j| sig(Sig::Net(base + j))).collect())
}

fn decl(name: &str, width: u32, doc: &str) -> Item {
    Item::Decl(Decl {
        name: name.into(),
        width: Some(e::int(width as i64)),
        signed: false,
        depth: None,
        doc: doc.into(),
    })
}

fn xcup_module(p: &CompressorParams, n: &Netlist) -> Module {
    let mut items = Vec::new();
    let mut read: HashSet<u32> = HashSet::new();
    let mut note = |s: Sig| {
        if let Sig::Net(i) = s {
            read.insert(i);
        }
    };
    for i in 0..n.nets {
        let doc = if i == 0 { "Primitive outputs." } else { "" };
        items.push(Item::Decl(Decl {
            name: format!("w{i}"),
            width: None,
            signed: false,
            depth: None,
            doc: doc.into(),
        }));
    }
    let (mut luts, mut carries) = (0, 0);
    for (k, st) in n.stages.iter().enumerate() {
        items.push(Item::Comment(format!(
            "Stage {k}: {} ({} LUT levels).",
            st.what, st.levels
        )));
        items.push(decl(&format!("r{k}"), st.outputs.len() as u32, ""));
        for cell in &st.cells {
            match cell {
                Cell::Lut { init, i, o6, o5 } => {
                    i.iter().for_each(|&s| note(s));
                    let mut ports = vec![
                        ("O6".to_string(), sig(Sig::Net(*o6))),
                        ("O5".to_string(), sig(Sig::Net(*o5))),
                    ];
                    ports.extend((0..6).map(|j| (format!("I{j}"), sig(i[j]))));
                    items.push(Item::Instance(Instance {
                        module: "LUT6_2".into(),
                        name: format!("u_lut{luts}"),
                        params: vec![("INIT".into(), e::hex(64, *init as u128))],
                        ports,
                    }));
                    luts += 1;
                }
                Cell::Carry {
                    dual,
                    ci,
                    ci_top,
                    di,
                    s,
                    o,
                    co,
                } => {
                    for &x in di.iter().chain(s.iter()).chain([ci, ci_top]) {
                        note(x);
                    }
                    let ty = if *dual { "DUAL_CY4" } else { "SINGLE_CY8" };
                    items.push(Item::Instance(Instance {
                        module: "CARRY8".into(),
                        name: format!("u_carry{carries}"),
                        params: vec![("CARRY_TYPE".into(), Expr::Str(ty.into()))],
                        ports: vec![
                            ("CO".into(), w8(*co)),
                            ("O".into(), w8(*o)),
                            ("CI".into(), sig(*ci)),
                            ("CI_TOP".into(), sig(*ci_top)),
                            ("DI".into(), msb_first(di)),
                            ("S".into(), msb_first(s)),
                        ],
                    }));
                    carries += 1;
                }
            }
        }
        st.outputs.iter().for_each(|&s| note(s));
        items.push(Item::AlwaysFf(
            "clk".into(),
            vec![Stmt::Assign(e::id(format!("r{k}")), msb_first(&st.outputs))],
        ));
    }
    items.push(Item::Assign(e::id("count"), msb_first(&n.count)));
    let unused: Vec<Sig> = (0..n.nets)
        .filter(|i| !read.contains(i))
        .map(Sig::Net)
        .collect();
    if !unused.is_empty() {
        items.push(Item::Decl(Decl {
            name: "unused_nets".into(),
            width: None,
            signed: false,
            depth: None,
            doc: "Primitive outputs nothing reads (Verilator's *unused* convention).".into(),
        }));
        items.push(Item::Assign(
            e::id("unused_nets"),
            Expr::Un(crate::ast::UnOp::RedOr, Box::new(msb_first(&unused))),
        ));
    }
    Module {
        name: p.top_name().into(),
        doc: vec![
            format!(
                "popcount(a & b) over {} bits on LUT6_2 + CARRY8 (UltraScale+): {} LUT6_2, {} CARRY8, {} FF, latency {} cycles.",
                p.width,
                n.luts(),
                n.carry8(),
                n.ffs(),
                n.latency()
            ),
            "Generated by qforge (hdl/src/popcount_gpc.rs); simulate with Yosys's xilinx/cells_sim.v.".into(),
        ],
        params: vec![],
        ports: crate::popcount::ports(p.width, p.out_width(), n.latency()),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_agree_with_the_netlist_and_module() {
        for t in [Target::Xcup, Target::Generic] {
            assert_eq!(Target::parse(t.name()), Some(t));
        }
        assert_eq!(Target::parse("xc7"), None);
        let p = CompressorParams::new(256, Target::Xcup);
        let n = p.netlist().unwrap();
        assert_eq!(p.latency(), n.latency());
        assert_eq!(p.out_width(), 9);
        assert_eq!(p.binops(), 512);
        let m = p.module();
        assert_eq!(m.name, "and_popcount_xcup");
        let text = crate::print::module_file(&m);
        assert_eq!(text.matches("LUT6_2 #(").count(), n.luts());
        assert_eq!(text.matches("CARRY8 #(").count(), n.carry8());
        // Every Dk an engine allows (1..=1024) plans, in at most 5 stages.
        for width in 1..=1024 {
            let l = CompressorParams::new(width, Target::Xcup).latency();
            assert!((1..=5).contains(&l), "width {width}: latency {l}");
        }
        let g = CompressorParams::new(256, Target::Generic);
        assert_eq!(g.module().name, "and_popcount");
        assert_eq!(g.row(), "qforge-generic");
    }
}
