//! Drives an engine model with a job under deterministic valid/ready stalls, the same way the
//! generated SystemVerilog testbench drives the RTL, so both report the same cycle count.
//!
//! Each port has an xorshift32 generator stepped once per cycle (after reset). A source whose
//! beat is not pending presents its next beat when `(x & 255) < valid_pct·256/100`, and holds
//! it until accepted (AXI: `tvalid` never drops before the handshake). The sink's `tready` is
//! `(x & 255) < ready_pct·256/100`, registered. All decisions are registered, so stimulus in
//! cycle t depends only on cycles before t.

use crate::dut::Dut;
use crate::engine::{Beat, Engine, Inputs};
use crate::job::Packet;

/// One step of xorshift32.
pub fn xorshift32(mut x: u32) -> u32 {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    x
}

/// Stall pattern: percent of cycles a source offers a beat / the sink is ready, and seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalls {
    /// Percent (0..=100) for the weight/threshold source.
    pub wt_pct: u32,
    /// Percent for the activation source.
    pub act_pct: u32,
    /// Percent for the output sink's ready.
    pub out_pct: u32,
    /// Seed (non-zero) of the three generators (seed, seed+1, seed+2).
    pub seed: u32,
}

impl Stalls {
    /// No stalls: every source always valid, the sink always ready.
    pub const NONE: Stalls = Stalls {
        wt_pct: 100,
        act_pct: 100,
        out_pct: 100,
        seed: 1,
    };

    /// Random rates in 10..100% on every port and a random seed.
    pub fn random(rng: &mut impl rand::Rng) -> Stalls {
        Stalls {
            wt_pct: rng.gen_range(10..100),
            act_pct: rng.gen_range(10..100),
            out_pct: rng.gen_range(10..100),
            seed: rng.gen_range(1..1 << 30),
        }
    }

    fn threshold(pct: u32) -> u32 {
        pct.min(100) * 256 / 100
    }
}

/// A stream source as the testbench implements it.
#[derive(Debug, Clone)]
pub struct Source {
    lfsr: u32,
    thresh: u32,
    idx: usize,
    valid: bool,
}

impl Source {
    /// A source with generator seed `seed` (non-zero) and offer rate `pct`.
    pub fn new(seed: u32, pct: u32) -> Self {
        Source {
            lfsr: seed.max(1),
            thresh: Stalls::threshold(pct),
            idx: 0,
            valid: false,
        }
    }

    /// The beat presented this cycle (borrowing the packet's data).
    pub fn beat<'p>(&self, packets: &'p [Packet]) -> Beat<'p> {
        match packets.get(self.idx) {
            Some(p) if self.valid => Beat {
                valid: true,
                data: &p.data,
                last: p.last,
            },
            _ => Beat::default(),
        }
    }

    /// Clock edge: `fired` is the handshake of this cycle.
    pub fn edge(&mut self, fired: bool, total: usize) {
        let idx = if fired { self.idx + 1 } else { self.idx };
        let holding = self.valid && !fired;
        self.valid = holding || (idx < total && (self.lfsr & 255) < self.thresh);
        self.idx = idx;
        self.lfsr = xorshift32(self.lfsr);
    }
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// Output beats in order: `m_axis_out_tdata` words and tlast.
    pub beats: Vec<crate::job::OutBeat>,
    /// Cycles from the first cycle after reset to the cycle of the last beat's handshake,
    /// inclusive.
    pub cycles: u64,
}

/// Run one job (streams already packed) on `engine` (the model or any other [`Dut`]) after
/// one reset cycle. `reset_at`
/// asserts reset for one cycle at that cycle and restarts the job's streams from the start
/// (the mid-job reset test). Stops after `expected_beats` output beats with the final tlast,
/// or fails after `max_cycles`.
pub fn run<D: Dut + ?Sized>(
    engine: &mut D,
    wt: &[Packet],
    act: &[Packet],
    expected_beats: usize,
    stalls: Stalls,
    reset_at: Option<u64>,
    max_cycles: u64,
) -> Result<RunResult, String> {
    run_traced(
        engine,
        wt,
        act,
        expected_beats,
        stalls,
        reset_at,
        max_cycles,
        &mut |_, _, _, _| {},
    )
}

/// Pack `job`'s streams and run it on a fresh engine of design `p` (see [`run`]); returns the
/// result and the engine (for its protocol checks).
pub fn run_job(
    p: &hdl::params::EngineParams,
    job: &crate::job::Job,
    stalls: Stalls,
    reset_at: Option<u64>,
    max_cycles: u64,
) -> Result<(RunResult, Engine), String> {
    let mut e = Engine::new(*p);
    let (wt, act, want) = job.streams(p);
    let r = run(&mut e, &wt, &act, want.len(), stalls, reset_at, max_cycles)?;
    Ok((r, e))
}

/// What a trace callback sees each cycle: the cycle number, the inputs, the outputs and the
/// controller state during that cycle (when the device reports it, see [`Dut::state`]).
pub type Trace<'a> =
    dyn FnMut(u64, &Inputs, &crate::engine::Outputs, Option<crate::engine::State>) + 'a;

/// [`run`], calling `trace` once per cycle (for waveforms).
#[allow(clippy::too_many_arguments)]
pub fn run_traced<D: Dut + ?Sized>(
    engine: &mut D,
    wt: &[Packet],
    act: &[Packet],
    expected_beats: usize,
    stalls: Stalls,
    reset_at: Option<u64>,
    max_cycles: u64,
    trace: &mut Trace,
) -> Result<RunResult, String> {
    engine.step(&Inputs {
        rst: true,
        ..Inputs::default()
    });
    let mut src_w = Source::new(stalls.seed, stalls.wt_pct);
    let mut src_a = Source::new(stalls.seed.wrapping_add(1), stalls.act_pct);
    let mut ready_lfsr = stalls.seed.wrapping_add(2).max(1);
    let ready_thresh = Stalls::threshold(stalls.out_pct);
    let mut ready = false;
    let mut beats = Vec::new();
    for cycle in 0..max_cycles {
        if reset_at == Some(cycle) {
            engine.step(&Inputs {
                rst: true,
                ..Inputs::default()
            });
            src_w = Source::new(stalls.seed, stalls.wt_pct);
            src_a = Source::new(stalls.seed.wrapping_add(1), stalls.act_pct);
            ready_lfsr = stalls.seed.wrapping_add(2).max(1);
            ready = false;
            beats.clear();
            continue;
        }
        let inp = Inputs {
            rst: false,
            wt: src_w.beat(wt),
            act: src_a.beat(act),
            out_ready: ready,
        };
        let state = engine.state();
        let out = engine.step(&inp);
        trace(cycle, &inp, &out, state);
        src_w.edge(inp.wt.valid && out.wt_ready, wt.len());
        src_a.edge(inp.act.valid && out.act_ready, act.len());
        if out.out_valid && ready {
            beats.push((out.out_data.clone(), out.out_last));
            if beats.len() == expected_beats {
                if !out.out_last {
                    return Err(format!(
                        "beat {} is the last expected but tlast is low",
                        beats.len()
                    ));
                }
                return Ok(RunResult {
                    beats,
                    cycles: cycle + 1,
                });
            }
        }
        ready = (ready_lfsr & 255) < ready_thresh;
        ready_lfsr = xorshift32(ready_lfsr);
    }
    Err(format!(
        "no final beat after {max_cycles} cycles ({} of {expected_beats} beats)",
        beats.len()
    ))
}

/// Step `model` (the reference) and `rtl` together through `job` under `stalls`, comparing
/// every output every cycle and every accepted beat with the golden `Job::expected`; returns
/// the cycles run, or the first divergence (its cycle, the model's state when it reports one,
/// both outputs). With `reset`, both get one reset cycle first; without, the job follows
/// whatever they last did (back-to-back jobs on one instance). Both must be the same design.
pub fn lockstep<A: Dut + ?Sized, B: Dut + ?Sized>(
    model: &mut A,
    rtl: &mut B,
    job: &crate::job::Job,
    stalls: Stalls,
    reset: bool,
    max_cycles: u64,
) -> Result<u64, String> {
    lockstep_beats(model, rtl, job, stalls, reset, max_cycles).map(|b| b.cycles)
}

/// What a lockstep run moved: cycles and the beats accepted on each stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamBeats {
    /// Cycles run.
    pub cycles: u64,
    /// Weight/threshold beats accepted (`s_axis_wt` handshakes).
    pub wt: u64,
    /// Activation beats accepted.
    pub act: u64,
    /// Output beats accepted (`m_axis_out` handshakes), each equal to the golden beat of its
    /// position.
    pub out: u64,
}

/// [`lockstep`], counting the handshakes on every stream. Besides every output beat matching
/// the golden beat of its position (so none is lost, duplicated or reordered), every input
/// beat must have been accepted exactly once when the last output beat is: a stream that
/// accepted fewer than its packets is an error.
pub fn lockstep_beats<A: Dut + ?Sized, B: Dut + ?Sized>(
    model: &mut A,
    rtl: &mut B,
    job: &crate::job::Job,
    stalls: Stalls,
    reset: bool,
    max_cycles: u64,
) -> Result<StreamBeats, String> {
    let p = *model.params();
    let (wt, act, want) = job.streams(&p);
    if reset {
        let r = Inputs {
            rst: true,
            ..Inputs::default()
        };
        model.step(&r);
        rtl.step(&r);
    }
    let mut src_w = Source::new(stalls.seed, stalls.wt_pct);
    let mut src_a = Source::new(stalls.seed.wrapping_add(1), stalls.act_pct);
    let (mut ready, mut lfsr) = (false, stalls.seed.wrapping_add(2).max(1));
    let thresh = Stalls::threshold(stalls.out_pct);
    let mut beats = 0;
    let (mut n_wt, mut n_act) = (0u64, 0u64);
    for cycle in 0..max_cycles {
        let inp = Inputs {
            rst: false,
            wt: src_w.beat(&wt),
            act: src_a.beat(&act),
            out_ready: ready,
        };
        let state = model.state();
        let m = model.step(&inp);
        let r = rtl.step(&inp);
        // The model leaves the codes empty while not valid; the RTL must then drive zeros.
        let mut m_cmp = m.clone();
        if m_cmp.out_data.is_empty() {
            m_cmp.out_data = vec![0; p.out_stream_width().div_ceil(64) as usize];
        }
        if m_cmp != r {
            let state = match state {
                Some(s) => format!(" (model state {s:?})"),
                None => String::new(),
            };
            return Err(format!("cycle {cycle}{state}: model {m:?} but RTL {r:?}"));
        }
        let (fw, fa) = (inp.wt.valid && m.wt_ready, inp.act.valid && m.act_ready);
        n_wt += fw as u64;
        n_act += fa as u64;
        src_w.edge(fw, wt.len());
        src_a.edge(fa, act.len());
        if m.out_valid && ready {
            if (m.out_data.clone(), m.out_last) != want[beats] {
                return Err(format!(
                    "cycle {cycle}: beat {beats} is {:?}, golden {:?}",
                    (&m.out_data, m.out_last),
                    want[beats]
                ));
            }
            beats += 1;
            if beats == want.len() {
                if n_wt != wt.len() as u64 || n_act != act.len() as u64 {
                    return Err(format!(
                        "cycle {cycle}: last output beat with {n_wt} of {} weight and {n_act} of {} activation beats accepted",
                        wt.len(),
                        act.len()
                    ));
                }
                return Ok(StreamBeats {
                    cycles: cycle + 1,
                    wt: n_wt,
                    act: n_act,
                    out: beats as u64,
                });
            }
        }
        ready = (lfsr & 255) < thresh;
        lfsr = xorshift32(lfsr);
    }
    Err(format!(
        "no final beat after {max_cycles} cycles ({beats} of {} beats)",
        want.len()
    ))
}
