//! The controller's pending tile and emission (beside the state machine): the snapshot that
//! hands a finished tile to one of two result banks (emitted at once or queued), the row
//! issue into the output pipeline (`e1`) and the accepted-row count that frees a bank.

use hdl::params::EngineParams;

use super::{Ctrl, EmitRow, Tile};

impl Ctrl {
    /// Valid columns of the tile being emitted (`cols_valid`).
    #[inline]
    pub(crate) fn cols_valid(&self) -> u32 {
        self.em.nv
    }

    /// A result bank takes the accumulators at this edge (`snap`): the accumulators hold the
    /// pending tile's last step and a bank is free (no tile queued; the next tile's first
    /// step may reach the accumulators at this same edge).
    #[inline]
    pub(crate) fn snap(&self) -> bool {
        self.pend && self.drain == 0 && !self.q_busy
    }

    /// The bank `snap` writes.
    #[inline]
    pub(crate) fn snap_bank(&self) -> usize {
        self.sw as usize
    }

    /// The bank the emitted rows come from.
    #[inline]
    pub(crate) fn row_bank(&self) -> usize {
        self.em_bank as usize
    }

    /// The row the `e1` registers present to the emission pipeline.
    #[inline]
    pub(crate) fn emit_row(&self) -> EmitRow {
        EmitRow {
            valid: self.e1_valid,
            row: self.e1_row as usize,
            last: self.e1_last,
            raw: self.raw,
        }
    }

    /// Clock edge of the emission counters (only while the emission pipeline is enabled):
    /// issue the next row of the m-tile. Returns the threshold memory's next read address,
    /// the channel of that row.
    #[inline]
    pub(crate) fn step_emit(&mut self, p: &EngineParams) -> usize {
        let rv = self.em.rv;
        let issue = self.em_busy && self.r_issue < rv;
        let thr = ((self.em.m0 + self.r_issue) % p.max_m) as usize;
        self.e1_valid = issue;
        self.e1_row = self.r_issue % p.dm;
        self.e1_last = issue && self.r_issue + 1 == rv && self.em.last;
        if issue {
            self.r_issue += 1;
        }
        thr
    }

    /// Clock edge of the pending tile, the queue and the emission's accepted count: the
    /// snapshot (into the emission at once, or queued), the drain count down to it,
    /// `row_fire` (a row leaves the output pipeline), and the queued tile's emission when the emitted one is done.
    pub(super) fn step_pending(&mut self, row_fire: bool) {
        // Every decision reads the registers before this edge.
        let done = row_fire && self.accepted + 1 == self.em.rv;
        let (snap, em_busy, q_busy) = (self.snap(), self.em_busy, self.q_busy);
        if row_fire {
            if done {
                self.em_busy = false;
            } else {
                self.accepted += 1;
            }
        }
        if done && q_busy {
            self.start_em(self.q, self.em_bank ^ 1);
            self.q_busy = false;
        }
        if snap {
            self.pend = false;
            if !em_busy || done {
                self.start_em(self.pend_tile, self.sw);
            } else {
                self.q_busy = true;
                self.q = self.pend_tile;
            }
            self.sw ^= 1;
        } else if self.pend && self.drain > 0 {
            self.drain -= 1;
        }
    }

    /// The emission of `tile` from `bank` starts.
    fn start_em(&mut self, tile: Tile, bank: u32) {
        self.em_busy = true;
        self.em = tile;
        self.em_bank = bank;
        self.r_issue = 0;
        self.accepted = 0;
    }
}
