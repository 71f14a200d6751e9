`default_nettype none
`timescale 1ns / 1ps

// Signed sum of 16 operands of 16 bits: 4 levels, latency 2 cycles.
module adder_tree (
    // Clock
    input  wire         clk,
    // Operands and sum
    input  wire [255:0] operands, // operand i at [i*W +: W], two's complement
    output wire [19:0]  sum       // their sum, 2 cycles later
);
    // The 16 operands.
    logic [15:0] lvl0 [16];
    for (genvar g = 0; g < 16; g = g + 1) begin : gen_lvl0
        assign lvl0[g] = operands[g * 16 +: 16];
    end
    // Level 1: 8 partial sums of 17 bits.
    logic [16:0] lvl1 [8];
    // Level 2: 4 partial sums of 18 bits, registered.
    logic [17:0] lvl2_q [4];
    // Level 3: 2 partial sums of 19 bits.
    logic [18:0] lvl3 [2];
    // Level 4: 1 partial sums of 20 bits, registered.
    logic [19:0] lvl4_q [1];
    for (genvar g = 0; g < 8; g = g + 1) begin : gen_lvl1
        assign lvl1[g] = {{1{lvl0[2 * g][15]}}, lvl0[2 * g]} + {{1{lvl0[(2 * g) + 1][15]}}, lvl0[(2 * g) + 1]};
    end
    for (genvar g = 0; g < 4; g = g + 1) begin : gen_lvl2
        always_ff @(posedge clk) begin
            lvl2_q[g] <= {{1{lvl1[2 * g][16]}}, lvl1[2 * g]} + {{1{lvl1[(2 * g) + 1][16]}}, lvl1[(2 * g) + 1]};
        end
    end
    for (genvar g = 0; g < 2; g = g + 1) begin : gen_lvl3
        assign lvl3[g] = {{1{lvl2_q[2 * g][17]}}, lvl2_q[2 * g]} + {{1{lvl2_q[(2 * g) + 1][17]}}, lvl2_q[(2 * g) + 1]};
    end
    for (genvar g = 0; g < 1; g = g + 1) begin : gen_lvl4
        always_ff @(posedge clk) begin
            lvl4_q[g] <= {{1{lvl3[2 * g][18]}}, lvl3[2 * g]} + {{1{lvl3[(2 * g) + 1][18]}}, lvl3[(2 * g) + 1]};
        end
    end
    assign sum = lvl4_q[0];
endmodule

`resetall
