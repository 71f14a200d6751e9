//! Testbench generation and the runners of external simulators and synthesis tools.
//!
//! [`tools`] finds Verilator, Icarus Verilog and Yosys and checks their versions; the
//! testbench generator arrives with the bit-serial engine (issue 3).

pub mod bench;
pub mod synth;
pub mod tb;
pub mod tools;
pub mod verilator;
