`default_nettype none
`timescale 1ns / 1ps

// PE array: 4x4 AND-popcount DPUs of 64 bits; accumulators 17 bits.
// PE (r, c) takes weight bank r and activation bank c; one row of accumulators leaves through the row mux.
module pe_array (
    // Clock, reset / product table
    input  wire         clk,
    input  wire         rst,
    // Operands (the memories' read registers)
    input  wire [255:0] w_rd_data, // row r's weight word at [r*W_WORD +: W_WORD]
    input  wire [255:0] a_rd_data, // column c's activation word at [c*A_WORD +: A_WORD]
    // Step control (the delay line's end)
    input  wire         valid,     // a step's term reaches the accumulators
    input  wire         clear,     // the step starts a dot product
    input  wire         negate,
    input  wire [2:0]   shift,
    // Row out
    input  wire         snap,      // a result bank takes the accumulators
    input  wire         snap_bank, // the bank snap writes
    input  wire         row_bank,  // the bank the row mux reads
    input  wire [1:0]   row_sel,   // array row
    output wire [67:0]  row_acc    // column c at [c*ACC_WIDTH +: ACC_WIDTH]
);
    // Accumulators: row r, column c at acc[r][c*ACC_WIDTH +: ACC_WIDTH].
    logic [67:0] acc [4];
    for (genvar r = 0; r < 4; r = r + 1) begin : gen_row
        for (genvar c = 0; c < 4; c = c + 1) begin : gen_col
            dpu u_dpu (
                .clk    (clk),
                .rst    (rst),
                .in_w   (w_rd_data[r * 64 +: 64]),
                .in_a   (a_rd_data[c * 64 +: 64]),
                .valid  (valid),
                .clear  (clear),
                .negate (negate),
                .shift  (shift),
                .acc    (acc[r][c * 17 +: 17])
            );
        end
    end
    // Result bank 0: a finished tile's accumulators, emitted while the next tiles accumulate.
    logic [67:0] res0 [4];
    // Result bank 1: a finished tile's accumulators, emitted while the next tiles accumulate.
    logic [67:0] res1 [4];
    always_ff @(posedge clk) begin
        if (snap) begin
            if (snap_bank) begin
                for (int r = 0; r < 4; r = r + 1) begin
                    res1[r] <= acc[r];
                end
            end else begin
                for (int r = 0; r < 4; r = r + 1) begin
                    res0[r] <= acc[r];
                end
            end
        end
    end

    // Row multiplexer: the row the output stage takes, from the bank it emits.
    assign row_acc = row_bank ? res1[row_sel] : res0[row_sel];
endmodule

`resetall
