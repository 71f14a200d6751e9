//! Cycle-accurate model of the bit-serial engine (`hdl::engine`): the same registers, the same
//! state machine, the same pipeline latencies, so every output beat leaves on the same cycle
//! as in the RTL under any pattern of valid/ready stalls.
//!
//! One call of [`Engine::step`] is one clock edge: outputs are computed from the registers
//! (Moore: `tready` and `tvalid` never depend on the other side in the same cycle), then the
//! registers take their next values from the current registers and inputs.
//!
//! Job protocol (all streams AXI4-Stream):
//! - `s_axis_wt`: header `{RAW, KC, N, M}` (M from bit 0 up, RAW the one bit above KC); the
//!   product table (LUT engines); then `M·KC·w_bits` weight plane words (row-major: for each
//!   m, each k-chunk, each plane j); then, in code mode (RAW = 0) only, per channel `1 + T`
//!   beats: direction bit, then `T = 2^out_bits − 1` thresholds. `tlast` on the final
//!   threshold beat (code mode) or the final weight word (raw mode).
//! - `s_axis_act`: per n-tile of `dn` columns, `nv·KC·a_bits` plane words (for each column,
//!   chunk, plane i), `tlast` on each tile's last beat.
//! - `m_axis_out`: per m-tile row, one beat of `dn` codes at `[c·out_bits +: out_bits]` (code
//!   mode) or `dn` two's-complement accumulators at `[c·acc_width +: acc_width]` (raw mode);
//!   columns past N and unused upper bits are 0; `tlast` on the job's last beat. Order:
//!   n-tiles outer, m-tiles, rows. Code mode sends each row through the `out_bits`-stage
//!   threshold search; raw mode bypasses it through a single output register, so a raw row
//!   leaves `out_bits − 1` cycles sooner.
//!
//! The model is split like the RTL, one private module of this crate per block, each a struct
//! owning its registers: `engine_ctrl` (the controller), `operand_mem` (weight, activation and
//! threshold memories), `ctl_delay` (the step control delay line), `pe_array` (DPUs or LUT
//! PEs, and the accumulators), `threshold_unit` (the search pipeline) and `out_port` (the raw
//! output register and the output beat). [`Engine`] composes them; every block's next values
//! are computed from the current registers of all blocks.

use hdl::params::EngineParams;

use crate::ctl_delay::CtlDelay;
use crate::engine_ctrl::{Ctrl, MemWrite};
use crate::operand_mem::OperandMem;
use crate::out_port::OutPort;
use crate::pe_array::PeArray;
use crate::threshold_unit::ThresholdUnit;

/// Controller states: the one definition the RTL's `state_q` encoding also reads.
pub use hdl::ctrl_state::State;

/// A stream beat offered to the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Beat<'a> {
    /// `tvalid`.
    pub valid: bool,
    /// `tdata`, little-endian 64-bit words (missing words read as 0).
    pub data: &'a [u64],
    /// `tlast`.
    pub last: bool,
}

/// Inputs of one cycle.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// Synchronous reset.
    pub rst: bool,
    /// Weight/threshold stream.
    pub wt: Beat<'a>,
    /// Activation stream.
    pub act: Beat<'a>,
    /// `m_axis_out_tready`.
    pub out_ready: bool,
}

/// Outputs of one cycle (functions of the registers only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outputs {
    /// `s_axis_wt_tready`.
    pub wt_ready: bool,
    /// `s_axis_act_tready`.
    pub act_ready: bool,
    /// `m_axis_out_tvalid`.
    pub out_valid: bool,
    /// `m_axis_out_tdata` while valid, as the RTL drives it
    /// ([`EngineParams::out_stream_width`] bits in 64-bit words; decode with
    /// [`EngineParams::out_fields`]); empty while not valid, when the RTL drives all zeros.
    pub out_data: Vec<u64>,
    /// `m_axis_out_tlast`.
    pub out_last: bool,
}

/// The engine model.
pub struct Engine {
    p: EngineParams,
    ctrl: Ctrl,
    mem: OperandMem,
    delay: CtlDelay,
    pe: PeArray,
    search: ThresholdUnit,
    out: OutPort,
    /// Protocol violations seen (the RTL's simulation-only checks).
    pub protocol_errors: Vec<String>,
}

/// Bit `i` of `words` (bits past the end read as 0).
pub(crate) fn bit(words: &[u64], i: u32) -> u32 {
    words
        .get((i / 64) as usize)
        .map_or(0, |w| ((w >> (i % 64)) & 1) as u32)
}

/// Field `[lo, lo + width)` of `words` as an unsigned integer (width ≤ 64).
pub fn field(words: &[u64], lo: u32, width: u32) -> u64 {
    (0..width).map(|b| (bit(words, lo + b) as u64) << b).sum()
}

impl Engine {
    /// An engine in reset state.
    pub fn new(p: EngineParams) -> Self {
        p.validate().expect("valid engine parameters");
        let dn = p.dn as usize;
        Engine {
            p,
            ctrl: Ctrl::new(&p),
            mem: OperandMem::new(&p),
            delay: CtlDelay::new(p.dpu_latency() as usize),
            pe: PeArray::new(&p),
            search: ThresholdUnit::new(p.out_bits, dn),
            out: OutPort::new(dn),
            protocol_errors: Vec::new(),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &EngineParams {
        &self.p
    }

    /// The controller state.
    pub fn state(&self) -> State {
        self.ctrl.state()
    }

    /// The outputs of the current cycle.
    pub fn outputs(&self) -> Outputs {
        // The skid register's beat, else the pipeline's (computed only when it is shown).
        let (out_valid, out_data, out_last) = self.out.port_beat(|| {
            self.out
                .beat(&self.p, self.search.last(), self.ctrl.cols_valid() as usize)
        });
        Outputs {
            wt_ready: self.ctrl.wt_ready(self.out.en()),
            act_ready: self.ctrl.act_ready(),
            out_valid,
            out_data,
            out_last,
        }
    }

    /// Advance one clock edge with `inp`; returns the outputs that were presented during the
    /// cycle (before the edge).
    pub fn step(&mut self, inp: &Inputs) -> Outputs {
        let out = self.outputs();
        if inp.rst {
            self.reset();
            return out;
        }
        let p = &self.p;
        let wt_fire = inp.wt.valid && out.wt_ready;
        let act_fire = inp.act.valid && out.act_ready;
        // The output pipeline advances while the skid register is empty; a row leaves it
        // (onto m_axis_out or into the skid register) when it also holds one (then the
        // port shows the pipeline's beat).
        let en = self.out.en();
        let row_fire = en && out.out_valid;
        self.ctrl.check_padding(inp, &mut self.protocol_errors);

        // Every block below reads only current (pre-edge) registers: emission first (it reads
        // the accumulators), then the datapath, the issue registers, and the controller,
        // which alone writes the memories and the state.

        // Emission pipeline (stalls as a whole while the skid register holds a beat).
        self.out
            .step_skid((out.out_valid, &out.out_data, out.out_last), inp.out_ready);
        if en {
            let e1 = self.ctrl.emit_row();
            let accs = self.pe.res_row(self.ctrl.row_bank(), e1.row);
            self.search.step(
                e1.valid && !e1.raw,
                e1.last,
                accs,
                self.mem.thr_q(),
                self.mem.thresholds(),
            );
            self.out.step(e1.valid && e1.raw, e1.last, accs);
            let thr = self.ctrl.step_emit(p);
            self.mem.set_thr_addr(thr);
        }

        // A result bank takes the accumulators (before this edge's accumulate).
        if self.ctrl.snap() {
            self.pe.snapshot(self.ctrl.snap_bank());
        }

        // Datapath: accumulate the step leaving the PE pipeline, and take the memories'
        // outputs for the step at the read registers.
        self.pe.step(
            p,
            self.delay.head(),
            self.delay.read(),
            self.mem.w_read(),
            self.mem.a_read(),
        );

        // Compute issue: the step control and the memory read addresses.
        let (ctl, w_addr, a_addr) = self.ctrl.issue(p);
        self.delay.step(ctl);
        self.mem.set_read_addr(w_addr, a_addr);

        // Controller.
        let fires = (wt_fire, row_fire);
        match self.ctrl.step(p, inp, fires, &mut self.protocol_errors) {
            Some(MemWrite::Table { index, value }) => self.pe.write_table(index, value),
            Some(w) => self.mem.write(&w),
            None => {}
        }
        // The activation loader, beside the states (after them: the compute read the
        // buffers' full flags before this edge).
        if let Some(w) = self
            .ctrl
            .step_loader(p, inp, act_fire, &mut self.protocol_errors)
        {
            self.mem.write(&w);
        }
        out
    }

    fn reset(&mut self) {
        self.ctrl.reset();
        self.delay.reset();
        self.search.reset();
        self.out.reset();
    }
}
