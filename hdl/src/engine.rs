//! The bit-serial engine's top level: AXI4-Stream ports, weight/activation/threshold
//! memories, the controller, the `Dm × Dn` DPU array with its shared control delay line, and
//! the threshold unit, bypassed by one output register in raw mode (the header's RAW bit:
//! no thresholds are loaded and each beat carries a row's accumulators). Register for
//! register the same micro-architecture as `sim::engine::Engine` (see there for the job
//! protocol).
//!
//! ```text
//!  s_axis_wt ──► header / w_mem[Dm] / t_mem ──┐                      ┌► threshold unit ─┐
//!  s_axis_act ─► a_mem[Dn] ───────────────────┼─► DPU array ─► row mux┤  (code mode)      ├► m_axis_out
//!                controller (state_q) ────────┘   (ctl delay line)   └► raw_acc_q (raw) ─┘ (en = !stall)
//! ```

use crate::ast::{e, Decl, Dir, Expr, Instance, Item, Module, Param, Port, PortGroup, Stmt};
use crate::ctrl_state::State;
use crate::params::{ActEnc, EngineParams, WeightEnc};
use crate::popcount::ubits;
use crate::typed::{k, kw, sig, V};

/// Controller state names in encoding order (see [`State`]).
pub const STATES: [&str; 7] = [
    State::Idle.rtl_name(),
    State::LoadW.rtl_name(),
    State::LoadT.rtl_name(),
    State::LoadA.rtl_name(),
    State::Compute.rtl_name(),
    State::Emit.rtl_name(),
    State::LoadP.rtl_name(),
];
const STATE_W: u32 = State::WIDTH;

struct B {
    items: Vec<Item>,
    /// Simulation-only range checks: (when, value, limit, message).
    checks: Vec<(V, V, u64, String)>,
}

impl B {
    fn decl(&mut self, name: &str, w: u32, doc: &str) -> V {
        self.items.push(Item::Decl(Decl {
            name: name.into(),
            width: Some(e::int(w as i64)),
            signed: false,
            depth: None,
            doc: doc.into(),
        }));
        sig(name, w)
    }
    fn wire(&mut self, name: &str, v: V, doc: &str) -> V {
        let s = self.decl(name, v.w, doc);
        self.items.push(Item::Assign(s.e.clone(), v.e));
        s
    }
    fn mem(&mut self, name: &str, w: u32, depth: u32, doc: &str) {
        self.items.push(Item::Decl(Decl {
            name: name.into(),
            width: Some(e::int(w as i64)),
            signed: false,
            depth: Some(e::int(depth as i64)),
            doc: doc.into(),
        }));
    }
}

fn set(l: &V, r: V) -> Stmt {
    assert_eq!(l.w, r.w, "width mismatch assigning {:?}", l.e);
    Stmt::Assign(l.e.clone(), r.e)
}

fn when(c: &V, then: Vec<Stmt>, els: Vec<Stmt>) -> Stmt {
    Stmt::If(c.e.clone(), then, els)
}

fn slice(name: &str, lo: u32, w: u32) -> V {
    V {
        e: e::part(e::id(name), e::int(lo as i64), e::int(w as i64)),
        w,
    }
}

/// Index width for a memory of `depth` words.
fn idx_w(depth: u32) -> u32 {
    ubits(depth.saturating_sub(1) as u64)
}

/// The engine's top module.
pub fn module(p: &EngineParams) -> Module {
    let (dm, dn, dk, wb, ab, ob) = (p.dm, p.dn, p.dk, p.w_bits, p.a_bits, p.out_bits);
    let t = p.thresholds();
    let lut = p.is_lut();
    let (wpl, apl) = (p.w_planes(), p.a_planes());
    let (tw, accw, pcw, lat) = (p.thr_width(), p.acc_width(), p.pc_width(), p.ctl_delay());
    let (mw, nw, kcw_f) = (p.m_field(), p.n_field(), p.kc_field());
    let kw_w = ubits((p.max_kc() * wpl) as u64);
    let ka_w = ubits((p.max_kc() * apl) as u64);
    let off_w = kw_w.max(ka_w);
    let wa_w = ubits(p.w_depth() as u64);
    let aa_w = ubits(p.a_depth() as u64);
    let (row_w, col_w, ri_w) = (
        ubits((dm - 1) as u64),
        ubits((dn - 1) as u64),
        ubits(dm as u64),
    );
    let nv_w = ubits(dn as u64);
    let beat_w = ubits(t as u64);
    let (i_w, j_w) = (ubits((apl - 1) as u64), ubits((wpl - 1) as u64));
    let dr_w = ubits(p.dpu_latency() as u64);
    let word = p.thr_word_width();
    let (wtw, acw, ow) = (
        p.wt_stream_width(),
        p.act_stream_width(),
        p.out_stream_width(),
    );
    let mut b = B {
        items: Vec::new(),
        checks: Vec::new(),
    };

    let n_states = if lut { STATES.len() } else { STATES.len() - 1 };
    for (i, s) in STATES.iter().enumerate().take(n_states) {
        b.items.push(Item::LocalParam(Param {
            name: (*s).into(),
            value: e::lit(STATE_W, i as u128),
            doc: if i == 0 {
                "Controller states.".into()
            } else {
                String::new()
            },
            width: Some(STATE_W),
        }));
    }
    let st = |name: &str| sig(name, STATE_W);
    let state = b.decl("state_q", STATE_W, "Controller state.");
    let in_state = |s: &str| state.eq(&st(s));

    // LUT engines: the product table's load counters walk every address {mag, act}; the
    // zero-level words (mag = 0 or act = 0) are written with 0 without taking a beat.
    let tcnt = if lut {
        b.items.push(Item::Comment(
            "Product table load: every address {mag, act}; zero-level words get 0 and take no beat."
                .into(),
        ));
        let tmag_q = b.decl("tmag_q", wb - 1, "weight magnitude index being loaded");
        let tact_q = b.decl("tact_q", ab, "activation code being loaded");
        let zero = b.wire(
            "tbl_zero",
            tmag_q.eq(&kw(0, wb - 1)).or(&tact_q.eq(&kw(0, ab))),
            "a zero-level word: written with 0, no stream beat",
        );
        Some((tmag_q, tact_q, zero))
    } else {
        None
    };

    b.items.push(Item::Comment(
        "Stream handshakes (tready and tvalid depend only on registers).".into(),
    ));
    let mut wt_states = e::lor(
        e::lor(in_state("ST_IDLE").e, in_state("ST_LOAD_W").e),
        in_state("ST_LOAD_T").e,
    );
    if let Some((_, _, zero)) = &tcnt {
        wt_states = e::lor(
            wt_states,
            e::land(in_state("ST_LOAD_P").e, e::not(zero.e.clone())),
        );
    }
    let wt_ready = b.wire("wt_ready", V { e: wt_states, w: 1 }, "");
    let act_ready = b.wire("act_ready", in_state("ST_LOAD_A"), "");
    let out_valid = sig("o_valid", 1);
    let wt_fire = b.wire("wt_fire", sig("s_axis_wt_tvalid", 1).and(&wt_ready), "");
    let act_fire = b.wire("act_fire", sig("s_axis_act_tvalid", 1).and(&act_ready), "");
    let out_fire = b.wire("out_fire", out_valid.and(&sig("m_axis_out_tready", 1)), "");
    let en = b.wire(
        "en",
        V {
            e: e::not(e::land(
                out_valid.e.clone(),
                e::not(e::id("m_axis_out_tready")),
            )),
            w: 1,
        },
        "The output pipeline advances unless its result is held by back-pressure.",
    );

    b.items.push(Item::Comment(
        "Job registers, from the header {RAW, KC, N, M}.".into(),
    ));
    let m_q = b.decl("m_q", mw, "");
    let n_q = b.decl("n_q", nw, "");
    let kc_q = b.decl("kc_q", kcw_f, "");
    let kcw_q = b.decl(
        "kcw_q",
        kw_w,
        "KC · weight words per chunk: weight words per output channel.",
    );
    let kca_q = b.decl(
        "kca_q",
        ka_w,
        "KC · activation words per chunk: activation words per column.",
    );
    let hdr_m = b.wire("hdr_m", slice("s_axis_wt_tdata", 0, mw), "");
    let hdr_n = b.wire("hdr_n", slice("s_axis_wt_tdata", mw, nw), "");
    let hdr_kc = b.wire("hdr_kc", slice("s_axis_wt_tdata", mw + nw, kcw_f), "");
    let raw_q = b.decl(
        "raw_q",
        1,
        "raw mode: no thresholds, the accumulators go out instead of codes",
    );
    let hdr_raw = b.wire(
        "hdr_raw",
        slice("s_axis_wt_tdata", p.raw_bit(), 1),
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

    b.items.push(Item::Comment("Load counters.".into()));
    let row_q = b.decl("row_q", row_w, "weight bank (array row) being loaded");
    let row_base_q = b.decl(
        "row_base_q",
        wa_w,
        "bank address of the current row's first word",
    );
    let off_q = b.decl("off_q", off_w, "word within the current row or column");
    let m_cnt_q = b.decl("m_cnt_q", mw, "output channels loaded so far");
    let beat_q = b.decl(
        "beat_q",
        beat_w,
        "beat within a channel's thresholds (0 = direction)",
    );
    let thr_dir_q = b.decl("thr_dir_q", 1, "");
    let thr_shift_q = if t > 1 {
        Some(b.decl(
            "thr_shift_q",
            (t - 1) * tw,
            "the channel's earlier thresholds, the newest at the top",
        ))
    } else {
        None
    };
    let col_q = b.decl(
        "col_q",
        col_w,
        "activation bank (array column) being loaded",
    );

    b.items.push(Item::Comment("Tiles.".into()));
    let n0_q = b.decl("n0_q", nw, "first column of the n-tile");
    let nv_q = b.decl("nv_q", nv_w, "valid columns in the n-tile");
    let m0_q = b.decl("m0_q", mw, "first row of the m-tile");
    let mt_base_q = b.decl("mt_base_q", wa_w, "bank address of the m-tile's weights");

    b.items.push(Item::Comment(
        "Compute issue: k-chunk, activation plane i, weight plane j.".into(),
    ));
    let kc_idx_q = b.decl("kc_idx_q", kcw_f, "");
    let kc_w_q = b.decl("kc_w_q", kw_w, "kc_idx · weight words per chunk");
    let kc_a_q = b.decl("kc_a_q", ka_w, "kc_idx · activation words per chunk");
    let i_q = b.decl("i_q", i_w, "");
    let j_q = b.decl("j_q", j_w, "");
    let issue_done_q = b.decl("issue_done_q", 1, "");
    let drain_q = b.decl(
        "drain_q",
        dr_w,
        "cycles left until the accumulators hold the last step",
    );

    b.items.push(Item::Comment("Emission.".into()));
    let r_issue_q = b.decl("r_issue_q", ri_w, "rows sent into the threshold pipeline");
    let accepted_q = b.decl("accepted_q", ri_w, "rows accepted on m_axis_out");
    let e1_valid_q = b.decl("e1_valid_q", 1, "");
    let e1_row_q = b.decl("e1_row_q", row_w, "");
    let e1_last_q = b.decl("e1_last_q", 1, "");
    let thr_rd_q = b.decl(
        "thr_rd_q",
        word,
        "threshold word of the issued row (memory read register)",
    );

    // Derived combinational values.
    let rv = min_wire(
        &mut b,
        "rows_valid",
        m_q.sub(&m0_q),
        dm,
        ri_w,
        "rows of the m-tile that exist: min(DM, M − m0)",
    );
    let m_more = b.wire(
        "m_more",
        m0_q.add(&k(dm as u64)).lt(&m_q),
        "another m-tile follows",
    );
    let n_more = b.wire(
        "n_more",
        n0_q.add(&k(dn as u64)).lt(&n_q),
        "another n-tile follows",
    );
    let issue = b.wire("issue", in_state("ST_EMIT").and(&r_issue_q.lt(&rv)), "");
    let issuing = b.wire(
        "issuing",
        in_state("ST_COMPUTE").and(&issue_done_q.not()),
        "",
    );

    b.items.push(Item::Comment(
        "Memories: weight banks (one per row), activation banks (one per column), thresholds."
            .into(),
    ));
    let w_idx = idx_w(p.w_depth());
    let a_idx = idx_w(p.a_depth());
    let t_idx = idx_w(p.max_m);
    let _ = (w_idx, a_idx, t_idx, aa_w);
    let loading_w = in_state("ST_LOAD_W");
    let w_waddr = index(
        &mut b,
        "w_waddr",
        row_base_q.add(&off_q),
        p.w_depth(),
        loading_w,
    );
    let w_raddr = index(
        &mut b,
        "w_raddr",
        mt_base_q.add(&kc_w_q).add(&j_q),
        p.w_depth(),
        issuing.clone(),
    );
    let a_waddr = index(
        &mut b,
        "a_waddr",
        off_q.clone(),
        p.a_depth(),
        in_state("ST_LOAD_A"),
    );
    let a_raddr = index(
        &mut b,
        "a_raddr",
        kc_a_q.add(&i_q),
        p.a_depth(),
        issuing.clone(),
    );
    let t_raddr = index(
        &mut b,
        "t_raddr",
        m0_q.add(&r_issue_q),
        p.max_m,
        issue.clone(),
    );
    let t_waddr = index(
        &mut b,
        "t_waddr",
        m_cnt_q.clone(),
        p.max_m,
        in_state("ST_LOAD_T"),
    );
    let new_thr = slice("s_axis_wt_tdata", 0, tw);
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
    let w_we = b.wire("w_we", in_state("ST_LOAD_W").and(&wt_fire), "");
    let a_we = b.wire("a_we", in_state("ST_LOAD_A").and(&act_fire), "");
    let t_we = b.wire(
        "t_we",
        in_state("ST_LOAD_T")
            .and(&wt_fire)
            .and(&beat_q.eq(&k(t as u64))),
        "",
    );
    b.items.push(Item::Decl(Decl {
        name: "w_data_q".into(),
        width: Some(e::int(p.w_word() as i64)),
        signed: false,
        depth: Some(e::int(dm as i64)),
        doc: "Weight bank read registers.".into(),
    }));
    b.items.push(Item::Generate {
        label: "gen_w_bank".into(),
        var: "r".into(),
        count: e::int(dm as i64),
        items: vec![
            Item::Decl(Decl {
                name: "w_mem".into(),
                width: Some(e::int(p.w_word() as i64)),
                signed: false,
                depth: Some(e::int(p.w_depth() as i64)),
                doc: format!("Bank r: rows r, r+DM, ...; {} words.", p.w_depth()),
            }),
            Item::AlwaysFf(
                "clk".into(),
                vec![
                    Stmt::If(
                        e::land(w_we.e.clone(), e::eq(row_q.ext(32).e, e::id("r"))),
                        vec![Stmt::Assign(
                            e::index(e::id("w_mem"), w_waddr.e.clone()),
                            e::part(
                                e::id("s_axis_wt_tdata"),
                                e::int(0),
                                e::int(p.w_word() as i64),
                            ),
                        )],
                        vec![],
                    ),
                    Stmt::Assign(
                        e::index(e::id("w_data_q"), e::id("r")),
                        e::index(e::id("w_mem"), w_raddr.e.clone()),
                    ),
                ],
            ),
        ],
    });
    b.items.push(Item::Decl(Decl {
        name: "a_data_q".into(),
        width: Some(e::int(p.a_word() as i64)),
        signed: false,
        depth: Some(e::int(dn as i64)),
        doc: "Activation bank read registers.".into(),
    }));
    b.items.push(Item::Generate {
        label: "gen_a_bank".into(),
        var: "c".into(),
        count: e::int(dn as i64),
        items: vec![
            Item::Decl(Decl {
                name: "a_mem".into(),
                width: Some(e::int(p.a_word() as i64)),
                signed: false,
                depth: Some(e::int(p.a_depth() as i64)),
                doc: format!(
                    "Bank c: column c's chunks and planes; {} words.",
                    p.a_depth()
                ),
            }),
            Item::AlwaysFf(
                "clk".into(),
                vec![
                    Stmt::If(
                        e::land(a_we.e.clone(), e::eq(col_q.ext(32).e, e::id("c"))),
                        vec![Stmt::Assign(
                            e::index(e::id("a_mem"), a_waddr.e.clone()),
                            e::part(
                                e::id("s_axis_act_tdata"),
                                e::int(0),
                                e::int(p.a_word() as i64),
                            ),
                        )],
                        vec![],
                    ),
                    Stmt::Assign(
                        e::index(e::id("a_data_q"), e::id("c")),
                        e::index(e::id("a_mem"), a_raddr.e.clone()),
                    ),
                ],
            ),
        ],
    });
    b.mem(
        "t_mem",
        word,
        p.max_m,
        "Threshold words, one per output channel.",
    );
    b.items.push(Item::AlwaysFf(
        "clk".into(),
        vec![
            when(
                &t_we,
                vec![Stmt::Assign(
                    e::index(e::id("t_mem"), t_waddr.e.clone()),
                    e::concat(vec![thr_next.e.clone(), thr_dir_q.e.clone()]),
                )],
                vec![],
            ),
            when(
                &en,
                vec![Stmt::Assign(
                    thr_rd_q.e.clone(),
                    e::index(e::id("t_mem"), t_raddr.e.clone()),
                )],
                vec![],
            ),
        ],
    ));

    b.items.push(Item::Comment(
        "Step control: registered with the memory read, then delayed to meet the PE.".into(),
    ));
    let ctl_valid_q = b.decl("ctl_valid_q", 1, "");
    let ctl_clear_q = b.decl("ctl_clear_q", 1, "");
    let first = kc_idx_q
        .eq(&kw(0, kcw_f))
        .and(&i_q.eq(&kw(0, i_w)))
        .and(&j_q.eq(&kw(0, j_w)));
    let mut ctl_regs = vec![
        when(
            &sig("rst", 1),
            vec![set(&ctl_valid_q, kw(0, 1))],
            vec![set(&ctl_valid_q, issuing.clone())],
        ),
        set(&ctl_clear_q, first),
    ];
    // (name, width, source): the delay line's payload besides valid.
    let mut payload = vec![("d_clear_q", 1, ctl_clear_q.e.clone())];
    if !lut {
        let shw = p.shift_width();
        let ctl_negate_q = b.decl("ctl_negate_q", 1, "");
        let ctl_shift_q = b.decl("ctl_shift_q", shw, "");
        let a_neg = if p.a_enc == ActEnc::Signed {
            i_q.eq(&k((ab - 1) as u64))
        } else {
            kw(0, 1)
        };
        let w_neg = if p.w_enc == WeightEnc::Signed {
            j_q.eq(&k((wb - 1) as u64))
        } else {
            kw(0, 1)
        };
        let negate = V {
            e: e::bin(crate::ast::BinOp::Xor, a_neg.e, w_neg.e),
            w: 1,
        };
        let shift_sum = i_q.add(&j_q);
        let shift = trunc(&mut b, "step_shift", shift_sum, shw, issuing.clone());
        ctl_regs.push(set(&ctl_negate_q, negate));
        ctl_regs.push(set(&ctl_shift_q, shift));
        payload.push(("d_negate_q", 1, ctl_negate_q.e.clone()));
        payload.push(("d_shift_q", shw, ctl_shift_q.e.clone()));
    }
    b.items.push(Item::AlwaysFf("clk".into(), ctl_regs));
    let line: Vec<(&str, u32)> = std::iter::once(("d_valid_q", 1))
        .chain(payload.iter().map(|(n, w, _)| (*n, *w)))
        .collect();
    for &(name, w) in &line {
        b.items.push(Item::Decl(Decl {
            name: name.into(),
            width: Some(e::int(w as i64)),
            signed: false,
            depth: Some(e::int(lat as i64)),
            doc: if name == "d_valid_q" {
                format!("Control delay line, {lat} stages.")
            } else {
                String::new()
            },
        }));
    }
    let mut dl = vec![when(
        &sig("rst", 1),
        vec![Stmt::Assign(
            e::index(e::id("d_valid_q"), e::int(0)),
            e::bit(false),
        )],
        vec![Stmt::Assign(
            e::index(e::id("d_valid_q"), e::int(0)),
            ctl_valid_q.e.clone(),
        )],
    )];
    for (name, _, src) in &payload {
        dl.push(Stmt::Assign(e::index(e::id(*name), e::int(0)), src.clone()));
    }
    for s in 1..lat as i64 {
        for &(name, _) in &line {
            let step = Stmt::Assign(
                e::index(e::id(name), e::int(s)),
                e::index(e::id(name), e::int(s - 1)),
            );
            if name == "d_valid_q" {
                dl.push(Stmt::If(
                    e::id("rst"),
                    vec![Stmt::Assign(
                        e::index(e::id(name), e::int(s)),
                        e::bit(false),
                    )],
                    vec![step],
                ));
            } else {
                dl.push(step);
            }
        }
    }
    b.items.push(Item::AlwaysFf("clk".into(), dl));
    let last_d = |name: &str| e::index(e::id(name), e::int(lat as i64 - 1));

    // LUT engines: the PEs' shared table write port.
    let tbl = tcnt.as_ref().map(|(tmag_q, tact_q, zero)| {
        let step = b.wire(
            "tbl_we",
            in_state("ST_LOAD_P").and(&zero.or(&wt_fire)),
            "write this address (and step to the next)",
        );
        let pb = p.prod_bits();
        let data = b.wire(
            "tbl_data",
            V::mux(zero, &kw(0, pb), &slice("s_axis_wt_tdata", 0, pb)),
            "",
        );
        (tmag_q.clone(), tact_q.clone(), step, data)
    });
    b.items.push(Item::Comment(
        if lut {
            "The PE array."
        } else {
            "The DPU array."
        }
        .into(),
    ));
    b.items.push(Item::Decl(Decl {
        name: "acc".into(),
        width: Some(e::int((dn * accw) as i64)),
        signed: false,
        depth: Some(e::int(dm as i64)),
        doc: "Accumulators: row r, column c at acc[r][c*ACC_WIDTH +: ACC_WIDTH].".into(),
    }));
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
                    ("a".into(), e::index(e::id("a_data_q"), e::id("c"))),
                    ("b".into(), e::repeat(e::int(dk as i64), e::lit(1, 1))),
                    ("count".into(), e::index(e::id("a_count"), e::id("c"))),
                ],
            })],
        });
    }
    let mut dpu_ports = vec![("clk".to_string(), e::id("clk"))];
    if let Some((tmag_q, tact_q, we, data)) = &tbl {
        dpu_ports.extend([
            ("tbl_we".to_string(), we.e.clone()),
            (
                "tbl_addr".into(),
                e::concat(vec![tmag_q.e.clone(), tact_q.e.clone()]),
            ),
            ("tbl_data".into(), data.e.clone()),
        ]);
    } else {
        dpu_ports.push(("rst".into(), e::id("rst")));
    }
    dpu_ports.extend([
        ("in_w".into(), e::index(e::id("w_data_q"), e::id("r"))),
        ("in_a".into(), e::index(e::id("a_data_q"), e::id("c"))),
        ("valid".into(), last_d("d_valid_q")),
        ("clear".into(), last_d("d_clear_q")),
    ]);
    if !lut {
        dpu_ports.push(("negate".into(), last_d("d_negate_q")));
        dpu_ports.push(("shift".into(), last_d("d_shift_q")));
    }
    if offset {
        dpu_ports.push(("a_count".into(), e::index(e::id("a_count"), e::id("c"))));
    }
    dpu_ports.push((
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
                ports: dpu_ports,
            })],
        }],
    });

    b.items.push(Item::Comment(
        "Threshold unit (code mode), the raw output register (raw mode), and the output.".into(),
    ));
    let tu_code = sig("tu_code", dn * ob);
    let tu_valid = sig("tu_valid", 1);
    let tu_in_valid = b.wire(
        "tu_in_valid",
        e1_valid_q.and(&raw_q.not()),
        "rows enter the threshold search in code mode only",
    );
    b.decl("tu_valid", 1, "");
    b.decl("tu_last", 1, "");
    b.decl("tu_code", dn * ob, "");
    b.items.push(Item::Instance(Instance {
        module: "threshold_unit".into(),
        name: "u_threshold".into(),
        params: vec![],
        ports: vec![
            ("clk".into(), e::id("clk")),
            ("rst".into(), e::id("rst")),
            ("en".into(), en.e.clone()),
            ("in_valid".into(), tu_in_valid.e.clone()),
            ("in_last".into(), e1_last_q.e.clone()),
            ("in_acc".into(), e::index(e::id("acc"), e1_row_q.e.clone())),
            ("in_thr".into(), thr_rd_q.e.clone()),
            ("out_valid".into(), e::id("tu_valid")),
            ("out_last".into(), e::id("tu_last")),
            ("out_code".into(), tu_code.e.clone()),
        ],
    }));
    // Raw mode: the issued row's accumulators straight into one output register, advancing
    // with the same enable as the search pipeline.
    let raw_valid_q = b.decl("raw_valid_q", 1, "a raw row is on the output");
    let raw_last_q = b.decl("raw_last_q", 1, "");
    let raw_acc_q = b.decl(
        "raw_acc_q",
        dn * accw,
        "the raw row: column c at [c*ACC_WIDTH +: ACC_WIDTH]",
    );
    b.items.push(Item::AlwaysFf(
        "clk".into(),
        vec![
            when(
                &sig("rst", 1),
                vec![set(&raw_valid_q, kw(0, 1))],
                vec![when(
                    &en,
                    vec![set(&raw_valid_q, e1_valid_q.and(&raw_q))],
                    vec![],
                )],
            ),
            when(
                &en,
                vec![
                    set(&raw_last_q, e1_last_q.clone()),
                    Stmt::Assign(
                        raw_acc_q.e.clone(),
                        e::index(e::id("acc"), e1_row_q.e.clone()),
                    ),
                ],
                vec![],
            ),
        ],
    ));
    b.wire(
        "o_valid",
        tu_valid.or(&raw_valid_q),
        "a row is on the output (only one of the two paths is active in a job)",
    );
    // Columns past N read 0: mask by nv_q. Fields of `fw` bits from `src`, padded to `ow`.
    let masked = |valid: &V, src: &V, fw: u32| -> Expr {
        let mut parts = Vec::new();
        if ow > dn * fw {
            parts.push(e::lit(ow - dn * fw, 0));
        }
        parts.extend((0..dn).rev().map(|c| {
            e::cond(
                e::land(valid.e.clone(), k(c as u64).lt(&nv_q).e),
                e::part(src.e.clone(), e::int((c * fw) as i64), e::int(fw as i64)),
                e::lit(fw, 0),
            )
        }));
        e::concat(parts)
    };
    let code_data = b.wire(
        "code_data",
        V {
            e: masked(&tu_valid, &tu_code, ob),
            w: ow,
        },
        "code mode: column c at [c*OUT_BITS +: OUT_BITS]",
    );
    let raw_data = b.wire(
        "raw_data",
        V {
            e: masked(&raw_valid_q, &raw_acc_q, accw),
            w: ow,
        },
        "raw mode: column c at [c*ACC_WIDTH +: ACC_WIDTH]",
    );
    b.items.push(Item::Assign(
        e::id("m_axis_out_tdata"),
        V::mux(&raw_valid_q, &raw_data, &code_data).e,
    ));
    b.items.push(Item::Assign(
        e::id("m_axis_out_tvalid"),
        out_valid.e.clone(),
    ));
    b.items.push(Item::Assign(
        e::id("m_axis_out_tlast"),
        e::lor(
            e::land(tu_valid.e.clone(), e::id("tu_last")),
            e::land(raw_valid_q.e.clone(), raw_last_q.e.clone()),
        ),
    ));
    b.items
        .push(Item::Assign(e::id("s_axis_wt_tready"), wt_ready.e.clone()));
    b.items.push(Item::Assign(
        e::id("s_axis_act_tready"),
        act_ready.e.clone(),
    ));

    b.items.push(Item::Comment("Controller.".into()));
    let zero = |v: &V| set(v, kw(0, v.w));
    let m_next = trunc(
        &mut b,
        "m0_next",
        m0_q.add(&k(dm as u64)),
        mw,
        m_more.clone(),
    );
    let n_next = trunc(
        &mut b,
        "n0_next",
        n0_q.add(&k(dn as u64)),
        nw,
        n_more.clone(),
    );
    let nv_first = min_wire(
        &mut b,
        "nv_first",
        n_q.clone(),
        dn,
        nv_w,
        "columns of the first n-tile: min(DN, N)",
    );
    let nv_next = min_wire(
        &mut b,
        "nv_next",
        n_q.sub(&n_next),
        dn,
        nv_w,
        "columns of the next n-tile: min(DN, N − n0 − DN)",
    );
    // start_n_tile(n0) and start_m_tile(m0, base) as statement lists.
    let start_n = |n0: V, nv: V| -> Vec<Stmt> {
        vec![
            set(&n0_q, n0),
            set(&nv_q, nv),
            zero(&col_q),
            zero(&off_q),
            set(&state, st("ST_LOAD_A")),
        ]
    };
    let start_m = |m0: V, base: V| -> Vec<Stmt> {
        vec![
            set(&m0_q, m0),
            set(&mt_base_q, base),
            zero(&kc_idx_q),
            zero(&kc_w_q),
            zero(&kc_a_q),
            zero(&i_q),
            zero(&j_q),
            zero(&issue_done_q),
            set(&state, st("ST_COMPUTE")),
        ]
    };
    let idle = vec![when(
        &wt_fire.and(&hdr_ok),
        vec![
            set(&m_q, hdr_m.clone()),
            set(&n_q, hdr_n.clone()),
            set(&kc_q, hdr_kc.clone()),
            set(&raw_q, hdr_raw.clone()),
            set(
                &kcw_q,
                trunc(
                    &mut b,
                    "hdr_kcw",
                    scale(&hdr_kc, wpl),
                    kw_w,
                    wt_fire.and(&hdr_ok).and(&in_state("ST_IDLE")),
                ),
            ),
            set(
                &kca_q,
                trunc(
                    &mut b,
                    "hdr_kca",
                    scale(&hdr_kc, apl),
                    ka_w,
                    wt_fire.and(&hdr_ok).and(&in_state("ST_IDLE")),
                ),
            ),
            zero(&row_q),
            zero(&row_base_q),
            zero(&off_q),
            zero(&m_cnt_q),
        ]
        .into_iter()
        .chain(match &tbl {
            Some((tmag_q, tact_q, _, _)) => vec![
                set(tmag_q, kw(0, wb - 1)),
                set(tact_q, kw(0, ab)),
                set(&state, st("ST_LOAD_P")),
            ],
            None => vec![set(&state, st("ST_LOAD_W"))],
        })
        .collect(),
        vec![],
    )];
    let load_p = match &tbl {
        Some((tmag_q, tact_q, step, _)) => vec![when(
            step,
            vec![when(
                &tact_q.eq(&k(p.a_nonzero() as u64)),
                vec![
                    set(tact_q, kw(0, ab)),
                    when(
                        &tmag_q.eq(&k(p.w_mags() as u64)),
                        vec![set(&state, st("ST_LOAD_W"))],
                        vec![set(tmag_q, tmag_q.inc())],
                    ),
                ],
                vec![set(tact_q, tact_q.inc())],
            )],
            vec![],
        )],
        None => Vec::new(),
    };
    let off_last_w = off_q.add(&k(1)).eq(&kcw_q);
    let load_w = vec![when(
        &wt_fire,
        vec![when(
            &off_last_w,
            vec![
                zero(&off_q),
                when(
                    &row_q.eq(&k((dm - 1) as u64)),
                    vec![
                        zero(&row_q),
                        set(&row_base_q, row_base_q.add_in(&kcw_q, wa_w)),
                    ],
                    vec![set(&row_q, row_q.inc())],
                ),
                when(
                    &m_cnt_q.add(&k(1)).eq(&m_q),
                    vec![
                        zero(&m_cnt_q),
                        zero(&beat_q),
                        // Raw mode loads no thresholds: straight to the first n-tile.
                        when(
                            &raw_q,
                            start_n(kw(0, nw), nv_first.clone()),
                            vec![set(&state, st("ST_LOAD_T"))],
                        ),
                    ],
                    vec![set(&m_cnt_q, m_cnt_q.inc())],
                ),
            ],
            vec![set(&off_q, off_q.inc())],
        )],
        vec![],
    )];
    let mut on_last_thr = vec![zero(&beat_q)];
    on_last_thr.push(when(
        &m_cnt_q.add(&k(1)).eq(&m_q),
        [vec![zero(&m_cnt_q)], start_n(kw(0, nw), nv_first.clone())].concat(),
        vec![set(&m_cnt_q, m_cnt_q.inc())],
    ));
    let load_t = vec![when(
        &wt_fire,
        vec![when(
            &beat_q.eq(&kw(0, beat_w)),
            vec![
                set(&thr_dir_q, slice("s_axis_wt_tdata", 0, 1)),
                set(&beat_q, kw(1, beat_w)),
            ],
            [
                thr_shift_q
                    .iter()
                    .map(|q| {
                        set(
                            q,
                            V {
                                e: e::slice(
                                    thr_next.e.clone(),
                                    e::int((t * tw) as i64 - 1),
                                    e::int(tw as i64),
                                ),
                                w: (t - 1) * tw,
                            },
                        )
                    })
                    .collect::<Vec<_>>(),
                vec![when(
                    &beat_q.eq(&k(t as u64)),
                    on_last_thr,
                    vec![set(&beat_q, beat_q.inc())],
                )],
            ]
            .concat(),
        )],
        vec![],
    )];
    let load_a = vec![when(
        &act_fire,
        vec![when(
            &off_q.add(&k(1)).eq(&kca_q),
            vec![
                zero(&off_q),
                when(
                    &col_q.add(&k(1)).eq(&nv_q),
                    [vec![zero(&col_q)], start_m(kw(0, mw), kw(0, wa_w))].concat(),
                    vec![set(&col_q, col_q.inc())],
                ),
            ],
            vec![set(&off_q, off_q.inc())],
        )],
        vec![],
    )];
    let compute = vec![when(
        &issue_done_q.not(),
        vec![when(
            &j_q.eq(&kw((wpl - 1) as u64, j_w)),
            vec![
                zero(&j_q),
                when(
                    &i_q.eq(&kw((apl - 1) as u64, i_w)),
                    vec![
                        zero(&i_q),
                        when(
                            &kc_idx_q.add(&k(1)).eq(&kc_q),
                            vec![
                                set(&issue_done_q, kw(1, 1)),
                                set(&drain_q, kw((p.dpu_latency() - 1) as u64, dr_w)),
                            ],
                            vec![
                                set(&kc_idx_q, kc_idx_q.inc()),
                                set(&kc_w_q, kc_w_q.add_in(&k(wpl as u64), kw_w)),
                                set(&kc_a_q, kc_a_q.add_in(&k(apl as u64), ka_w)),
                            ],
                        ),
                    ],
                    vec![set(&i_q, i_q.inc())],
                ),
            ],
            vec![set(&j_q, j_q.inc())],
        )],
        vec![when(
            &drain_q.eq(&kw(0, dr_w)),
            vec![
                set(&state, st("ST_EMIT")),
                zero(&r_issue_q),
                zero(&accepted_q),
            ],
            vec![set(
                &drain_q,
                V {
                    e: e::sub(drain_q.e.clone(), e::lit(dr_w, 1)),
                    w: dr_w,
                },
            )],
        )],
    )];
    let base_next = mt_base_q.add_in(&kcw_q, wa_w);
    let emit = vec![
        when(
            &en.and(&issue),
            vec![set(&r_issue_q, r_issue_q.inc())],
            vec![],
        ),
        when(
            &out_fire,
            vec![when(
                &accepted_q.add(&k(1)).eq(&rv),
                vec![when(
                    &m_more,
                    start_m(m_next, base_next),
                    vec![when(
                        &n_more,
                        start_n(n_next.clone(), nv_next.clone()),
                        vec![set(&state, st("ST_IDLE"))],
                    )],
                )],
                vec![set(&accepted_q, accepted_q.inc())],
            )],
            vec![],
        ),
    ];
    let emission = vec![when(&en, vec![set(&e1_valid_q, issue.clone())], vec![])];
    let e1 = vec![when(
        &en,
        vec![
            set(
                &e1_row_q,
                trunc(
                    &mut b,
                    "r_issue_row",
                    r_issue_q.clone(),
                    row_w,
                    issue.clone(),
                ),
            ),
            set(
                &e1_last_q,
                issue
                    .and(&r_issue_q.add(&k(1)).eq(&rv))
                    .and(&m_more.not())
                    .and(&n_more.not()),
            ),
        ],
        vec![],
    )];
    let reset = vec![
        set(&state, st("ST_IDLE")),
        zero(&e1_valid_q),
        zero(&m_q),
        zero(&n_q),
        zero(&kc_q),
        zero(&raw_q),
        zero(&kcw_q),
        zero(&kca_q),
        zero(&m0_q),
        zero(&n0_q),
        zero(&nv_q),
        zero(&row_q),
        zero(&row_base_q),
        zero(&off_q),
        zero(&m_cnt_q),
        zero(&beat_q),
        zero(&col_q),
        zero(&kc_idx_q),
        zero(&kc_w_q),
        zero(&kc_a_q),
        zero(&i_q),
        zero(&j_q),
        zero(&mt_base_q),
        zero(&issue_done_q),
        zero(&drain_q),
        zero(&r_issue_q),
        zero(&accepted_q),
    ];
    let mut arms = vec![
        ("ST_IDLE", idle),
        ("ST_LOAD_W", load_w),
        ("ST_LOAD_T", load_t),
        ("ST_LOAD_A", load_a),
        ("ST_COMPUTE", compute),
        ("ST_EMIT", emit),
    ];
    if lut {
        arms.push(("ST_LOAD_P", load_p));
    }
    let chain = arms.into_iter().rev().fold(Vec::new(), |els, (s, body)| {
        vec![when(&in_state(s), body, els)]
    });
    b.items.push(Item::AlwaysFf(
        "clk".into(),
        vec![when(&sig("rst", 1), reset, [emission, chain].concat())],
    ));
    b.items.push(Item::AlwaysFf("clk".into(), e1));

    // Simulation-only protocol checks: padding bits zero, tlast where the job says.
    let used_wt = p.wt_used_width();
    let mut checks = Vec::new();
    if wtw > used_wt {
        checks.push(Stmt::If(
            e::land(
                e::id("s_axis_wt_tvalid"),
                Expr::Un(
                    crate::ast::UnOp::RedOr,
                    Box::new(e::slice(
                        e::id("s_axis_wt_tdata"),
                        e::int(wtw as i64 - 1),
                        e::int(used_wt as i64),
                    )),
                ),
            ),
            vec![Stmt::Fatal(
                "s_axis_wt_tdata padding bits must be zero".into(),
                vec![],
            )],
            vec![],
        ));
    }
    if acw > p.a_word() {
        checks.push(Stmt::If(
            e::land(
                e::id("s_axis_act_tvalid"),
                Expr::Un(
                    crate::ast::UnOp::RedOr,
                    Box::new(e::slice(
                        e::id("s_axis_act_tdata"),
                        e::int(acw as i64 - 1),
                        e::int(p.a_word() as i64),
                    )),
                ),
            ),
            vec![Stmt::Fatal(
                "s_axis_act_tdata padding bits must be zero".into(),
                vec![],
            )],
            vec![],
        ));
    }
    let t_final = in_state("ST_LOAD_T")
        .and(&beat_q.eq(&k(t as u64)))
        .and(&m_cnt_q.add(&k(1)).eq(&m_q));
    let w_final = in_state("ST_LOAD_W")
        .and(&off_q.add(&k(1)).eq(&kcw_q))
        .and(&m_cnt_q.add(&k(1)).eq(&m_q));
    let wt_final = V::mux(&raw_q, &w_final, &t_final);
    let a_final = off_q.add(&k(1)).eq(&kca_q).and(&col_q.add(&k(1)).eq(&nv_q));
    checks.push(Stmt::If(
        e::land(
            e::land(wt_fire.e.clone(), e::not(e::id("rst"))),
            e::ne(e::id("s_axis_wt_tlast"), wt_final.e),
        ),
        vec![Stmt::Fatal(
            "s_axis_wt_tlast must mark the job's last threshold beat (raw mode: last weight word), and only it".into(),
            vec![],
        )],
        vec![],
    ));
    checks.push(Stmt::If(
        e::land(
            e::land(act_fire.e.clone(), e::not(e::id("rst"))),
            e::ne(e::id("s_axis_act_tlast"), a_final.e),
        ),
        vec![Stmt::Fatal(
            "s_axis_act_tlast must mark the last beat of each n-tile, and only it".into(),
            vec![],
        )],
        vec![],
    ));
    for (when, v, limit, msg) in std::mem::take(&mut b.checks) {
        let cond = e::land(e::land(e::not(e::id("rst")), when.e), v.ge(&k(limit)).e);
        checks.push(Stmt::If(cond, vec![Stmt::Fatal(msg, vec![])], vec![]));
    }
    b.items.push(Item::SimCheck("clk".into(), checks));

    let title = if lut {
        format!(
            "qforge LUT-multiplier GEMM engine: {dm}x{dn} PEs of {dk} lanes, W{wb} (sign-magnitude) A{ab}, {}-bit products, {ob}-bit outputs.",
            p.prod_bits()
        )
    } else {
        format!(
            "qforge bit-serial GEMM engine: {dm}x{dn} DPUs of {dk} bits, W{wb}{} A{ab}{}, {ob}-bit outputs.",
            enc_w(p.w_enc),
            enc_a(p.a_enc)
        )
    };
    Module {
        name: p.top_name().into(),
        doc: vec![
            title,
            format!(
                "Limits M <= {}, K <= {}, N <= {}; accumulators {accw} bits, thresholds {tw} bits.",
                p.max_m, p.max_k, p.max_n
            ),
            "Generated by qforge from one EngineParams; job protocol in sim/src/engine.rs.".into(),
        ],
        params: vec![],
        ports: vec![
            PortGroup {
                doc: "Clock and synchronous reset".into(),
                ports: vec![
                    Port::new(Dir::In, "clk", None, ""),
                    Port::new(Dir::In, "rst", None, "active high, synchronous"),
                ],
            },
            PortGroup {
                doc: "Weights and thresholds (AXI4-Stream): header, weight planes, thresholds"
                    .into(),
                ports: vec![
                    Port::new(Dir::In, "s_axis_wt_tdata", Some(wtw), ""),
                    Port::new(Dir::In, "s_axis_wt_tvalid", None, ""),
                    Port::new(Dir::Out, "s_axis_wt_tready", None, ""),
                    Port::new(
                        Dir::In,
                        "s_axis_wt_tlast",
                        None,
                        "last threshold beat of the job (raw mode: last weight word)",
                    ),
                ],
            },
            PortGroup {
                doc: "Activations (AXI4-Stream): plane words per n-tile".into(),
                ports: vec![
                    Port::new(Dir::In, "s_axis_act_tdata", Some(acw), ""),
                    Port::new(Dir::In, "s_axis_act_tvalid", None, ""),
                    Port::new(Dir::Out, "s_axis_act_tready", None, ""),
                    Port::new(
                        Dir::In,
                        "s_axis_act_tlast",
                        None,
                        "last beat of each n-tile",
                    ),
                ],
            },
            PortGroup {
                doc:
                    "Output (AXI4-Stream): one row of DN codes (raw mode: DN accumulators) per beat"
                        .into(),
                ports: vec![
                    Port::new(
                        Dir::Out,
                        "m_axis_out_tdata",
                        Some(ow),
                        "column c at [c*OUT_BITS +: OUT_BITS], raw mode [c*ACC_WIDTH +: ACC_WIDTH]",
                    ),
                    Port::new(Dir::Out, "m_axis_out_tvalid", None, ""),
                    Port::new(Dir::In, "m_axis_out_tready", None, ""),
                    Port::new(Dir::Out, "m_axis_out_tlast", None, "last beat of the job"),
                ],
            },
        ],
        items: b.items,
    }
}

/// A wire `name = min(v, limit)` of width `w` (`limit` fits `w` bits), through a named wire so
/// the low bits can be selected.
fn min_wire(b: &mut B, name: &str, v: V, limit: u32, w: u32, doc: &str) -> V {
    let full = b.wire(&format!("{name}_full"), v, "");
    let low = if full.w >= w {
        slice(&format!("{name}_full"), 0, w)
    } else {
        full.ext(w)
    };
    b.wire(
        name,
        V::mux(&full.lt(&k(limit as u64)), &low, &kw(limit as u64, w)),
        doc,
    )
}

/// A wire holding the low `w` bits of `v` (or `v` zero-extended when narrower). Whenever
/// `when` holds, the dropped bits must be zero: a simulation-only check says so.
fn trunc(b: &mut B, name: &str, v: V, w: u32, when: V) -> V {
    if v.w <= w {
        return v.ext(w);
    }
    let full = b.wire(&format!("{name}_full"), v, "");
    b.checks
        .push((when, full, 1u64 << w, format!("{name} overflows {w} bits")));
    b.wire(name, slice(&format!("{name}_full"), 0, w), "")
}

/// A memory index: the low bits of `v` that address `depth` words, with a simulation-only
/// check that `v < depth` whenever `when` holds.
fn index(b: &mut B, name: &str, v: V, depth: u32, when: V) -> V {
    let w = idx_w(depth);
    let full = b.wire(&format!("{name}_full"), v, "");
    b.checks.push((
        when,
        full.clone(),
        depth as u64,
        format!("{name} out of range"),
    ));
    if full.w > w {
        b.wire(name, slice(&format!("{name}_full"), 0, w), "")
    } else {
        b.wire(name, full.ext(w), "")
    }
}

fn enc_w(e: WeightEnc) -> &'static str {
    match e {
        WeightEnc::Unsigned => "u",
        WeightEnc::Signed => "s",
        WeightEnc::Offset => "o",
        WeightEnc::SignMag => "m",
    }
}

fn enc_a(e: ActEnc) -> &'static str {
    match e {
        ActEnc::Unsigned => "u",
        ActEnc::Signed => "s",
    }
}

/// Every module of an engine, top last.
pub fn modules(p: &EngineParams) -> Vec<Module> {
    if p.is_lut() {
        vec![
            p.popcount().module(),
            p.adder_tree().module(),
            crate::lut_pe::module(p),
            crate::threshold::module(p),
            module(p),
        ]
    } else {
        vec![
            p.popcount().module(),
            crate::dpu::module(p),
            crate::threshold::module(p),
            module(p),
        ]
    }
}

/// `v · c` for a small constant (`v` itself when `c` is 1).
fn scale(v: &V, c: u32) -> V {
    if c == 1 {
        v.clone()
    } else {
        v.mul_k(c as u64)
    }
}
