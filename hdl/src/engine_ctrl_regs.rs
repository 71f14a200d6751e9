//! The controller's registers and the signals derived from them (part of the
//! `engine_ctrl` module, [`crate::engine_ctrl`]): their declarations, widths and reset
//! values in one place, read by the state machine ([`crate::engine_ctrl_fsm`]) and by the
//! controller's outputs.

use crate::ast::{e, Item, Stmt};
use crate::build::{min_wire, set, slice, B};
use crate::ctrl_state::State;
use crate::engine_ctrl::CtrlParams;
use crate::params::EngineParams;
use crate::typed::{k, kw, sig, V};

/// The controller's registers and the derived signals the state machine reads.
pub(crate) struct Regs {
    pub state: V,
    pub tbl: Option<(V, V, V)>,
    pub m_q: V,
    pub n_q: V,
    pub kc_q: V,
    pub kcw_q: V,
    pub kca_q: V,
    pub raw_q: V,
    pub hdr: [V; 4],
    pub hdr_ok: V,
    pub row_q: V,
    pub row_base_q: V,
    pub off_q: V,
    pub m_cnt_q: V,
    pub beat_q: V,
    pub thr_dir_q: V,
    pub thr_shift_q: Option<V>,
    pub thr_next: V,
    pub n0_q: V,
    pub nv_q: V,
    pub m0_q: V,
    pub mt_base_q: V,
    pub kc_idx_q: V,
    pub kc_w_q: V,
    pub kc_a_q: V,
    pub i_q: V,
    pub j_q: V,
    pub fresh_q: V,
    pub snap: V,
    /// The pending tile's and the emission's registers.
    pub em: crate::engine_ctrl_emit::EmitRegs,
    /// The activation loader's registers.
    pub act: crate::engine_ctrl_act::ActRegs,
    pub rv: V,
    pub m_more: V,
    pub m_more_d: V,
    pub n_more_d: V,
    pub n_more: V,
    pub issue: V,
    pub wt_fire: V,
    pub act_fire: V,
    pub en: V,
    pub row_fire: V,
    pub tbl_step: Option<V>,
    pub issuing: V,
}

/// `state_q == s`.
pub(crate) fn in_state(s: State) -> V {
    sig("state_q", State::WIDTH).eq(&st(s))
}

/// The constant naming state `s`.
pub(crate) fn st(s: State) -> V {
    sig(s.rtl_name(), State::WIDTH)
}

/// Declare the controller's registers and derived signals.
pub(crate) fn declare(b: &mut B, p: &EngineParams, c: &CtrlParams) -> Regs {
    let lut = p.is_lut();
    let t = p.thresholds();
    let tw = p.thr_width();
    b.items.push(Item::Enum {
        name: "state_t".into(),
        width: State::WIDTH,
        members: State::of_engine(lut)
            .iter()
            .map(|s| (s.rtl_name().to_string(), s.code() as u128))
            .collect(),
        doc: "Controller states (hdl::ctrl_state::State).".into(),
    });
    b.items.push(Item::TypedVar {
        ty: "state_t".into(),
        name: "state_q".into(),
        doc: "Controller state.".into(),
    });
    let state = sig("state_q", State::WIDTH);

    // LUT engines: the product table's load counters walk every address {mag, act}; the
    // zero-level words (mag = 0 or act = 0) are written with 0 without taking a beat.
    let tbl = if lut {
        b.comment(
            "Product table load: every address {mag, act}; zero-level words get 0 and take no beat.",
        );
        let tmag_q = b.decl(
            "tmag_q",
            p.w_bits - 1,
            "weight magnitude index being loaded",
        );
        let tact_q = b.decl("tact_q", p.a_bits, "activation code being loaded");
        let zero = b.wire(
            "tbl_zero",
            tmag_q
                .eq(&kw(0, p.w_bits - 1))
                .or(&tact_q.eq(&kw(0, p.a_bits))),
            "a zero-level word: written with 0, no stream beat",
        );
        Some((tmag_q, tact_q, zero))
    } else {
        None
    };

    let act = crate::engine_ctrl_act::declare(b, c);
    b.comment("Stream handshakes (tready depends only on registers).");
    // A header waits until the previous job's rows are all out of the pipeline (its
    // thresholds are read until then) and out of the output skid register (en).
    let (em_busy_q, pend_q, q_busy_q) = (sig("em_busy_q", 1), sig("pend_q", 1), sig("q_busy_q", 1));
    let mut wt_states = e::lor(
        e::lor(
            in_state(State::Idle)
                .and(&em_busy_q.not())
                .and(&pend_q.not())
                .and(&q_busy_q.not())
                .and(&sig("en", 1))
                .e,
            in_state(State::LoadW).e,
        ),
        in_state(State::LoadT).e,
    );
    if let Some((_, _, zero)) = &tbl {
        wt_states = e::lor(
            wt_states,
            e::land(in_state(State::LoadP).e, e::not(zero.e.clone())),
        );
    }
    let wt_ready = b.wire("wt_ready", V { e: wt_states, w: 1 }, "");
    let act_ready = act.ready.clone();
    let wt_fire = b.wire("wt_fire", sig("s_axis_wt_tvalid", 1).and(&wt_ready), "");
    let act_fire = b.wire("act_fire", sig("s_axis_act_tvalid", 1).and(&act_ready), "");
    b.drive("s_axis_wt_tready", &wt_ready);
    b.drive("s_axis_act_tready", &act_ready);

    b.comment("Job registers, from the header {RAW, KC, N, M}.");
    let m_q = b.decl("m_q", c.m_w, "");
    let n_q = b.decl("n_q", c.n_w, "");
    let kc_q = b.decl("kc_q", c.kc_w, "");
    let kcw_q = b.decl(
        "kcw_q",
        c.kcw_w,
        "KC · weight words per chunk: weight words per output channel.",
    );
    let kca_q = b.decl(
        "kca_q",
        c.kca_w,
        "KC · activation words per chunk: activation words per column.",
    );
    let hdr_m = b.wire("hdr_m", slice("wt_data", 0, c.m_w), "");
    let hdr_n = b.wire("hdr_n", slice("wt_data", c.m_w, c.n_w), "");
    let hdr_kc = b.wire("hdr_kc", slice("wt_data", c.m_w + c.n_w, c.kc_w), "");
    let raw_q = b.decl(
        "raw_q",
        1,
        "raw mode: no thresholds, the accumulators go out instead of codes",
    );
    let hdr_raw = b.wire(
        "hdr_raw",
        slice("wt_data", p.raw_bit(), 1),
        "the header's RAW bit",
    );
    let nz = |v: &V| v.ne(&kw(0, v.w));
    let mut conds = vec![nz(&hdr_m), nz(&hdr_n), nz(&hdr_kc)];
    // A bound equal to the field's all-ones value always holds: leave it out.
    for (f, max) in [(&hdr_m, p.max_m), (&hdr_n, p.max_n), (&hdr_kc, p.max_kc())] {
        if (max as u64) < (1u64 << f.w) - 1 {
            conds.push(f.le(&k(max as u64)));
        }
    }
    let hdr_ok_e = conds.into_iter().reduce(|a, c| a.and(&c)).unwrap();
    let hdr_ok = b.wire(
        "hdr_ok",
        hdr_ok_e,
        "A header with a zero or too large field is dropped.",
    );

    b.comment("Load counters.");
    let row_q = b.decl("row_q", c.row_w, "weight bank (array row) being loaded");
    let row_base_q = b.decl(
        "row_base_q",
        c.wa_w,
        "bank address of the current row's first word",
    );
    let off_q = b.decl("off_q", c.off_w, "word within the current weight row");
    let m_cnt_q = b.decl("m_cnt_q", c.m_w, "output channels loaded so far");
    let beat_q = b.decl(
        "beat_q",
        c.beat_w,
        "beat within a channel's thresholds (0 = direction)",
    );
    let thr_dir_q = b.decl("thr_dir_q", 1, "");
    let thr_shift_q = (t > 1).then(|| {
        b.decl(
            "thr_shift_q",
            (t - 1) * tw,
            "the channel's earlier thresholds, the newest at the top",
        )
    });

    b.comment("Tiles.");
    let n0_q = b.decl("n0_q", c.n_w, "first column of the n-tile");
    let nv_q = b.decl("nv_q", c.nv_w, "valid columns in the n-tile");
    let m0_q = b.decl("m0_q", c.m_w, "first row of the m-tile");
    let mt_base_q = b.decl("mt_base_q", c.wa_w, "bank address of the m-tile's weights");

    b.comment("Compute issue: k-chunk, activation plane i, weight plane j.");
    let kc_idx_q = b.decl("kc_idx_q", c.kc_w, "");
    let kc_w_q = b.decl("kc_w_q", c.kcw_w, "kc_idx · weight words per chunk");
    let kc_a_q = b.decl(
        "kc_a_q",
        c.a_addr_w(),
        "the buffer's base + kc_idx · activation words per chunk",
    );
    let i_q = b.decl("i_q", c.i_w, "");
    let j_q = b.decl("j_q", c.j_w, "");
    let fresh_q = b.decl(
        "fresh_q",
        1,
        "the m-tile's first cycle (its look-ahead is not valid yet: no last step)",
    );
    let em = crate::engine_ctrl_emit::declare(b, c);

    // Derived combinational values.
    // Tile look-ahead: functions of the tile registers, registered so the tile-done logic
    // starts from flops. m0/n0/M/N change only on entering COMPUTE or WAIT_A (or in IDLE),
    // and the tile is done no sooner than DPU latency + 3 cycles into COMPUTE, so once its
    // steps are all issued each register equals its function.
    let rv_d = min_wire(
        b,
        "rows_valid_d",
        m_q.sub(&m0_q),
        p.dm,
        c.ri_w,
        "rows of the m-tile that exist: min(DM, M − m0)",
    );
    let m_more_d = b.wire(
        "m_more_d",
        m0_q.add(&k(p.dm as u64)).lt(&m_q),
        "another m-tile follows",
    );
    let n_more_d = b.wire(
        "n_more_d",
        n0_q.add(&k(p.dn as u64)).lt(&n_q),
        "another n-tile follows",
    );
    let rv = lookahead(b, "rows_valid", &rv_d);
    let m_more = lookahead(b, "m_more", &m_more_d);
    let n_more = lookahead(b, "n_more", &n_more_d);
    let issue = b.wire(
        "issue",
        em.em_busy_q.and(&em.r_issue_q.lt(&em.em_tile.rv)),
        "a row of the result registers enters the output pipeline",
    );
    let last_step = b.wire(
        "last_step",
        j_q.eq(&kw((p.w_planes() - 1) as u64, c.j_w))
            .and(&i_q.eq(&kw((p.a_planes() - 1) as u64, c.i_w)))
            .and(&kc_idx_q.add(&k(1)).eq(&kc_q)),
        "the step at the counters is the tile's last",
    );
    let first_step = b.wire(
        "first_step",
        j_q.eq(&kw(0, c.j_w))
            .and(&i_q.eq(&kw(0, c.i_w)))
            .and(&kc_idx_q.eq(&kw(0, c.kc_w))),
        "the step at the counters is the tile's first",
    );
    let issuing = b.wire(
        "issuing",
        in_state(State::Compute)
            .and(&first_step.not().or(&em.pend_q.not()).or(&em.q_busy_q.not()))
            .and(&last_step.not().or(&em.pend_q.not().and(&fresh_q.not()))),
        "steps go back to back; a first waits while a pending tile cannot take a result bank, a last for the pending slot",
    );
    let snap = b.wire(
        "res_take",
        em.pend_q
            .and(&em.drain_q.eq(&kw(0, c.dr_w)))
            .and(&em.q_busy_q.not()),
        "the accumulators hold the pending tile's last step and a result bank is free",
    );
    let new_thr = slice("wt_data", 0, tw);
    let shifted = if t == 1 {
        new_thr.clone()
    } else {
        V {
            e: e::concat(vec![new_thr.e.clone(), e::id("thr_shift_q")]),
            w: t * tw,
        }
    };
    let thr_next = b.wire(
        "thr_next",
        shifted,
        "this beat's threshold above the earlier ones (t_0 lowest)",
    );
    let tbl_step = tbl.as_ref().map(|(_, _, zero)| {
        b.wire(
            "tbl_we",
            in_state(State::LoadP).and(&zero.or(&wt_fire)),
            "write this address (and step to the next)",
        )
    });
    Regs {
        state,
        tbl,
        m_q,
        n_q,
        kc_q,
        kcw_q,
        kca_q,
        raw_q,
        hdr: [hdr_m, hdr_n, hdr_kc, hdr_raw],
        hdr_ok,
        row_q,
        row_base_q,
        off_q,
        m_cnt_q,
        beat_q,
        thr_dir_q,
        thr_shift_q,
        thr_next,
        n0_q,
        nv_q,
        m0_q,
        mt_base_q,
        kc_idx_q,
        kc_w_q,
        kc_a_q,
        i_q,
        j_q,
        fresh_q,
        snap,
        rv,
        em,
        act,
        m_more,
        n_more,
        m_more_d,
        n_more_d,
        issue,
        wt_fire,
        act_fire,
        en: sig("en", 1),
        row_fire: sig("row_fire", 1),
        tbl_step,
        issuing,
    }
}

/// `v = 0`.
pub(crate) fn zero(v: &V) -> Stmt {
    set(v, kw(0, v.w))
}

/// A register `{name}_q` that takes `d` every cycle, read through the wire `name`.
pub(crate) fn lookahead(b: &mut B, name: &str, d: &V) -> V {
    let q = b.decl(&format!("{name}_q"), d.w, "");
    b.items
        .push(Item::AlwaysFf("clk".into(), vec![set(&q, d.clone())]));
    b.wire(name, q, "(registered look-ahead)")
}
