//! A device under test the harness can drive: anything that takes one clock edge of
//! [`Inputs`] and reports the [`Outputs`] presented during that cycle, for a design
//! [`EngineParams`]. The cycle model ([`crate::engine::Engine`]) implements it; so can a
//! Verilated RTL (the lockstep crate's `Rtl` does), so [`crate::harness::run`] drives either
//! the same way.

use hdl::params::EngineParams;

use crate::engine::{Engine, Inputs, Outputs, State};

/// One clocked engine instance.
pub trait Dut {
    /// The design's parameters.
    fn params(&self) -> &EngineParams;
    /// One clock edge with `inp`; returns the outputs during the cycle (before the edge).
    /// `out_data` may be empty while `out_valid` is low (read as all zeros).
    fn step(&mut self, inp: &Inputs) -> Outputs;
    /// The controller state during the current cycle, when the device can tell (the model
    /// can; an RTL without a state probe returns `None`, the default).
    fn state(&self) -> Option<State> {
        None
    }
}

impl Dut for Engine {
    fn params(&self) -> &EngineParams {
        Engine::params(self)
    }

    fn step(&mut self, inp: &Inputs) -> Outputs {
        Engine::step(self, inp)
    }

    fn state(&self) -> Option<State> {
        Some(Engine::state(self))
    }
}
