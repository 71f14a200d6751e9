//! Lockstep cross-check: the cycle model (`sim::engine::Engine`) and the Verilated RTL of the
//! same design are stepped with identical inputs every cycle, and every output (`tready`,
//! `tvalid`, `tdata`, `tlast` of every port) is compared every cycle. The first divergence is
//! reported with its cycle and signal, which is where a bug lives.
//!
//! The designs are fixed at build time (`src/designs.rs`): `build.rs` verilates them
//! (`verilator --cc`) and compiles them with a small `extern "C"` shim. [`Rtl`] implements
//! [`sim::dut::Dut`], so `sim::harness::run` drives it exactly as it drives the model.

use hdl::params::EngineParams;
use sim::dut::Dut;
use sim::engine::{Engine, Inputs, Outputs};
use sim::harness::{lockstep, Stalls};
use sim::job::Job;

mod ffi {
    #![allow(missing_docs)]
    use core::ffi::c_void;
    /// Creates a Verilated model.
    pub type NewFn = unsafe extern "C" fn() -> *mut c_void;
    /// Frees it.
    pub type FreeFn = unsafe extern "C" fn(*mut c_void);
    /// One clock: handle, flags, wt data, act data, output flags, output data.
    pub type StepFn =
        unsafe extern "C" fn(*mut c_void, *const u8, *const u64, *const u64, *mut u8, *mut u64);
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

include!("designs.rs");

/// The designs available in lockstep.
pub fn designs() -> Vec<EngineParams> {
    lockstep_designs()
}

/// One Verilated instance of a lockstep design.
pub struct Rtl {
    p: EngineParams,
    handle: *mut core::ffi::c_void,
    free: unsafe extern "C" fn(*mut core::ffi::c_void),
    step: unsafe extern "C" fn(
        *mut core::ffi::c_void,
        *const u8,
        *const u64,
        *const u64,
        *mut u8,
        *mut u64,
    ),
}

impl Rtl {
    /// A fresh instance of design `d` (an index into [`designs`]).
    pub fn new(d: usize) -> Rtl {
        let (new, free, step) = ffi::FNS[d];
        // SAFETY: the shim's constructor returns a new, owned Verilated model.
        let handle = unsafe { new() };
        Rtl {
            p: designs()[d],
            handle,
            free,
            step,
        }
    }

    /// One clock: outputs during the cycle (before the edge), as the model reports them.
    pub fn step(&mut self, i: &Inputs) -> Outputs {
        let flags = [
            i.rst as u8,
            i.wt.valid as u8,
            i.wt.last as u8,
            i.act.valid as u8,
            i.act.last as u8,
            i.out_ready as u8,
        ];
        let pad = |d: &[u64], w: u32| {
            let mut v = d.to_vec();
            v.resize(w.div_ceil(64) as usize, 0);
            v
        };
        let wt = pad(i.wt.data, self.p.wt_stream_width());
        let act = pad(i.act.data, self.p.act_stream_width());
        let mut o = [0u8; 4];
        let mut out = vec![0u64; self.p.out_stream_width().div_ceil(64) as usize];
        // SAFETY: buffers are sized for the design's port widths, as the shim expects.
        unsafe {
            (self.step)(
                self.handle,
                flags.as_ptr(),
                wt.as_ptr(),
                act.as_ptr(),
                o.as_mut_ptr(),
                out.as_mut_ptr(),
            )
        };
        // Every cycle, valid or not: the whole tdata is reported (and compared).
        Outputs {
            wt_ready: o[0] == 1,
            act_ready: o[1] == 1,
            out_valid: o[2] == 1,
            out_data: out,
            out_last: o[3] == 1,
        }
    }
}

impl Dut for Rtl {
    fn params(&self) -> &EngineParams {
        &self.p
    }

    fn step(&mut self, inp: &Inputs) -> Outputs {
        Rtl::step(self, inp)
    }
}

impl Drop for Rtl {
    fn drop(&mut self) {
        // SAFETY: the handle came from the matching constructor and is freed once.
        unsafe { (self.free)(self.handle) };
    }
}

/// Step the model and the RTL of design `d` together through `job` under `stalls`; returns
/// the cycle count, or the first divergence ([`sim::harness::lockstep`] after a reset).
pub fn run(d: usize, job: &Job, stalls: Stalls, max_cycles: u64) -> Result<u64, String> {
    let p = designs()[d];
    let mut model = Engine::new(p);
    let mut rtl = Rtl::new(d);
    lockstep(&mut model, &mut rtl, job, stalls, true, max_cycles)
}
