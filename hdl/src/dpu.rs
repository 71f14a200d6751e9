//! Dot-product unit: AND + popcount of one weight and one activation plane word, then
//! shift / negate / accumulate.
//!
//! ```text
//!  in_w ─┐                     ┌────────────┐
//!        ├─ and_popcount (P) ──┤ x << shift ├─ ±term ─ term_q ─(+)─ acc_q
//!  in_a ─┘   [offset: 2·count − a_count]    └────────────┘           │
//!                                                    acc_q ──────────┘ (or 0 on clear)
//! ```
//!
//! Control (`valid`, `clear`, `negate`, `shift`, and for offset weights `a_count`) arrives
//! aligned with the popcount output, `P` cycles after the operands: the array keeps one shared
//! delay line instead of one per DPU. The accumulator is `ACC_WIDTH` bits, enough for every
//! partial sum of the schedule (`EngineParams::acc_width`); terms are added modulo
//! `2^ACC_WIDTH`, which is exact because every partial sum fits.

use crate::ast::{e, Decl, Dir, Expr, Instance, Item, Module, Param, Port, PortGroup, Stmt};
use crate::params::{EngineParams, WeightEnc};

/// Sign- or zero-extend `x` from `from` to `to` bits (no-op when equal).
pub fn extend(x: Expr, from: u32, to: u32, sign: Option<Expr>) -> Expr {
    assert!(to >= from, "cannot extend {from} bits to {to}");
    if to == from {
        return x;
    }
    let fill = match sign {
        Some(s) => e::repeat(e::int((to - from) as i64), s),
        None => e::lit(to - from, 0),
    };
    e::concat(vec![fill, x])
}

/// The DPU module of an engine.
pub fn module(p: &EngineParams) -> Module {
    let pcw = p.pc_width();
    let accw = p.acc_width();
    let offset = p.w_enc == WeightEnc::Offset;
    // Width of the signed base term: the count, or 2·count − a_count (two more bits).
    let xw = if offset { pcw + 2 } else { pcw + 1 };
    let tw = accw.max(xw);
    let mut items = vec![
        Item::LocalParam(Param {
            name: "TERM_WIDTH".into(),
            value: e::int(tw as i64),
            doc: "Width the term is formed in before it is reduced modulo 2^ACC_WIDTH.".into(),
            width: None,
        }),
        Item::Decl(Decl {
            name: "count".into(),
            width: Some(e::int(pcw as i64)),
            signed: false,
            depth: None,
            doc: "popcount(in_w & in_a), P cycles after the operands.".into(),
        }),
        Item::Instance(Instance {
            module: p.popcount_module().into(),
            name: "u_popcount".into(),
            params: vec![],
            ports: vec![
                ("clk".into(), e::id("clk")),
                ("a".into(), e::id("in_w")),
                ("b".into(), e::id("in_a")),
                ("count".into(), e::id("count")),
            ],
        }),
        Item::Decl(Decl {
            name: "base".into(),
            width: Some(e::int(xw as i64)),
            signed: false,
            depth: None,
            doc: if offset {
                "Offset weights: every plane is a ±1 digit, so the step adds 2·count − a_count."
                    .into()
            } else {
                "The step's count, as a non-negative signed value.".into()
            },
        }),
    ];
    let base = if offset {
        e::sub(
            e::concat(vec![e::lit(1, 0), e::id("count"), e::lit(1, 0)]),
            extend(e::id("a_count"), pcw, xw, None),
        )
    } else {
        extend(e::id("count"), pcw, xw, None)
    };
    items.push(Item::Assign(e::id("base"), base));
    items.push(Item::Decl(Decl {
        name: "shifted".into(),
        width: Some(e::id("TERM_WIDTH")),
        signed: false,
        depth: None,
        doc: "base · 2^shift, sign-extended to TERM_WIDTH.".into(),
    }));
    let base_ext = extend(
        e::id("base"),
        xw,
        tw,
        Some(e::index(e::id("base"), e::int(xw as i64 - 1))),
    );
    items.push(Item::Assign(
        e::id("shifted"),
        e::shl(base_ext, e::id("shift")),
    ));
    items.push(Item::Decl(Decl {
        name: "term".into(),
        width: Some(e::int(accw as i64)),
        signed: false,
        depth: None,
        doc: "The signed term modulo 2^ACC_WIDTH.".into(),
    }));
    let low = if tw > accw {
        // The bits above ACC_WIDTH drop out modulo 2^ACC_WIDTH (a base wider than the
        // accumulator: small K, large Dk); `shifted_unused` (Verilator's `*unused*` name
        // pattern) says so to the linter, and synthesis removes it.
        items.push(Item::Decl(Decl {
            name: "shifted_unused".into(),
            width: None,
            signed: false,
            depth: None,
            doc: "The bits of shifted above ACC_WIDTH, unused by design.".into(),
        }));
        items.push(Item::Assign(
            e::id("shifted_unused"),
            Expr::Un(
                crate::ast::UnOp::RedOr,
                Box::new(e::slice(
                    e::id("shifted"),
                    e::int(tw as i64 - 1),
                    e::int(accw as i64),
                )),
            ),
        ));
        e::slice(e::id("shifted"), e::int(accw as i64 - 1), e::int(0))
    } else {
        e::id("shifted")
    };
    // Negating the low ACC_WIDTH bits is the same as negating the whole term, modulo 2^ACC_WIDTH.
    items.push(Item::Assign(
        e::id("term"),
        e::cond(e::id("negate"), e::neg(low.clone()), low),
    ));
    let decl = |name: &str, w: u32, doc: &str| {
        Item::Decl(Decl {
            name: name.into(),
            width: Some(e::int(w as i64)),
            signed: false,
            depth: None,
            doc: doc.into(),
        })
    };
    items.push(decl(
        "term_q",
        accw,
        "Term register: splits shift/negate from the accumulate adder.",
    ));
    items.push(decl("valid_q", 1, ""));
    items.push(decl("clear_q", 1, ""));
    items.push(Item::AlwaysFf(
        "clk".into(),
        vec![
            Stmt::Assign(e::id("term_q"), e::id("term")),
            Stmt::Assign(e::id("clear_q"), e::id("clear")),
            Stmt::If(
                e::id("rst"),
                vec![Stmt::Assign(e::id("valid_q"), e::bit(false))],
                vec![Stmt::Assign(e::id("valid_q"), e::id("valid"))],
            ),
        ],
    ));
    items.push(decl("acc_q", accw, "The accumulator."));
    items.push(Item::AlwaysFf(
        "clk".into(),
        vec![Stmt::If(
            e::id("valid_q"),
            vec![Stmt::Assign(
                e::id("acc_q"),
                e::cond(
                    e::id("clear_q"),
                    e::id("term_q"),
                    e::add(e::id("acc_q"), e::id("term_q")),
                ),
            )],
            vec![],
        )],
    ));
    items.push(Item::Assign(e::id("acc"), e::id("acc_q")));
    let mut ctl = vec![
        Port::new(
            Dir::In,
            "valid",
            None,
            "this cycle's count belongs to a step",
        ),
        Port::new(
            Dir::In,
            "clear",
            None,
            "first step of a dot product: acc = term",
        ),
        Port::new(Dir::In, "negate", None, "subtract the term (a sign plane)"),
        Port::new(
            Dir::In,
            "shift",
            Some(p.shift_width()),
            "term weight 2^(i+j)",
        ),
    ];
    if offset {
        ctl.push(Port::new(
            Dir::In,
            "a_count",
            Some(pcw),
            "popcount(in_a) of the same step",
        ));
    }
    Module {
        name: "dpu".into(),
        doc: vec![
            format!(
                "Dot-product unit: {} bits per cycle, {}-bit accumulator, popcount latency {}, then a term register.",
                p.dk,
                accw,
                p.popcount().latency()
            ),
            "Control inputs are aligned with the popcount output (P cycles after in_w/in_a)."
                .into(),
        ],
        params: vec![],
        ports: vec![
            PortGroup {
                doc: "Clock and reset".into(),
                ports: vec![Port::new(Dir::In, "clk", None, ""), Port::new(Dir::In, "rst", None, "synchronous, clears the term stage's valid bit")],
            },
            PortGroup {
                doc: "Operand plane words".into(),
                ports: vec![
                    Port::new(Dir::In, "in_w", Some(p.dk), "weight plane j, one k-chunk"),
                    Port::new(
                        Dir::In,
                        "in_a",
                        Some(p.dk),
                        "activation plane i, same chunk",
                    ),
                ],
            },
            PortGroup {
                doc: "Step control, aligned with the popcount output".into(),
                ports: ctl,
            },
            PortGroup {
                doc: "Result".into(),
                ports: vec![Port::new(
                    Dir::Out,
                    "acc",
                    Some(accw),
                    "two's-complement accumulator",
                )],
            },
        ],
        items,
    }
}
