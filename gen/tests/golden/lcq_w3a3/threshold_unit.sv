`default_nettype none
`timescale 1ns / 1ps

// Binary-search thresholding of 2 accumulators to 3-bit codes, 3 pipeline stages.
module threshold_unit (
    // Clock, reset and pipeline enable
    input  wire         clk,
    input  wire         rst,       // synchronous, clears the valid bits
    input  wire         en,        // advance every stage
    // One row of accumulators and its channel's thresholds
    input  wire         in_valid,
    input  wire         in_last,   // last row of the job
    input  wire [49:0]  in_acc,    // column c at [c*ACC_WIDTH +: ACC_WIDTH]
    input  wire [175:0] in_thr,    // descending bit, then the thresholds
    // Codes
    output wire         out_valid,
    output wire         out_last,
    output wire [5:0]   out_code   // column c at [c*OUT_BITS +: OUT_BITS]
);
    // columns
    localparam int DN = 2;
    // bits of an accumulator (signed)
    localparam int ACC_WIDTH = 25;
    // bits of a threshold (signed)
    localparam int THR_WIDTH = 25;
    // bits the two are compared in
    localparam int CMP_WIDTH = 25;
    // bits of a code; one pipeline stage each
    localparam int OUT_BITS = 3;

    // Stage 0: decides code bit 2.
    logic [0:0] valid0_q;
    logic [0:0] last0_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [5:0] code0_q;
    // accumulators carried to the next stage
    logic [49:0] acc0_q;
    // the channel's threshold word
    logic [175:0] thr0_q;
    logic [5:0] next0;
    for (genvar c = 0; c < DN; c = c + 1) begin : gen_col0
        // the code if this stage's bit is set
        logic [OUT_BITS-1:0] cand;
        assign cand = 3'd4;
        // bit offset of threshold cand - 1 in the word
        logic [7:0] t_at;
        assign t_at = 8'd76;
        // the column's accumulator and the threshold, sign-extended
        logic signed [CMP_WIDTH-1:0] acc;
        logic signed [CMP_WIDTH-1:0] thr;
        assign acc = in_acc[c * ACC_WIDTH +: ACC_WIDTH];
        assign thr = in_thr[t_at +: THR_WIDTH];
        assign next0[c * OUT_BITS +: OUT_BITS] = (in_thr[0] ? (acc <= thr) : (acc >= thr)) ? cand : 3'd0;
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

    // Stage 1: decides code bit 1.
    logic [0:0] valid1_q;
    logic [0:0] last1_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [5:0] code1_q;
    // accumulators carried to the next stage
    logic [49:0] acc1_q;
    // the channel's threshold word
    logic [175:0] thr1_q;
    logic [5:0] next1;
    for (genvar c = 0; c < DN; c = c + 1) begin : gen_col1
        // the code if this stage's bit is set
        logic [OUT_BITS-1:0] cand;
        assign cand = code0_q[c * OUT_BITS +: OUT_BITS] | 3'd2;
        // bit offset of threshold cand - 1 in the word
        logic [7:0] t_at;
        assign t_at = 8'd1 + ({5'd0, cand - 3'd1} * 8'd25);
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
            acc1_q <= acc0_q;
            thr1_q <= thr0_q;
        end
    end

    // Stage 2: decides code bit 0.
    logic [0:0] valid2_q;
    logic [0:0] last2_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [5:0] code2_q;
    logic [5:0] next2;
    for (genvar c = 0; c < DN; c = c + 1) begin : gen_col2
        // the code if this stage's bit is set
        logic [OUT_BITS-1:0] cand;
        assign cand = code1_q[c * OUT_BITS +: OUT_BITS] | 3'd1;
        // bit offset of threshold cand - 1 in the word
        logic [7:0] t_at;
        assign t_at = 8'd1 + ({5'd0, cand - 3'd1} * 8'd25);
        // the column's accumulator and the threshold, sign-extended
        logic signed [CMP_WIDTH-1:0] acc;
        logic signed [CMP_WIDTH-1:0] thr;
        assign acc = acc1_q[c * ACC_WIDTH +: ACC_WIDTH];
        assign thr = thr1_q[t_at +: THR_WIDTH];
        assign next2[c * OUT_BITS +: OUT_BITS] = (thr1_q[0] ? (acc <= thr) : (acc >= thr)) ? cand : code1_q[c * OUT_BITS +: OUT_BITS];
    end
    always_ff @(posedge clk) begin
        if (rst) begin
            valid2_q <= 1'd0;
        end else if (en) begin
            valid2_q <= valid1_q;
        end
        if (en) begin
            code2_q <= next2;
            last2_q <= last1_q;
        end
    end
    assign out_valid = valid2_q;
    assign out_last = last2_q;
    assign out_code = code2_q;
endmodule

`resetall
