//! The controller's pending tile and emission (beside the state machine): the snapshot that
//! hands a finished tile to the result registers, the row issue into the output pipeline
//! (`e1`) and the accepted-row count that frees the result registers.

use hdl::params::EngineParams;

use super::{Ctrl, EmitRow};

impl Ctrl {
    /// Valid columns of the tile being emitted (`cols_valid`).
    #[inline]
    pub(crate) fn cols_valid(&self) -> u32 {
        self.em_nv
    }

    /// The result registers take the accumulators at this edge (`snap`): the accumulators
    /// hold the pending tile's last step and the previous tile's rows are all accepted (the
    /// next tile's first step may reach the accumulators at this same edge).
    #[inline]
    pub(crate) fn snap(&self) -> bool {
        self.pend && self.drain == 0 && !self.em_busy
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
        let rv = self.em_rv;
        let issue = self.em_busy && self.r_issue < rv;
        let thr = ((self.em_m0 + self.r_issue) % p.max_m) as usize;
        self.e1_valid = issue;
        self.e1_row = self.r_issue % p.dm;
        self.e1_last = issue && self.r_issue + 1 == rv && self.em_last;
        if issue {
            self.r_issue += 1;
        }
        thr
    }

    /// Clock edge of the pending tile and the emission's accepted count: the snapshot (the
    /// pending tile's emission starts), the drain count down to it, and `out_fire`.
    pub(super) fn step_pending(&mut self, out_fire: bool) {
        if self.snap() {
            // The snapshot: the pending tile's emission starts.
            self.pend = false;
            self.em_busy = true;
            (self.em_m0, self.em_rv, self.em_nv, self.em_last) =
                (self.pend_m0, self.pend_rv, self.pend_nv, self.pend_last);
            self.r_issue = 0;
            self.accepted = 0;
        } else if self.pend && self.drain > 0 {
            self.drain -= 1;
        }
        if out_fire {
            if self.accepted + 1 == self.em_rv {
                self.em_busy = false;
            } else {
                self.accepted += 1;
            }
        }
    }
}
