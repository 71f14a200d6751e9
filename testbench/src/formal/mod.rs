//! Formal checks of an engine's AXI4-Stream contract with SymbiYosys (docs/formal.md).
//!
//! [`wrapper()`] emits `formal_top`, a property module that instantiates the engine top and
//! holds every assumption and assertion (the engine RTL itself carries none). Its inputs are
//! free except for assumptions that encode the AXI4-Stream rules a master must follow on
//! `s_axis_wt` and `s_axis_act` (`tvalid` low in reset; a `tvalid` not yet accepted stays
//! high with `tdata`/`tlast` unchanged) and that the first cycle is a reset. It asserts, for
//! `m_axis_out` and the `tready` outputs, the [`PROPERTIES`], and the [`INVARIANTS`] of the
//! engine's internal state that make all of them provable by k-induction; it reads that state
//! through wires the sby script drives after `flatten` ([`taps`]). [`run_sby`] writes a
//! `.sby` file and runs `sby` (`smtbmc` with Yices) in a dedicated directory, reading the
//! verdict from the `status` file it writes, never from its stdout. [`comb_tready_paths`] is
//! the structural half: no combinational path from `m_axis_out_tready` to the output's
//! `tvalid`, `tdata` or `tlast`, and none to any flip-flop but the output skid register's
//! valid bit, checked on the flattened netlist with Yosys.
//!
//! Modules: [`mod@wrapper`] (the property module), [`sby`] (running SymbiYosys), [`cone`]
//! (the structural check).

pub mod cone;
pub mod sby;
pub mod wrapper;

pub use cone::{comb_tready_paths, TreadyCone};
pub use sby::{engine_sources, run_sby, run_sby_on, run_sby_top, sby_file, Verdict};
pub use wrapper::{tap_script, taps, wrapper, Tap};

use hdl::params::EngineParams;

/// The asserted properties: (label in `formal_top`, what it states).
pub const PROPERTIES: [(&str, &str); 4] = [
    (
        "out_held",
        "a m_axis_out beat offered and not accepted is offered again the next cycle with the same tdata and tlast",
    ),
    (
        "reset_idle",
        "the cycle after any reset cycle: m_axis_out_tvalid, tlast and tdata are 0, s_axis_wt_tready is 1 (ready for a header), s_axis_act_tready is 0",
    ),
    (
        "out_needs_inputs",
        "m_axis_out_tvalid is high only after at least one weight beat and one activation beat were accepted since the last reset and since the previous job's last output beat was accepted",
    ),
    (
        "idle_data_zero",
        "while m_axis_out_tvalid is low, m_axis_out_tdata and m_axis_out_tlast are 0",
    ),
];

/// Invariants of the engine's internal state (label in `formal_top`, what it states): true in
/// every state reachable from reset, and asserted (so proved) like the [`PROPERTIES`]; as
/// assertions, k-induction assumes them in its k prior steps, which rules out the unreachable
/// states that defeat induction on `out_held` and `out_needs_inputs` alone.
pub const INVARIANTS: [(&str, &str); 10] = [
    (
        "inv_pipe_emit",
        "while the result registers hold no tile being emitted (em_busy_q low) the output pipeline is empty: e1_valid_q, every threshold stage's valid bit and raw_valid_q are 0",
    ),
    (
        "inv_one_path",
        "a raw row is on the output only in a raw job (raw_valid_q => raw_q) and no threshold stage is valid in one",
    ),
    (
        "inv_count",
        "while a tile is emitted: accepted_q <= r_issue_q <= em_rv_q, and r_issue_q - accepted_q is the number of rows in the pipeline (e1, threshold stages, raw register)",
    ),
    (
        "inv_last",
        "a valid pipeline row marked last belongs to the emitted tile, the job's last (em_last_q), with all its rows issued (r_issue_q == em_rv_q), and no younger row is upstream of it",
    ),
    (
        "inv_lookahead",
        "in ST_COMPUTE past an m-tile's first cycle (fresh_q low), the controller's registered tile look-ahead (rows_valid, m_more, n_more) equals the function of the tile registers it stands for (rows_valid_d, m_more_d, n_more_d)",
    ),
    (
        "inv_last_tile",
        "while the job's last tile is pending (pend_q, pend_last_q: waiting for a result bank), queued (q_busy_q, q_last_q) or emitted (em_last_q), the controller is in ST_IDLE (it takes no header until the tile's last row is accepted); while it is queued no tile is pending, and while it is emitted none is pending or queued",
    ),
    (
        "inv_queue",
        "a tile is queued in the second result bank (q_busy_q) only while another is emitted (em_busy_q)",
    ),
    (
        "inv_seen",
        "outside ST_IDLE, and while a tile is pending, queued or emitted, a weight beat was accepted since reset and since the previous job's last output beat (wt_seen); in ST_COMPUTE, while a tile is pending, queued or emitted, and while an activation buffer is full, an activation beat too (act_seen)",
    ),
    (
        "inv_buffers",
        "in ST_IDLE the activation loader is done and both buffers are empty (ld_busy_q, full0_q, full1_q low); in ST_COMPUTE the buffer the compute reads is full (cbuf_q ? full1_q : full0_q)",
    ),
    (
        "inv_skid",
        "while the output skid register holds a beat (sk_valid_q), a weight and an activation beat were accepted since reset and since the previous job's last output beat (wt_seen, act_seen); while it holds the job's last beat, the controller is in ST_IDLE with no tile pending, queued or emitted",
    ),
];

/// The [`PROPERTIES`] that k-induction proves for every depth (unbounded), with the
/// [`INVARIANTS`] asserted alongside.
pub const INDUCTIVE: [&str; 4] = [
    "out_held",
    "reset_idle",
    "out_needs_inputs",
    "idle_data_zero",
];

/// Cover statements (reachability witnesses that the bounded proof is not vacuous).
pub const COVERS: [(&str, &str); 3] = [
    (
        "job_done",
        "the last beat of a job is accepted on m_axis_out",
    ),
    (
        "second_job_done",
        "the last beat of a second job since reset is accepted on m_axis_out",
    ),
    (
        "out_stalled",
        "a m_axis_out beat is held by back-pressure for a cycle",
    ),
];

/// A SymbiYosys mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bounded model check of every assertion to the depth.
    Bmc,
    /// Reach every cover statement within the depth.
    Cover,
    /// k-induction (basecase + induction) at the depth.
    Prove,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Bmc => "bmc",
            Mode::Cover => "cover",
            Mode::Prove => "prove",
        }
    }
}

/// [`wrapper_asserting`] with the [`INVARIANTS`] labelled in `dropped` turned into covers
/// too (which `bmc` and `prove` ignore): an ablation, to see what each invariant is needed
/// for. An unknown label is an error.
pub fn wrapper_dropping(
    p: &EngineParams,
    only: &[&str],
    dropped: &[&str],
) -> Result<String, String> {
    let mut s = wrapper_asserting(p, only);
    for label in dropped {
        let from = format!("{label}: assert (");
        if !s.contains(&from) {
            return Err(format!("no invariant {label} in the wrapper"));
        }
        s = s.replace(&from, &format!("{label}: cover ("));
    }
    Ok(s)
}

/// [`wrapper()`] with only the properties labelled in `only` asserted (the others become
/// covers, which `bmc` and `prove` ignore); the [`INVARIANTS`] stay asserted.
pub fn wrapper_asserting(p: &EngineParams, only: &[&str]) -> String {
    let mut s = wrapper(p);
    for (label, _) in PROPERTIES {
        if !only.contains(&label) {
            s = s.replace(&format!("{label}: assert ("), &format!("{label}: cover ("));
        }
    }
    s
}
