//! LUT-multiplier processing element: `Dk` lanes, each looking up the product of its weight
//! magnitude and activation level in a per-layer product table, the weight sign applied
//! after the look-up; an adder tree; an accumulator.
//!
//! ```text
//!  in_w[l] = {sign, mag} ─┐
//!  in_a[l] = act ─────────┴─► tbl[{mag, act}] ─► prod_q[l], sign_q[l]
//!      {s, prod ^ s} (one's complement when negative) ─► adder_tree ──┐
//!      sign_q ─► and_popcount (the +1 of every negation) ─────────────┴─(+)─ term_q ─(+)─ acc_q
//!  tbl_we/addr/data ─► every lane's table copy (written while the job loads)
//! ```
//!
//! The table holds magnitudes only: the layer's `(2^(b_w−1) − 1)·(2^b_a − 1)` non-zero
//! products arrive on the stream; the words of the zero levels (`mag = 0` or `act = 0`) are
//! filled with 0 by the engine's loader, so a lane needs no zero test. Each lane reads its own
//! copy asynchronously (LUT-RAM on the FPGA); all copies are written together. A negative
//! lane contributes `~prod = −prod − 1`; the count of negative lanes adds the missing ones,
//! so no lane carries a negation adder, and the XOR folds into the tree's first adders.
//! `valid`/`clear` arrive aligned with the term register, `dpu_latency` cycles after the
//! operands.

use crate::ast::{e, Decl, Dir, Expr, Instance, Item, Module, Port, PortGroup, Stmt};
use crate::dpu::extend;
use crate::params::EngineParams;

fn decl(name: &str, w: u32, depth: Option<u32>, doc: &str) -> Item {
    Item::Decl(Decl {
        name: name.into(),
        width: Some(e::int(w as i64)),
        signed: false,
        depth: depth.map(|d| e::int(d as i64)),
        doc: doc.into(),
    })
}

/// Cycles from the lane registers to the sum and to the sign count: (tree, popcount).
pub fn stage_latencies(p: &EngineParams) -> (u32, u32) {
    (p.adder_tree().latency(), p.popcount().latency())
}

/// The PE module of a LUT engine.
pub fn module(p: &EngineParams) -> Module {
    assert!(p.is_lut(), "lut_pe needs a LUT engine");
    let (dk, wb, ab, pb) = (p.dk, p.w_bits, p.a_bits, p.prod_bits());
    let accw = p.acc_width();
    let tree = p.adder_tree();
    let sw = tree.out_width();
    let pcw = p.pc_width();
    let (lt, lp) = stage_latencies(p);
    let lw = pb + 1;
    let addr_w = wb - 1 + ab;
    let lane = |name: &str, w: u32, doc: &str| decl(name, w, None, doc);
    let at = |name: &str, w: u32| {
        e::part(
            e::id(name),
            e::mul(e::id("l"), e::int(w as i64)),
            e::int(w as i64),
        )
    };
    let lane_items = vec![
        lane("sgn", 1, "weight sign"),
        lane("mag", wb - 1, "weight magnitude index (0: the zero level)"),
        Item::Assign(e::concat(vec![e::id("sgn"), e::id("mag")]), at("in_w", wb)),
        decl(
            "tbl",
            pb,
            Some(p.table_depth()),
            "This lane's copy of the product table.",
        ),
        Item::AlwaysFf(
            "clk".into(),
            vec![Stmt::If(
                e::id("tbl_we"),
                vec![Stmt::Assign(
                    e::index(e::id("tbl"), e::id("tbl_addr")),
                    e::id("tbl_data"),
                )],
                vec![],
            )],
        ),
        Item::AlwaysFf(
            "clk".into(),
            vec![
                Stmt::Assign(
                    at("prod_q", pb),
                    e::index(e::id("tbl"), e::concat(vec![e::id("mag"), at("in_a", ab)])),
                ),
                Stmt::Assign(e::index(e::id("sign_q"), e::id("l")), e::id("sgn")),
            ],
        ),
        Item::Assign(
            at("operands", lw),
            e::concat(vec![
                e::index(e::id("sign_q"), e::id("l")),
                e::bin(
                    crate::ast::BinOp::Xor,
                    at("prod_q", pb),
                    e::repeat(e::int(pb as i64), e::index(e::id("sign_q"), e::id("l"))),
                ),
            ]),
        ),
    ];
    // Bring the sum and the count to the same cycle: delay the earlier one.
    let mut items = vec![
        decl(
            "prod_q",
            dk * pb,
            None,
            "Looked-up magnitudes (lane l at [l*PROD_BITS +: PROD_BITS]).",
        ),
        decl("sign_q", dk, None, "Weight signs of the same lanes."),
        decl(
            "operands",
            dk * lw,
            None,
            "Lane values: prod, or ~prod (= -prod - 1) when negative.",
        ),
        Item::Generate {
            label: "gen_lane".into(),
            var: "l".into(),
            count: e::int(dk as i64),
            items: lane_items,
        },
        decl(
            "sum",
            sw,
            None,
            &format!("Sum of the lane values, {lt} cycles after prod_q."),
        ),
        Item::Instance(Instance {
            module: "adder_tree".into(),
            name: "u_tree".into(),
            params: vec![],
            ports: vec![
                ("clk".into(), e::id("clk")),
                ("operands".into(), e::id("operands")),
                ("sum".into(), e::id("sum")),
            ],
        }),
        decl(
            "negs",
            pcw,
            None,
            &format!("Negative lanes, {lp} cycles after sign_q."),
        ),
        Item::Instance(Instance {
            module: p.popcount_module().into(),
            name: "u_negs".into(),
            params: vec![],
            ports: vec![
                ("clk".into(), e::id("clk")),
                ("a".into(), e::id("sign_q")),
                ("b".into(), e::repeat(e::int(dk as i64), e::lit(1, 1))),
                ("count".into(), e::id("negs")),
            ],
        }),
    ];
    let delayed = |items: &mut Vec<Item>, name: &str, w: u32, by: u32| -> Expr {
        if by == 0 {
            return e::id(name);
        }
        let q = format!("{name}_d");
        items.push(decl(
            &q,
            w,
            Some(by),
            &format!("{name} delayed {by} cycles to meet the other operand."),
        ));
        let mut body = vec![Stmt::Assign(e::index(e::id(&q), e::int(0)), e::id(name))];
        for i in 1..by as i64 {
            body.push(Stmt::Assign(
                e::index(e::id(&q), e::int(i)),
                e::index(e::id(&q), e::int(i - 1)),
            ));
        }
        items.push(Item::AlwaysFf("clk".into(), body));
        e::index(e::id(&q), e::int(by as i64 - 1))
    };
    let sum = delayed(&mut items, "sum", sw, lp.saturating_sub(lt));
    let negs = delayed(&mut items, "negs", pcw, lt.saturating_sub(lp));
    // Both reduced modulo 2^ACC_WIDTH: exact, since the true total fits.
    let sum_acc = if sw > accw {
        e::slice(sum, e::int(accw as i64 - 1), e::int(0))
    } else {
        let top = e::index(sum.clone(), e::int(sw as i64 - 1));
        extend(sum, sw, accw, Some(top))
    };
    let negs_acc = if pcw > accw {
        e::slice(negs, e::int(accw as i64 - 1), e::int(0))
    } else {
        extend(negs, pcw, accw, None)
    };
    items.extend([
        decl(
            "term_q",
            accw,
            None,
            "sum + negative lanes: the step's exact total, modulo 2^ACC_WIDTH.",
        ),
        Item::AlwaysFf(
            "clk".into(),
            vec![Stmt::Assign(e::id("term_q"), e::add(sum_acc, negs_acc))],
        ),
        decl("acc_q", accw, None, "The accumulator."),
        Item::AlwaysFf(
            "clk".into(),
            vec![Stmt::If(
                e::id("valid"),
                vec![Stmt::Assign(
                    e::id("acc_q"),
                    e::cond(
                        e::id("clear"),
                        e::id("term_q"),
                        e::add(e::id("acc_q"), e::id("term_q")),
                    ),
                )],
                vec![],
            )],
        ),
        Item::Assign(e::id("acc"), e::id("acc_q")),
    ]);
    Module {
        name: "lut_pe".into(),
        doc: vec![
            format!(
                "LUT-multiplier PE: {dk} lanes of W{wb} (sign-magnitude) x A{ab}, {pb}-bit products, {} table entries, {accw}-bit accumulator.",
                p.table_entries()
            ),
            format!(
                "Latency {} cycles from operands to the term register (look-up, adder tree / sign count, term).",
                p.dpu_latency()
            ),
        ],
        params: vec![],
        ports: vec![
            PortGroup {
                doc: "Clock".into(),
                ports: vec![Port::new(Dir::In, "clk", None, "")],
            },
            PortGroup {
                doc: "Product table write port (all lanes)".into(),
                ports: vec![
                    Port::new(Dir::In, "tbl_we", None, ""),
                    Port::new(Dir::In, "tbl_addr", Some(addr_w), "{magnitude, activation}"),
                    Port::new(Dir::In, "tbl_data", Some(pb), "unsigned product (0 for the zero levels)"),
                ],
            },
            PortGroup {
                doc: "Operand words".into(),
                ports: vec![
                    Port::new(Dir::In, "in_w", Some(dk * wb), "weight codes, lane l at [l*W_BITS +: W_BITS]"),
                    Port::new(Dir::In, "in_a", Some(dk * ab), "activation codes, lane l at [l*A_BITS +: A_BITS]"),
                ],
            },
            PortGroup {
                doc: "Step control, aligned with the term register".into(),
                ports: vec![
                    Port::new(Dir::In, "valid", None, "this cycle's term belongs to a step"),
                    Port::new(Dir::In, "clear", None, "first step of a dot product: acc = term"),
                ],
            },
            PortGroup {
                doc: "Result".into(),
                ports: vec![Port::new(Dir::Out, "acc", Some(accw), "two's-complement accumulator")],
            },
        ],
        items,
    }
}
