//! The controller's load states: the header (checked), the product table, the weight words,
//! the thresholds (shifted into a word, written per channel), each a write request for the
//! memories, with the `tlast` checks of the weight stream and the padding checks of both.

use hdl::params::EngineParams;

use super::{Ctrl, MemWrite};
use crate::engine::{bit, field, Inputs, State};

impl Ctrl {
    /// Idle: take a header beat (the job registers) or report it invalid.
    pub(super) fn load_header(&mut self, p: &EngineParams, inp: &Inputs, errors: &mut Vec<String>) {
        let d = inp.wt.data;
        let m = field(d, 0, p.m_field()) as u32;
        let n = field(d, p.m_field(), p.n_field()) as u32;
        let kc = field(d, p.m_field() + p.n_field(), p.kc_field()) as u32;
        let raw = field(d, p.raw_bit(), 1) == 1;
        if m == 0 || n == 0 || kc == 0 || m > p.max_m || n > p.max_n || kc > p.max_kc() {
            errors.push(format!("invalid header M={m} N={n} KC={kc}"));
        } else {
            (self.m, self.n, self.kc, self.raw) = (m, n, kc, raw);
            self.kcw = kc * p.w_planes();
            self.kca = kc * p.a_planes();
            (self.row, self.row_base, self.off, self.m_cnt) = (0, 0, 0, 0);
            self.start_loader(p, n);
            if p.is_lut() {
                (self.tmag, self.tact) = (0, 0);
                self.state = State::LoadP;
            } else {
                self.state = State::LoadW;
            }
        }
        if inp.wt.last {
            errors.push("tlast on a header beat".into());
        }
    }

    /// LoadP: write the next product table entry (0 at a zero level, without a beat).
    pub(super) fn load_table(
        &mut self,
        p: &EngineParams,
        inp: &Inputs,
        wt_fire: bool,
        errors: &mut Vec<String>,
    ) -> Option<MemWrite<'static>> {
        let mut write = None;
        let zero = self.table_zero();
        if zero || wt_fire {
            let value = if zero {
                0
            } else {
                field(inp.wt.data, 0, p.prod_bits())
            };
            let index = ((self.tmag << p.a_bits) | self.tact) as usize;
            write = Some(MemWrite::Table { index, value });
            if wt_fire && inp.wt.last {
                errors.push("tlast on a table beat".into());
            }
            if self.tact == p.a_nonzero() {
                self.tact = 0;
                if self.tmag == p.w_mags() {
                    self.state = State::LoadW;
                } else {
                    self.tmag += 1;
                }
            } else {
                self.tact += 1;
            }
        }
        write
    }

    /// LoadW: write a weight word.
    pub(super) fn load_weight<'d>(
        &mut self,
        p: &EngineParams,
        inp: &Inputs<'d>,
        errors: &mut Vec<String>,
    ) -> MemWrite<'d> {
        let write = MemWrite::Weight {
            addr: self.row_base + self.off,
            row: self.row,
            data: inp.wt.data,
        };
        let final_beat = self.raw && self.off + 1 == self.kcw && self.m_cnt + 1 == self.m;
        if inp.wt.last != final_beat {
            errors.push(format!(
                "tlast {} on weight beat {} of channel {}",
                inp.wt.last, self.off, self.m_cnt
            ));
        }
        if self.off + 1 == self.kcw {
            self.off = 0;
            if self.row + 1 == p.dm {
                self.row = 0;
                self.row_base += self.kcw;
            } else {
                self.row += 1;
            }
            if self.m_cnt + 1 == self.m {
                self.m_cnt = 0;
                self.beat = 0;
                if self.raw {
                    // No thresholds in raw mode.
                    self.start_n_tile(p, 0, self.cbuf);
                } else {
                    self.state = State::LoadT;
                }
            } else {
                self.m_cnt += 1;
            }
        } else {
            self.off += 1;
        }
        write
    }

    /// LoadT: a direction beat or one threshold; a channel's last threshold writes its word.
    pub(super) fn load_threshold(
        &mut self,
        p: &EngineParams,
        inp: &Inputs,
        errors: &mut Vec<String>,
    ) -> Option<MemWrite<'_>> {
        let mut write = None;
        let d = inp.wt.data;
        let tw = self.thr_width;
        let t = p.thresholds();
        let final_beat = self.beat == t && self.m_cnt + 1 == self.m;
        if inp.wt.last != final_beat {
            errors.push(format!(
                "tlast {} on threshold beat {} of channel {}",
                inp.wt.last, self.beat, self.m_cnt
            ));
        }
        if self.beat == 0 {
            self.thr_dir = field(d, 0, 1) == 1;
            self.beat = 1;
        } else {
            let v = hdl::params::sign_extend(field(d, 0, tw) as i64, tw);
            self.thr_shift.rotate_left(1);
            let tl = self.thr_shift.len();
            self.thr_shift[tl - 1] = v;
            if self.beat == t {
                let channel = self.m_cnt as usize;
                self.beat = 0;
                if self.m_cnt + 1 == self.m {
                    self.m_cnt = 0;
                    self.start_n_tile(p, 0, self.cbuf);
                } else {
                    self.m_cnt += 1;
                }
                write = Some(MemWrite::Thr {
                    channel,
                    descending: self.thr_dir,
                    t: &self.thr_shift,
                });
            } else {
                self.beat += 1;
            }
        }
        write
    }

    /// The padding check: bits of a valid beat above the used width must be zero.
    pub(crate) fn check_padding(&self, inp: &Inputs, errors: &mut Vec<String>) {
        let [(wt_used, wt_width), (act_used, act_width)] = self.padding;
        for (name, beat, used, width) in [
            ("s_axis_wt", &inp.wt, wt_used, wt_width),
            ("s_axis_act", &inp.act, act_used, act_width),
        ] {
            if used == width {
                continue;
            }
            if beat.valid && (used..width).any(|b| bit(beat.data, b) == 1) {
                errors.push(format!("{name}: padding bits above {used} are not zero"));
            }
        }
    }
}
