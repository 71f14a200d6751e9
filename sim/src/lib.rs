//! Cycle-accurate simulator of qforge's engines: same outputs and cycle counts as the RTL.
//!
//! Empty until the bit-serial engine lands (issue 3).
