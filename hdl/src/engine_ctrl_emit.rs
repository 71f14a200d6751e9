//! The controller's pending tile and emission, beside its state machine (part of the
//! `engine_ctrl` module, [`crate::engine_ctrl`]): the snapshot that hands a pending tile to
//! the result registers, the drain count down to it, the row issue into the output pipeline
//! (`e1`) and the accepted-row count that frees the result registers.

use crate::ast::{e, Stmt};
use crate::build::{set, trunc, when, B};
use crate::engine_ctrl::CtrlParams;
use crate::engine_ctrl_regs::{zero, Regs};
use crate::typed::{k, kw, V};

/// Declare the pending tile's and the emission's registers: `pend_q`, `drain_q`, the pending
/// tile's `pend_m0_q`, `pend_rv_q`, `pend_nv_q`, `pend_last_q`, the emitted tile's
/// `em_busy_q`, `em_m0_q`, `em_rv_q`, `em_nv_q`, `em_last_q`, the row counters `r_issue_q`,
/// `accepted_q` and the issue register `e1_valid_q`, `e1_row_q`, `e1_last_q`.
pub(crate) fn declare(b: &mut B, c: &CtrlParams) -> [V; 16] {
    b.comment("The pending tile: finished, waiting for the result registers.");
    let pend_q = b.decl(
        "pend_q",
        1,
        "a finished tile waits for the result registers",
    );
    let drain_q = b.decl(
        "drain_q",
        c.dr_w,
        "cycles left until the accumulators hold its last step",
    );
    let pend_m0_q = b.decl("pend_m0_q", c.m_w, "its first row (output channel)");
    let pend_rv_q = b.decl("pend_rv_q", c.ri_w, "its rows");
    let pend_nv_q = b.decl("pend_nv_q", c.nv_w, "its valid columns");
    let pend_last_q = b.decl("pend_last_q", 1, "it is the job's last tile");

    b.comment("Emission of the tile in the result registers (beside the state machine).");
    let em_busy_q = b.decl(
        "em_busy_q",
        1,
        "the result registers hold a tile whose rows are not all accepted",
    );
    let em_m0_q = b.decl("em_m0_q", c.m_w, "its first row (output channel)");
    let em_rv_q = b.decl("em_rv_q", c.ri_w, "its rows");
    let em_nv_q = b.decl("em_nv_q", c.nv_w, "its valid columns");
    let em_last_q = b.decl("em_last_q", 1, "it is the job's last tile");
    let r_issue_q = b.decl("r_issue_q", c.ri_w, "rows sent into the threshold pipeline");
    let accepted_q = b.decl("accepted_q", c.ri_w, "rows accepted on m_axis_out");
    let e1_valid_q = b.decl("e1_valid_q", 1, "");
    let e1_row_q = b.decl("e1_row_q", c.row_w, "");
    let e1_last_q = b.decl("e1_last_q", 1, "");
    [
        pend_q,
        drain_q,
        pend_m0_q,
        pend_rv_q,
        pend_nv_q,
        pend_last_q,
        em_busy_q,
        em_m0_q,
        em_rv_q,
        em_nv_q,
        em_last_q,
        r_issue_q,
        accepted_q,
        e1_valid_q,
        e1_row_q,
        e1_last_q,
    ]
}

/// The emission's statements inside the reset-guarded block, and the `e1` registers'
/// (without reset).
pub(crate) fn emission(b: &mut B, c: &CtrlParams, r: &Regs) -> (Vec<Stmt>, Vec<Stmt>) {
    // Emission, beside the state machine: rows of the result registers into the output
    // pipeline while it advances; the tile is done when its last row is accepted.
    let emission = vec![
        when(&r.en, vec![set(&r.e1_valid_q, r.issue.clone())], vec![]),
        when(
            &r.en.and(&r.issue),
            vec![set(&r.r_issue_q, r.r_issue_q.inc())],
            vec![],
        ),
        // The snapshot edge: the pending tile's emission starts.
        when(
            &r.snap,
            vec![
                zero(&r.pend_q),
                set(&r.em_busy_q, kw(1, 1)),
                set(&r.em_m0_q, r.pend_m0_q.clone()),
                set(&r.em_rv_q, r.pend_rv_q.clone()),
                set(&r.em_nv_q, r.pend_nv_q.clone()),
                set(&r.em_last_q, r.pend_last_q.clone()),
                zero(&r.r_issue_q),
                zero(&r.accepted_q),
            ],
            vec![when(
                &r.pend_q.and(&r.drain_q.ne(&kw(0, c.dr_w))),
                vec![set(
                    &r.drain_q,
                    V {
                        e: e::sub(r.drain_q.e.clone(), e::lit(c.dr_w, 1)),
                        w: c.dr_w,
                    },
                )],
                vec![],
            )],
        ),
        when(
            &r.out_fire,
            vec![when(
                &r.accepted_q.add(&k(1)).eq(&r.em_rv_q),
                vec![zero(&r.em_busy_q)],
                vec![set(&r.accepted_q, r.accepted_q.inc())],
            )],
            vec![],
        ),
    ];
    let row = trunc(
        b,
        "r_issue_row",
        r.r_issue_q.clone(),
        c.row_w,
        r.issue.clone(),
    );
    let e1 = vec![when(
        &r.en,
        vec![
            set(&r.e1_row_q, row),
            set(
                &r.e1_last_q,
                r.issue
                    .and(&r.r_issue_q.add(&k(1)).eq(&r.em_rv_q))
                    .and(&r.em_last_q),
            ),
        ],
        vec![],
    )];
    (emission, e1)
}
