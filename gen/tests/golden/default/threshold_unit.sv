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
    // columns
    localparam int DN = 8;
    // bits of an accumulator (signed)
    localparam int ACC_WIDTH = 16;
    // bits of a threshold (signed)
    localparam int THR_WIDTH = 16;
    // bits the two are compared in
    localparam int CMP_WIDTH = 16;
    // bits of a code; one pipeline stage each
    localparam int OUT_BITS = 2;

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
    for (genvar c = 0; c < DN; c = c + 1) begin : gen_col0
        // the code if this stage's bit is set
        logic [OUT_BITS-1:0] cand;
        assign cand = 2'd2;
        // bit offset of threshold cand - 1 in the word
        logic [5:0] t_at;
        assign t_at = 6'd17;
        // the column's accumulator and the threshold, sign-extended
        logic signed [CMP_WIDTH-1:0] acc;
        logic signed [CMP_WIDTH-1:0] thr;
        assign acc = in_acc[c * ACC_WIDTH +: ACC_WIDTH];
        assign thr = in_thr[t_at +: THR_WIDTH];
        assign next0[c * OUT_BITS +: OUT_BITS] = (in_thr[0] ? (acc <= thr) : (acc >= thr)) ? cand : 2'd0;
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
    for (genvar c = 0; c < DN; c = c + 1) begin : gen_col1
        // the code if this stage's bit is set
        logic [OUT_BITS-1:0] cand;
        assign cand = code0_q[c * OUT_BITS +: OUT_BITS] | 2'd1;
        // bit offset of threshold cand - 1 in the word
        logic [5:0] t_at;
        assign t_at = 6'd1 + ({4'd0, cand - 2'd1} * 6'd16);
        // the column's accumulator and the threshold, sign-extended
        logic signed [CMP_WIDTH-1:0] acc;
        logic signed [CMP_WIDTH-1:0] thr;
        assign acc = acc0_q[c * ACC_WIDTH +: ACC_WIDTH];
        assign thr = thr0_q[t_at +: THR_WIDTH];
        assign next1[c * OUT_BITS +: OUT_BITS] = (thr0_q[0] ? (acc <= thr) : (acc >= thr)) ? cand : code0_q[c * OUT_BITS +: OUT_BITS];
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
