//! The PE array (`pe_array`): `DM × DN` processing elements (AND-popcount DPUs for uniform
//! codes, product-table LUT PEs for non-uniform levels), PE (r, c) taking weight bank r and
//! activation bank c; for offset weights one activation popcount per column; two banks of
//! result registers, each taking a finished tile's accumulators (`snap` into `snap_bank`) so
//! that tiles are emitted while the next ones accumulate; and the row multiplexer that hands
//! one row of the emitted bank (`row_bank`) to the output stage.

use crate::ast::{e, Decl, Instance, Item, Module, PortGroup, Stmt};
use crate::build::{input, output, B};
use crate::params::{EngineParams, WeightEnc};

/// The array's shape and the widths at its ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeArrayParams {
    /// The engine (the PE is built from it).
    pub p: EngineParams,
}

impl EngineParams {
    /// The PE array's parameters.
    pub fn pe_array(&self) -> PeArrayParams {
        PeArrayParams { p: *self }
    }
}

impl PeArrayParams {
    /// The module's name.
    pub fn name(&self) -> &'static str {
        "pe_array"
    }
    /// Cycles from a step's operands (the memories' read registers) to the accumulators.
    pub fn latency(&self) -> u32 {
        self.p.dpu_latency()
    }
    /// Bits of the row select.
    pub fn row_w(&self) -> u32 {
        crate::operand_mem::OperandMemParams::bank_w(self.p.dm)
    }

    /// The module.
    pub fn module(&self) -> Module {
        let p = &self.p;
        let (dm, dn, dk) = (p.dm, p.dn, p.dk);
        let (accw, pcw) = (p.acc_width(), p.pc_width());
        let lut = p.is_lut();
        let (ww, aw) = (p.w_word(), p.a_word());
        let mut b = B::default();
        b.items.push(Item::Decl(Decl {
            name: "acc".into(),
            width: Some(e::int((dn * accw) as i64)),
            signed: false,
            depth: Some(e::int(dm as i64)),
            doc: "Accumulators: row r, column c at acc[r][c*ACC_WIDTH +: ACC_WIDTH].".into(),
        }));
        let w_of = |r: &str| {
            e::part(
                e::id("w_rd_data"),
                e::mul(e::id(r), e::int(ww as i64)),
                e::int(ww as i64),
            )
        };
        let a_of = |c: &str| {
            e::part(
                e::id("a_rd_data"),
                e::mul(e::id(c), e::int(aw as i64)),
                e::int(aw as i64),
            )
        };
        let offset = p.w_enc == WeightEnc::Offset;
        if offset {
            b.items.push(Item::Decl(Decl {
                name: "a_count".into(),
                width: Some(e::int(pcw as i64)),
                signed: false,
                depth: Some(e::int(dn as i64)),
                doc: "popcount of each column's activation word (offset weights).".into(),
            }));
            b.items.push(Item::Generate {
                label: "gen_a_count".into(),
                var: "c".into(),
                count: e::int(dn as i64),
                items: vec![Item::Instance(Instance {
                    module: p.popcount_module().into(),
                    name: "u_a_count".into(),
                    params: vec![],
                    ports: vec![
                        ("clk".into(), e::id("clk")),
                        ("a".into(), a_of("c")),
                        ("b".into(), e::repeat(e::int(dk as i64), e::lit(1, 1))),
                        ("count".into(), e::index(e::id("a_count"), e::id("c"))),
                    ],
                })],
            });
        }
        let mut pe_ports = vec![("clk".to_string(), e::id("clk"))];
        if lut {
            pe_ports.extend([
                ("tbl_we".to_string(), e::id("tbl_wr_en")),
                ("tbl_addr".into(), e::id("tbl_wr_addr")),
                ("tbl_data".into(), e::id("tbl_wr_data")),
            ]);
        } else {
            pe_ports.push(("rst".into(), e::id("rst")));
        }
        pe_ports.extend([
            ("in_w".into(), w_of("r")),
            ("in_a".into(), a_of("c")),
            ("valid".into(), e::id("valid")),
            ("clear".into(), e::id("clear")),
        ]);
        if !lut {
            pe_ports.push(("negate".into(), e::id("negate")));
            pe_ports.push(("shift".into(), e::id("shift")));
        }
        if offset {
            pe_ports.push(("a_count".into(), e::index(e::id("a_count"), e::id("c"))));
        }
        pe_ports.push((
            "acc".into(),
            e::part(
                e::index(e::id("acc"), e::id("r")),
                e::mul(e::id("c"), e::int(accw as i64)),
                e::int(accw as i64),
            ),
        ));
        b.items.push(Item::Generate {
            label: "gen_row".into(),
            var: "r".into(),
            count: e::int(dm as i64),
            items: vec![Item::Generate {
                label: "gen_col".into(),
                var: "c".into(),
                count: e::int(dn as i64),
                items: vec![Item::Instance(Instance {
                    module: p.pe_name().into(),
                    name: if lut { "u_pe" } else { "u_dpu" }.into(),
                    params: vec![],
                    ports: pe_ports,
                })],
            }],
        });
        for bank in ["res0", "res1"] {
            b.items.push(Item::Decl(Decl {
                name: bank.into(),
                width: Some(e::int((dn * accw) as i64)),
                signed: false,
                depth: Some(e::int(dm as i64)),
                doc: format!(
                    "Result bank {}: a finished tile's accumulators, emitted while the next tiles accumulate.",
                    &bank[3..]
                ),
            }));
        }
        let take = |bank: &str| {
            vec![Stmt::For(
                "r".into(),
                e::int(0),
                e::int(dm as i64),
                vec![Stmt::Assign(
                    e::index(e::id(bank), e::id("r")),
                    e::index(e::id("acc"), e::id("r")),
                )],
            )]
        };
        b.items.push(Item::AlwaysFf(
            "clk".into(),
            vec![Stmt::If(
                e::id("snap"),
                vec![Stmt::If(e::id("snap_bank"), take("res1"), take("res0"))],
                vec![],
            )],
        ));
        b.comment("Row multiplexer: the row the output stage takes, from the bank it emits.");
        b.items.push(Item::Assign(
            e::id("row_acc"),
            e::cond(
                e::id("row_bank"),
                e::index(e::id("res1"), e::id("row_sel")),
                e::index(e::id("res0"), e::id("row_sel")),
            ),
        ));

        let mut ctl = vec![
            input("valid", None, "a step's term reaches the accumulators"),
            input("clear", None, "the step starts a dot product"),
        ];
        if !lut {
            ctl.push(input("negate", None, ""));
            let shw = p.shift_width();
            ctl.push(input("shift", (shw > 1).then_some(shw), ""));
        }
        let mut clk = vec![input("clk", None, "")];
        if lut {
            clk.extend([
                input("tbl_wr_en", None, "product table write, every PE's copy"),
                input(
                    "tbl_wr_addr",
                    Some(p.w_bits - 1 + p.a_bits),
                    "{magnitude, activation}",
                ),
                input("tbl_wr_data", Some(p.prod_bits()), ""),
            ]);
        } else {
            clk.push(input("rst", None, ""));
        }
        let title = if lut {
            format!("{dm}x{dn} LUT-multiplier PEs of {dk} lanes")
        } else {
            format!("{dm}x{dn} AND-popcount DPUs of {dk} bits")
        };
        Module {
            name: self.name().into(),
            doc: vec![
                format!("PE array: {title}; accumulators {accw} bits."),
                "PE (r, c) takes weight bank r and activation bank c; one row of accumulators leaves through the row mux.".into(),
            ],
            params: vec![],
            ports: vec![
                PortGroup {
                    doc: "Clock, reset / product table".into(),
                    ports: clk,
                },
                PortGroup {
                    doc: "Operands (the memories' read registers)".into(),
                    ports: vec![
                        input("w_rd_data", Some(dm * ww), "row r's weight word at [r*W_WORD +: W_WORD]"),
                        input("a_rd_data", Some(dn * aw), "column c's activation word at [c*A_WORD +: A_WORD]"),
                    ],
                },
                PortGroup {
                    doc: "Step control (the delay line's end)".into(),
                    ports: ctl,
                },
                PortGroup {
                    doc: "Row out".into(),
                    ports: vec![
                        input("snap", None, "a result bank takes the accumulators"),
                        input("snap_bank", None, "the bank snap writes"),
                        input("row_bank", None, "the bank the row mux reads"),
                        input("row_sel", Some(self.row_w()), "array row"),
                        output("row_acc", Some(dn * accw), "column c at [c*ACC_WIDTH +: ACC_WIDTH]"),
                    ],
                },
            ],
            items: b.items,
        }
    }
}
