//! Testbench generation and the runners of external simulators and synthesis tools.
//!
//! [`tools`] finds Verilator, Icarus Verilog and Yosys and checks their versions; [`tb`] is
//! the single-job testbench, [`nettb`] the whole-network one (every job of a model on one
//! engine), [`mod@bench`] builds and runs them. [`dynrtl`] verilates any engine at run time and
//! steps it from Rust. [`formal`] proves the AXI4-Stream contract with SymbiYosys;
//! [`gatelevel`] runs the testbench on the Yosys-synthesized netlist. [`vendor`] adds the
//! Xilinx cell models an `Xcup` design's primitives need to every simulator run.

pub mod bench;
pub mod compressor;
pub mod dynrtl;
pub mod fastsim;
pub mod formal;
pub mod gatelevel;
pub mod nettb;
pub mod synth;
pub mod tb;
pub mod tools;
pub mod vendor;
pub mod verilator;
pub mod vruntime;
