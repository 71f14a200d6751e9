`default_nettype none
`timescale 1ns / 1ps

// Operand memories: 2 weight banks of 288x48 bits, 2 activation banks of 36x48 bits, 32x176 threshold bits.
// Registered reads; every bank of a kind reads the same address.
module operand_mem (
    // Clock, and the output pipeline's enable
    input  wire         clk,
    input  wire         en,        // the threshold read register advances
    // Weight banks
    input  wire [47:0]  wt_data,   // the weight stream's word
    input  wire         w_wr_en,
    input  wire [0:0]   w_wr_bank,
    input  wire [8:0]   w_wr_addr,
    input  wire [8:0]   w_rd_addr,
    output wire [95:0]  w_rd_data, // bank r at [r*W_WORD +: W_WORD]
    // Activation banks
    input  wire [47:0]  act_data,  // the activation stream's word
    input  wire         a_wr_en,
    input  wire [0:0]   a_wr_bank,
    input  wire [5:0]   a_wr_addr,
    input  wire [5:0]   a_rd_addr,
    output wire [95:0]  a_rd_data, // bank c at [c*A_WORD +: A_WORD]
    // Threshold memory
    input  wire         t_wr_en,
    input  wire [4:0]   t_wr_addr,
    input  wire [175:0] t_wr_data,
    input  wire [4:0]   t_rd_addr,
    output wire [175:0] t_rd_data  // registered
);

    // Weight banks (one per array row) and their read registers.
    // Read registers.
    logic [47:0] w_data_q [2];
    for (genvar r = 0; r < 2; r = r + 1) begin : gen_w_bank
        // Bank r: rows r, r+DM, ...; 288 words.
        logic [47:0] w_mem [288];
        always_ff @(posedge clk) begin
            if (w_wr_en && ({31'd0, w_wr_bank} == r)) begin
                w_mem[w_wr_addr] <= wt_data[0 +: 48];
            end
            w_data_q[r] <= w_mem[w_rd_addr];
        end
        assign w_rd_data[r * 48 +: 48] = w_data_q[r];
    end

    // Activation banks (one per array column) and their read registers.
    // Read registers.
    logic [47:0] a_data_q [2];
    for (genvar c = 0; c < 2; c = c + 1) begin : gen_a_bank
        // Bank c: column c's chunks and planes, two buffers of 18 words (n-tiles alternate).
        logic [47:0] a_mem [36];
        always_ff @(posedge clk) begin
            if (a_wr_en && ({31'd0, a_wr_bank} == c)) begin
                a_mem[a_wr_addr] <= act_data[0 +: 48];
            end
            a_data_q[c] <= a_mem[a_rd_addr];
        end
        assign a_rd_data[c * 48 +: 48] = a_data_q[c];
    end

    // Threshold words, one per output channel; the read register holds with en.
    logic [175:0] t_mem [32];
    // threshold word of the issued row
    logic [175:0] t_rd_q;
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
