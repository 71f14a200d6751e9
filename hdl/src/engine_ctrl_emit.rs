//! The controller's pending tile and emission, beside its state machine (part of the
//! `engine_ctrl` module, [`crate::engine_ctrl`]): the snapshot that hands a pending tile to
//! one of the two result banks (emitted at once, or queued behind the tile being emitted),
//! the drain count down to it, the row issue into the output pipeline (`e1`) and the
//! accepted-row count that frees a bank.

use crate::ast::{e, Stmt};
use crate::build::{set, trunc, when, B};
use crate::engine_ctrl::CtrlParams;
use crate::engine_ctrl_regs::{zero, Regs};
use crate::typed::{k, kw, V};

/// The pending tile's and the emission's registers.
pub(crate) struct EmitRegs {
    pub pend_q: V,
    pub drain_q: V,
    pub pend_m0_q: V,
    pub pend_rv_q: V,
    pub pend_nv_q: V,
    pub pend_last_q: V,
    pub em_busy_q: V,
    pub em_m0_q: V,
    pub em_rv_q: V,
    pub em_nv_q: V,
    pub em_last_q: V,
    pub em_bank_q: V,
    pub q_busy_q: V,
    pub q_m0_q: V,
    pub q_rv_q: V,
    pub q_nv_q: V,
    pub q_last_q: V,
    pub sw_q: V,
    pub r_issue_q: V,
    pub accepted_q: V,
    pub e1_valid_q: V,
    pub e1_row_q: V,
    pub e1_last_q: V,
}

/// Declare the pending tile's and the emission's registers.
pub(crate) fn declare(b: &mut B, c: &CtrlParams) -> EmitRegs {
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
    let em_bank_q = b.decl("em_bank_q", 1, "the result bank holding it");
    b.comment("The queued tile: in the other result bank, emitted next.");
    let q_busy_q = b.decl(
        "q_busy_q",
        1,
        "the other result bank holds a tile waiting for the emission",
    );
    let q_m0_q = b.decl("q_m0_q", c.m_w, "its first row (output channel)");
    let q_rv_q = b.decl("q_rv_q", c.ri_w, "its rows");
    let q_nv_q = b.decl("q_nv_q", c.nv_w, "its valid columns");
    let q_last_q = b.decl("q_last_q", 1, "it is the job's last tile");
    let sw_q = b.decl("sw_q", 1, "the result bank the next snapshot writes");
    let r_issue_q = b.decl("r_issue_q", c.ri_w, "rows sent into the threshold pipeline");
    let accepted_q = b.decl("accepted_q", c.ri_w, "rows accepted on m_axis_out");
    let e1_valid_q = b.decl("e1_valid_q", 1, "");
    let e1_row_q = b.decl("e1_row_q", c.row_w, "");
    let e1_last_q = b.decl("e1_last_q", 1, "");
    EmitRegs {
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
        em_bank_q,
        q_busy_q,
        q_m0_q,
        q_rv_q,
        q_nv_q,
        q_last_q,
        sw_q,
        r_issue_q,
        accepted_q,
        e1_valid_q,
        e1_row_q,
        e1_last_q,
    }
}

/// The emission of a tile starts: its first row, rows, columns, last flag and bank.
fn start_em(r: &Regs, [m0, rv, nv, last]: [&V; 4], bank: V) -> Vec<Stmt> {
    vec![
        set(&r.em.em_busy_q, kw(1, 1)),
        set(&r.em.em_m0_q, m0.clone()),
        set(&r.em.em_rv_q, rv.clone()),
        set(&r.em.em_nv_q, nv.clone()),
        set(&r.em.em_last_q, last.clone()),
        set(&r.em.em_bank_q, bank),
        zero(&r.em.r_issue_q),
        zero(&r.em.accepted_q),
    ]
}

/// The emission's statements inside the reset-guarded block, and the `e1` registers'
/// (without reset).
pub(crate) fn emission(b: &mut B, c: &CtrlParams, r: &Regs) -> (Vec<Stmt>, Vec<Stmt>) {
    // Emission, beside the state machine: rows of the emitted result bank into the output
    // pipeline while it advances; the tile is done when its last row is accepted.
    let em_done = b.wire(
        "em_done",
        r.out_fire
            .and(&r.em.accepted_q.add(&k(1)).eq(&r.em.em_rv_q)),
        "the emitted tile's last row is accepted",
    );
    let emission = vec![
        when(&r.en, vec![set(&r.em.e1_valid_q, r.issue.clone())], vec![]),
        when(
            &r.en.and(&r.issue),
            vec![set(&r.em.r_issue_q, r.em.r_issue_q.inc())],
            vec![],
        ),
        when(
            &r.out_fire,
            vec![when(
                &r.em.accepted_q.add(&k(1)).eq(&r.em.em_rv_q),
                vec![zero(&r.em.em_busy_q)],
                vec![set(&r.em.accepted_q, r.em.accepted_q.inc())],
            )],
            vec![],
        ),
        // The emitted tile's last row is accepted: the queued tile's emission starts.
        when(
            &em_done.and(&r.em.q_busy_q),
            [
                start_em(
                    r,
                    [&r.em.q_m0_q, &r.em.q_rv_q, &r.em.q_nv_q, &r.em.q_last_q],
                    r.em.em_bank_q.not(),
                ),
                vec![zero(&r.em.q_busy_q)],
            ]
            .concat(),
            vec![],
        ),
        // The snapshot edge: the pending tile goes into bank sw_q, emitted at once when the
        // emission is free (or frees at this edge), else queued.
        when(
            &r.snap,
            vec![
                zero(&r.em.pend_q),
                set(&r.em.sw_q, r.em.sw_q.not()),
                when(
                    &r.em.em_busy_q.not().or(&em_done),
                    start_em(
                        r,
                        [
                            &r.em.pend_m0_q,
                            &r.em.pend_rv_q,
                            &r.em.pend_nv_q,
                            &r.em.pend_last_q,
                        ],
                        r.em.sw_q.clone(),
                    ),
                    vec![
                        set(&r.em.q_busy_q, kw(1, 1)),
                        set(&r.em.q_m0_q, r.em.pend_m0_q.clone()),
                        set(&r.em.q_rv_q, r.em.pend_rv_q.clone()),
                        set(&r.em.q_nv_q, r.em.pend_nv_q.clone()),
                        set(&r.em.q_last_q, r.em.pend_last_q.clone()),
                    ],
                ),
            ],
            vec![when(
                &r.em.pend_q.and(&r.em.drain_q.ne(&kw(0, c.dr_w))),
                vec![set(
                    &r.em.drain_q,
                    V {
                        e: e::sub(r.em.drain_q.e.clone(), e::lit(c.dr_w, 1)),
                        w: c.dr_w,
                    },
                )],
                vec![],
            )],
        ),
    ];
    let row = trunc(
        b,
        "r_issue_row",
        r.em.r_issue_q.clone(),
        c.row_w,
        r.issue.clone(),
    );
    let e1 = vec![when(
        &r.en,
        vec![
            set(&r.em.e1_row_q, row),
            set(
                &r.em.e1_last_q,
                r.issue
                    .and(&r.em.r_issue_q.add(&k(1)).eq(&r.em.em_rv_q))
                    .and(&r.em.em_last_q),
            ),
        ],
        vec![],
    )];
    (emission, e1)
}
