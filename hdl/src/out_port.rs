//! The output stream port (`out_port`): the raw-mode output register (a row's accumulators,
//! bypassing the threshold search), the choice between it and the threshold unit's codes,
//! the masking of columns past N, and `m_axis_out` behind a skid register.
//!
//! The skid register takes the beat the pipeline offers while it is empty, and keeps it
//! (offering it on `m_axis_out`) when that beat is not accepted. The output pipeline's enable
//! is therefore a register (`en = !sk_valid_q`): `m_axis_out_tready` reaches only the skid
//! register's valid bit, not the threshold unit, the row mux or the controller. It adds no
//! cycle when `tready` is high; under back-pressure the pipeline advances one row further
//! than it would without it.

use crate::ast::{e, BinOp, Expr, Item, Module, PortGroup};
use crate::build::{clock_reset, input, localparams, output, set, when, B};
use crate::params::EngineParams;
use crate::popcount::ubits;
use crate::typed::{kw, sig, V};

/// The output port's widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutPortParams {
    /// Columns per beat.
    pub dn: u32,
    /// Bits of a code.
    pub out_bits: u32,
    /// Bits of an accumulator (raw mode).
    pub acc_width: u32,
    /// Bits of `m_axis_out_tdata`.
    pub stream: u32,
}

impl EngineParams {
    /// The output port's parameters.
    pub fn out_port(&self) -> OutPortParams {
        OutPortParams {
            dn: self.dn,
            out_bits: self.out_bits,
            acc_width: self.acc_width(),
            stream: self.out_stream_width(),
        }
    }
}

impl OutPortParams {
    /// The module's name.
    pub fn name(&self) -> &'static str {
        "out_port"
    }
    /// Cycles from a raw row's issue to `m_axis_out` (the raw register).
    pub fn raw_latency(&self) -> u32 {
        1
    }

    /// The module.
    pub fn module(&self) -> Module {
        let (dn, ob, accw, ow) = (self.dn, self.out_bits, self.acc_width, self.stream);
        let nv_w = ubits(dn as u64);
        let mut b = B::default();
        b.items.extend(localparams(&[
            ("DN", dn, "columns per row"),
            ("OUT_BITS", ob, "bits of a code"),
            ("ACC_WIDTH", accw, "bits of an accumulator"),
        ]));
        b.comment("Raw mode: the row's accumulators into one register, advancing with en.");
        b.decl("raw_valid_q", 1, "a raw row is on the output");
        let raw_last_q = b.decl("raw_last_q", 1, "");
        let raw_acc_q = b.decl(
            "raw_acc_q",
            dn * accw,
            "the raw row: column c at [c*ACC_WIDTH +: ACC_WIDTH]",
        );
        b.comment("The skid register: a beat held by back-pressure.");
        let sk_valid_q = b.decl("sk_valid_q", 1, "the skid register holds a beat");
        let sk_last_q = b.decl("sk_last_q", 1, "");
        let sk_data_q = b.decl("sk_data_q", ow, "the held beat's tdata");
        let raw_valid_q = sig("raw_valid_q", 1);
        let tu_valid = sig("tu_valid", 1);
        let o_valid = b.wire(
            "o_valid",
            tu_valid.or(&raw_valid_q),
            "a row is on the output (only one of the two paths is active in a job)",
        );
        let ready = sig("m_axis_out_tready", 1);
        b.comment("The output pipeline advances while the skid register is empty.");
        b.drive("en", &sk_valid_q.not());
        b.drive("row_fire", &o_valid.and(&sk_valid_q.not()));

        let en = sig("en", 1);
        b.items.push(Item::AlwaysFf(
            "clk".into(),
            vec![
                when(
                    &sig("rst", 1),
                    vec![set(&raw_valid_q, kw(0, 1))],
                    vec![when(
                        &en,
                        vec![set(&raw_valid_q, sig("raw_in_valid", 1))],
                        vec![],
                    )],
                ),
                when(
                    &en,
                    vec![
                        set(&raw_last_q, sig("raw_in_last", 1)),
                        set(&raw_acc_q, sig("raw_in_acc", dn * accw)),
                    ],
                    vec![],
                ),
            ],
        ));
        b.comment("Columns past N read 0.");
        let code_data = b.decl(
            "code_data",
            ow,
            "code mode: column c at [c*OUT_BITS +: OUT_BITS]",
        );
        let raw_data = b.decl(
            "raw_data",
            ow,
            "raw mode: column c at [c*ACC_WIDTH +: ACC_WIDTH]",
        );
        // The bits above the columns (the stream is as wide as a raw row, and bytes).
        for (v, fw) in [(&code_data, ob), (&raw_data, accw)] {
            if ow > dn * fw {
                b.items.push(Item::Assign(
                    e::slice(v.e.clone(), e::int(ow as i64 - 1), e::int((dn * fw) as i64)),
                    e::lit(ow - dn * fw, 0),
                ));
            }
        }
        let field = |v: Expr, width: &str| e::field(v, "c", width);
        let exists = e::bin(
            BinOp::Lt,
            e::cast(e::int(nv_w as i64), e::id("c")),
            e::id("cols_valid"),
        );
        let mask = |valid: &V, src: &str, dst: &V, width: &str| {
            Item::Assign(
                field(dst.e.clone(), width),
                e::cond(
                    e::land(valid.e.clone(), exists.clone()),
                    field(e::id(src), width),
                    Expr::Zeros,
                ),
            )
        };
        b.items.push(Item::Generate {
            label: "gen_col".into(),
            var: "c".into(),
            count: e::id("DN"),
            items: vec![
                mask(&tu_valid, "tu_code", &code_data, "OUT_BITS"),
                mask(&raw_valid_q, "raw_acc_q", &raw_data, "ACC_WIDTH"),
            ],
        });
        let o_data = b.wire(
            "o_data",
            V::mux(&raw_valid_q, &raw_data, &code_data),
            "the pipeline's beat (0 while o_valid is low)",
        );
        let o_last = b.wire(
            "o_last",
            V {
                e: e::lor(
                    e::land(tu_valid.e.clone(), e::id("tu_last")),
                    e::land(raw_valid_q.e.clone(), raw_last_q.e.clone()),
                ),
                w: 1,
            },
            "",
        );
        b.comment("m_axis_out: the held beat first, else the pipeline's.");
        b.drive("m_axis_out_tvalid", &sk_valid_q.or(&o_valid));
        b.drive(
            "m_axis_out_tdata",
            &V::mux(&sk_valid_q, &sk_data_q, &o_data),
        );
        b.drive(
            "m_axis_out_tlast",
            &V::mux(&sk_valid_q, &sk_last_q, &o_last),
        );
        b.items.push(Item::AlwaysFf(
            "clk".into(),
            vec![
                when(
                    &sig("rst", 1),
                    vec![set(&sk_valid_q, kw(0, 1))],
                    vec![when(
                        &sk_valid_q,
                        vec![when(&ready, vec![set(&sk_valid_q, kw(0, 1))], vec![])],
                        vec![when(
                            &o_valid.and(&ready.not()),
                            vec![set(&sk_valid_q, kw(1, 1))],
                            vec![],
                        )],
                    )],
                ),
                // Loaded whenever empty; read only while sk_valid_q is set.
                when(
                    &sk_valid_q.not(),
                    vec![
                        set(&sk_last_q, o_last.clone()),
                        set(&sk_data_q, o_data.clone()),
                    ],
                    vec![],
                ),
            ],
        ));
        Module {
            name: self.name().into(),
            doc: vec![
                "Output stream port: raw-mode register, code / raw select, column mask, skid register, m_axis_out.".into(),
                "Drives the output pipeline's enable (en, a register) and the row-out strobe (row_fire).".into(),
            ],
            params: vec![],
            ports: vec![
                clock_reset(""),
                PortGroup {
                    doc: "Raw row (from the row mux)".into(),
                    ports: vec![
                        input("raw_in_valid", None, ""),
                        input("raw_in_last", None, ""),
                        input("raw_in_acc", Some(dn * accw), "column c at [c*ACC_WIDTH +: ACC_WIDTH]"),
                    ],
                },
                PortGroup {
                    doc: "Codes (from the threshold unit)".into(),
                    ports: vec![
                        input("tu_valid", None, ""),
                        input("tu_last", None, ""),
                        input("tu_code", Some(dn * ob), "column c at [c*OUT_BITS +: OUT_BITS]"),
                        input("cols_valid", Some(nv_w), "columns of the n-tile that exist"),
                    ],
                },
                PortGroup {
                    doc: "Output (AXI4-Stream) and the pipeline enable".into(),
                    ports: vec![
                        output("m_axis_out_tdata", Some(ow), ""),
                        output("m_axis_out_tvalid", None, ""),
                        input("m_axis_out_tready", None, ""),
                        output("m_axis_out_tlast", None, ""),
                        output("en", None, "the output pipeline advances (the skid register is empty)"),
                        output("row_fire", None, "a row leaves the pipeline (onto m_axis_out or into the skid register)"),
                    ],
                },
            ],
            items: b.items,
        }
    }
}
