`default_nettype none
`timescale 1ns / 1ps

// Operand memories: 4 weight banks of 160x64 bits, 4 activation banks of 40x64 bits, 32x256 threshold bits.
// Registered reads; every bank of a kind reads the same address.
module operand_mem (
    // Clock, and the output pipeline's enable
    input  wire         clk,
    input  wire         en,        // the threshold read register advances
    // Weight banks
    input  wire [63:0]  wt_data,   // the weight stream's word
    input  wire         w_wr_en,
    input  wire [1:0]   w_wr_bank,
    input  wire [7:0]   w_wr_addr,
    input  wire [7:0]   w_rd_addr,
    output wire [255:0] w_rd_data, // bank r at [r*W_WORD +: W_WORD]
    // Activation banks
    input  wire [63:0]  act_data,  // the activation stream's word
    input  wire         a_wr_en,
    input  wire [1:0]   a_wr_bank,
    input  wire [5:0]   a_wr_addr,
    input  wire [5:0]   a_rd_addr,
    output wire [255:0] a_rd_data, // bank c at [c*A_WORD +: A_WORD]
    // Threshold memory
    input  wire         t_wr_en,
    input  wire [4:0]   t_wr_addr,
    input  wire [255:0] t_wr_data,
    input  wire [4:0]   t_rd_addr,
    output wire [255:0] t_rd_data  // registered
);

    // Weight banks (one per array row) and their read registers.
    // Read registers.
    logic [63:0] w_data_q [4];
    for (genvar r = 0; r < 4; r = r + 1) begin : gen_w_bank
        // Bank r: rows r, r+DM, ...; 160 words.
        logic [63:0] w_mem [160];
        always_ff @(posedge clk) begin
            if (w_wr_en && ({30'd0, w_wr_bank} == r)) begin
                w_mem[w_wr_addr] <= wt_data[0 +: 64];
            end
            w_data_q[r] <= w_mem[w_rd_addr];
        end
        assign w_rd_data[r * 64 +: 64] = w_data_q[r];
    end

    // Activation banks (one per array column) and their read registers.
    // Read registers.
    logic [63:0] a_data_q [4];
    for (genvar c = 0; c < 4; c = c + 1) begin : gen_a_bank
        // Bank c: column c's chunks and planes, two buffers of 20 words (n-tiles alternate).
        logic [63:0] a_mem [40];
        always_ff @(posedge clk) begin
            if (a_wr_en && ({30'd0, a_wr_bank} == c)) begin
                a_mem[a_wr_addr] <= act_data[0 +: 64];
            end
            a_data_q[c] <= a_mem[a_rd_addr];
        end
        assign a_rd_data[c * 64 +: 64] = a_data_q[c];
    end

    // Threshold words, one per output channel; the read register holds with en.
    logic [255:0] t_mem [32];
    // threshold word of the issued row
    logic [255:0] t_rd_q;
    always_ff @(posedge clk) begin
        if (t_wr_en) begin
            t_mem[t_wr_addr] <= t_wr_data;
        end
        if (en) begin
            t_rd_q <= t_mem[t_rd_addr];
        end
    end
    assign t_rd_data = t_rd_q;
endmodule

`resetall
