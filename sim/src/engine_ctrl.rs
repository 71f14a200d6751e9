//! The controller (the RTL's `engine_ctrl` block): the state machine ([`State`]), the job
//! registers taken from the header, the load counters (product table, weights, thresholds,
//! activations), the tile registers, the compute issue counters and the emission counters,
//! the input handshakes, and the protocol checks (header, `tlast` placement, padding bits).
//!
//! It alone changes the state and writes the memories: each cycle it returns at most one
//! write request ([`MemWrite`]) for the operand memories or the product table, applied at the
//! clock edge. It issues one compute step per cycle ([`Ctrl::issue`]) to the memory read
//! registers and the step control, and one row per enabled cycle to the emission pipeline
//! ([`Ctrl::emit_row`], [`Ctrl::step_emit`]).

use hdl::params::EngineParams;

use crate::ctl_delay::Ctl;
use crate::engine::{Inputs, State};

mod act;
mod compute;
mod emit;
mod load;

/// A write at the clock edge, from the controller to a memory.
#[derive(Debug, Clone, Copy)]
pub(crate) enum MemWrite<'a> {
    /// Product table entry `index` (PE array).
    Table { index: usize, value: u64 },
    /// Weight bank `row` at address `addr`, from a beat's low `w_word` bits.
    Weight {
        addr: u32,
        row: u32,
        data: &'a [u64],
    },
    /// Activation bank `col` at address `addr`, from a beat's low `a_word` bits.
    Act {
        addr: u32,
        col: u32,
        data: &'a [u64],
    },
    /// Channel `channel`'s threshold word.
    Thr {
        channel: usize,
        descending: bool,
        t: &'a [i64],
    },
}

/// The row entering the emission pipeline this cycle (the `e1` registers).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EmitRow {
    pub(crate) valid: bool,
    /// The PE row (accumulator row) it reads.
    pub(crate) row: usize,
    /// The job's last row.
    pub(crate) last: bool,
    /// Raw mode: the row bypasses the search.
    pub(crate) raw: bool,
}

/// A finished m-tile on its way out (pending, queued or emitted): its first row (output
/// channel), rows, valid columns, and whether it is the job's last tile.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tile {
    m0: u32,
    rv: u32,
    nv: u32,
    last: bool,
}

/// The controller's registers.
#[derive(Debug, Clone)]
pub(crate) struct Ctrl {
    /// (used bits, stream width) of the weight and activation streams, for the padding check.
    padding: [(u32, u32); 2],
    thr_width: u32,
    state: State,
    // Job registers.
    m: u32,
    n: u32,
    kc: u32,
    kcw: u32,
    kca: u32,
    /// The job's RAW header bit.
    raw: bool,
    // Product table (LUT engines) load counters, `{mag, act}`.
    tmag: u32,
    tact: u32,
    // Load counters.
    row: u32,
    row_base: u32,
    off: u32,
    m_cnt: u32,
    beat: u32,
    thr_dir: bool,
    thr_shift: Vec<i64>,
    // The activation loader (beside the states): buffer, column and word being loaded, the
    // tile's valid columns, the job's columns after it; the buffers' full flags and the
    // buffer the compute reads.
    ld_busy: bool,
    ld_buf: u32,
    ld_col: u32,
    ld_off: u32,
    ld_nv: u32,
    ld_rest: u32,
    full: [bool; 2],
    cbuf: u32,
    /// Words of one buffer of an activation bank.
    a_buf: u32,
    // Tiles.
    n0: u32,
    nv: u32,
    m0: u32,
    mt_base: u32,
    // Compute issue.
    kc_idx: u32,
    kc_w: u32,
    kc_a: u32,
    i: u32,
    j: u32,
    /// The first cycle of an m-tile (its look-ahead registers are not yet valid: a tile's
    /// last step is not issued in it).
    fresh: bool,
    /// A finished tile waits for a result bank: its last step is on its way to the
    /// accumulators (`drain` counts the cycles until they hold it), or both banks are busy.
    pend: bool,
    drain: u32,
    /// The pending tile.
    pend_tile: Tile,
    // Emission of the tile in one of the PE array's result banks (independent of the state:
    // it overlaps the next tiles' compute).
    /// The emitted bank holds a tile not yet all accepted.
    em_busy: bool,
    /// The emitted tile.
    em: Tile,
    /// The result bank holding it.
    em_bank: u32,
    /// The other bank holds a tile queued for the emission.
    q_busy: bool,
    /// The queued tile.
    q: Tile,
    /// The bank the next snapshot writes.
    sw: u32,
    r_issue: u32,
    accepted: u32,
    e1_valid: bool,
    e1_row: u32,
    e1_last: bool,
}

impl Ctrl {
    /// The controller of engine `p` in reset state.
    pub(crate) fn new(p: &EngineParams) -> Self {
        Ctrl {
            padding: [
                (p.wt_used_width(), p.wt_stream_width()),
                (p.a_word(), p.act_stream_width()),
            ],
            thr_width: p.thr_width(),
            state: State::Idle,
            m: 0,
            n: 0,
            kc: 0,
            kcw: 0,
            kca: 0,
            raw: false,
            tmag: 0,
            tact: 0,
            row: 0,
            row_base: 0,
            off: 0,
            m_cnt: 0,
            beat: 0,
            thr_dir: false,
            thr_shift: vec![0; p.thresholds() as usize],
            ld_busy: false,
            ld_buf: 0,
            ld_col: 0,
            ld_off: 0,
            ld_nv: 0,
            ld_rest: 0,
            full: [false; 2],
            cbuf: 0,
            a_buf: p.a_buf_depth(),
            n0: 0,
            nv: 0,
            m0: 0,
            mt_base: 0,
            kc_idx: 0,
            kc_w: 0,
            kc_a: 0,
            i: 0,
            j: 0,
            fresh: false,
            pend: false,
            drain: 0,
            pend_tile: Tile::default(),
            em_busy: false,
            em: Tile::default(),
            em_bank: 0,
            q_busy: false,
            q: Tile::default(),
            sw: 0,
            r_issue: 0,
            accepted: 0,
            e1_valid: false,
            e1_row: 0,
            e1_last: false,
        }
    }

    /// The state.
    #[inline]
    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// The step at the plane and chunk counters is its tile's last.
    #[inline]
    fn last_step(&self, p: &EngineParams) -> bool {
        self.j + 1 == p.w_planes() && self.i + 1 == p.a_planes() && self.kc_idx + 1 == self.kc
    }

    /// A step is issued this cycle: a tile's steps go back to back, except that its first
    /// waits while a pending tile cannot take a result bank (both are busy: its
    /// accumulators would be overwritten before the snapshot), and its last waits for the
    /// pending slot and is never in the tile's first cycle (the look-ahead registers are
    /// valid from the second).
    #[inline]
    fn issuing(&self, p: &EngineParams) -> bool {
        let first = self.kc_idx == 0 && self.i == 0 && self.j == 0;
        self.state == State::Compute
            && (!first || !self.pend || !self.q_busy)
            && (!self.last_step(p) || (!self.pend && !self.fresh))
    }

    /// Whether the table loader is at a zero-level word (written with 0, no stream beat).
    #[inline]
    fn table_zero(&self) -> bool {
        self.tmag == 0 || self.tact == 0
    }

    /// `s_axis_wt_tready`; `out_empty`: the output skid register is empty (the RTL's `en`).
    #[inline]
    pub(crate) fn wt_ready(&self, out_empty: bool) -> bool {
        // A header waits until the previous job's rows are all out of the pipeline (its
        // thresholds are read until then) and of the output skid register.
        (self.state == State::Idle && !self.em_busy && !self.pend && !self.q_busy && out_empty)
            || matches!(self.state, State::LoadW | State::LoadT)
            || (self.state == State::LoadP && !self.table_zero())
    }

    /// The compute step issued this cycle and its weight and activation read addresses
    /// (unwrapped: out-of-range only on invalid steps).
    #[inline]
    pub(crate) fn issue(&self, p: &EngineParams) -> (Ctl, u32, u32) {
        let ctl = if self.issuing(p) {
            Ctl {
                valid: true,
                clear: self.kc_idx == 0 && self.i == 0 && self.j == 0,
                negate: p.negate(self.i, self.j),
                shift: self.i + self.j,
            }
        } else {
            Ctl::default()
        };
        (ctl, self.mt_base + self.kc_w + self.j, self.kc_a + self.i)
    }

    /// Clock edge of the state machine and its counters (the activation loader steps apart,
    /// [`Ctrl::step_loader`]). `wt_fire` is this cycle's header/weight handshake and `row_fire` a row leaving the output pipeline; protocol violations are pushed on `errors`.
    /// Returns the memory write of this edge, if any.
    pub(crate) fn step<'s, 'd: 's>(
        &'s mut self,
        p: &EngineParams,
        inp: &Inputs<'d>,
        (wt_fire, row_fire): (bool, bool),
        errors: &mut Vec<String>,
    ) -> Option<MemWrite<'s>> {
        let mut write = None;
        // Every decision below reads the registers before this edge.
        let issuing = self.issuing(p);
        self.step_pending(row_fire);
        match self.state {
            State::Idle => {
                if wt_fire {
                    self.load_header(p, inp, errors);
                }
            }
            State::LoadP => write = self.load_table(p, inp, wt_fire, errors),
            State::LoadW => {
                if wt_fire {
                    write = Some(self.load_weight(p, inp, errors));
                }
            }
            State::LoadT => {
                if wt_fire {
                    write = self.load_threshold(p, inp, errors);
                }
            }
            State::WaitA => {
                if self.full[self.cbuf as usize] {
                    self.start_m_tile(0, 0);
                }
            }
            State::Compute => self.step_compute(p, issuing),
        }
        write
    }

    /// Synchronous reset (the product table and threshold load registers, `tmag`, `tact`,
    /// `thr_dir`, `thr_shift`, and the `e1` row and last bits keep their values).
    pub(crate) fn reset(&mut self) {
        self.state = State::Idle;
        self.e1_valid = false;
        self.raw = false;
        (self.m, self.n, self.kc, self.m0, self.n0, self.nv) = (0, 0, 0, 0, 0, 0);
        (
            self.row,
            self.row_base,
            self.off,
            self.m_cnt,
            self.beat,
            self.ld_col,
        ) = (0, 0, 0, 0, 0, 0);
        (
            self.ld_busy,
            self.ld_buf,
            self.ld_off,
            self.ld_nv,
            self.ld_rest,
        ) = (false, 0, 0, 0, 0);
        (self.full, self.cbuf) = ([false; 2], 0);
        (
            self.kc_idx,
            self.kc_w,
            self.kc_a,
            self.i,
            self.j,
            self.mt_base,
        ) = (0, 0, 0, 0, 0, 0);
        (self.fresh, self.pend, self.drain) = (false, false, 0);
        (self.r_issue, self.accepted) = (0, 0);
        (self.pend_tile, self.em, self.q) = (Tile::default(), Tile::default(), Tile::default());
        (self.em_busy, self.q_busy, self.em_bank, self.sw) = (false, false, 0, 0);
        (self.kcw, self.kca) = (0, 0);
    }
}
