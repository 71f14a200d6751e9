//! The engine controller (`engine_ctrl`): the job header, the load counters, the tile and
//! compute-issue counters and the emission counters, with the state machine that steps them
//! (in [`crate::engine_ctrl_fsm`]). It owns the stream `tready`s, drives the operand
//! memories' addresses and write enables, issues compute steps to the control delay line and
//! picks the row the output stage takes. Every output is a register or a function of
//! registers and the input streams' `tvalid`/`tdata`; the only inputs from downstream are
//! the output stage's `en` and `row_fire`.

use crate::ast::{e, Item, Module, PortGroup};
use crate::build::{clock_reset, index, input, output, slice, trunc, B};
use crate::ctrl_state::State;
use crate::engine_ctrl_regs::{declare, in_state};
use crate::params::{ActEnc, EngineParams, WeightEnc};
use crate::popcount::ubits;
use crate::typed::{k, kw, V};

/// The controller's widths, derived from the engine's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtrlParams {
    /// The engine.
    pub p: EngineParams,
    /// Header fields M, N, KC.
    pub m_w: u32,
    /// N field.
    pub n_w: u32,
    /// KC field.
    pub kc_w: u32,
    /// Weight words per output channel (`KC · planes`).
    pub kcw_w: u32,
    /// Activation words per column.
    pub kca_w: u32,
    /// Word within a weight row.
    pub off_w: u32,
    /// Weight bank address accumulator.
    pub wa_w: u32,
    /// Array row index.
    pub row_w: u32,
    /// Array column index.
    pub col_w: u32,
    /// Row counters (`0 ..= DM`).
    pub ri_w: u32,
    /// Valid columns (`0 ..= DN`).
    pub nv_w: u32,
    /// Threshold beat within a channel.
    pub beat_w: u32,
    /// Activation plane index.
    pub i_w: u32,
    /// Weight plane index.
    pub j_w: u32,
    /// Drain counter.
    pub dr_w: u32,
}

impl EngineParams {
    /// The controller's parameters.
    pub fn ctrl(&self) -> CtrlParams {
        let p = *self;
        let kcw_w = ubits((p.max_kc() * p.w_planes()) as u64);
        let kca_w = ubits((p.max_kc() * p.a_planes()) as u64);
        CtrlParams {
            p,
            m_w: p.m_field(),
            n_w: p.n_field(),
            kc_w: p.kc_field(),
            kcw_w,
            kca_w,
            off_w: kcw_w,
            wa_w: ubits(p.w_depth() as u64),
            row_w: crate::operand_mem::OperandMemParams::bank_w(p.dm),
            col_w: crate::operand_mem::OperandMemParams::bank_w(p.dn),
            ri_w: ubits(p.dm as u64),
            nv_w: ubits(p.dn as u64),
            beat_w: ubits(p.thresholds() as u64),
            i_w: ubits((p.a_planes() - 1) as u64),
            j_w: ubits((p.w_planes() - 1) as u64),
            dr_w: ubits(p.dpu_latency() as u64 + 1),
        }
    }
}

impl CtrlParams {
    /// The module's name.
    pub fn name(&self) -> &'static str {
        "engine_ctrl"
    }
    /// Bits of a weight bank address (the operand memories' own).
    pub fn w_addr_w(&self) -> u32 {
        self.p.operand_mem().w_addr_w()
    }
    /// Bits of an activation bank address.
    pub fn a_addr_w(&self) -> u32 {
        self.p.operand_mem().a_addr_w()
    }
    /// Bits of a threshold memory address.
    pub fn t_addr_w(&self) -> u32 {
        self.p.operand_mem().t_addr_w()
    }
    /// Bits of the weight stream the controller reads: the header, a threshold, a table
    /// entry.
    pub fn wt_w(&self) -> u32 {
        let p = &self.p;
        let tbl = if p.is_lut() { p.prod_bits() } else { 0 };
        p.header_width().max(p.thr_width()).max(tbl)
    }
    /// Bits of a product table address `{mag, act}` (LUT engines).
    pub fn tbl_addr_w(&self) -> u32 {
        self.p.w_bits - 1 + self.p.a_bits
    }
}
/// The controller module.
pub fn module(p: &EngineParams) -> Module {
    let c = p.ctrl();
    let lut = p.is_lut();
    let t = p.thresholds();
    let tw = p.thr_width();
    let mut b = B::default();
    let r = declare(&mut b, p, &c);
    b.comment("Operand memory addresses and write enables.");
    let w_waddr = index(
        &mut b,
        "w_waddr",
        r.row_base_q.add(&r.off_q),
        p.w_depth(),
        in_state(State::LoadW),
    );
    let w_raddr = index(
        &mut b,
        "w_raddr",
        r.mt_base_q.add(&r.kc_w_q).add(&r.j_q),
        p.w_depth(),
        r.issuing.clone(),
    );
    let a_raddr = index(
        &mut b,
        "a_raddr",
        r.kc_a_q.add(&r.i_q),
        p.a_depth(),
        r.issuing.clone(),
    );
    let t_raddr = index(
        &mut b,
        "t_raddr",
        r.em.em_tile.m0.add(&r.em.r_issue_q),
        p.max_m,
        r.issue.clone(),
    );
    let t_waddr = index(
        &mut b,
        "t_waddr",
        r.m_cnt_q.clone(),
        p.max_m,
        in_state(State::LoadT),
    );
    let w_we = in_state(State::LoadW).and(&r.wt_fire);
    let t_we = in_state(State::LoadT)
        .and(&r.wt_fire)
        .and(&r.beat_q.eq(&k(t as u64)));
    for (port, v) in [
        ("w_wr_en", w_we),
        ("w_wr_bank", r.row_q.clone()),
        ("w_wr_addr", w_waddr),
        ("w_rd_addr", w_raddr),
        ("a_rd_addr", a_raddr),
        ("t_wr_en", t_we),
        ("t_wr_addr", t_waddr),
        (
            "t_wr_data",
            V {
                e: e::concat(vec![r.thr_next.e.clone(), r.thr_dir_q.e.clone()]),
                w: t * tw + 1,
            },
        ),
        ("t_rd_addr", t_raddr),
    ] {
        b.drive(port, &v);
    }

    b.comment("Compute steps into the control delay line.");
    let first = r
        .kc_idx_q
        .eq(&kw(0, c.kc_w))
        .and(&r.i_q.eq(&kw(0, c.i_w)))
        .and(&r.j_q.eq(&kw(0, c.j_w)));
    b.drive("step_valid", &r.issuing);
    b.drive("step_clear", &first);
    if !lut {
        let a_neg = if p.a_enc == ActEnc::Signed {
            r.i_q.eq(&k((p.a_bits - 1) as u64))
        } else {
            kw(0, 1)
        };
        let w_neg = if p.w_enc == WeightEnc::Signed {
            r.j_q.eq(&k((p.w_bits - 1) as u64))
        } else {
            kw(0, 1)
        };
        let negate = V {
            e: e::bin(crate::ast::BinOp::Xor, a_neg.e, w_neg.e),
            w: 1,
        };
        let shift = trunc(
            &mut b,
            "step_shift_sum",
            r.i_q.add(&r.j_q),
            p.shift_width(),
            r.issuing.clone(),
        );
        b.drive("step_negate", &negate);
        b.drive("step_shift", &shift);
    }

    // LUT engines: the PEs' shared table write port.
    if let (Some((tmag_q, tact_q, zero)), Some(step)) = (&r.tbl, &r.tbl_step) {
        let pb = p.prod_bits();
        b.drive("tbl_wr_en", step);
        b.drive(
            "tbl_wr_addr",
            &V {
                e: e::concat(vec![tmag_q.e.clone(), tact_q.e.clone()]),
                w: c.tbl_addr_w(),
            },
        );
        b.drive(
            "tbl_wr_data",
            &V::mux(zero, &kw(0, pb), &slice("wt_data", 0, pb)),
        );
    }
    b.comment("The row the output stage takes, and which path it goes down.");
    b.drive("row_sel", &r.em.e1_row_q);
    b.drive("row_last", &r.em.e1_last_q);
    b.drive("code_valid", &r.em.e1_valid_q.and(&r.raw_q.not()));
    b.drive("raw_valid", &r.em.e1_valid_q.and(&r.raw_q));
    b.drive("cols_valid", &r.em.em_tile.nv);
    b.drive("snap", &r.snap);
    b.drive("snap_bank", &r.em.sw_q);
    b.drive("row_bank", &r.em.em_bank_q);

    b.comment("Activation banks' write port (the loader).");
    let (load_a, [a_we, a_bank, a_waddr]) =
        crate::engine_ctrl_act::loader(&mut b, p, &c, &r.act, &r.kca_q, &r.act_fire);
    for (port, v) in [
        ("a_wr_en", a_we),
        ("a_wr_bank", a_bank),
        ("a_wr_addr", a_waddr),
    ] {
        b.drive(port, &v);
    }

    b.comment("State machine.");
    crate::engine_ctrl_fsm::state_machine(&mut b, p, &c, &r, load_a);
    let checks = crate::engine_ctrl_checks::protocol_checks(&mut b, p, &r);
    b.items.push(Item::SimCheck("clk".into(), checks));

    Module {
        name: c.name().into(),
        doc: vec![
            "Engine controller: job header, load / tile / issue / emission counters and their state machine.".into(),
            "Outputs depend only on registers and the input streams; en and row_fire come from the output stage.".into(),
        ],
        params: vec![],
        ports: ports(&c),
        items: b.items,
    }
}

/// The controller's ports.
fn ports(c: &CtrlParams) -> Vec<PortGroup> {
    let p = &c.p;
    let mut mem = vec![
        output("w_wr_en", None, ""),
        output("w_wr_bank", Some(c.row_w), "weight bank = array row"),
        output("w_wr_addr", Some(c.w_addr_w()), ""),
        output(
            "w_rd_addr",
            Some(c.w_addr_w()),
            "the same address in every bank",
        ),
        output("a_wr_en", None, ""),
        output("a_wr_bank", Some(c.col_w), "activation bank = array column"),
        output("a_wr_addr", Some(c.a_addr_w()), ""),
        output(
            "a_rd_addr",
            Some(c.a_addr_w()),
            "the same address in every bank",
        ),
        output("t_wr_en", None, ""),
        output("t_wr_addr", Some(c.t_addr_w()), ""),
        output(
            "t_wr_data",
            Some(p.thr_word_width()),
            "{thresholds, direction}",
        ),
        output(
            "t_rd_addr",
            Some(c.t_addr_w()),
            "the channel of the row being issued",
        ),
    ];
    if p.is_lut() {
        mem.extend([
            output("tbl_wr_en", None, "product table write (every PE's copy)"),
            output(
                "tbl_wr_addr",
                Some(c.tbl_addr_w()),
                "{magnitude index, activation code}",
            ),
            output("tbl_wr_data", Some(p.prod_bits()), ""),
        ]);
    }
    let mut step = vec![
        output("step_valid", None, "a compute step is issued this cycle"),
        output(
            "step_clear",
            None,
            "the first step of a tile: the accumulators restart",
        ),
    ];
    if !p.is_lut() {
        step.extend([
            output("step_negate", None, "the step's term is subtracted"),
            output(
                "step_shift",
                Some(p.shift_width()),
                "the step's term is shifted left by i + j",
            ),
        ]);
    }
    vec![
        clock_reset("active high, synchronous"),
        PortGroup {
            doc: "Input streams (data are written by the operand memories)".into(),
            ports: vec![
                input(
                    "wt_data",
                    Some(c.wt_w()),
                    "the weight stream's low bits: header, table entries, thresholds",
                ),
                input("s_axis_wt_tvalid", None, ""),
                output("s_axis_wt_tready", None, ""),
                input("s_axis_wt_tlast", None, ""),
                input("s_axis_act_tvalid", None, ""),
                output("s_axis_act_tready", None, ""),
                input("s_axis_act_tlast", None, ""),
            ],
        },
        PortGroup {
            doc: "Operand memories".into(),
            ports: mem,
        },
        PortGroup {
            doc: "Compute steps (to the control delay line)".into(),
            ports: step,
        },
        PortGroup {
            doc: "Emission: the row the output stage takes".into(),
            ports: vec![
                output(
                    "snap",
                    None,
                    "a result bank takes the accumulators (a tile is done)",
                ),
                output("snap_bank", None, "the bank snap writes"),
                output("row_bank", None, "the bank the emitted rows come from"),
                output("row_sel", Some(c.row_w), "array row"),
                output("row_last", None, "the job's last row"),
                output("code_valid", None, "the row enters the threshold unit"),
                output("raw_valid", None, "the row goes out raw"),
                output(
                    "cols_valid",
                    Some(c.nv_w),
                    "valid columns of the tile being emitted",
                ),
                input(
                    "en",
                    None,
                    "the output pipeline advances (the output skid register is empty)",
                ),
                input(
                    "row_fire",
                    None,
                    "a row leaves the output pipeline (onto m_axis_out or the skid register)",
                ),
            ],
        },
    ]
}
