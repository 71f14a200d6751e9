//! The controller's state machine and its simulation-only protocol checks (part of the
//! `engine_ctrl` module built in [`crate::engine_ctrl`]): header → (product table) →
//! weights → thresholds → per n-tile (waiting for its activations) per m-tile compute (the
//! activation loader runs beside it, [`crate::engine_ctrl_act`], and so do the pending tile
//! and the emission, [`crate::engine_ctrl_emit`]).

use crate::ast::{e, Item, Stmt};
use crate::build::{min_wire, scale, set, slice, trunc, when, B};
use crate::ctrl_state::State;
use crate::engine_ctrl::CtrlParams;
use crate::engine_ctrl_regs::{in_state, lookahead, st, zero, Regs};
use crate::params::EngineParams;
use crate::typed::{k, kw, V};

/// Append the state machine's `always_ff` blocks.
pub(crate) fn state_machine(
    b: &mut B,
    p: &EngineParams,
    c: &CtrlParams,
    r: &Regs,
    load_a: Vec<Stmt>,
) {
    let (dm, dn) = (p.dm, p.dn);
    let (wpl, apl) = (p.w_planes(), p.a_planes());
    let t = p.thresholds();
    let tw = p.thr_width();
    let state = &r.state;
    let [hdr_m, hdr_n, hdr_kc, hdr_raw] = &r.hdr;
    let m_next_d = trunc(
        b,
        "m0_next_d",
        r.m0_q.add(&k(dm as u64)),
        c.m_w,
        r.m_more_d.clone(),
    );
    let m_next = lookahead(b, "m0_next", &m_next_d);
    let n_next_d = trunc(
        b,
        "n0_next_d",
        r.n0_q.add(&k(dn as u64)),
        c.n_w,
        r.n_more_d.clone(),
    );
    let n_next = lookahead(b, "n0_next", &n_next_d);
    let nv_first_d = min_wire(
        b,
        "nv_first_d",
        hdr_n.clone(),
        dn,
        c.nv_w,
        "columns of the first n-tile: min(DN, N), from the header",
    );
    let nv_first = b.decl("nv_first_q", c.nv_w, "columns of the first n-tile");
    let nv_next_d = min_wire(
        b,
        "nv_next_d",
        r.n_q.sub(&n_next_d),
        dn,
        c.nv_w,
        "columns of the next n-tile: min(DN, N − n0 − DN)",
    );
    let nv_next = lookahead(b, "nv_next", &nv_next_d);
    // start_m_tile(m0, base, buf) and start_n_tile(n0, nv, buf) as statement lists: an
    // m-tile reads the weights from `base` and buffer `buf` of the activation banks; an
    // n-tile computes at once when its buffer is full, else waits for the loader.
    let a = &r.act;
    let start_m = |m0: V, base: V, buf: &V| -> Vec<Stmt> {
        vec![
            set(&r.m0_q, m0),
            set(&r.mt_base_q, base),
            zero(&r.kc_idx_q),
            zero(&r.kc_w_q),
            set(&r.kc_a_q, a.base(p, c, buf)),
            zero(&r.i_q),
            zero(&r.j_q),
            set(&r.fresh_q, kw(1, 1)),
            set(state, st(State::Compute)),
        ]
    };
    // `buf`: the n-tile's buffer when it is not the one `cbuf_q` names already.
    let start_n = |n0: V, nv: V, buf: Option<V>| -> Vec<Stmt> {
        let mut s = vec![set(&r.n0_q, n0), set(&r.nv_q, nv)];
        if let Some(b) = &buf {
            s.push(set(&a.cbuf_q, b.clone()));
        }
        let buf = buf.unwrap_or_else(|| a.cbuf_q.clone());
        s.push(when(
            &a.full(&buf),
            start_m(kw(0, c.m_w), kw(0, c.wa_w), &buf),
            vec![set(state, st(State::WaitA))],
        ));
        s
    };
    let hdr_take = r.wt_fire.and(&r.hdr_ok);
    let hdr_kcw = trunc(
        b,
        "hdr_kcw",
        scale(hdr_kc, wpl),
        c.kcw_w,
        hdr_take.and(&in_state(State::Idle)),
    );
    let hdr_kca = trunc(
        b,
        "hdr_kca",
        scale(hdr_kc, apl),
        c.kca_w,
        hdr_take.and(&in_state(State::Idle)),
    );
    let idle = vec![when(
        &hdr_take,
        [
            set(&r.m_q, hdr_m.clone()),
            set(&r.n_q, hdr_n.clone()),
            set(&r.kc_q, hdr_kc.clone()),
            set(&r.raw_q, hdr_raw.clone()),
            set(&nv_first, nv_first_d.clone()),
            set(&r.kcw_q, hdr_kcw),
            set(&r.kca_q, hdr_kca),
            zero(&r.row_q),
            zero(&r.row_base_q),
            zero(&r.off_q),
            zero(&r.m_cnt_q),
        ]
        .into_iter()
        .chain(crate::engine_ctrl_act::start(
            b,
            p,
            c,
            a,
            hdr_n,
            &nv_first_d,
        ))
        .chain(match &r.tbl {
            Some((tmag_q, tact_q, _)) => {
                vec![zero(tmag_q), zero(tact_q), set(state, st(State::LoadP))]
            }
            None => vec![set(state, st(State::LoadW))],
        })
        .collect(),
        vec![],
    )];
    let load_p = match (&r.tbl, &r.tbl_step) {
        (Some((tmag_q, tact_q, _)), Some(step)) => vec![when(
            step,
            vec![when(
                &tact_q.eq(&k(p.a_nonzero() as u64)),
                vec![
                    zero(tact_q),
                    when(
                        &tmag_q.eq(&k(p.w_mags() as u64)),
                        vec![set(state, st(State::LoadW))],
                        vec![set(tmag_q, tmag_q.inc())],
                    ),
                ],
                vec![set(tact_q, tact_q.inc())],
            )],
            vec![],
        )],
        _ => Vec::new(),
    };
    let off_last_w = r.off_q.add(&k(1)).eq(&r.kcw_q);
    let load_w = vec![when(
        &r.wt_fire,
        vec![when(
            &off_last_w,
            vec![
                zero(&r.off_q),
                when(
                    &r.row_q.eq(&k((dm - 1) as u64)),
                    vec![
                        zero(&r.row_q),
                        set(&r.row_base_q, r.row_base_q.add_in(&r.kcw_q, c.wa_w)),
                    ],
                    vec![set(&r.row_q, r.row_q.inc())],
                ),
                when(
                    &r.m_cnt_q.add(&k(1)).eq(&r.m_q),
                    vec![
                        zero(&r.m_cnt_q),
                        zero(&r.beat_q),
                        // Raw mode loads no thresholds: straight to the first n-tile.
                        when(
                            &r.raw_q,
                            start_n(kw(0, c.n_w), nv_first.clone(), None),
                            vec![set(state, st(State::LoadT))],
                        ),
                    ],
                    vec![set(&r.m_cnt_q, r.m_cnt_q.inc())],
                ),
            ],
            vec![set(&r.off_q, r.off_q.inc())],
        )],
        vec![],
    )];
    let on_last_thr = vec![
        zero(&r.beat_q),
        when(
            &r.m_cnt_q.add(&k(1)).eq(&r.m_q),
            [
                vec![zero(&r.m_cnt_q)],
                start_n(kw(0, c.n_w), nv_first.clone(), None),
            ]
            .concat(),
            vec![set(&r.m_cnt_q, r.m_cnt_q.inc())],
        ),
    ];
    let shift_in: Vec<Stmt> = r
        .thr_shift_q
        .iter()
        .map(|q| {
            set(
                q,
                V {
                    e: e::slice(
                        r.thr_next.e.clone(),
                        e::int((t * tw) as i64 - 1),
                        e::int(tw as i64),
                    ),
                    w: (t - 1) * tw,
                },
            )
        })
        .collect();
    let load_t = vec![when(
        &r.wt_fire,
        vec![when(
            &r.beat_q.eq(&kw(0, c.beat_w)),
            vec![
                set(&r.thr_dir_q, slice("wt_data", 0, 1)),
                set(&r.beat_q, kw(1, c.beat_w)),
            ],
            [
                shift_in,
                vec![when(
                    &r.beat_q.eq(&k(t as u64)),
                    on_last_thr,
                    vec![set(&r.beat_q, r.beat_q.inc())],
                )],
            ]
            .concat(),
        )],
        vec![],
    )];
    let wait_a = vec![when(
        &a.full(&a.cbuf_q),
        start_m(kw(0, c.m_w), kw(0, c.wa_w), &a.cbuf_q),
        vec![],
    )];
    let base_next = r.mt_base_q.add_in(&r.kcw_q, c.wa_w);
    // A tile's last step: the tile is handed to the emission (pending until the step
    // reaches the accumulators), and the next tile starts at once.
    let finish = vec![
        set(&r.em.pend_q, kw(1, 1)),
        set(&r.em.drain_q, kw((p.dpu_latency() + 1) as u64, c.dr_w)),
    ]
    .into_iter()
    .chain(r.em.pend.load([
        r.m0_q.clone(),
        r.rv.clone(),
        r.nv_q.clone(),
        r.m_more.not().and(&r.n_more.not()),
    ]))
    .chain([when(
        &r.m_more,
        start_m(m_next, base_next, &a.cbuf_q),
        vec![when(
            &r.n_more,
            // The n-tile's last step: its buffer goes back to the loader.
            [
                vec![a.release(&a.cbuf_q)],
                start_n(n_next.clone(), nv_next.clone(), Some(a.cbuf_q.not())),
            ]
            .concat(),
            // The job's last step: the loader is done and both buffers are free (no-ops
            // after a well-formed job, written so that ST_IDLE always means so).
            vec![
                zero(&a.full0_q),
                zero(&a.full1_q),
                zero(&a.ld_busy_q),
                set(state, st(State::Idle)),
            ],
        )],
    )])
    .collect::<Vec<_>>();
    let compute = vec![
        zero(&r.fresh_q),
        when(
            &r.issuing,
            vec![when(
                &r.j_q.eq(&kw((wpl - 1) as u64, c.j_w)),
                vec![
                    zero(&r.j_q),
                    when(
                        &r.i_q.eq(&kw((apl - 1) as u64, c.i_w)),
                        vec![
                            zero(&r.i_q),
                            when(
                                &r.kc_idx_q.add(&k(1)).eq(&r.kc_q),
                                finish,
                                vec![
                                    set(&r.kc_idx_q, r.kc_idx_q.inc()),
                                    set(&r.kc_w_q, r.kc_w_q.add_in(&k(wpl as u64), c.kcw_w)),
                                    set(&r.kc_a_q, r.kc_a_q.add_in(&k(apl as u64), c.a_addr_w())),
                                ],
                            ),
                        ],
                        vec![set(&r.i_q, r.i_q.inc())],
                    ),
                ],
                vec![set(&r.j_q, r.j_q.inc())],
            )],
            vec![],
        ),
    ];
    let (emission, e1) = crate::engine_ctrl_emit::emission(b, c, r);
    let reset: Vec<Stmt> = std::iter::once(set(state, st(State::Idle)))
        .chain(
            [
                &r.em.e1_valid_q,
                &r.m_q,
                &r.n_q,
                &r.kc_q,
                &r.raw_q,
                &r.kcw_q,
                &r.kca_q,
                &r.m0_q,
                &r.n0_q,
                &r.nv_q,
                &r.row_q,
                &r.row_base_q,
                &r.off_q,
                &r.m_cnt_q,
                &r.beat_q,
                &r.kc_idx_q,
                &r.kc_w_q,
                &r.kc_a_q,
                &r.i_q,
                &r.j_q,
                &r.mt_base_q,
                &r.fresh_q,
                &r.em.pend_q,
                &r.em.drain_q,
            ]
            .into_iter()
            .chain(r.em.pend.regs())
            .chain([&r.em.r_issue_q, &r.em.accepted_q, &r.em.em_busy_q])
            .chain(r.em.em_tile.regs())
            .chain([&r.em.em_bank_q, &r.em.q_busy_q])
            .chain(r.em.q_tile.regs())
            .chain([&r.em.sw_q])
            .chain(crate::engine_ctrl_act::reset_regs(a))
            .map(zero),
        )
        .collect();
    let mut arms = vec![
        (State::Idle, idle),
        (State::LoadW, load_w),
        (State::LoadT, load_t),
        (State::WaitA, wait_a),
        (State::Compute, compute),
    ];
    if p.is_lut() {
        arms.push((State::LoadP, load_p));
    }
    let chain = arms.into_iter().rev().fold(Vec::new(), |els, (s, body)| {
        vec![when(&in_state(s), body, els)]
    });
    b.items.push(Item::AlwaysFf(
        "clk".into(),
        vec![Stmt::If(
            e::id("rst"),
            reset,
            [emission, load_a, chain].concat(),
        )],
    ));
    b.items.push(Item::AlwaysFf("clk".into(), e1));
}
