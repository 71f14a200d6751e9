//! The controller's pending tile and emission, beside its state machine (part of the
//! `engine_ctrl` module, [`crate::engine_ctrl`]): the snapshot that hands a pending tile to
//! one of the two result banks (emitted at once, or queued behind the tile being emitted),
//! the drain count down to it, the row issue into the output pipeline (`e1`) and the
//! count of rows out of the pipeline that frees a bank.

use crate::ast::{e, Stmt};
use crate::build::{set, trunc, when, B};
use crate::engine_ctrl::CtrlParams;
use crate::engine_ctrl_regs::{zero, Regs};
use crate::typed::{k, kw, V};

/// A finished m-tile's registers on its way out (pending, queued or emitted): its first row
/// (output channel), rows, valid columns, and whether it is the job's last tile.
pub(crate) struct TileRegs {
    pub m0: V,
    pub rv: V,
    pub nv: V,
    pub last: V,
}

impl TileRegs {
    /// Declare `{prefix}_m0_q`, `{prefix}_rv_q`, `{prefix}_nv_q`, `{prefix}_last_q`.
    fn declare(b: &mut B, c: &CtrlParams, prefix: &str) -> Self {
        TileRegs {
            m0: b.decl(
                &format!("{prefix}_m0_q"),
                c.m_w,
                "its first row (output channel)",
            ),
            rv: b.decl(&format!("{prefix}_rv_q"), c.ri_w, "its rows"),
            nv: b.decl(&format!("{prefix}_nv_q"), c.nv_w, "its valid columns"),
            last: b.decl(&format!("{prefix}_last_q"), 1, "it is the job's last tile"),
        }
    }

    /// The four registers.
    pub(crate) fn regs(&self) -> [&V; 4] {
        [&self.m0, &self.rv, &self.nv, &self.last]
    }

    /// Load the registers with `values` (first row, rows, columns, last flag).
    pub(crate) fn load(&self, values: [V; 4]) -> Vec<Stmt> {
        self.regs()
            .into_iter()
            .zip(values)
            .map(|(q, v)| set(q, v))
            .collect()
    }

    /// Load the registers from another tile's.
    fn copy(&self, from: &TileRegs) -> Vec<Stmt> {
        self.load(from.regs().map(V::clone))
    }
}

/// The pending tile's, the queued tile's and the emission's registers.
pub(crate) struct EmitRegs {
    pub pend_q: V,
    pub drain_q: V,
    pub pend: TileRegs,
    pub em_busy_q: V,
    pub em_tile: TileRegs,
    pub em_bank_q: V,
    pub q_busy_q: V,
    pub q_tile: TileRegs,
    pub sw_q: V,
    pub r_issue_q: V,
    pub accepted_q: V,
    pub e1_valid_q: V,
    pub e1_row_q: V,
    pub e1_last_q: V,
}

/// Declare the pending tile's, the queued tile's and the emission's registers.
pub(crate) fn declare(b: &mut B, c: &CtrlParams) -> EmitRegs {
    b.comment("The pending tile: finished, waiting for a result bank.");
    let pend_q = b.decl("pend_q", 1, "a finished tile waits for a result bank");
    let drain_q = b.decl(
        "drain_q",
        c.dr_w,
        "cycles left until the accumulators hold its last step",
    );
    let pend = TileRegs::declare(b, c, "pend");

    b.comment("Emission of the tile in a result bank (beside the state machine).");
    let em_busy_q = b.decl(
        "em_busy_q",
        1,
        "the emitted bank holds a tile whose rows are not all out of the pipeline",
    );
    let em_tile = TileRegs::declare(b, c, "em");
    let em_bank_q = b.decl("em_bank_q", 1, "the result bank holding it");
    b.comment("The queued tile: in the other result bank, emitted next.");
    let q_busy_q = b.decl(
        "q_busy_q",
        1,
        "the other result bank holds a tile waiting for the emission",
    );
    let q_tile = TileRegs::declare(b, c, "q");
    let sw_q = b.decl("sw_q", 1, "the result bank the next snapshot writes");
    let r_issue_q = b.decl("r_issue_q", c.ri_w, "rows sent into the threshold pipeline");
    let accepted_q = b.decl(
        "accepted_q",
        c.ri_w,
        "rows out of the pipeline (onto m_axis_out or into the skid register)",
    );
    let e1_valid_q = b.decl("e1_valid_q", 1, "");
    let e1_row_q = b.decl("e1_row_q", c.row_w, "");
    let e1_last_q = b.decl("e1_last_q", 1, "");
    EmitRegs {
        pend_q,
        drain_q,
        pend,
        em_busy_q,
        em_tile,
        em_bank_q,
        q_busy_q,
        q_tile,
        sw_q,
        r_issue_q,
        accepted_q,
        e1_valid_q,
        e1_row_q,
        e1_last_q,
    }
}

/// The emission of `tile` from result bank `bank` starts.
fn start_em(r: &Regs, tile: &TileRegs, bank: V) -> Vec<Stmt> {
    [
        vec![set(&r.em.em_busy_q, kw(1, 1))],
        r.em.em_tile.copy(tile),
        vec![
            set(&r.em.em_bank_q, bank),
            zero(&r.em.r_issue_q),
            zero(&r.em.accepted_q),
        ],
    ]
    .concat()
}

/// The emission's statements inside the reset-guarded block, and the `e1` registers'
/// (without reset).
pub(crate) fn emission(b: &mut B, c: &CtrlParams, r: &Regs) -> (Vec<Stmt>, Vec<Stmt>) {
    // Emission, beside the state machine: rows of the emitted result bank into the output
    // pipeline while it advances; the tile is done when its last row leaves the pipeline.
    let em_done = b.wire(
        "em_done",
        r.row_fire
            .and(&r.em.accepted_q.add(&k(1)).eq(&r.em.em_tile.rv)),
        "the emitted tile's last row leaves the pipeline",
    );
    let emission = vec![
        when(&r.en, vec![set(&r.em.e1_valid_q, r.issue.clone())], vec![]),
        when(
            &r.en.and(&r.issue),
            vec![set(&r.em.r_issue_q, r.em.r_issue_q.inc())],
            vec![],
        ),
        when(
            &em_done,
            vec![zero(&r.em.em_busy_q)],
            vec![when(
                &r.row_fire,
                vec![set(&r.em.accepted_q, r.em.accepted_q.inc())],
                vec![],
            )],
        ),
        // The emitted tile's last row is out: the queued tile's emission starts.
        when(
            &em_done.and(&r.em.q_busy_q),
            [
                start_em(r, &r.em.q_tile, r.em.em_bank_q.not()),
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
                    start_em(r, &r.em.pend, r.em.sw_q.clone()),
                    [
                        vec![set(&r.em.q_busy_q, kw(1, 1))],
                        r.em.q_tile.copy(&r.em.pend),
                    ]
                    .concat(),
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
                    .and(&r.em.r_issue_q.add(&k(1)).eq(&r.em.em_tile.rv))
                    .and(&r.em.em_tile.last),
            ),
        ],
        vec![],
    )];
    (emission, e1)
}
