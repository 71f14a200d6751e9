`default_nettype none
`timescale 1ns / 1ps

// PE array: 8x8 AND-popcount DPUs of 256 bits; accumulators 16 bits.
// PE (r, c) takes weight bank r and activation bank c; one row of accumulators leaves through the row mux.
module pe_array (
    // Clock, reset / product table
    input  wire          clk,
    input  wire          rst,
    // Operands (the memories' read registers)
    input  wire [2047:0] w_rd_data, // row r's weight word at [r*W_WORD +: W_WORD]
    input  wire [2047:0] a_rd_data, // column c's activation word at [c*A_WORD +: A_WORD]
    // Step control (the delay line's end)
    input  wire          valid,     // a step's term reaches the accumulators
    input  wire          clear,     // the step starts a dot product
    input  wire          negate,
    input  wire [1:0]    shift,
    // Row out
    input  wire          snap,      // a result bank takes the accumulators
    input  wire          snap_bank, // the bank snap writes
    input  wire          row_bank,  // the bank the row mux reads
    input  wire [2:0]    row_sel,   // array row
    output wire [127:0]  row_acc    // column c at [c*ACC_WIDTH +: ACC_WIDTH]
);
    // Accumulators: row r, column c at acc[r][c*ACC_WIDTH +: ACC_WIDTH].
    logic [127:0] acc [8];
    // popcount of each column's activation word (offset weights).
    logic [8:0] a_count [8];
    for (genvar c = 0; c < 8; c = c + 1) begin : gen_a_count
        and_popcount u_a_count (
            .clk   (clk),
            .a     (a_rd_data[c * 256 +: 256]),
            .b     ({256{1'd1}}),
            .count (a_count[c])
        );
    end
    for (genvar r = 0; r < 8; r = r + 1) begin : gen_row
        for (genvar c = 0; c < 8; c = c + 1) begin : gen_col
            dpu u_dpu (
                .clk     (clk),
                .rst     (rst),
                .in_w    (w_rd_data[r * 256 +: 256]),
                .in_a    (a_rd_data[c * 256 +: 256]),
                .valid   (valid),
                .clear   (clear),
                .negate  (negate),
                .shift   (shift),
                .a_count (a_count[c]),
                .acc     (acc[r][c * 16 +: 16])
            );
        end
    end
    // Result bank 0: a finished tile's accumulators, emitted while the next tiles accumulate.
    logic [127:0] res0 [8];
    // Result bank 1: a finished tile's accumulators, emitted while the next tiles accumulate.
    logic [127:0] res1 [8];
    always_ff @(posedge clk) begin
        if (snap) begin
            if (snap_bank) begin
                for (int r = 0; r < 8; r = r + 1) begin
                    res1[r] <= acc[r];
                end
            end else begin
                for (int r = 0; r < 8; r = r + 1) begin
                    res0[r] <= acc[r];
                end
            end
        end
    end

    // Row multiplexer: the row the output stage takes, from the bank it emits.
    assign row_acc = row_bank ? res1[row_sel] : res0[row_sel];
endmodule

`resetall
