//! The Verilated RTL of any engine, built at run time and stepped from Rust.
//!
//! [`DynRtl::build`] writes the engine's modules (`hdl::engine::modules`) into a build
//! directory under `work`, verilates them (`verilator --cc -O2`), compiles the model, the
//! Verilator runtime and a small `extern "C"` shim into one shared library with g++ (one
//! compile per core), and loads it. [`DynRtl::step`] is then one clock, with the same
//! inputs and outputs as the cycle model's `sim::engine::Engine::step`, so both can be run
//! side by side ([`cross_check`]) or the RTL alone through a harness.
//!
//! Cache: the build directory is `work/qf-<hash>`, the hash covering every source text, the
//! shim, the tool versions and the flags; a directory that already holds its library is
//! reused without running either tool again, and the Verilator runtime's objects, the same
//! for every design, are compiled once per `work` (`work/qf-rt-<hash>`). Different designs so get different directories
//! (and library paths) even in one `work`; two processes building the *same* design into
//! the same `work` at the same moment is not supported (the library itself is written under
//! a temporary name and renamed, so it is never seen half-written).
//!
//! Instances: every [`DynRtl`] owns one model with its own `VerilatedContext`; any number of
//! designs and instances may live in one process. Loading the same library twice returns
//! the same `dlopen` handle, which is fine: the model is a per-instance object.
//!
//! Missing tools are errors naming the install command, never a skip.

mod build;

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdl::params::EngineParams;
use libloading::Library;
use sim::engine::{Engine, Inputs, Outputs};
use sim::harness::Stalls;
use sim::job::Job;

pub use build::engine_sources;

type WidthsFn = unsafe extern "C" fn(*mut u32);
type NewFn = unsafe extern "C" fn() -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type StepFn =
    unsafe extern "C" fn(*mut c_void, *const u8, *const u64, *const u64, *mut u8, *mut u64);

/// How a [`DynRtl`]'s library came to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The build directory (`work/qf-<hash>`): sources, Verilator output, objects.
    pub dir: PathBuf,
    /// The shared library loaded.
    pub lib: PathBuf,
    /// Whether the library was already there (nothing was run).
    pub cached: bool,
    /// Time in `verilator --cc` (zero when cached).
    pub verilate: Duration,
    /// Time compiling and linking (zero when cached).
    pub compile: Duration,
    /// Wall time of the whole build call, loading included.
    pub total: Duration,
}

/// A loaded library's entry points. The function pointers are valid while `lib` is loaded,
/// which this struct guarantees by owning it.
struct Loaded {
    new: NewFn,
    free: FreeFn,
    step: StepFn,
    _lib: Library,
}

/// One Verilated engine instance.
pub struct DynRtl {
    p: EngineParams,
    /// The model, owned: freed exactly once in `Drop`.
    handle: NonNull<c_void>,
    /// Per-cycle buffers: wt/act tdata words in, m_axis_out_tdata words out.
    wt: Vec<u64>,
    act: Vec<u64>,
    out: Vec<u64>,
    info: BuildInfo,
    /// Kept alive (shared with instances from [`DynRtl::instance`]) at least as long as the
    /// model: `Drop` frees the model before this field is dropped.
    lib: Arc<Loaded>,
}

impl DynRtl {
    /// Build (or reuse from `work`'s cache) the RTL of engine `p` and create one instance.
    /// An `Xcup` design also gets the vendor cell models and their waiver
    /// (`crate::vendor`).
    pub fn build(p: &EngineParams, work: &Path) -> Result<DynRtl, String> {
        let mut sources =
            crate::vendor::verilator_sources(p).map_err(|e| format!("dynrtl: {e}"))?;
        sources.extend(engine_sources(p));
        DynRtl::build_sources(p, &sources, work)
    }

    /// [`DynRtl::build`] from given source files (name, text), e.g. edited ones; the top
    /// module is `p.top_name()` and the ports are `p`'s.
    pub fn build_sources(
        p: &EngineParams,
        sources: &[(String, String)],
        work: &Path,
    ) -> Result<DynRtl, String> {
        let t0 = Instant::now();
        p.validate()
            .map_err(|e| format!("dynrtl: invalid design: {e}"))?;
        let tools = build::Toolchain::find()?;
        // Absolute: the tools run in the build directory.
        let work = &std::path::absolute(work)
            .map_err(|e| format!("dynrtl: work dir {}: {e}", work.display()))?;
        let shim = build::shim(p);
        let dir = work.join(tools.dir_name(sources, &shim));
        let lib = dir.join(build::LIB);
        let cached = lib.is_file();
        let (verilate, compile) = if cached {
            Default::default()
        } else {
            tools.build(work, &dir, p.top_name(), sources, &shim)?
        };
        let loaded = Arc::new(load(&lib, p)?);
        let info = BuildInfo {
            dir,
            lib,
            cached,
            verilate,
            compile,
            total: t0.elapsed(),
        };
        Ok(DynRtl::with(*p, loaded, info))
    }

    fn with(p: EngineParams, lib: Arc<Loaded>, info: BuildInfo) -> DynRtl {
        // SAFETY: `qf_new` takes nothing and returns a new heap object (C++ `new` throws
        // rather than returning null; a null is still caught below).
        let raw = unsafe { (lib.new)() };
        let handle = NonNull::new(raw).expect("dynrtl: qf_new returned null");
        let words = |w: u32| vec![0u64; w.div_ceil(64) as usize];
        DynRtl {
            wt: words(p.wt_stream_width()),
            act: words(p.act_stream_width()),
            out: words(p.out_stream_width()),
            p,
            handle,
            info,
            lib,
        }
    }

    /// Another, fresh instance of the same design (same library, its own model and state).
    pub fn instance(&self) -> DynRtl {
        DynRtl::with(self.p, self.lib.clone(), self.info.clone())
    }

    /// The design.
    pub fn params(&self) -> &EngineParams {
        &self.p
    }

    /// How the library was built or found.
    pub fn info(&self) -> &BuildInfo {
        &self.info
    }

    /// One clock: the outputs presented during the cycle (sampled before the rising edge),
    /// in the cycle model's representation; then the edge.
    pub fn step(&mut self, i: &Inputs) -> Outputs {
        let flags = [
            i.rst as u8,
            i.wt.valid as u8,
            i.wt.last as u8,
            i.act.valid as u8,
            i.act.last as u8,
            i.out_ready as u8,
        ];
        fill(&mut self.wt, i.wt.data);
        fill(&mut self.act, i.act.data);
        let mut o = [0u8; 4];
        // SAFETY: `handle` is a live model of this library (freed only in `Drop`); the
        // buffers hold `ceil(width/64)` words for each port's width, which `load` checked
        // against the library's own widths, and 6 input / 4 output flags, as the shim reads
        // and writes.
        unsafe {
            (self.lib.step)(
                self.handle.as_ptr(),
                flags.as_ptr(),
                self.wt.as_ptr(),
                self.act.as_ptr(),
                o.as_mut_ptr(),
                self.out.as_mut_ptr(),
            )
        };
        outputs(&self.p, o, &self.out)
    }
}

impl Drop for DynRtl {
    fn drop(&mut self) {
        // SAFETY: the handle came from this library's `qf_new` and is freed once, here,
        // while `self.lib` (dropped after this body) keeps the library loaded.
        unsafe { (self.lib.free)(self.handle.as_ptr()) };
    }
}

/// Copy `data` into `buf`, zero past its end (missing words read as 0).
fn fill(buf: &mut [u64], data: &[u64]) {
    let n = data.len().min(buf.len());
    buf[..n].copy_from_slice(&data[..n]);
    buf[n..].fill(0);
}

/// The model's representation of the RTL's outputs: flags (wt_ready, act_ready, out_valid,
/// out_last) and the raw `m_axis_out_tdata` words. The only place that knows the
/// representation: with raw words in `Outputs`, the body becomes `out_data: data.to_vec()`.
fn outputs(p: &EngineParams, o: [u8; 4], data: &[u64]) -> Outputs {
    let _ = p;
    Outputs {
        wt_ready: o[0] == 1,
        act_ready: o[1] == 1,
        out_valid: o[2] == 1,
        // Every cycle, valid or not: the whole tdata is seen.
        out_data: data.to_vec(),
        out_last: o[3] == 1,
    }
}

impl sim::dut::Dut for DynRtl {
    fn params(&self) -> &EngineParams {
        DynRtl::params(self)
    }

    fn step(&mut self, inp: &Inputs) -> Outputs {
        DynRtl::step(self, inp)
    }
}

/// Load `lib` and check it was built for `p`'s stream widths.
fn load(lib: &Path, p: &EngineParams) -> Result<Loaded, String> {
    let err = |e: libloading::Error| format!("dynrtl: cannot load {}: {e}", lib.display());
    // SAFETY: the library is one this module built: its initialisers are the Verilator
    // runtime's and the model's static constructors, which have no preconditions.
    let l = unsafe { Library::new(lib) }.map_err(err)?;
    // SAFETY: each symbol is looked up with the exact signature the shim defines
    // (`build::shim`); the copied function pointers are kept only next to `l`.
    let (widths, new, free, step) = unsafe {
        (
            *l.get::<WidthsFn>(b"qf_widths\0").map_err(err)?,
            *l.get::<NewFn>(b"qf_new\0").map_err(err)?,
            *l.get::<FreeFn>(b"qf_free\0").map_err(err)?,
            *l.get::<StepFn>(b"qf_step\0").map_err(err)?,
        )
    };
    let mut w = [0u32; 3];
    // SAFETY: `qf_widths` writes exactly three u32.
    unsafe { widths(w.as_mut_ptr()) };
    let want = [
        p.wt_stream_width(),
        p.act_stream_width(),
        p.out_stream_width(),
    ];
    if w != want {
        return Err(format!(
            "dynrtl: {} has stream widths (wt, act, out) {w:?}, the design {want:?}",
            lib.display()
        ));
    }
    Ok(Loaded {
        new,
        free,
        step,
        _lib: l,
    })
}

/// Step `model` and `rtl` together through `job` under `stalls`, comparing every output
/// every cycle and every accepted beat with the golden `Job::expected`; returns the cycles
/// run, or the first divergence. With `reset`, both get one reset cycle first; without,
/// the job follows whatever they last did (back-to-back jobs on one instance). Checks that
/// both are one design, then runs the shared loop, [`sim::harness::lockstep`].
pub fn cross_check(
    model: &mut Engine,
    rtl: &mut DynRtl,
    job: &Job,
    stalls: Stalls,
    reset: bool,
    max_cycles: u64,
) -> Result<u64, String> {
    if model.params() != rtl.params() {
        return Err("cross_check: the model and the RTL are different designs".into());
    }
    sim::harness::lockstep(model, rtl, job, stalls, reset, max_cycles)
}
