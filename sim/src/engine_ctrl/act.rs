//! The controller's activation loader, beside the state machine: from the job's header on,
//! n-tile `t` is written into buffer `t mod 2` of every activation bank while the compute
//! reads the other buffer; a full flag per buffer hands it over (set by the tile's last word,
//! cleared when the n-tile's last step is issued).

use hdl::params::EngineParams;

use super::{Ctrl, MemWrite};
use crate::engine::Inputs;

impl Ctrl {
    /// `s_axis_act_tready`: the loader has a tile to load and its buffer is free.
    #[inline]
    pub(crate) fn act_ready(&self) -> bool {
        self.ld_busy && !self.full[self.ld_buf as usize]
    }

    /// The loader's start at a header of `n` columns (both buffers empty).
    pub(super) fn start_loader(&mut self, p: &EngineParams, n: u32) {
        self.ld_busy = true;
        (self.ld_buf, self.ld_col, self.ld_off) = (0, 0, 0);
        self.ld_nv = p.dn.min(n);
        self.ld_rest = n.saturating_sub(p.dn);
        self.full = [false; 2];
        self.cbuf = 0;
    }

    /// Clock edge of the loader: on `act_fire`, write the beat's word into its column's
    /// buffer (checking `tlast` on each tile's last word) and advance.
    pub(crate) fn step_loader<'d>(
        &mut self,
        p: &EngineParams,
        inp: &Inputs<'d>,
        act_fire: bool,
        errors: &mut Vec<String>,
    ) -> Option<MemWrite<'d>> {
        if !act_fire {
            return None;
        }
        let write = MemWrite::Act {
            addr: self.ld_buf * self.a_buf + self.ld_off,
            col: self.ld_col,
            data: inp.act.data,
        };
        let tile_last = self.ld_off + 1 == self.kca && self.ld_col + 1 == self.ld_nv;
        if inp.act.last != tile_last {
            errors.push(format!(
                "tlast {} on activation beat (column {}, word {})",
                inp.act.last, self.ld_col, self.ld_off
            ));
        }
        if self.ld_off + 1 < self.kca {
            self.ld_off += 1;
        } else {
            self.ld_off = 0;
            if self.ld_col + 1 < self.ld_nv {
                self.ld_col += 1;
            } else {
                self.ld_col = 0;
                self.full[self.ld_buf as usize] = true;
                self.ld_buf ^= 1;
                self.ld_busy = self.ld_rest != 0;
                self.ld_nv = p.dn.min(self.ld_rest);
                self.ld_rest = self.ld_rest.saturating_sub(p.dn);
            }
        }
        Some(write)
    }
}
