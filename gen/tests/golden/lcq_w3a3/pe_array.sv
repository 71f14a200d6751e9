`default_nettype none
`timescale 1ns / 1ps

// PE array: 2x2 LUT-multiplier PEs of 16 lanes; accumulators 25 bits.
// PE (r, c) takes weight bank r and activation bank c; one row of accumulators leaves through the row mux.
module pe_array (
    // Clock, reset / product table
    input  wire        clk,
    input  wire        tbl_wr_en,   // product table write, every PE's copy
    input  wire [4:0]  tbl_wr_addr, // {magnitude, activation}
    input  wire [14:0] tbl_wr_data,
    // Operands (the memories' read registers)
    input  wire [95:0] w_rd_data,   // row r's weight word at [r*W_WORD +: W_WORD]
    input  wire [95:0] a_rd_data,   // column c's activation word at [c*A_WORD +: A_WORD]
    // Step control (the delay line's end)
    input  wire        valid,       // a step's term reaches the accumulators
    input  wire        clear,       // the step starts a dot product
    // Row out
    input  wire        snap,        // a result bank takes the accumulators
    input  wire        snap_bank,   // the bank snap writes
    input  wire        row_bank,    // the bank the row mux reads
    input  wire [0:0]  row_sel,     // array row
    output wire [49:0] row_acc      // column c at [c*ACC_WIDTH +: ACC_WIDTH]
);
    // Accumulators: row r, column c at acc[r][c*ACC_WIDTH +: ACC_WIDTH].
    logic [49:0] acc [2];
    for (genvar r = 0; r < 2; r = r + 1) begin : gen_row
        for (genvar c = 0; c < 2; c = c + 1) begin : gen_col
            lut_pe u_pe (
                .clk      (clk),
                .tbl_we   (tbl_wr_en),
                .tbl_addr (tbl_wr_addr),
                .tbl_data (tbl_wr_data),
                .in_w     (w_rd_data[r * 48 +: 48]),
                .in_a     (a_rd_data[c * 48 +: 48]),
                .valid    (valid),
                .clear    (clear),
                .acc      (acc[r][c * 25 +: 25])
            );
        end
    end
    // Result bank 0: a finished tile's accumulators, emitted while the next tiles accumulate.
    logic [49:0] res0 [2];
    // Result bank 1: a finished tile's accumulators, emitted while the next tiles accumulate.
    logic [49:0] res1 [2];
    always_ff @(posedge clk) begin
        if (snap) begin
            if (snap_bank) begin
                for (int r = 0; r < 2; r = r + 1) begin
                    res1[r] <= acc[r];
                end
            end else begin
                for (int r = 0; r < 2; r = r + 1) begin
                    res0[r] <= acc[r];
                end
            end
        end
    end

    // Row multiplexer: the row the output stage takes, from the bank it emits.
    assign row_acc = row_bank ? res1[row_sel] : res0[row_sel];
endmodule

`resetall
