//! LUT-multiplier processing element: `Dk` lanes, each looking up the product of its weight
//! magnitude and activation level in a per-layer product table, the weight sign applied
//! after the look-up; an adder tree; an accumulator.
//!
//! ```text
//!  in_w[l] = {sign, mag} ─┐   tbl[{mag, act}]   (0 if mag = 0 or act = 0)
//!  in_a[l] = act ─────────┴─► product ─► ±product ─► lane_q[l] ─► adder_tree ─(+)─ acc_q
//!  tbl_we/addr/data ─► every lane's table copy (written while the job loads)
//! ```
//!
//! The table holds magnitudes only, and never a zero level: a layer with `b_w`-bit
//! sign-magnitude weights and `b_a`-bit activations stores `(2^(b_w−1) − 1)·(2^b_a − 1)`
//! products, at addresses `{mag, act}` with both non-zero. Each lane reads its own copy
//! asynchronously (LUT-RAM on the FPGA); all copies are written together. `valid`/`clear`
//! arrive aligned with the adder tree's output, `1 + tree latency` cycles after the operands.

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

/// The PE module of a LUT engine.
pub fn module(p: &EngineParams) -> Module {
    assert!(p.is_lut(), "lut_pe needs a LUT engine");
    let (dk, wb, ab, pb) = (p.dk, p.w_bits, p.a_bits, p.prod_bits());
    let accw = p.acc_width();
    let tree = p.adder_tree();
    let sw = tree.out_width();
    let lw = pb + 1;
    let addr_w = wb - 1 + ab;
    let lane = |name: &str, w: u32, doc: &str| decl(name, w, None, doc);
    let mut lane_items = vec![
        lane("sgn", 1, "weight sign"),
        lane("mag", wb - 1, "weight magnitude index (0: the zero level)"),
        lane("act", ab, "activation code (0: the zero level)"),
        Item::Assign(
            e::concat(vec![e::id("sgn"), e::id("mag")]),
            e::part(
                e::id("in_w"),
                e::mul(e::id("l"), e::int(wb as i64)),
                e::int(wb as i64),
            ),
        ),
        Item::Assign(
            e::id("act"),
            e::part(
                e::id("in_a"),
                e::mul(e::id("l"), e::int(ab as i64)),
                e::int(ab as i64),
            ),
        ),
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
        lane("product", pb, "|weight level| · activation level"),
        Item::Assign(
            e::id("product"),
            e::cond(
                e::land(
                    e::ne(e::id("mag"), e::lit(wb - 1, 0)),
                    e::ne(e::id("act"), e::lit(ab, 0)),
                ),
                e::index(e::id("tbl"), e::concat(vec![e::id("mag"), e::id("act")])),
                e::lit(pb, 0),
            ),
        ),
    ];
    let wide = e::concat(vec![e::lit(1, 0), e::id("product")]);
    lane_items.push(Item::AlwaysFf(
        "clk".into(),
        vec![Stmt::Assign(
            e::part(
                e::id("lanes_q"),
                e::mul(e::id("l"), e::int(lw as i64)),
                e::int(lw as i64),
            ),
            e::cond(e::id("sgn"), e::neg(wide.clone()), wide),
        )],
    ));
    let term: Expr = if sw > accw {
        e::slice(e::id("sum"), e::int(accw as i64 - 1), e::int(0))
    } else {
        extend(
            e::id("sum"),
            sw,
            accw,
            Some(e::index(e::id("sum"), e::int(sw as i64 - 1))),
        )
    };
    let items = vec![
        decl(
            "lanes_q",
            dk * lw,
            None,
            "Signed lane products (lane l at [l*(PROD_BITS+1) +: PROD_BITS+1]).",
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
            &format!("Sum of the lanes, {} cycles after lanes_q.", tree.latency()),
        ),
        Item::Instance(Instance {
            module: "adder_tree".into(),
            name: "u_tree".into(),
            params: vec![],
            ports: vec![
                ("clk".into(), e::id("clk")),
                ("operands".into(), e::id("lanes_q")),
                ("sum".into(), e::id("sum")),
            ],
        }),
        decl("term", accw, None, "The sum modulo 2^ACC_WIDTH."),
        Item::Assign(e::id("term"), term),
        decl("acc_q", accw, None, "The accumulator."),
        Item::AlwaysFf(
            "clk".into(),
            vec![Stmt::If(
                e::id("valid"),
                vec![Stmt::Assign(
                    e::id("acc_q"),
                    e::cond(
                        e::id("clear"),
                        e::id("term"),
                        e::add(e::id("acc_q"), e::id("term")),
                    ),
                )],
                vec![],
            )],
        ),
        Item::Assign(e::id("acc"), e::id("acc_q")),
    ];
    Module {
        name: "lut_pe".into(),
        doc: vec![
            format!(
                "LUT-multiplier PE: {dk} lanes of W{wb} (sign-magnitude) x A{ab}, {pb}-bit products, {} table entries, {accw}-bit accumulator.",
                p.table_entries()
            ),
            format!(
                "Latency {} cycles from operands to the accumulator's input (lane register, adder tree).",
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
                    Port::new(Dir::In, "tbl_data", Some(pb), "unsigned product"),
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
                doc: "Step control, aligned with the adder tree's output".into(),
                ports: vec![
                    Port::new(Dir::In, "valid", None, "this cycle's sum belongs to a step"),
                    Port::new(Dir::In, "clear", None, "first step of a dot product: acc = sum"),
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
