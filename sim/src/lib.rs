//! Cycle-accurate simulator of qforge's engines: same outputs and cycle counts as the RTL.
//!
//! [`engine`] is the bit-serial engine's model, [`job`] packs a GEMM job into its streams and
//! computes the golden output beats, [`harness`] drives a model with deterministic stalls the
//! way the generated testbench drives the RTL, through the [`dut::Dut`] trait (the model, or a
//! Verilated RTL).

mod ctl_delay;
pub mod dut;
pub mod engine;
mod engine_ctrl;
pub mod harness;
pub mod job;
mod operand_mem;
mod out_port;
mod pe_array;
pub mod random;
mod threshold_unit;
pub mod timing;
pub mod vcd;
