//! The controller's simulation-only protocol checks (part of the `engine_ctrl` module,
//! [`crate::engine_ctrl`]): `tlast` where the job says, and the range checks the
//! controller's address and counter arithmetic collected.

use crate::ast::{e, Stmt};
use crate::build::B;
use crate::ctrl_state::State;
use crate::engine_ctrl_regs::{in_state, Regs};
use crate::params::EngineParams;
use crate::typed::{k, V};

/// Simulation-only protocol checks: header padding bits zero, `tlast` where the job says,
/// and the collected range checks.
pub(crate) fn protocol_checks(b: &mut B, p: &EngineParams, r: &Regs) -> Vec<Stmt> {
    let t = p.thresholds();
    let mut checks = Vec::new();
    let t_final = in_state(State::LoadT)
        .and(&r.beat_q.eq(&k(t as u64)))
        .and(&r.m_cnt_q.add(&k(1)).eq(&r.m_q));
    let w_final = in_state(State::LoadW)
        .and(&r.off_q.add(&k(1)).eq(&r.kcw_q))
        .and(&r.m_cnt_q.add(&k(1)).eq(&r.m_q));
    let wt_final = V::mux(&r.raw_q, &w_final, &t_final);
    let a_final = crate::engine_ctrl_act::tile_final(&r.act, &r.kca_q);
    checks.push(Stmt::If(
        e::land(
            e::land(r.wt_fire.e.clone(), e::not(e::id("rst"))),
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
            e::land(r.act_fire.e.clone(), e::not(e::id("rst"))),
            e::ne(e::id("s_axis_act_tlast"), a_final.e),
        ),
        vec![Stmt::Fatal(
            "s_axis_act_tlast must mark the last beat of each n-tile, and only it".into(),
            vec![],
        )],
        vec![],
    ));
    checks.extend(b.take_checks());
    checks
}
