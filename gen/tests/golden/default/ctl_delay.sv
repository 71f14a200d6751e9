`default_nettype none
`timescale 1ns / 1ps

// Control delay line: the read register and 5 stages, shared by the whole array.
module ctl_delay (
    // Clock and synchronous reset
    input  wire       clk,
    input  wire       rst,
    // Issued step
    input  wire       in_valid,   // a step is issued
    input  wire       in_clear,
    input  wire       in_negate,
    input  wire [1:0] in_shift,
    // The step at the PEs
    output wire       out_valid,  // the step reaches the PEs
    output wire       out_clear,
    output wire       out_negate,
    output wire [1:0] out_shift
);

    // Registered with the operand memories' read.
    logic [0:0] ctl_valid_q;
    logic [0:0] ctl_clear_q;
    logic [0:0] ctl_negate_q;
    logic [1:0] ctl_shift_q;
    always_ff @(posedge clk) begin
        if (rst) begin
            ctl_valid_q <= 1'd0;
        end else begin
            ctl_valid_q <= in_valid;
        end
        ctl_clear_q <= in_clear;
        ctl_negate_q <= in_negate;
        ctl_shift_q <= in_shift;
    end
    // Delay line, 5 stages.
    logic [0:0] d_valid_q [5];
    logic [0:0] d_clear_q [5];
    logic [0:0] d_negate_q [5];
    logic [1:0] d_shift_q [5];
    always_ff @(posedge clk) begin
        if (rst) begin
            d_valid_q[0] <= 1'd0;
        end else begin
            d_valid_q[0] <= ctl_valid_q;
        end
        d_clear_q[0] <= ctl_clear_q;
        d_negate_q[0] <= ctl_negate_q;
        d_shift_q[0] <= ctl_shift_q;
        if (rst) begin
            d_valid_q[1] <= 1'd0;
        end else begin
            d_valid_q[1] <= d_valid_q[0];
        end
        d_clear_q[1] <= d_clear_q[0];
        d_negate_q[1] <= d_negate_q[0];
        d_shift_q[1] <= d_shift_q[0];
        if (rst) begin
            d_valid_q[2] <= 1'd0;
        end else begin
            d_valid_q[2] <= d_valid_q[1];
        end
        d_clear_q[2] <= d_clear_q[1];
        d_negate_q[2] <= d_negate_q[1];
        d_shift_q[2] <= d_shift_q[1];
        if (rst) begin
            d_valid_q[3] <= 1'd0;
        end else begin
            d_valid_q[3] <= d_valid_q[2];
        end
        d_clear_q[3] <= d_clear_q[2];
        d_negate_q[3] <= d_negate_q[2];
        d_shift_q[3] <= d_shift_q[2];
        if (rst) begin
            d_valid_q[4] <= 1'd0;
        end else begin
            d_valid_q[4] <= d_valid_q[3];
        end
        d_clear_q[4] <= d_clear_q[3];
        d_negate_q[4] <= d_negate_q[3];
        d_shift_q[4] <= d_shift_q[3];
    end
    assign out_valid = d_valid_q[4];
    assign out_clear = d_clear_q[4];
    assign out_negate = d_negate_q[4];
    assign out_shift = d_shift_q[4];
endmodule

`resetall
