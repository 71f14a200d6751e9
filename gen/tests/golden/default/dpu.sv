`default_nettype none
`timescale 1ns / 1ps

// Dot-product unit: 256 bits per cycle, 16-bit accumulator, popcount latency 5, then a term register.
// Control inputs are aligned with the popcount output (P cycles after in_w/in_a).
module dpu (
    // Clock and reset
    input  wire         clk,
    input  wire         rst,     // synchronous, clears the term stage's valid bit
    // Operand plane words
    input  wire [255:0] in_w,    // weight plane j, one k-chunk
    input  wire [255:0] in_a,    // activation plane i, same chunk
    // Step control, aligned with the popcount output
    input  wire         valid,   // this cycle's count belongs to a step
    input  wire         clear,   // first step of a dot product: acc = term
    input  wire         negate,  // subtract the term (a sign plane)
    input  wire [1:0]   shift,   // term weight 2^(i+j)
    input  wire [8:0]   a_count, // popcount(in_a) of the same step
    // Result
    output wire [15:0]  acc      // two's-complement accumulator
);
    // Width the term is formed in before it is reduced modulo 2^ACC_WIDTH.
    localparam int TERM_WIDTH = 16;
    // popcount(in_w & in_a), P cycles after the operands.
    logic [8:0] count;
    and_popcount u_popcount (
        .clk   (clk),
        .a     (in_w),
        .b     (in_a),
        .count (count)
    );
    // Offset weights: every plane is a ±1 digit, so the step adds 2·count − a_count.
    logic [10:0] base;
    assign base = {1'd0, count, 1'd0} - {2'd0, a_count};
    // base · 2^shift, sign-extended to TERM_WIDTH.
    logic [TERM_WIDTH-1:0] shifted;
    assign shifted = {{5{base[10]}}, base} << shift;
    // The signed term modulo 2^ACC_WIDTH.
    logic [15:0] term;
    assign term = negate ? -shifted : shifted;
    // Term register: splits shift/negate from the accumulate adder.
    logic [15:0] term_q;
    logic [0:0] valid_q;
    logic [0:0] clear_q;
    always_ff @(posedge clk) begin
        term_q <= term;
        clear_q <= clear;
        if (rst) begin
            valid_q <= 1'd0;
        end else begin
            valid_q <= valid;
        end
    end
    // The accumulator.
    logic [15:0] acc_q;
    always_ff @(posedge clk) begin
        if (valid_q) begin
            acc_q <= clear_q ? term_q : (acc_q + term_q);
        end
    end
    assign acc = acc_q;
endmodule

`resetall
