`default_nettype none
`timescale 1ns / 1ps

// LUT-multiplier PE: 16 lanes of W3 (sign-magnitude) x A3, 15-bit products, 21 table entries, 25-bit accumulator.
// Latency 5 cycles from operands to the term register (look-up, adder tree / sign count, term).
module lut_pe (
    // Clock
    input  wire        clk,
    // Product table write port (all lanes)
    input  wire        tbl_we,
    input  wire [4:0]  tbl_addr, // {magnitude, activation}
    input  wire [14:0] tbl_data, // unsigned product (0 for the zero levels)
    // Operand words
    input  wire [47:0] in_w,     // weight codes, lane l at [l*W_BITS +: W_BITS]
    input  wire [47:0] in_a,     // activation codes, lane l at [l*A_BITS +: A_BITS]
    // Step control, aligned with the term register
    input  wire        valid,    // this cycle's term belongs to a step
    input  wire        clear,    // first step of a dot product: acc = term
    // Result
    output wire [24:0] acc       // two's-complement accumulator
);
    // Looked-up magnitudes (lane l at [l*PROD_BITS +: PROD_BITS]).
    logic [239:0] prod_q;
    // Weight signs of the same lanes.
    logic [15:0] sign_q;
    // Lane values: prod, or ~prod (= -prod - 1) when negative.
    logic [255:0] operands;
    for (genvar l = 0; l < 16; l = l + 1) begin : gen_lane
        // weight sign
        logic [0:0] sgn;
        // weight magnitude index (0: the zero level)
        logic [1:0] mag;
        assign {sgn, mag} = in_w[l * 3 +: 3];
        // This lane's copy of the product table.
        logic [14:0] tbl [32];
        always_ff @(posedge clk) begin
            if (tbl_we) begin
                tbl[tbl_addr] <= tbl_data;
            end
        end
        always_ff @(posedge clk) begin
            prod_q[l * 15 +: 15] <= tbl[{mag, in_a[l * 3 +: 3]}];
            sign_q[l] <= sgn;
        end
        assign operands[l * 16 +: 16] = {sign_q[l], prod_q[l * 15 +: 15] ^ {15{sign_q[l]}}};
    end
    // Sum of the lane values, 2 cycles after prod_q.
    logic [19:0] sum;
    adder_tree u_tree (
        .clk      (clk),
        .operands (operands),
        .sum      (sum)
    );
    // Negative lanes, 3 cycles after sign_q.
    logic [4:0] negs;
    and_popcount u_negs (
        .clk   (clk),
        .a     (sign_q),
        .b     ({16{1'd1}}),
        .count (negs)
    );
    // sum delayed 1 cycles to meet the other operand.
    logic [19:0] sum_d [1];
    always_ff @(posedge clk) begin
        sum_d[0] <= sum;
    end
    // sum + negative lanes: the step's exact total, modulo 2^ACC_WIDTH.
    logic [24:0] term_q;
    always_ff @(posedge clk) begin
        term_q <= {{5{sum_d[0][19]}}, sum_d[0]} + {20'd0, negs};
    end
    // The accumulator.
    logic [24:0] acc_q;
    always_ff @(posedge clk) begin
        if (valid) begin
            acc_q <= clear ? term_q : (acc_q + term_q);
        end
    end
    assign acc = acc_q;
endmodule

`resetall
