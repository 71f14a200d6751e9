//! The operand memories (`operand_mem`): one weight bank per array row, one activation bank
//! per array column, and the threshold memory, each with a registered read port (one BRAM
//! latency, [`crate::params::BRAM_LATENCY`]). Every bank of a kind reads the same address in
//! the same cycle; a write goes to the one bank the controller names. The threshold read
//! register advances with the output pipeline's `en`, so a held row keeps its word.

use crate::ast::{e, Decl, Item, Module, PortGroup, Stmt};
use crate::build::{idx_w, input, output, when, B};
use crate::params::EngineParams;
use crate::typed::sig;

/// The operand memories' geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperandMemParams {
    /// Weight banks (array rows).
    pub w_banks: u32,
    /// Bits of a weight word.
    pub w_word: u32,
    /// Words per weight bank.
    pub w_depth: u32,
    /// Activation banks (array columns).
    pub a_banks: u32,
    /// Bits of an activation word.
    pub a_word: u32,
    /// Words per activation bank (two buffers of one n-tile's column each).
    pub a_depth: u32,
    /// Bits of a threshold word.
    pub t_word: u32,
    /// Threshold words (one per output channel).
    pub t_depth: u32,
}

impl EngineParams {
    /// The operand memories' parameters.
    pub fn operand_mem(&self) -> OperandMemParams {
        OperandMemParams {
            w_banks: self.dm,
            w_word: self.w_word(),
            w_depth: self.w_depth(),
            a_banks: self.dn,
            a_word: self.a_word(),
            a_depth: self.a_depth(),
            t_word: self.thr_word_width(),
            t_depth: self.max_m,
        }
    }
}

impl OperandMemParams {
    /// The module's name.
    pub fn name(&self) -> &'static str {
        "operand_mem"
    }
    /// Bits of a weight bank address.
    pub fn w_addr_w(&self) -> u32 {
        idx_w(self.w_depth)
    }
    /// Bits of an activation bank address.
    pub fn a_addr_w(&self) -> u32 {
        idx_w(self.a_depth)
    }
    /// Bits of a threshold memory address.
    pub fn t_addr_w(&self) -> u32 {
        idx_w(self.t_depth)
    }
    /// Bits of a bank index among `banks` banks.
    pub fn bank_w(banks: u32) -> u32 {
        crate::popcount::ubits((banks - 1) as u64)
    }
    /// Cycles from a read address to its data.
    pub fn latency(&self) -> u32 {
        crate::params::BRAM_LATENCY
    }
    /// Memory bits: (weights, activations, thresholds).
    pub fn bits(&self) -> (u64, u64, u64) {
        (
            self.w_banks as u64 * self.w_word as u64 * self.w_depth as u64,
            self.a_banks as u64 * self.a_word as u64 * self.a_depth as u64,
            self.t_word as u64 * self.t_depth as u64,
        )
    }

    /// The module.
    pub fn module(&self) -> Module {
        let mut b = B::default();
        b.comment("Weight banks (one per array row) and their read registers.");
        bank(
            &mut b,
            "w",
            "r",
            self.w_banks,
            self.w_word,
            self.w_depth,
            "wt_data",
            format!("Bank r: rows r, r+DM, ...; {} words.", self.w_depth),
        );
        b.comment("Activation banks (one per array column) and their read registers.");
        bank(
            &mut b,
            "a",
            "c",
            self.a_banks,
            self.a_word,
            self.a_depth,
            "act_data",
            format!(
                "Bank c: column c's chunks and planes, two buffers of {} words (n-tiles alternate).",
                self.a_depth / 2
            ),
        );
        b.comment("Threshold words, one per output channel; the read register holds with en.");
        b.mem("t_mem", self.t_word, self.t_depth, "");
        let t_rd = b.decl("t_rd_q", self.t_word, "threshold word of the issued row");
        b.items.push(Item::AlwaysFf(
            "clk".into(),
            vec![
                when(
                    &sig("t_wr_en", 1),
                    vec![Stmt::Assign(
                        e::index(e::id("t_mem"), e::id("t_wr_addr")),
                        e::id("t_wr_data"),
                    )],
                    vec![],
                ),
                when(
                    &sig("en", 1),
                    vec![Stmt::Assign(
                        t_rd.e.clone(),
                        e::index(e::id("t_mem"), e::id("t_rd_addr")),
                    )],
                    vec![],
                ),
            ],
        ));
        b.drive("t_rd_data", &t_rd);
        let (wa, aa, ta) = (self.w_addr_w(), self.a_addr_w(), self.t_addr_w());
        let bank_w = Self::bank_w;
        Module {
            name: self.name().into(),
            doc: vec![
                format!(
                    "Operand memories: {} weight banks of {}x{} bits, {} activation banks of {}x{} bits, {}x{} threshold bits.",
                    self.w_banks, self.w_depth, self.w_word, self.a_banks, self.a_depth, self.a_word, self.t_depth, self.t_word
                ),
                "Registered reads; every bank of a kind reads the same address.".into(),
            ],
            params: vec![],
            ports: vec![
                PortGroup {
                    doc: "Clock, and the output pipeline's enable".into(),
                    ports: vec![input("clk", None, ""), input("en", None, "the threshold read register advances")],
                },
                PortGroup {
                    doc: "Weight banks".into(),
                    ports: vec![
                        input("wt_data", Some(self.w_word), "the weight stream's word"),
                        input("w_wr_en", None, ""),
                        input("w_wr_bank", Some(bank_w(self.w_banks)), ""),
                        input("w_wr_addr", Some(wa), ""),
                        input("w_rd_addr", Some(wa), ""),
                        output("w_rd_data", Some(self.w_banks * self.w_word), "bank r at [r*W_WORD +: W_WORD]"),
                    ],
                },
                PortGroup {
                    doc: "Activation banks".into(),
                    ports: vec![
                        input("act_data", Some(self.a_word), "the activation stream's word"),
                        input("a_wr_en", None, ""),
                        input("a_wr_bank", Some(bank_w(self.a_banks)), ""),
                        input("a_wr_addr", Some(aa), ""),
                        input("a_rd_addr", Some(aa), ""),
                        output("a_rd_data", Some(self.a_banks * self.a_word), "bank c at [c*A_WORD +: A_WORD]"),
                    ],
                },
                PortGroup {
                    doc: "Threshold memory".into(),
                    ports: vec![
                        input("t_wr_en", None, ""),
                        input("t_wr_addr", Some(ta), ""),
                        input("t_wr_data", Some(self.t_word), ""),
                        input("t_rd_addr", Some(ta), ""),
                        output("t_rd_data", Some(self.t_word), "registered"),
                    ],
                },
            ],
            items: b.items,
        }
    }
}

/// `n` banks `{kind}_mem` of `depth` words under `gen_{kind}_bank`, written from `src` when
/// `{kind}_wr_en` names the bank, all read at `{kind}_rd_addr` into `{kind}_rd_data`.
#[allow(clippy::too_many_arguments)]
fn bank(b: &mut B, kind: &str, var: &str, n: u32, w: u32, depth: u32, src: &str, doc: String) {
    let data_q = format!("{kind}_data_q");
    b.items.push(Item::Decl(Decl {
        name: data_q.clone(),
        width: Some(e::int(w as i64)),
        signed: false,
        depth: Some(e::int(n as i64)),
        doc: "Read registers.".into(),
    }));
    let mem = format!("{kind}_mem");
    b.items.push(Item::Generate {
        label: format!("gen_{kind}_bank"),
        var: var.into(),
        count: e::int(n as i64),
        items: vec![
            Item::Decl(Decl {
                name: mem.clone(),
                width: Some(e::int(w as i64)),
                signed: false,
                depth: Some(e::int(depth as i64)),
                doc,
            }),
            Item::AlwaysFf(
                "clk".into(),
                vec![
                    Stmt::If(
                        e::land(
                            e::id(format!("{kind}_wr_en")),
                            e::eq(
                                sig(&format!("{kind}_wr_bank"), OperandMemParams::bank_w(n))
                                    .ext(32)
                                    .e,
                                e::id(var),
                            ),
                        ),
                        vec![Stmt::Assign(
                            e::index(e::id(&mem), e::id(format!("{kind}_wr_addr"))),
                            e::part(e::id(src), e::int(0), e::int(w as i64)),
                        )],
                        vec![],
                    ),
                    Stmt::Assign(
                        e::index(e::id(&data_q), e::id(var)),
                        e::index(e::id(&mem), e::id(format!("{kind}_rd_addr"))),
                    ),
                ],
            ),
            Item::Assign(
                e::part(
                    e::id(format!("{kind}_rd_data")),
                    e::mul(e::id(var), e::int(w as i64)),
                    e::int(w as i64),
                ),
                e::index(e::id(&data_q), e::id(var)),
            ),
        ],
    });
}
