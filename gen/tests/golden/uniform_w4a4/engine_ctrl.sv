`default_nettype none
`timescale 1ns / 1ps

// Engine controller: job header, load / tile / issue / emission counters and their state machine.
// Outputs depend only on registers and the input streams; en and row_fire come from the output stage.
module engine_ctrl (
    // Clock and synchronous reset
    input  wire         clk,
    input  wire         rst,               // active high, synchronous
    // Input streams (data are written by the operand memories)
    input  wire [16:0]  wt_data,           // the weight stream's low bits: header, table entries, thresholds
    input  wire         s_axis_wt_tvalid,
    output wire         s_axis_wt_tready,
    input  wire         s_axis_wt_tlast,
    input  wire         s_axis_act_tvalid,
    output wire         s_axis_act_tready,
    input  wire         s_axis_act_tlast,
    // Operand memories
    output wire         w_wr_en,
    output wire [1:0]   w_wr_bank,         // weight bank = array row
    output wire [7:0]   w_wr_addr,
    output wire [7:0]   w_rd_addr,         // the same address in every bank
    output wire         a_wr_en,
    output wire [1:0]   a_wr_bank,         // activation bank = array column
    output wire [5:0]   a_wr_addr,
    output wire [5:0]   a_rd_addr,         // the same address in every bank
    output wire         t_wr_en,
    output wire [4:0]   t_wr_addr,
    output wire [255:0] t_wr_data,         // {thresholds, direction}
    output wire [4:0]   t_rd_addr,         // the channel of the row being issued
    // Compute steps (to the control delay line)
    output wire         step_valid,        // a compute step is issued this cycle
    output wire         step_clear,        // the first step of a tile: the accumulators restart
    output wire         step_negate,       // the step's term is subtracted
    output wire [2:0]   step_shift,        // the step's term is shifted left by i + j
    // Emission: the row the output stage takes
    output wire         snap,              // a result bank takes the accumulators (a tile is done)
    output wire         snap_bank,         // the bank snap writes
    output wire         row_bank,          // the bank the emitted rows come from
    output wire [1:0]   row_sel,           // array row
    output wire         row_last,          // the job's last row
    output wire         code_valid,        // the row enters the threshold unit
    output wire         raw_valid,         // the row goes out raw
    output wire [2:0]   cols_valid,        // valid columns of the tile being emitted
    input  wire         en,                // the output pipeline advances (the output skid register is empty)
    input  wire         row_fire           // a row leaves the output pipeline (onto m_axis_out or the skid register)
);
    // Controller states (hdl::ctrl_state::State).
    typedef enum logic [2:0] {
        ST_IDLE = 3'd0,
        ST_LOAD_W = 3'd1,
        ST_LOAD_T = 3'd2,
        ST_WAIT_A = 3'd3,
        ST_COMPUTE = 3'd4
    } state_t;
    // Controller state.
    state_t state_q;

    // Activation loader (beside the state machine): two buffers per bank.
    // n-tiles of this job are still to be loaded
    logic [0:0] ld_busy_q;
    // the buffer being loaded
    logic [0:0] ld_buf_q;
    // activation bank (array column) being loaded
    logic [1:0] ld_col_q;
    // word within the column
    logic [4:0] ld_off_q;
    // valid columns of the tile being loaded
    logic [2:0] ld_nv_q;
    // columns of the job after the tile being loaded
    logic [5:0] ld_rest_q;
    // buffer 0 holds a loaded tile
    logic [0:0] full0_q;
    // buffer 1 holds a loaded tile
    logic [0:0] full1_q;
    // the buffer the compute reads
    logic [0:0] cbuf_q;
    // the loader's buffer is free
    logic [0:0] act_ready;
    assign act_ready = ld_busy_q && !(ld_buf_q ? full1_q : full0_q);

    // Stream handshakes (tready depends only on registers).
    logic [0:0] wt_ready;
    assign wt_ready = ((((((state_q == ST_IDLE) && !em_busy_q) && !pend_q) && !q_busy_q) && en) || (state_q == ST_LOAD_W)) || (state_q == ST_LOAD_T);
    logic [0:0] wt_fire;
    assign wt_fire = s_axis_wt_tvalid && wt_ready;
    logic [0:0] act_fire;
    assign act_fire = s_axis_act_tvalid && act_ready;
    assign s_axis_wt_tready = wt_ready;
    assign s_axis_act_tready = act_ready;

    // Job registers, from the header {RAW, KC, N, M}.
    logic [5:0] m_q;
    logic [5:0] n_q;
    logic [2:0] kc_q;
    // KC · weight words per chunk: weight words per output channel.
    logic [4:0] kcw_q;
    // KC · activation words per chunk: activation words per column.
    logic [4:0] kca_q;
    logic [5:0] hdr_m;
    assign hdr_m = wt_data[0 +: 6];
    logic [5:0] hdr_n;
    assign hdr_n = wt_data[6 +: 6];
    logic [2:0] hdr_kc;
    assign hdr_kc = wt_data[12 +: 3];
    // raw mode: no thresholds, the accumulators go out instead of codes
    logic [0:0] raw_q;
    // the header's RAW bit
    logic [0:0] hdr_raw;
    assign hdr_raw = wt_data[15 +: 1];
    // A header with a zero or too large field is dropped.
    logic [0:0] hdr_ok;
    assign hdr_ok = (((((hdr_m != 6'd0) && (hdr_n != 6'd0)) && (hdr_kc != 3'd0)) && (hdr_m <= 6'd32)) && (hdr_n <= 6'd36)) && (hdr_kc <= 3'd5);

    // Load counters.
    // weight bank (array row) being loaded
    logic [1:0] row_q;
    // bank address of the current row's first word
    logic [7:0] row_base_q;
    // word within the current weight row
    logic [4:0] off_q;
    // output channels loaded so far
    logic [5:0] m_cnt_q;
    // beat within a channel's thresholds (0 = direction)
    logic [3:0] beat_q;
    logic [0:0] thr_dir_q;
    // the channel's earlier thresholds, the newest at the top
    logic [237:0] thr_shift_q;

    // Tiles.
    // first column of the n-tile
    logic [5:0] n0_q;
    // valid columns in the n-tile
    logic [2:0] nv_q;
    // first row of the m-tile
    logic [5:0] m0_q;
    // bank address of the m-tile's weights
    logic [7:0] mt_base_q;

    // Compute issue: k-chunk, activation plane i, weight plane j.
    logic [2:0] kc_idx_q;
    // kc_idx · weight words per chunk
    logic [4:0] kc_w_q;
    // the buffer's base + kc_idx · activation words per chunk
    logic [5:0] kc_a_q;
    logic [1:0] i_q;
    logic [1:0] j_q;
    // the m-tile's first cycle (its look-ahead is not valid yet: no last step)
    logic [0:0] fresh_q;

    // The pending tile: finished, waiting for a result bank.
    // a finished tile waits for a result bank
    logic [0:0] pend_q;
    // cycles left until the accumulators hold its last step
    logic [2:0] drain_q;
    // its first row (output channel)
    logic [5:0] pend_m0_q;
    // its rows
    logic [2:0] pend_rv_q;
    // its valid columns
    logic [2:0] pend_nv_q;
    // it is the job's last tile
    logic [0:0] pend_last_q;

    // Emission of the tile in a result bank (beside the state machine).
    // the emitted bank holds a tile whose rows are not all out of the pipeline
    logic [0:0] em_busy_q;
    // its first row (output channel)
    logic [5:0] em_m0_q;
    // its rows
    logic [2:0] em_rv_q;
    // its valid columns
    logic [2:0] em_nv_q;
    // it is the job's last tile
    logic [0:0] em_last_q;
    // the result bank holding it
    logic [0:0] em_bank_q;

    // The queued tile: in the other result bank, emitted next.
    // the other result bank holds a tile waiting for the emission
    logic [0:0] q_busy_q;
    // its first row (output channel)
    logic [5:0] q_m0_q;
    // its rows
    logic [2:0] q_rv_q;
    // its valid columns
    logic [2:0] q_nv_q;
    // it is the job's last tile
    logic [0:0] q_last_q;
    // the result bank the next snapshot writes
    logic [0:0] sw_q;
    // rows sent into the threshold pipeline
    logic [2:0] r_issue_q;
    // rows out of the pipeline (onto m_axis_out or into the skid register)
    logic [2:0] accepted_q;
    logic [0:0] e1_valid_q;
    logic [1:0] e1_row_q;
    logic [0:0] e1_last_q;
    logic [5:0] rows_valid_d_full;
    assign rows_valid_d_full = m_q - m0_q;
    // rows of the m-tile that exist: min(DM, M − m0)
    logic [2:0] rows_valid_d;
    assign rows_valid_d = (rows_valid_d_full < 6'd4) ? rows_valid_d_full[0 +: 3] : 3'd4;
    // another m-tile follows
    logic [0:0] m_more_d;
    assign m_more_d = ({1'd0, m0_q} + 7'd4) < {1'd0, m_q};
    // another n-tile follows
    logic [0:0] n_more_d;
    assign n_more_d = ({1'd0, n0_q} + 7'd4) < {1'd0, n_q};
    logic [2:0] rows_valid_q;
    always_ff @(posedge clk) begin
        rows_valid_q <= rows_valid_d;
    end
    // (registered look-ahead)
    logic [2:0] rows_valid;
    assign rows_valid = rows_valid_q;
    logic [0:0] m_more_q;
    always_ff @(posedge clk) begin
        m_more_q <= m_more_d;
    end
    // (registered look-ahead)
    logic [0:0] m_more;
    assign m_more = m_more_q;
    logic [0:0] n_more_q;
    always_ff @(posedge clk) begin
        n_more_q <= n_more_d;
    end
    // (registered look-ahead)
    logic [0:0] n_more;
    assign n_more = n_more_q;
    // a row of the result registers enters the output pipeline
    logic [0:0] issue;
    assign issue = em_busy_q && (r_issue_q < em_rv_q);
    // the step at the counters is the tile's last
    logic [0:0] last_step;
    assign last_step = ((j_q == 2'd3) && (i_q == 2'd3)) && (({1'd0, kc_idx_q} + 4'd1) == {1'd0, kc_q});
    // the step at the counters is the tile's first
    logic [0:0] first_step;
    assign first_step = ((j_q == 2'd0) && (i_q == 2'd0)) && (kc_idx_q == 3'd0);
    // steps go back to back; a first waits while a pending tile cannot take a result bank, a last for the pending slot
    logic [0:0] issuing;
    assign issuing = ((state_q == ST_COMPUTE) && ((!first_step || !pend_q) || !q_busy_q)) && (!last_step || (!pend_q && !fresh_q));
    // the accumulators hold the pending tile's last step and a result bank is free
    logic [0:0] res_take;
    assign res_take = (pend_q && (drain_q == 3'd0)) && !q_busy_q;
    // this beat's threshold above the earlier ones (t_0 lowest)
    logic [254:0] thr_next;
    assign thr_next = {wt_data[0 +: 17], thr_shift_q};

    // Operand memory addresses and write enables.
    logic [8:0] w_waddr_full;
    assign w_waddr_full = {1'd0, row_base_q} + {4'd0, off_q};
    logic [7:0] w_waddr;
    assign w_waddr = w_waddr_full[0 +: 8];
    logic [9:0] w_raddr_full;
    assign w_raddr_full = {1'd0, {1'd0, mt_base_q} + {4'd0, kc_w_q}} + {8'd0, j_q};
    logic [7:0] w_raddr;
    assign w_raddr = w_raddr_full[0 +: 8];
    logic [6:0] a_raddr_full;
    assign a_raddr_full = {1'd0, kc_a_q} + {5'd0, i_q};
    logic [5:0] a_raddr;
    assign a_raddr = a_raddr_full[0 +: 6];
    logic [6:0] t_raddr_full;
    assign t_raddr_full = {1'd0, em_m0_q} + {4'd0, r_issue_q};
    logic [4:0] t_raddr;
    assign t_raddr = t_raddr_full[0 +: 5];
    logic [5:0] t_waddr_full;
    assign t_waddr_full = m_cnt_q;
    logic [4:0] t_waddr;
    assign t_waddr = t_waddr_full[0 +: 5];
    assign w_wr_en = (state_q == ST_LOAD_W) && wt_fire;
    assign w_wr_bank = row_q;
    assign w_wr_addr = w_waddr;
    assign w_rd_addr = w_raddr;
    assign a_rd_addr = a_raddr;
    assign t_wr_en = ((state_q == ST_LOAD_T) && wt_fire) && (beat_q == 4'd15);
    assign t_wr_addr = t_waddr;
    assign t_wr_data = {thr_next, thr_dir_q};
    assign t_rd_addr = t_raddr;

    // Compute steps into the control delay line.
    assign step_valid = issuing;
    assign step_clear = ((kc_idx_q == 3'd0) && (i_q == 2'd0)) && (j_q == 2'd0);
    assign step_negate = 1'd0 ^ (j_q == 2'd3);
    assign step_shift = {1'd0, i_q} + {1'd0, j_q};

    // The row the output stage takes, and which path it goes down.
    assign row_sel = e1_row_q;
    assign row_last = e1_last_q;
    assign code_valid = e1_valid_q && !raw_q;
    assign raw_valid = e1_valid_q && raw_q;
    assign cols_valid = em_nv_q;
    assign snap = res_take;
    assign snap_bank = sw_q;
    assign row_bank = em_bank_q;

    // Activation banks' write port (the loader).
    logic [6:0] a_waddr_full;
    assign a_waddr_full = {1'd0, ld_buf_q ? 6'd20 : 6'd0} + {2'd0, ld_off_q};
    logic [5:0] a_waddr;
    assign a_waddr = a_waddr_full[0 +: 6];
    logic [5:0] ld_nv_next_full;
    assign ld_nv_next_full = ld_rest_q;
    // columns of the next tile: min(DN, columns left)
    logic [2:0] ld_nv_next;
    assign ld_nv_next = (ld_nv_next_full < 6'd4) ? ld_nv_next_full[0 +: 3] : 3'd4;
    assign a_wr_en = act_fire;
    assign a_wr_bank = ld_col_q;
    assign a_wr_addr = a_waddr;

    // State machine.
    logic [6:0] m0_next_d_full;
    assign m0_next_d_full = {1'd0, m0_q} + 7'd4;
    logic [5:0] m0_next_d;
    assign m0_next_d = m0_next_d_full[0 +: 6];
    logic [5:0] m0_next_q;
    always_ff @(posedge clk) begin
        m0_next_q <= m0_next_d;
    end
    // (registered look-ahead)
    logic [5:0] m0_next;
    assign m0_next = m0_next_q;
    logic [6:0] n0_next_d_full;
    assign n0_next_d_full = {1'd0, n0_q} + 7'd4;
    logic [5:0] n0_next_d;
    assign n0_next_d = n0_next_d_full[0 +: 6];
    logic [5:0] n0_next_q;
    always_ff @(posedge clk) begin
        n0_next_q <= n0_next_d;
    end
    // (registered look-ahead)
    logic [5:0] n0_next;
    assign n0_next = n0_next_q;
    logic [5:0] nv_first_d_full;
    assign nv_first_d_full = hdr_n;
    // columns of the first n-tile: min(DN, N), from the header
    logic [2:0] nv_first_d;
    assign nv_first_d = (nv_first_d_full < 6'd4) ? nv_first_d_full[0 +: 3] : 3'd4;
    // columns of the first n-tile
    logic [2:0] nv_first_q;
    logic [5:0] nv_next_d_full;
    assign nv_next_d_full = n_q - n0_next_d;
    // columns of the next n-tile: min(DN, N − n0 − DN)
    logic [2:0] nv_next_d;
    assign nv_next_d = (nv_next_d_full < 6'd4) ? nv_next_d_full[0 +: 3] : 3'd4;
    logic [2:0] nv_next_q;
    always_ff @(posedge clk) begin
        nv_next_q <= nv_next_d;
    end
    // (registered look-ahead)
    logic [2:0] nv_next;
    assign nv_next = nv_next_q;
    logic [5:0] hdr_kcw_full;
    assign hdr_kcw_full = {3'd0, hdr_kc} * 6'd4;
    logic [4:0] hdr_kcw;
    assign hdr_kcw = hdr_kcw_full[0 +: 5];
    logic [5:0] hdr_kca_full;
    assign hdr_kca_full = {3'd0, hdr_kc} * 6'd4;
    logic [4:0] hdr_kca;
    assign hdr_kca = hdr_kca_full[0 +: 5];
    // the emitted tile's last row leaves the pipeline
    logic [0:0] em_done;
    assign em_done = row_fire && (({1'd0, accepted_q} + 4'd1) == {1'd0, em_rv_q});
    logic [2:0] r_issue_row_full;
    assign r_issue_row_full = r_issue_q;
    logic [1:0] r_issue_row;
    assign r_issue_row = r_issue_row_full[0 +: 2];
    always_ff @(posedge clk) begin
        if (rst) begin
            state_q <= ST_IDLE;
            e1_valid_q <= 1'd0;
            m_q <= 6'd0;
            n_q <= 6'd0;
            kc_q <= 3'd0;
            raw_q <= 1'd0;
            kcw_q <= 5'd0;
            kca_q <= 5'd0;
            m0_q <= 6'd0;
            n0_q <= 6'd0;
            nv_q <= 3'd0;
            row_q <= 2'd0;
            row_base_q <= 8'd0;
            off_q <= 5'd0;
            m_cnt_q <= 6'd0;
            beat_q <= 4'd0;
            kc_idx_q <= 3'd0;
            kc_w_q <= 5'd0;
            kc_a_q <= 6'd0;
            i_q <= 2'd0;
            j_q <= 2'd0;
            mt_base_q <= 8'd0;
            fresh_q <= 1'd0;
            pend_q <= 1'd0;
            drain_q <= 3'd0;
            pend_m0_q <= 6'd0;
            pend_rv_q <= 3'd0;
            pend_nv_q <= 3'd0;
            pend_last_q <= 1'd0;
            r_issue_q <= 3'd0;
            accepted_q <= 3'd0;
            em_busy_q <= 1'd0;
            em_m0_q <= 6'd0;
            em_rv_q <= 3'd0;
            em_nv_q <= 3'd0;
            em_last_q <= 1'd0;
            em_bank_q <= 1'd0;
            q_busy_q <= 1'd0;
            q_m0_q <= 6'd0;
            q_rv_q <= 3'd0;
            q_nv_q <= 3'd0;
            q_last_q <= 1'd0;
            sw_q <= 1'd0;
            ld_busy_q <= 1'd0;
            ld_buf_q <= 1'd0;
            ld_col_q <= 2'd0;
            ld_off_q <= 5'd0;
            ld_nv_q <= 3'd0;
            ld_rest_q <= 6'd0;
            full0_q <= 1'd0;
            full1_q <= 1'd0;
            cbuf_q <= 1'd0;
        end else begin
            if (en) begin
                e1_valid_q <= issue;
            end
            if (en && issue) begin
                r_issue_q <= r_issue_q + 3'd1;
            end
            if (em_done) begin
                em_busy_q <= 1'd0;
            end else if (row_fire) begin
                accepted_q <= accepted_q + 3'd1;
            end
            if (em_done && q_busy_q) begin
                em_busy_q <= 1'd1;
                em_m0_q <= q_m0_q;
                em_rv_q <= q_rv_q;
                em_nv_q <= q_nv_q;
                em_last_q <= q_last_q;
                em_bank_q <= !em_bank_q;
                r_issue_q <= 3'd0;
                accepted_q <= 3'd0;
                q_busy_q <= 1'd0;
            end
            if (res_take) begin
                pend_q <= 1'd0;
                sw_q <= !sw_q;
                if (!em_busy_q || em_done) begin
                    em_busy_q <= 1'd1;
                    em_m0_q <= pend_m0_q;
                    em_rv_q <= pend_rv_q;
                    em_nv_q <= pend_nv_q;
                    em_last_q <= pend_last_q;
                    em_bank_q <= sw_q;
                    r_issue_q <= 3'd0;
                    accepted_q <= 3'd0;
                end else begin
                    q_busy_q <= 1'd1;
                    q_m0_q <= pend_m0_q;
                    q_rv_q <= pend_rv_q;
                    q_nv_q <= pend_nv_q;
                    q_last_q <= pend_last_q;
                end
            end else if (pend_q && (drain_q != 3'd0)) begin
                drain_q <= drain_q - 3'd1;
            end
            if (act_fire) begin
                if (({1'd0, ld_off_q} + 6'd1) == {1'd0, kca_q}) begin
                    ld_off_q <= 5'd0;
                    if (({1'd0, ld_col_q} + 3'd1) == ld_nv_q) begin
                        ld_col_q <= 2'd0;
                        if (ld_buf_q) begin
                            full1_q <= 1'd1;
                        end else begin
                            full0_q <= 1'd1;
                        end
                        ld_buf_q <= !ld_buf_q;
                        ld_nv_q <= ld_nv_next;
                        ld_rest_q <= (ld_rest_q < 6'd4) ? 6'd0 : (ld_rest_q - 6'd4);
                        if (ld_rest_q == 6'd0) begin
                            ld_busy_q <= 1'd0;
                        end
                    end else begin
                        ld_col_q <= ld_col_q + 2'd1;
                    end
                end else begin
                    ld_off_q <= ld_off_q + 5'd1;
                end
            end
            if (state_q == ST_IDLE) begin
                if (wt_fire && hdr_ok) begin
                    m_q <= hdr_m;
                    n_q <= hdr_n;
                    kc_q <= hdr_kc;
                    raw_q <= hdr_raw;
                    nv_first_q <= nv_first_d;
                    kcw_q <= hdr_kcw;
                    kca_q <= hdr_kca;
                    row_q <= 2'd0;
                    row_base_q <= 8'd0;
                    off_q <= 5'd0;
                    m_cnt_q <= 6'd0;
                    ld_busy_q <= 1'd1;
                    ld_buf_q <= 1'd0;
                    ld_col_q <= 2'd0;
                    ld_off_q <= 5'd0;
                    ld_nv_q <= nv_first_d;
                    ld_rest_q <= (hdr_n < 6'd4) ? 6'd0 : (hdr_n - 6'd4);
                    full0_q <= 1'd0;
                    full1_q <= 1'd0;
                    cbuf_q <= 1'd0;
                    state_q <= ST_LOAD_W;
                end
            end else if (state_q == ST_LOAD_W) begin
                if (wt_fire) begin
                    if (({1'd0, off_q} + 6'd1) == {1'd0, kcw_q}) begin
                        off_q <= 5'd0;
                        if (row_q == 2'd3) begin
                            row_q <= 2'd0;
                            row_base_q <= row_base_q + {3'd0, kcw_q};
                        end else begin
                            row_q <= row_q + 2'd1;
                        end
                        if (({1'd0, m_cnt_q} + 7'd1) == {1'd0, m_q}) begin
                            m_cnt_q <= 6'd0;
                            beat_q <= 4'd0;
                            if (raw_q) begin
                                n0_q <= 6'd0;
                                nv_q <= nv_first_q;
                                if (cbuf_q ? full1_q : full0_q) begin
                                    m0_q <= 6'd0;
                                    mt_base_q <= 8'd0;
                                    kc_idx_q <= 3'd0;
                                    kc_w_q <= 5'd0;
                                    kc_a_q <= cbuf_q ? 6'd20 : 6'd0;
                                    i_q <= 2'd0;
                                    j_q <= 2'd0;
                                    fresh_q <= 1'd1;
                                    state_q <= ST_COMPUTE;
                                end else begin
                                    state_q <= ST_WAIT_A;
                                end
                            end else begin
                                state_q <= ST_LOAD_T;
                            end
                        end else begin
                            m_cnt_q <= m_cnt_q + 6'd1;
                        end
                    end else begin
                        off_q <= off_q + 5'd1;
                    end
                end
            end else if (state_q == ST_LOAD_T) begin
                if (wt_fire) begin
                    if (beat_q == 4'd0) begin
                        thr_dir_q <= wt_data[0 +: 1];
                        beat_q <= 4'd1;
                    end else begin
                        thr_shift_q <= thr_next[254:17];
                        if (beat_q == 4'd15) begin
                            beat_q <= 4'd0;
                            if (({1'd0, m_cnt_q} + 7'd1) == {1'd0, m_q}) begin
                                m_cnt_q <= 6'd0;
                                n0_q <= 6'd0;
                                nv_q <= nv_first_q;
                                if (cbuf_q ? full1_q : full0_q) begin
                                    m0_q <= 6'd0;
                                    mt_base_q <= 8'd0;
                                    kc_idx_q <= 3'd0;
                                    kc_w_q <= 5'd0;
                                    kc_a_q <= cbuf_q ? 6'd20 : 6'd0;
                                    i_q <= 2'd0;
                                    j_q <= 2'd0;
                                    fresh_q <= 1'd1;
                                    state_q <= ST_COMPUTE;
                                end else begin
                                    state_q <= ST_WAIT_A;
                                end
                            end else begin
                                m_cnt_q <= m_cnt_q + 6'd1;
                            end
                        end else begin
                            beat_q <= beat_q + 4'd1;
                        end
                    end
                end
            end else if (state_q == ST_WAIT_A) begin
                if (cbuf_q ? full1_q : full0_q) begin
                    m0_q <= 6'd0;
                    mt_base_q <= 8'd0;
                    kc_idx_q <= 3'd0;
                    kc_w_q <= 5'd0;
                    kc_a_q <= cbuf_q ? 6'd20 : 6'd0;
                    i_q <= 2'd0;
                    j_q <= 2'd0;
                    fresh_q <= 1'd1;
                    state_q <= ST_COMPUTE;
                end
            end else if (state_q == ST_COMPUTE) begin
                fresh_q <= 1'd0;
                if (issuing) begin
                    if (j_q == 2'd3) begin
                        j_q <= 2'd0;
                        if (i_q == 2'd3) begin
                            i_q <= 2'd0;
                            if (({1'd0, kc_idx_q} + 4'd1) == {1'd0, kc_q}) begin
                                pend_q <= 1'd1;
                                drain_q <= 3'd6;
                                pend_m0_q <= m0_q;
                                pend_rv_q <= rows_valid;
                                pend_nv_q <= nv_q;
                                pend_last_q <= !m_more && !n_more;
                                if (m_more) begin
                                    m0_q <= m0_next;
                                    mt_base_q <= mt_base_q + {3'd0, kcw_q};
                                    kc_idx_q <= 3'd0;
                                    kc_w_q <= 5'd0;
                                    kc_a_q <= cbuf_q ? 6'd20 : 6'd0;
                                    i_q <= 2'd0;
                                    j_q <= 2'd0;
                                    fresh_q <= 1'd1;
                                    state_q <= ST_COMPUTE;
                                end else if (n_more) begin
                                    if (cbuf_q) begin
                                        full1_q <= 1'd0;
                                    end else begin
                                        full0_q <= 1'd0;
                                    end
                                    n0_q <= n0_next;
                                    nv_q <= nv_next;
                                    cbuf_q <= !cbuf_q;
                                    if (!cbuf_q ? full1_q : full0_q) begin
                                        m0_q <= 6'd0;
                                        mt_base_q <= 8'd0;
                                        kc_idx_q <= 3'd0;
                                        kc_w_q <= 5'd0;
                                        kc_a_q <= !cbuf_q ? 6'd20 : 6'd0;
                                        i_q <= 2'd0;
                                        j_q <= 2'd0;
                                        fresh_q <= 1'd1;
                                        state_q <= ST_COMPUTE;
                                    end else begin
                                        state_q <= ST_WAIT_A;
                                    end
                                end else begin
                                    full0_q <= 1'd0;
                                    full1_q <= 1'd0;
                                    ld_busy_q <= 1'd0;
                                    state_q <= ST_IDLE;
                                end
                            end else begin
                                kc_idx_q <= kc_idx_q + 3'd1;
                                kc_w_q <= kc_w_q + 5'd4;
                                kc_a_q <= kc_a_q + 6'd4;
                            end
                        end else begin
                            i_q <= i_q + 2'd1;
                        end
                    end else begin
                        j_q <= j_q + 2'd1;
                    end
                end
            end
        end
    end
    always_ff @(posedge clk) begin
        if (en) begin
            e1_row_q <= r_issue_row;
            e1_last_q <= (issue && (({1'd0, r_issue_q} + 4'd1) == {1'd0, em_rv_q})) && em_last_q;
        end
    end
`ifndef SYNTHESIS
    always_ff @(posedge clk) begin
        if ((wt_fire && !rst) && (s_axis_wt_tlast != (raw_q ? (((state_q == ST_LOAD_W) && (({1'd0, off_q} + 6'd1) == {1'd0, kcw_q})) && (({1'd0, m_cnt_q} + 7'd1) == {1'd0, m_q})) : (((state_q == ST_LOAD_T) && (beat_q == 4'd15)) && (({1'd0, m_cnt_q} + 7'd1) == {1'd0, m_q}))))) begin
            $fatal(1, "%m: s_axis_wt_tlast must mark the job's last threshold beat (raw mode: last weight word), and only it");
        end
        if ((act_fire && !rst) && (s_axis_act_tlast != ((({1'd0, ld_off_q} + 6'd1) == {1'd0, kca_q}) && (({1'd0, ld_col_q} + 3'd1) == ld_nv_q)))) begin
            $fatal(1, "%m: s_axis_act_tlast must mark the last beat of each n-tile, and only it");
        end
        if ((!rst && (state_q == ST_LOAD_W)) && (w_waddr_full >= 9'd160)) begin
            $fatal(1, "%m: w_waddr out of range");
        end
        if ((!rst && issuing) && (w_raddr_full >= 10'd160)) begin
            $fatal(1, "%m: w_raddr out of range");
        end
        if ((!rst && issuing) && (a_raddr_full >= 7'd40)) begin
            $fatal(1, "%m: a_raddr out of range");
        end
        if ((!rst && issue) && (t_raddr_full >= 7'd32)) begin
            $fatal(1, "%m: t_raddr out of range");
        end
        if ((!rst && (state_q == ST_LOAD_T)) && (t_waddr_full >= 6'd32)) begin
            $fatal(1, "%m: t_waddr out of range");
        end
        if ((!rst && act_fire) && (a_waddr_full >= 7'd40)) begin
            $fatal(1, "%m: a_waddr out of range");
        end
        if ((!rst && m_more_d) && (m0_next_d_full >= 7'd64)) begin
            $fatal(1, "%m: m0_next_d overflows 6 bits");
        end
        if ((!rst && n_more_d) && (n0_next_d_full >= 7'd64)) begin
            $fatal(1, "%m: n0_next_d overflows 6 bits");
        end
        if ((!rst && ((wt_fire && hdr_ok) && (state_q == ST_IDLE))) && (hdr_kcw_full >= 6'd32)) begin
            $fatal(1, "%m: hdr_kcw overflows 5 bits");
        end
        if ((!rst && ((wt_fire && hdr_ok) && (state_q == ST_IDLE))) && (hdr_kca_full >= 6'd32)) begin
            $fatal(1, "%m: hdr_kca overflows 5 bits");
        end
        if ((!rst && issue) && (r_issue_row_full >= 3'd4)) begin
            $fatal(1, "%m: r_issue_row overflows 2 bits");
        end
    end
`endif
endmodule

`resetall
