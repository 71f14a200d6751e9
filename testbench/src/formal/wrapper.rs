//! The property module `formal_top`: the environment's assumptions, the [`PROPERTIES`], the
//! [`COVERS`] and the inductive-strengthening [`INVARIANTS`] over the engine's internal
//! registers, which it reads through undriven wires (`f_*`) that the sby script drives with
//! `connect -set` after `flatten` ([`taps`]), so neither the engine RTL nor the wrapper
//! needs hierarchical references.
//!
//! [`PROPERTIES`]: super::PROPERTIES
//! [`COVERS`]: super::COVERS
//! [`INVARIANTS`]: super::INVARIANTS

use std::fmt::Write;

use hdl::ctrl_state::State;
use hdl::params::EngineParams;

/// A wrapper wire driven from an engine-internal signal: (wire in `formal_top`, width, the
/// signal's name in the flattened engine, below `u_dut.`).
pub type Tap = (String, u32, String);

/// Width of the controller's `state_q` (the encodings of [`State`]).
fn state_w() -> u32 {
    State::WIDTH
}

/// The engine-internal signals the [`INVARIANTS`](super::INVARIANTS) read, for the engine
/// `p`, as `instance.signal` under the engine top (`u_ctrl`: `hdl::engine_ctrl`, `u_out`:
/// `hdl::out_port`, `u_threshold`: `hdl::threshold_unit`); a renamed signal makes the sby
/// run `ERROR`.
pub fn taps(p: &EngineParams) -> Vec<Tap> {
    let ri_w = p.ctrl().ri_w;
    let mut t: Vec<Tap> = [
        ("f_state", state_w(), "u_ctrl.state_q"),
        ("f_e1_valid", 1, "u_ctrl.e1_valid_q"),
        ("f_e1_last", 1, "u_ctrl.e1_last_q"),
        ("f_raw_q", 1, "u_ctrl.raw_q"),
        ("f_raw_valid", 1, "u_out.raw_valid_q"),
        ("f_raw_last", 1, "u_out.raw_last_q"),
        ("f_sk_valid", 1, "u_out.sk_valid_q"),
        ("f_sk_last", 1, "u_out.sk_last_q"),
        ("f_r_issue", ri_w, "u_ctrl.r_issue_q"),
        ("f_accepted", ri_w, "u_ctrl.accepted_q"),
        ("f_rows_valid", ri_w, "u_ctrl.rows_valid"),
        ("f_em_busy", 1, "u_ctrl.em_busy_q"),
        ("f_em_rv", ri_w, "u_ctrl.em_rv_q"),
        ("f_em_last", 1, "u_ctrl.em_last_q"),
        ("f_pend", 1, "u_ctrl.pend_q"),
        ("f_q_busy", 1, "u_ctrl.q_busy_q"),
        ("f_q_last", 1, "u_ctrl.q_last_q"),
        ("f_pend_last", 1, "u_ctrl.pend_last_q"),
        ("f_fresh", 1, "u_ctrl.fresh_q"),
        ("f_m_more", 1, "u_ctrl.m_more"),
        ("f_n_more", 1, "u_ctrl.n_more"),
        ("f_rows_valid_d", ri_w, "u_ctrl.rows_valid_d"),
        ("f_m_more_d", 1, "u_ctrl.m_more_d"),
        ("f_n_more_d", 1, "u_ctrl.n_more_d"),
        ("f_ld_busy", 1, "u_ctrl.ld_busy_q"),
        ("f_full0", 1, "u_ctrl.full0_q"),
        ("f_full1", 1, "u_ctrl.full1_q"),
        ("f_cbuf", 1, "u_ctrl.cbuf_q"),
    ]
    .iter()
    .map(|&(w, n, s)| (w.to_string(), n, s.to_string()))
    .collect();
    for s in 0..p.out_bits {
        t.push((
            format!("f_tu_valid{s}"),
            1,
            format!("u_threshold.valid{s}_q"),
        ));
        t.push((format!("f_tu_last{s}"), 1, format!("u_threshold.last{s}_q")));
    }
    t
}

/// The `connect -set` lines (Yosys, run after `flatten`) that drive every [`taps`] wire.
pub fn tap_script(p: &EngineParams) -> String {
    let mut s = String::from("cd formal_top\n");
    for (wire, _, sig) in taps(p) {
        writeln!(s, "connect -set {wire} u_dut.{sig}").unwrap();
    }
    s + "cd ..\n"
}

/// The invariant assertions' text (labels as in [`INVARIANTS`](super::INVARIANTS)).
fn invariants(p: &EngineParams) -> String {
    let sw = state_w();
    let mut s = String::new();
    writeln!(
        s,
        "    // Engine-internal signals: undriven here, driven by `connect -set` in the sby script."
    )
    .unwrap();
    writeln!(s, "    // verilator lint_off UNDRIVEN").unwrap();
    for (wire, w, sig) in taps(p) {
        let range = if w > 1 {
            format!("[{}:0] ", w - 1)
        } else {
            String::new()
        };
        writeln!(s, "    wire {range}{wire}; // u_dut.{sig}").unwrap();
    }
    writeln!(s, "    // verilator lint_on UNDRIVEN").unwrap();
    // The controller states the invariants name, with the engine's encodings.
    for st in [State::Idle, State::Compute] {
        let (name, i) = (st.rtl_name(), st.code());
        writeln!(s, "    localparam [{}:0] F_{name} = {sw}'d{i};", sw - 1).unwrap();
    }
    // The pipeline from the issue register to the output: e1, the threshold stages, raw.
    let ob = p.out_bits;
    let tu: Vec<String> = (0..ob).map(|i| format!("f_tu_valid{i}")).collect();
    let any_tu = tu.join(" || ");
    let ext = |v: &str, w: u32| {
        if w >= 8 {
            v.to_string()
        } else {
            format!("{{{}'d0, {v}}}", 8 - w)
        }
    };
    let in_flight = std::iter::once("f_e1_valid".to_string())
        .chain(tu.iter().cloned())
        .chain(std::iter::once("f_raw_valid".to_string()))
        .map(|v| ext(&v, 1))
        .collect::<Vec<_>>()
        .join(" + ");
    let ri_w = p.ctrl().ri_w;
    let (ri, ac) = (ext("f_r_issue", ri_w), ext("f_accepted", ri_w));
    let mut last = vec!["(!(f_e1_valid && f_e1_last) || f_tail)".to_string()];
    for i in 0..ob {
        let up = std::iter::once("f_e1_valid".to_string())
            .chain(tu[..i as usize].iter().cloned())
            .collect::<Vec<_>>()
            .join(" || ");
        last.push(format!(
            "(!(f_tu_valid{i} && f_tu_last{i}) || (f_tail && !({up})))"
        ));
    }
    last.push("(!(f_raw_valid && f_raw_last) || (f_tail && !f_e1_valid))".into());
    write!(
        s,
        r#"    // Rows in the output pipeline (issue register, threshold stages, raw register).
    wire [7:0] f_in_flight = {in_flight};
    // The emitted tile's rows are all issued and it is the job's last tile.
    wire f_tail = f_em_busy && f_r_issue == f_em_rv && f_em_last;
    wire f_emit = f_em_busy;
    // Past an m-tile's first cycle (the look-ahead is read from here on).
    wire f_done = f_state == F_ST_COMPUTE && !f_fresh;

    // Inductive strengthening: invariants of reachable states, each proved like the properties
    // (k-induction assumes asserted invariants in its k prior steps).
    always @(posedge clk) begin
        if (f_past_valid) begin
            inv_pipe_emit: assert (f_emit || (f_in_flight == 8'd0));
            inv_one_path: assert (!(f_raw_valid && !f_raw_q) && !(({any_tu}) && f_raw_q));
            inv_count: assert (!f_emit || ({ac} <= {ri} && f_r_issue <= f_em_rv
                                             && {ri} - {ac} == f_in_flight));
            inv_last: assert ({last});
            inv_lookahead: assert (!f_done || (f_rows_valid == f_rows_valid_d
                                               && f_m_more == f_m_more_d && f_n_more == f_n_more_d));
            inv_last_tile: assert ((!(f_pend && f_pend_last) || f_state == F_ST_IDLE)
                                   && (!(f_q_busy && f_q_last) || (f_state == F_ST_IDLE && !f_pend))
                                   && (!(f_emit && f_em_last) || (f_state == F_ST_IDLE && !f_pend && !f_q_busy)));
            inv_queue: assert (!f_q_busy || f_emit);
            inv_seen: assert (((f_state == F_ST_IDLE && !f_emit && !f_pend && !f_q_busy) || wt_seen)
                              && (!(f_state == F_ST_COMPUTE || f_emit || f_pend || f_q_busy || f_full0 || f_full1)
                                  || act_seen));
            inv_buffers: assert ((f_state != F_ST_IDLE || (!f_ld_busy && !f_full0 && !f_full1))
                                 && (f_state != F_ST_COMPUTE || (f_cbuf ? f_full1 : f_full0)));
            inv_skid: assert ((!f_sk_valid || (wt_seen && act_seen))
                              && (!(f_sk_valid && f_sk_last)
                                  || (f_state == F_ST_IDLE && !f_emit && !f_pend && !f_q_busy)));
        end
    end
"#,
        last = last.join("\n                              && "),
    )
    .unwrap();
    s
}

/// The property module `formal_top` for the engine `p` (SystemVerilog, Yosys `read -formal`).
pub fn wrapper(p: &EngineParams) -> String {
    let (wtw, acw, ow) = (
        p.wt_stream_width(),
        p.act_stream_width(),
        p.out_stream_width(),
    );
    let top = p.top_name();
    let mut s = String::new();
    writeln!(
        s,
        r#"// Formal property wrapper for {top}, generated by qforge (docs/formal.md).
module formal_top (
    input wire clk,
    input wire rst,
    input wire [{wtm}:0] s_axis_wt_tdata,
    input wire s_axis_wt_tvalid,
    input wire s_axis_wt_tlast,
    input wire [{acm}:0] s_axis_act_tdata,
    input wire s_axis_act_tvalid,
    input wire s_axis_act_tlast,
    input wire m_axis_out_tready
);
    wire s_axis_wt_tready, s_axis_act_tready, m_axis_out_tvalid, m_axis_out_tlast;
    wire [{owm}:0] m_axis_out_tdata;
    {top} u_dut (
        .clk(clk), .rst(rst),
        .s_axis_wt_tdata(s_axis_wt_tdata), .s_axis_wt_tvalid(s_axis_wt_tvalid),
        .s_axis_wt_tready(s_axis_wt_tready), .s_axis_wt_tlast(s_axis_wt_tlast),
        .s_axis_act_tdata(s_axis_act_tdata), .s_axis_act_tvalid(s_axis_act_tvalid),
        .s_axis_act_tready(s_axis_act_tready), .s_axis_act_tlast(s_axis_act_tlast),
        .m_axis_out_tdata(m_axis_out_tdata), .m_axis_out_tvalid(m_axis_out_tvalid),
        .m_axis_out_tready(m_axis_out_tready), .m_axis_out_tlast(m_axis_out_tlast)
    );

    // Cycle 0 is a reset cycle; every assertion starts after it.
    reg f_past_valid = 1'b0;
    always @(posedge clk) f_past_valid <= 1'b1;
    always @(*) if (!f_past_valid) assume (rst);

    // The environment follows AXI4-Stream on both input streams: tvalid is low during reset,
    // and a beat offered but not accepted stays offered with the same tdata and tlast.
    always @(*) if (rst) assume (!s_axis_wt_tvalid && !s_axis_act_tvalid);
    always @(posedge clk) begin
        if (f_past_valid && !$past(rst) && !rst) begin
            if ($past(s_axis_wt_tvalid && !s_axis_wt_tready))
                assume (s_axis_wt_tvalid && $stable(s_axis_wt_tdata) && $stable(s_axis_wt_tlast));
            if ($past(s_axis_act_tvalid && !s_axis_act_tready))
                assume (s_axis_act_tvalid && $stable(s_axis_act_tdata) && $stable(s_axis_act_tlast));
        end
    end

    // A beat accepted on each input since the last reset and since the last job's last
    // output beat was accepted.
    reg wt_seen = 1'b0;
    reg act_seen = 1'b0;
    always @(posedge clk) begin
        if (rst) begin
            wt_seen <= 1'b0;
            act_seen <= 1'b0;
        end else begin
            if (m_axis_out_tvalid && m_axis_out_tready && m_axis_out_tlast) begin
                wt_seen <= 1'b0;
                act_seen <= 1'b0;
            end
            if (s_axis_wt_tvalid && s_axis_wt_tready) wt_seen <= 1'b1;
            if (s_axis_act_tvalid && s_axis_act_tready) act_seen <= 1'b1;
        end
    end

    // Jobs completed on m_axis_out since the last reset (saturating at 2).
    reg [1:0] jobs_done = 2'd0;
    always @(posedge clk) begin
        if (rst) jobs_done <= 2'd0;
        else if (m_axis_out_tvalid && m_axis_out_tready && m_axis_out_tlast && jobs_done != 2'd2)
            jobs_done <= jobs_done + 2'd1;
    end

    always @(posedge clk) begin
        if (f_past_valid) begin
            if (!$past(rst) && !rst && $past(m_axis_out_tvalid && !m_axis_out_tready))
                out_held: assert (m_axis_out_tvalid && $stable(m_axis_out_tdata) && $stable(m_axis_out_tlast));
            if ($past(rst))
                reset_idle: assert (!m_axis_out_tvalid && !m_axis_out_tlast && m_axis_out_tdata == '0
                                    && s_axis_wt_tready && !s_axis_act_tready);
            if (m_axis_out_tvalid)
                out_needs_inputs: assert (wt_seen && act_seen);
            if (!m_axis_out_tvalid)
                idle_data_zero: assert (m_axis_out_tdata == '0 && !m_axis_out_tlast);
            if (!rst) begin
                job_done: cover (m_axis_out_tvalid && m_axis_out_tready && m_axis_out_tlast);
                second_job_done: cover (jobs_done == 2'd1 && m_axis_out_tvalid && m_axis_out_tready && m_axis_out_tlast);
                out_stalled: cover (!$past(rst) && $past(m_axis_out_tvalid && !m_axis_out_tready) && m_axis_out_tvalid);
            end
        end
    end

{inv}endmodule"#,
        wtm = wtw - 1,
        acm = acw - 1,
        owm = ow - 1,
        inv = invariants(p),
    )
    .unwrap();
    s
}
