`default_nettype none
`timescale 1ns / 1ps

// Operand memories: 8 weight banks of 576x256 bits, 8 activation banks of 36x256 bits, 256x49 threshold bits.
// Registered reads; every bank of a kind reads the same address.
module operand_mem (
    // Clock, and the output pipeline's enable
    input  wire          clk,
    input  wire          en,        // the threshold read register advances
    // Weight banks
    input  wire [255:0]  wt_data,   // the weight stream's word
    input  wire          w_wr_en,
    input  wire [2:0]    w_wr_bank,
    input  wire [9:0]    w_wr_addr,
    input  wire [9:0]    w_rd_addr,
    output wire [2047:0] w_rd_data, // bank r at [r*W_WORD +: W_WORD]
    // Activation banks
    input  wire [255:0]  act_data,  // the activation stream's word
    input  wire          a_wr_en,
    input  wire [2:0]    a_wr_bank,
    input  wire [5:0]    a_wr_addr,
    input  wire [5:0]    a_rd_addr,
    output wire [2047:0] a_rd_data, // bank c at [c*A_WORD +: A_WORD]
    // Threshold memory
    input  wire          t_wr_en,
    input  wire [7:0]    t_wr_addr,
    input  wire [48:0]   t_wr_data,
    input  wire [7:0]    t_rd_addr,
    output wire [48:0]   t_rd_data  // registered
);

    // Weight banks (one per array row) and their read registers.
    // Read registers.
    logic [255:0] w_data_q [8];
    for (genvar r = 0; r < 8; r = r + 1) begin : gen_w_bank
        // Bank r: rows r, r+DM, ...; 576 words.
        logic [255:0] w_mem [576];
        always_ff @(posedge clk) begin
            if (w_wr_en && ({29'd0, w_wr_bank} == r)) begin
                w_mem[w_wr_addr] <= wt_data[0 +: 256];
            end
            w_data_q[r] <= w_mem[w_rd_addr];
        end
        assign w_rd_data[r * 256 +: 256] = w_data_q[r];
    end

    // Activation banks (one per array column) and their read registers.
    // Read registers.
    logic [255:0] a_data_q [8];
    for (genvar c = 0; c < 8; c = c + 1) begin : gen_a_bank
        // Bank c: column c's chunks and planes, two buffers of 18 words (n-tiles alternate).
        logic [255:0] a_mem [36];
        always_ff @(posedge clk) begin
            if (a_wr_en && ({29'd0, a_wr_bank} == c)) begin
                a_mem[a_wr_addr] <= act_data[0 +: 256];
            end
            a_data_q[c] <= a_mem[a_rd_addr];
        end
        assign a_rd_data[c * 256 +: 256] = a_data_q[c];
    end

    // Threshold words, one per output channel; the read register holds with en.
    logic [48:0] t_mem [256];
    // threshold word of the issued row
    logic [48:0] t_rd_q;
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
