//! RTL generators and Verilog emission (typed AST and pretty-printer) for qforge's engines.
//!
//! Empty until the bit-serial engine lands (issue 3): the parameter structs of each hardware
//! block will live here, read by the generator, the cycle model, the testbench and reports.
