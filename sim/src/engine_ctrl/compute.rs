//! The controller's compute state: the plane and chunk counters stepped by each issued step,
//! a finished tile handed to the emission (pending), and the next m-tile or n-tile started
//! (an n-tile on its activation buffer, at once when the loader has filled it).

use hdl::params::EngineParams;

use super::{Ctrl, Tile};
use crate::engine::State;

impl Ctrl {
    /// The compute state's edge: advance the plane and chunk counters by the step issued;
    /// after a tile's last step, hand the tile to the emission (pending until its last step
    /// reaches the accumulators) and go on to the next tile.
    #[inline]
    pub(super) fn step_compute(&mut self, p: &EngineParams, issuing: bool) {
        self.fresh = false;
        if !issuing {
            return;
        }
        if self.j + 1 < p.w_planes() {
            self.j += 1;
            return;
        }
        self.j = 0;
        if self.i + 1 < p.a_planes() {
            self.i += 1;
            return;
        }
        self.i = 0;
        if self.kc_idx + 1 < self.kc {
            self.kc_idx += 1;
            self.kc_w += p.w_planes();
            self.kc_a += p.a_planes();
            return;
        }
        let (m_more, n_more) = (self.m0 + p.dm < self.m, self.n0 + p.dn < self.n);
        if !m_more {
            // The n-tile's last step: its buffer goes back to the loader; the job's last: the
            // loader is done and both buffers are free (as the RTL writes it).
            self.full[self.cbuf as usize] = false;
            if !n_more {
                (self.full, self.ld_busy) = ([false; 2], false);
            }
        }
        self.pend = true;
        self.drain = p.dpu_latency() + 1;
        self.pend_tile = Tile {
            m0: self.m0,
            rv: p.dm.min(self.m - self.m0),
            nv: self.nv,
            last: !m_more && !n_more,
        };
        if m_more {
            self.start_m_tile(self.m0 + p.dm, self.mt_base + self.kcw);
        } else if n_more {
            self.start_n_tile(p, self.n0 + p.dn, self.cbuf ^ 1);
        } else {
            self.state = State::Idle;
        }
    }

    /// Start n-tile `n0` on activation buffer `buf`: compute at once if the loader has filled
    /// it (the flags before this edge), else wait for it.
    pub(super) fn start_n_tile(&mut self, p: &EngineParams, n0: u32, buf: u32) {
        self.n0 = n0;
        self.nv = p.dn.min(self.n - n0);
        self.cbuf = buf;
        if self.full[buf as usize] {
            self.start_m_tile(0, 0);
        } else {
            self.state = State::WaitA;
        }
    }

    /// Start m-tile `m0` (weights from `mt_base`, activations from the compute's buffer).
    pub(super) fn start_m_tile(&mut self, m0: u32, mt_base: u32) {
        self.m0 = m0;
        self.mt_base = mt_base;
        (self.kc_idx, self.kc_w, self.i, self.j) = (0, 0, 0, 0);
        self.kc_a = self.cbuf * self.a_buf;
        self.fresh = true;
        self.state = State::Compute;
    }
}
