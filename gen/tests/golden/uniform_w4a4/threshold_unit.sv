`default_nettype none
`timescale 1ns / 1ps

// Binary-search thresholding of 4 accumulators to 4-bit codes, 4 pipeline stages.
module threshold_unit (
    // Clock, reset and pipeline enable
    input  wire         clk,
    input  wire         rst,       // synchronous, clears the valid bits
    input  wire         en,        // advance every stage
    // One row of accumulators and its channel's thresholds
    input  wire         in_valid,
    input  wire         in_last,   // last row of the job
    input  wire [67:0]  in_acc,    // column c at [c*ACC_WIDTH +: ACC_WIDTH]
    input  wire [255:0] in_thr,    // descending bit, then the thresholds
    // Codes
    output wire         out_valid,
    output wire         out_last,
    output wire [15:0]  out_code   // column c at [c*OUT_BITS +: OUT_BITS]
);

    // Stage 0: decides code bit 3.
    logic [0:0] valid0_q;
    logic [0:0] last0_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [15:0] code0_q;
    // accumulators carried to the next stage
    logic [67:0] acc0_q;
    // the channel's threshold word
    logic [255:0] thr0_q;
    logic [15:0] next0;
    always_comb begin
        next0[0 +: 4] = (in_thr[0] ? ($signed(in_acc[0 +: 17]) <= $signed(in_thr[8'd1 + ({4'd0, 4'd8 - 4'd1} * 8'd17) +: 17])) : ($signed(in_acc[0 +: 17]) >= $signed(in_thr[8'd1 + ({4'd0, 4'd8 - 4'd1} * 8'd17) +: 17]))) ? 4'd8 : 4'd0;
        next0[4 +: 4] = (in_thr[0] ? ($signed(in_acc[17 +: 17]) <= $signed(in_thr[8'd1 + ({4'd0, 4'd8 - 4'd1} * 8'd17) +: 17])) : ($signed(in_acc[17 +: 17]) >= $signed(in_thr[8'd1 + ({4'd0, 4'd8 - 4'd1} * 8'd17) +: 17]))) ? 4'd8 : 4'd0;
        next0[8 +: 4] = (in_thr[0] ? ($signed(in_acc[34 +: 17]) <= $signed(in_thr[8'd1 + ({4'd0, 4'd8 - 4'd1} * 8'd17) +: 17])) : ($signed(in_acc[34 +: 17]) >= $signed(in_thr[8'd1 + ({4'd0, 4'd8 - 4'd1} * 8'd17) +: 17]))) ? 4'd8 : 4'd0;
        next0[12 +: 4] = (in_thr[0] ? ($signed(in_acc[51 +: 17]) <= $signed(in_thr[8'd1 + ({4'd0, 4'd8 - 4'd1} * 8'd17) +: 17])) : ($signed(in_acc[51 +: 17]) >= $signed(in_thr[8'd1 + ({4'd0, 4'd8 - 4'd1} * 8'd17) +: 17]))) ? 4'd8 : 4'd0;
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

    // Stage 1: decides code bit 2.
    logic [0:0] valid1_q;
    logic [0:0] last1_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [15:0] code1_q;
    // accumulators carried to the next stage
    logic [67:0] acc1_q;
    // the channel's threshold word
    logic [255:0] thr1_q;
    logic [15:0] next1;
    always_comb begin
        next1[0 +: 4] = (thr0_q[0] ? ($signed(acc0_q[0 +: 17]) <= $signed(thr0_q[8'd1 + ({4'd0, (code0_q[0 +: 4] | 4'd4) - 4'd1} * 8'd17) +: 17])) : ($signed(acc0_q[0 +: 17]) >= $signed(thr0_q[8'd1 + ({4'd0, (code0_q[0 +: 4] | 4'd4) - 4'd1} * 8'd17) +: 17]))) ? (code0_q[0 +: 4] | 4'd4) : code0_q[0 +: 4];
        next1[4 +: 4] = (thr0_q[0] ? ($signed(acc0_q[17 +: 17]) <= $signed(thr0_q[8'd1 + ({4'd0, (code0_q[4 +: 4] | 4'd4) - 4'd1} * 8'd17) +: 17])) : ($signed(acc0_q[17 +: 17]) >= $signed(thr0_q[8'd1 + ({4'd0, (code0_q[4 +: 4] | 4'd4) - 4'd1} * 8'd17) +: 17]))) ? (code0_q[4 +: 4] | 4'd4) : code0_q[4 +: 4];
        next1[8 +: 4] = (thr0_q[0] ? ($signed(acc0_q[34 +: 17]) <= $signed(thr0_q[8'd1 + ({4'd0, (code0_q[8 +: 4] | 4'd4) - 4'd1} * 8'd17) +: 17])) : ($signed(acc0_q[34 +: 17]) >= $signed(thr0_q[8'd1 + ({4'd0, (code0_q[8 +: 4] | 4'd4) - 4'd1} * 8'd17) +: 17]))) ? (code0_q[8 +: 4] | 4'd4) : code0_q[8 +: 4];
        next1[12 +: 4] = (thr0_q[0] ? ($signed(acc0_q[51 +: 17]) <= $signed(thr0_q[8'd1 + ({4'd0, (code0_q[12 +: 4] | 4'd4) - 4'd1} * 8'd17) +: 17])) : ($signed(acc0_q[51 +: 17]) >= $signed(thr0_q[8'd1 + ({4'd0, (code0_q[12 +: 4] | 4'd4) - 4'd1} * 8'd17) +: 17]))) ? (code0_q[12 +: 4] | 4'd4) : code0_q[12 +: 4];
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

    // Stage 2: decides code bit 1.
    logic [0:0] valid2_q;
    logic [0:0] last2_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [15:0] code2_q;
    // accumulators carried to the next stage
    logic [67:0] acc2_q;
    // the channel's threshold word
    logic [255:0] thr2_q;
    logic [15:0] next2;
    always_comb begin
        next2[0 +: 4] = (thr1_q[0] ? ($signed(acc1_q[0 +: 17]) <= $signed(thr1_q[8'd1 + ({4'd0, (code1_q[0 +: 4] | 4'd2) - 4'd1} * 8'd17) +: 17])) : ($signed(acc1_q[0 +: 17]) >= $signed(thr1_q[8'd1 + ({4'd0, (code1_q[0 +: 4] | 4'd2) - 4'd1} * 8'd17) +: 17]))) ? (code1_q[0 +: 4] | 4'd2) : code1_q[0 +: 4];
        next2[4 +: 4] = (thr1_q[0] ? ($signed(acc1_q[17 +: 17]) <= $signed(thr1_q[8'd1 + ({4'd0, (code1_q[4 +: 4] | 4'd2) - 4'd1} * 8'd17) +: 17])) : ($signed(acc1_q[17 +: 17]) >= $signed(thr1_q[8'd1 + ({4'd0, (code1_q[4 +: 4] | 4'd2) - 4'd1} * 8'd17) +: 17]))) ? (code1_q[4 +: 4] | 4'd2) : code1_q[4 +: 4];
        next2[8 +: 4] = (thr1_q[0] ? ($signed(acc1_q[34 +: 17]) <= $signed(thr1_q[8'd1 + ({4'd0, (code1_q[8 +: 4] | 4'd2) - 4'd1} * 8'd17) +: 17])) : ($signed(acc1_q[34 +: 17]) >= $signed(thr1_q[8'd1 + ({4'd0, (code1_q[8 +: 4] | 4'd2) - 4'd1} * 8'd17) +: 17]))) ? (code1_q[8 +: 4] | 4'd2) : code1_q[8 +: 4];
        next2[12 +: 4] = (thr1_q[0] ? ($signed(acc1_q[51 +: 17]) <= $signed(thr1_q[8'd1 + ({4'd0, (code1_q[12 +: 4] | 4'd2) - 4'd1} * 8'd17) +: 17])) : ($signed(acc1_q[51 +: 17]) >= $signed(thr1_q[8'd1 + ({4'd0, (code1_q[12 +: 4] | 4'd2) - 4'd1} * 8'd17) +: 17]))) ? (code1_q[12 +: 4] | 4'd2) : code1_q[12 +: 4];
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
            acc2_q <= acc1_q;
            thr2_q <= thr1_q;
        end
    end

    // Stage 3: decides code bit 0.
    logic [0:0] valid3_q;
    logic [0:0] last3_q;
    // codes decided so far, column c at [c*OUT_BITS +: OUT_BITS]
    logic [15:0] code3_q;
    logic [15:0] next3;
    always_comb begin
        next3[0 +: 4] = (thr2_q[0] ? ($signed(acc2_q[0 +: 17]) <= $signed(thr2_q[8'd1 + ({4'd0, (code2_q[0 +: 4] | 4'd1) - 4'd1} * 8'd17) +: 17])) : ($signed(acc2_q[0 +: 17]) >= $signed(thr2_q[8'd1 + ({4'd0, (code2_q[0 +: 4] | 4'd1) - 4'd1} * 8'd17) +: 17]))) ? (code2_q[0 +: 4] | 4'd1) : code2_q[0 +: 4];
        next3[4 +: 4] = (thr2_q[0] ? ($signed(acc2_q[17 +: 17]) <= $signed(thr2_q[8'd1 + ({4'd0, (code2_q[4 +: 4] | 4'd1) - 4'd1} * 8'd17) +: 17])) : ($signed(acc2_q[17 +: 17]) >= $signed(thr2_q[8'd1 + ({4'd0, (code2_q[4 +: 4] | 4'd1) - 4'd1} * 8'd17) +: 17]))) ? (code2_q[4 +: 4] | 4'd1) : code2_q[4 +: 4];
        next3[8 +: 4] = (thr2_q[0] ? ($signed(acc2_q[34 +: 17]) <= $signed(thr2_q[8'd1 + ({4'd0, (code2_q[8 +: 4] | 4'd1) - 4'd1} * 8'd17) +: 17])) : ($signed(acc2_q[34 +: 17]) >= $signed(thr2_q[8'd1 + ({4'd0, (code2_q[8 +: 4] | 4'd1) - 4'd1} * 8'd17) +: 17]))) ? (code2_q[8 +: 4] | 4'd1) : code2_q[8 +: 4];
        next3[12 +: 4] = (thr2_q[0] ? ($signed(acc2_q[51 +: 17]) <= $signed(thr2_q[8'd1 + ({4'd0, (code2_q[12 +: 4] | 4'd1) - 4'd1} * 8'd17) +: 17])) : ($signed(acc2_q[51 +: 17]) >= $signed(thr2_q[8'd1 + ({4'd0, (code2_q[12 +: 4] | 4'd1) - 4'd1} * 8'd17) +: 17]))) ? (code2_q[12 +: 4] | 4'd1) : code2_q[12 +: 4];
    end
    always_ff @(posedge clk) begin
        if (rst) begin
            valid3_q <= 1'd0;
        end else if (en) begin
            valid3_q <= valid2_q;
        end
        if (en) begin
            code3_q <= next3;
            last3_q <= last2_q;
        end
    end
    assign out_valid = valid3_q;
    assign out_last = last3_q;
    assign out_code = code3_q;
endmodule

`resetall
