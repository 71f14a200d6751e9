//! Threshold unit: a binary-search pipeline that turns `DN` accumulators into output codes,
//! one comparator per output bit per column (as FINN's RTL thresholding does).
//!
//! Stage s decides code bit `OUT_BITS − 1 − s`: with the bits decided so far `c`, it tests
//! the threshold at index `(c | bit) − 1` and keeps the bit when the accumulator passes it
//! (`acc >= t`, or `acc <= t` for a descending channel). Thresholds are sorted in their
//! direction, so after `OUT_BITS` stages the code is `#{i : acc passes t_i}`.
//!
//! The whole pipeline advances only when `en` is high (the output is not held by
//! back-pressure), so no result is lost or duplicated under stalls.
//!
//! Threshold word layout: bit 0 = descending, threshold i at `[1 + i·THR_WIDTH +: THR_WIDTH]`.

use crate::ast::{e, BinOp, Decl, Dir, Expr, Item, Module, Port, PortGroup, Stmt};
use crate::build::localparams;
use crate::dpu::extend;
use crate::params::EngineParams;

/// The threshold unit of an engine.
pub fn module(p: &EngineParams) -> Module {
    let (dn, accw, tw, ob) = (p.dn, p.acc_width(), p.thr_width(), p.out_bits);
    let cw = accw.max(tw);
    let word = p.thr_word_width();
    let iw = crate::popcount::ubits(word as u64 - 1);
    let mut items = localparams(&[
        ("DN", dn, "columns"),
        ("ACC_WIDTH", accw, "bits of an accumulator (signed)"),
        ("THR_WIDTH", tw, "bits of a threshold (signed)"),
        ("CMP_WIDTH", cw, "bits the two are compared in"),
        ("OUT_BITS", ob, "bits of a code; one pipeline stage each"),
    ]);
    for s in 0..ob {
        let last = s + 1 == ob;
        let decl = |name: String, width: u32, doc: &str| {
            Item::Decl(Decl {
                name,
                width: Some(e::int(width as i64)),
                signed: false,
                depth: None,
                doc: doc.into(),
            })
        };
        items.push(Item::Comment(format!(
            "Stage {s}: decides code bit {}.",
            ob - 1 - s
        )));
        items.push(decl(format!("valid{s}_q"), 1, ""));
        items.push(decl(format!("last{s}_q"), 1, ""));
        items.push(decl(
            format!("code{s}_q"),
            dn * ob,
            "codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]",
        ));
        if !last {
            items.push(decl(
                format!("acc{s}_q"),
                dn * accw,
                "accumulators carried to the next stage",
            ));
            items.push(decl(
                format!("thr{s}_q"),
                word,
                "the channel's threshold word",
            ));
        }
        // Inputs of this stage.
        let (acc_in, thr_in, code_in, valid_in, last_in) = if s == 0 {
            (
                e::id("in_acc"),
                e::id("in_thr"),
                None,
                e::id("in_valid"),
                e::id("in_last"),
            )
        } else {
            (
                e::id(format!("acc{}_q", s - 1)),
                e::id(format!("thr{}_q", s - 1)),
                Some(e::id(format!("code{}_q", s - 1))),
                e::id(format!("valid{}_q", s - 1)),
                e::id(format!("last{}_q", s - 1)),
            )
        };
        let bit = 1u32 << (ob - 1 - s);
        items.push(decl(format!("next{s}"), dn * ob, ""));
        let field = |v: Expr, width: &str| e::field(v, "c", width);
        let prev = match &code_in {
            Some(ci) => field(ci.clone(), "OUT_BITS"),
            None => e::lit(ob, 0),
        };
        // The candidate code: the bits decided so far with this stage's bit set.
        let (cand, off) = match &code_in {
            Some(_) => (
                e::bin(BinOp::Or, prev.clone(), e::lit(ob, bit as u128)),
                // Threshold (cand − 1)'s bit offset 1 + (cand − 1)·THR_WIDTH, in the
                // word's index width.
                e::add(
                    e::lit(iw, 1),
                    e::mul(
                        extend(e::sub(e::id("cand"), e::lit(ob, 1)), ob, iw, None),
                        e::lit(iw, tw as u128),
                    ),
                ),
            ),
            // Stage 0 tests the same threshold in every column.
            None => (
                e::lit(ob, bit as u128),
                e::lit(iw, 1 + (bit as u128 - 1) * tw as u128),
            ),
        };
        let var = |name: &str, width: &str, signed: bool, doc: &str| {
            Item::Decl(Decl {
                name: name.into(),
                width: Some(e::id(width)),
                signed,
                depth: None,
                doc: doc.into(),
            })
        };
        let a = field(acc_in.clone(), "ACC_WIDTH");
        let a_sign = e::index(
            acc_in.clone(),
            e::sub(
                e::mul(e::add(e::id("c"), e::int(1)), e::id("ACC_WIDTH")),
                e::int(1),
            ),
        );
        let t = e::part(thr_in.clone(), e::id("t_at"), e::id("THR_WIDTH"));
        let t_sign = e::index(
            thr_in.clone(),
            e::add(e::id("t_at"), e::lit(iw, tw as u128 - 1)),
        );
        let pass = e::cond(
            e::index(thr_in.clone(), e::int(0)),
            e::bin(BinOp::Le, e::id("acc"), e::id("thr")),
            e::bin(BinOp::Ge, e::id("acc"), e::id("thr")),
        );
        let col = vec![
            var(
                "cand",
                "OUT_BITS",
                false,
                "the code if this stage's bit is set",
            ),
            Item::Assign(e::id("cand"), cand),
            Item::Decl(Decl {
                name: "t_at".into(),
                width: Some(e::int(iw as i64)),
                signed: false,
                depth: None,
                doc: "bit offset of threshold cand - 1 in the word".into(),
            }),
            Item::Assign(e::id("t_at"), off),
            var(
                "acc",
                "CMP_WIDTH",
                true,
                "the column's accumulator and the threshold, sign-extended",
            ),
            var("thr", "CMP_WIDTH", true, ""),
            Item::Assign(e::id("acc"), extend(a, accw, cw, Some(a_sign))),
            Item::Assign(e::id("thr"), extend(t, tw, cw, Some(t_sign))),
            Item::Assign(
                field(e::id(format!("next{s}")), "OUT_BITS"),
                e::cond(pass, e::id("cand"), prev),
            ),
        ];
        items.push(Item::Generate {
            label: format!("gen_col{s}"),
            var: "c".into(),
            count: e::id("DN"),
            items: col,
        });
        let mut regs = vec![
            Stmt::Assign(e::id(format!("code{s}_q")), e::id(format!("next{s}"))),
            Stmt::Assign(e::id(format!("last{s}_q")), last_in),
        ];
        if !last {
            regs.push(Stmt::Assign(e::id(format!("acc{s}_q")), acc_in));
            regs.push(Stmt::Assign(e::id(format!("thr{s}_q")), thr_in));
        }
        items.push(Item::AlwaysFf(
            "clk".into(),
            vec![
                Stmt::If(
                    e::id("rst"),
                    vec![Stmt::Assign(e::id(format!("valid{s}_q")), e::bit(false))],
                    vec![Stmt::If(
                        e::id("en"),
                        vec![Stmt::Assign(e::id(format!("valid{s}_q")), valid_in)],
                        vec![],
                    )],
                ),
                Stmt::If(e::id("en"), regs, vec![]),
            ],
        ));
    }
    let l = ob - 1;
    items.push(Item::Assign(
        e::id("out_valid"),
        e::id(format!("valid{l}_q")),
    ));
    items.push(Item::Assign(e::id("out_last"), e::id(format!("last{l}_q"))));
    items.push(Item::Assign(e::id("out_code"), e::id(format!("code{l}_q"))));
    Module {
        name: "threshold_unit".into(),
        doc: vec![format!("Binary-search thresholding of {dn} accumulators to {ob}-bit codes, {ob} pipeline stages.")],
        params: vec![],
        ports: vec![
            PortGroup { doc: "Clock, reset and pipeline enable".into(), ports: vec![Port::new(Dir::In, "clk", None, ""), Port::new(Dir::In, "rst", None, "synchronous, clears the valid bits"), Port::new(Dir::In, "en", None, "advance every stage")] },
            PortGroup {
                doc: "One row of accumulators and its channel's thresholds".into(),
                ports: vec![
                    Port::new(Dir::In, "in_valid", None, ""),
                    Port::new(Dir::In, "in_last", None, "last row of the job"),
                    Port::new(Dir::In, "in_acc", Some(dn * accw), "column c at [c*ACC_WIDTH +: ACC_WIDTH]"),
                    Port::new(Dir::In, "in_thr", Some(word), "descending bit, then the thresholds"),
                ],
            },
            PortGroup { doc: "Codes".into(), ports: vec![Port::new(Dir::Out, "out_valid", None, ""), Port::new(Dir::Out, "out_last", None, ""), Port::new(Dir::Out, "out_code", Some(dn * ob), "column c at [c*OUT_BITS +: OUT_BITS]")] },
        ],
        items,
    }
}
