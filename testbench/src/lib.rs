//! Testbench generation and the runners of external simulators and synthesis tools.
//!
//! [`tools`] finds Verilator, Icarus Verilog and Yosys and checks their versions; the
//! testbench generator arrives with the bit-serial engine (issue 3). [`dynrtl`] verilates any
//! engine at run time and steps it from Rust.

pub mod bench;
pub mod dynrtl;
pub mod synth;
pub mod tb;
pub mod tools;
pub mod verilator;
