`default_nettype none
`timescale 1ns / 1ps

// Binary-search thresholding of 8 accumulators to 2-bit codes, 2 pipeline stages.
module threshold_unit (
    // Clock, reset and pipeline enable
    input  wire         clk,
    input  wire         rst,       // synchronous, clears the valid bits
    input  wire         en,        // advance every stage
    // One row of accumulators and its channel's thresholds
    input  wire         in_valid,
    input  wire         in_last,   // last row of the job
    input  wire [127:0] in_acc,    // column c at [c*ACC_WIDTH +: ACC_WIDTH]
    input  wire [48:0]  in_thr,    // descending bit, then the thresholds
    // Codes
    output wire         out_valid,
    output wire         out_last,
    output wire [15:0]  out_code   // column c at [c*OUT_BITS +: OUT_BITS]
);

    // Stage 0: decides code bit 1.
    logic [0:0] valid0_q;
    logic [0:0] last0_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [15:0] code0_q;
    // accumulators carried to the next stage
    logic [127:0] acc0_q;
    // the channel's threshold word
    logic [48:0] thr0_q;
    logic [15:0] next0;
    always_comb begin
        next0[0 +: 2] = (in_thr[0] ? ($signed(in_acc[0 +: 16]) <= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16])) : ($signed(in_acc[0 +: 16]) >= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16]))) ? 2'd2 : 2'd0;
        next0[2 +: 2] = (in_thr[0] ? ($signed(in_acc[16 +: 16]) <= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16])) : ($signed(in_acc[16 +: 16]) >= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16]))) ? 2'd2 : 2'd0;
        next0[4 +: 2] = (in_thr[0] ? ($signed(in_acc[32 +: 16]) <= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16])) : ($signed(in_acc[32 +: 16]) >= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16]))) ? 2'd2 : 2'd0;
        next0[6 +: 2] = (in_thr[0] ? ($signed(in_acc[48 +: 16]) <= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16])) : ($signed(in_acc[48 +: 16]) >= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16]))) ? 2'd2 : 2'd0;
        next0[8 +: 2] = (in_thr[0] ? ($signed(in_acc[64 +: 16]) <= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16])) : ($signed(in_acc[64 +: 16]) >= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16]))) ? 2'd2 : 2'd0;
        next0[10 +: 2] = (in_thr[0] ? ($signed(in_acc[80 +: 16]) <= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16])) : ($signed(in_acc[80 +: 16]) >= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16]))) ? 2'd2 : 2'd0;
        next0[12 +: 2] = (in_thr[0] ? ($signed(in_acc[96 +: 16]) <= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16])) : ($signed(in_acc[96 +: 16]) >= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16]))) ? 2'd2 : 2'd0;
        next0[14 +: 2] = (in_thr[0] ? ($signed(in_acc[112 +: 16]) <= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16])) : ($signed(in_acc[112 +: 16]) >= $signed(in_thr[6'd1 + ({4'd0, 2'd2 - 2'd1} * 6'd16) +: 16]))) ? 2'd2 : 2'd0;
    end
    always_ff @(posedge clk) begin
        if (rst) begin
            valid0_q <= 1'd0;
        end else if (en) begin
            valid0_q <= in_valid;
        end
        if (en) begin
            code0_q <= next0;
            last0_q <= in_last;
            acc0_q <= in_acc;
            thr0_q <= in_thr;
        end
    end

    // Stage 1: decides code bit 0.
    logic [0:0] valid1_q;
    logic [0:0] last1_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [15:0] code1_q;
    logic [15:0] next1;
    always_comb begin
        next1[0 +: 2] = (thr0_q[0] ? ($signed(acc0_q[0 +: 16]) <= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[0 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16])) : ($signed(acc0_q[0 +: 16]) >= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[0 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16]))) ? (code0_q[0 +: 2] | 2'd1) : code0_q[0 +: 2];
        next1[2 +: 2] = (thr0_q[0] ? ($signed(acc0_q[16 +: 16]) <= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[2 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16])) : ($signed(acc0_q[16 +: 16]) >= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[2 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16]))) ? (code0_q[2 +: 2] | 2'd1) : code0_q[2 +: 2];
        next1[4 +: 2] = (thr0_q[0] ? ($signed(acc0_q[32 +: 16]) <= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[4 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16])) : ($signed(acc0_q[32 +: 16]) >= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[4 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16]))) ? (code0_q[4 +: 2] | 2'd1) : code0_q[4 +: 2];
        next1[6 +: 2] = (thr0_q[0] ? ($signed(acc0_q[48 +: 16]) <= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[6 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16])) : ($signed(acc0_q[48 +: 16]) >= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[6 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16]))) ? (code0_q[6 +: 2] | 2'd1) : code0_q[6 +: 2];
        next1[8 +: 2] = (thr0_q[0] ? ($signed(acc0_q[64 +: 16]) <= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[8 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16])) : ($signed(acc0_q[64 +: 16]) >= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[8 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16]))) ? (code0_q[8 +: 2] | 2'd1) : code0_q[8 +: 2];
        next1[10 +: 2] = (thr0_q[0] ? ($signed(acc0_q[80 +: 16]) <= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[10 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16])) : ($signed(acc0_q[80 +: 16]) >= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[10 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16]))) ? (code0_q[10 +: 2] | 2'd1) : code0_q[10 +: 2];
        next1[12 +: 2] = (thr0_q[0] ? ($signed(acc0_q[96 +: 16]) <= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[12 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16])) : ($signed(acc0_q[96 +: 16]) >= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[12 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16]))) ? (code0_q[12 +: 2] | 2'd1) : code0_q[12 +: 2];
        next1[14 +: 2] = (thr0_q[0] ? ($signed(acc0_q[112 +: 16]) <= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[14 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16])) : ($signed(acc0_q[112 +: 16]) >= $signed(thr0_q[6'd1 + ({4'd0, (code0_q[14 +: 2] | 2'd1) - 2'd1} * 6'd16) +: 16]))) ? (code0_q[14 +: 2] | 2'd1) : code0_q[14 +: 2];
    end
    always_ff @(posedge clk) begin
        if (rst) begin
            valid1_q <= 1'd0;
        end else if (en) begin
            valid1_q <= valid0_q;
        end
        if (en) begin
            code1_q <= next1;
            last1_q <= last0_q;
        end
    end
    assign out_valid = valid1_q;
    assign out_last = last1_q;
    assign out_code = code1_q;
endmodule

`resetall
