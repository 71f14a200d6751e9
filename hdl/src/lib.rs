//! RTL generators and Verilog emission for qforge's engines.
//!
//! Verilog is built as a typed AST ([`ast`]) and printed by [`mod@print`]; strings are never glued
//! together. Each hardware block has one parameter struct (widths, latency) that its RTL
//! generator, its cycle model in `sim`, its testbench and the reports all read.

pub mod adder_tree;
pub mod ast;
pub mod build;
pub mod ctl_delay;
pub mod ctrl_state;
pub mod dpu;
pub mod engine;
pub mod engine_ctrl;
pub mod engine_ctrl_act;
pub mod engine_ctrl_checks;
pub mod engine_ctrl_emit;
pub mod engine_ctrl_fsm;
pub mod engine_ctrl_regs;
pub mod lut_pe;
pub mod naming;
pub mod operand_mem;
pub mod out_port;
pub mod params;
pub mod params_levels;
pub mod params_stream;
pub mod pe_array;
pub mod popcount;
pub mod popcount_gpc;
pub mod popcount_netlist;
pub mod popcount_xcup;
pub mod print;
pub mod threshold_unit;
pub mod typed;
