`default_nettype none
`timescale 1ns / 1ps

// Output stream port: raw-mode register, code / raw select, column mask, skid register, m_axis_out.
// Drives the output pipeline's enable (en, a register) and the row-out strobe (row_fire).
module out_port (
    // Clock and synchronous reset
    input  wire        clk,
    input  wire        rst,
    // Raw row (from the row mux)
    input  wire        raw_in_valid,
    input  wire        raw_in_last,
    input  wire [49:0] raw_in_acc,        // column c at [c*ACC_WIDTH +: ACC_WIDTH]
    // Codes (from the threshold unit)
    input  wire        tu_valid,
    input  wire        tu_last,
    input  wire [5:0]  tu_code,           // column c at [c*OUT_BITS +: OUT_BITS]
    input  wire [1:0]  cols_valid,        // columns of the n-tile that exist
    // Output (AXI4-Stream) and the pipeline enable
    output wire [55:0] m_axis_out_tdata,
    output wire        m_axis_out_tvalid,
    input  wire        m_axis_out_tready,
    output wire        m_axis_out_tlast,
    output wire        en,                // the output pipeline advances (the skid register is empty)
    output wire        row_fire           // a row leaves the pipeline (onto m_axis_out or into the skid register)
);
    // columns per row
    localparam int DN = 2;
    // bits of a code
    localparam int OUT_BITS = 3;
    // bits of an accumulator
    localparam int ACC_WIDTH = 25;

    // Raw mode: the row's accumulators into one register, advancing with en.
    // a raw row is on the output
    logic [0:0] raw_valid_q;
    logic [0:0] raw_last_q;
    // the raw row: column c at [c*ACC_WIDTH +: ACC_WIDTH]
    logic [49:0] raw_acc_q;

    // The skid register: a beat held by back-pressure.
    // the skid register holds a beat
    logic [0:0] sk_valid_q;
    logic [0:0] sk_last_q;
    // the held beat's tdata
    logic [55:0] sk_data_q;
    // a row is on the output (only one of the two paths is active in a job)
    logic [0:0] o_valid;
    assign o_valid = tu_valid || raw_valid_q;

    // The output pipeline advances while the skid register is empty.
    assign en = !sk_valid_q;
    assign row_fire = o_valid && !sk_valid_q;
    always_ff @(posedge clk) begin
        if (rst) begin
            raw_valid_q <= 1'd0;
        end else if (en) begin
            raw_valid_q <= raw_in_valid;
        end
        if (en) begin
            raw_last_q <= raw_in_last;
            raw_acc_q <= raw_in_acc;
        end
    end

    // Columns past N read 0.
    // code mode: column c at [c*OUT_BITS +: OUT_BITS]
    logic [55:0] code_data;
    // raw mode: column c at [c*ACC_WIDTH +: ACC_WIDTH]
    logic [55:0] raw_data;
    assign code_data[55:6] = 50'd0;
    assign raw_data[55:50] = 6'd0;
    for (genvar c = 0; c < DN; c = c + 1) begin : gen_col
        assign code_data[c * OUT_BITS +: OUT_BITS] = (tu_valid && (2'(c) < cols_valid)) ? tu_code[c * OUT_BITS +: OUT_BITS] : '0;
        assign raw_data[c * ACC_WIDTH +: ACC_WIDTH] = (raw_valid_q && (2'(c) < cols_valid)) ? raw_acc_q[c * ACC_WIDTH +: ACC_WIDTH] : '0;
    end
    // the pipeline's beat (0 while o_valid is low)
    logic [55:0] o_data;
    assign o_data = raw_valid_q ? raw_data : code_data;
    logic [0:0] o_last;
    assign o_last = (tu_valid && tu_last) || (raw_valid_q && raw_last_q);

    // m_axis_out: the held beat first, else the pipeline's.
    assign m_axis_out_tvalid = sk_valid_q || o_valid;
    assign m_axis_out_tdata = sk_valid_q ? sk_data_q : o_data;
    assign m_axis_out_tlast = sk_valid_q ? sk_last_q : o_last;
    always_ff @(posedge clk) begin
        if (rst) begin
            sk_valid_q <= 1'd0;
        end else if (sk_valid_q) begin
            if (m_axis_out_tready) begin
                sk_valid_q <= 1'd0;
            end
        end else if (o_valid && !m_axis_out_tready) begin
            sk_valid_q <= 1'd1;
        end
        if (!sk_valid_q) begin
            sk_last_q <= o_last;
            sk_data_q <= o_data;
        end
    end
endmodule

`resetall
