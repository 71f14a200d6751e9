//! An engine's stream layouts (part of [`crate::params::EngineParams`]): the widths of the
//! three AXI4-Stream `tdata`s, the job header's fields, and the output beat's fields.

use crate::params::{sign_extend, EngineParams};
use crate::popcount::ubits;

impl EngineParams {
    /// Width of one threshold-memory word: `thresholds()` thresholds and a direction bit.
    pub fn thr_word_width(&self) -> u32 {
        self.thresholds() * self.thr_width() + 1
    }

    /// Bits of the weight/threshold stream that carry data: a weight word, a threshold, the
    /// header or a table entry, whichever is widest.
    pub fn wt_used_width(&self) -> u32 {
        self.w_word()
            .max(self.thr_width())
            .max(self.header_width())
            .max(self.prod_bits())
    }

    /// Width of the weight/threshold stream ([`Self::wt_used_width`] rounded to bytes).
    pub fn wt_stream_width(&self) -> u32 {
        round8(self.wt_used_width())
    }

    /// Width of the activation stream (one activation memory word per beat).
    pub fn act_stream_width(&self) -> u32 {
        round8(self.a_word())
    }

    /// Width of the output stream: `dn` codes of `out_bits` (code mode) or `dn` accumulators
    /// of [`Self::acc_width`] (raw mode), whichever is wider, rounded to bytes.
    pub fn out_stream_width(&self) -> u32 {
        round8((self.dn * self.out_bits).max(self.dn * self.acc_width()))
    }

    /// Bits of one output field: `acc_width` in raw mode, `out_bits` in code mode.
    pub fn out_field_width(&self, raw: bool) -> u32 {
        if raw {
            self.acc_width()
        } else {
            self.out_bits
        }
    }

    /// Decode an output beat's `m_axis_out_tdata` words into its `dn` fields: codes (code
    /// mode, column c at `[c·out_bits +: out_bits]`) or sign-extended accumulators (raw mode,
    /// `[c·acc_width +: acc_width]`). Missing words read as 0.
    pub fn out_fields(&self, words: &[u64], raw: bool) -> Vec<i64> {
        let w = self.out_field_width(raw);
        (0..self.dn)
            .map(|c| {
                let v = (0..w)
                    .map(|b| {
                        let i = c * w + b;
                        words
                            .get((i / 64) as usize)
                            .map_or(0, |x| (x >> (i % 64)) & 1)
                            << b
                    })
                    .sum::<u64>() as i64;
                if raw {
                    sign_extend(v, w)
                } else {
                    v
                }
            })
            .collect()
    }

    /// Pack up to `dn` output fields (codes, or accumulators in two's complement) into
    /// `m_axis_out_tdata` words, the inverse of [`Self::out_fields`]; missing fields are 0.
    pub fn out_words(&self, fields: &[i64], raw: bool) -> Vec<u64> {
        let w = self.out_field_width(raw);
        let mut out = vec![0u64; self.out_stream_width().div_ceil(64) as usize];
        for (c, &v) in fields.iter().enumerate().take(self.dn as usize) {
            for b in 0..w {
                if (v >> b) & 1 == 1 {
                    let i = c as u32 * w + b;
                    out[(i / 64) as usize] |= 1 << (i % 64);
                }
            }
        }
        out
    }

    /// Bits of each header field: M, N and KC.
    pub fn m_field(&self) -> u32 {
        ubits(self.max_m as u64)
    }
    /// Bits of the N field.
    pub fn n_field(&self) -> u32 {
        ubits(self.max_n as u64)
    }
    /// Bits of the KC field.
    pub fn kc_field(&self) -> u32 {
        ubits(self.max_kc() as u64)
    }

    /// Header layout: `{RAW, KC, N, M}` (M from bit 0 up, the RAW mode bit on top).
    pub fn header_width(&self) -> u32 {
        self.raw_bit() + 1
    }

    /// Position of the header's RAW bit: just above KC.
    pub fn raw_bit(&self) -> u32 {
        self.m_field() + self.n_field() + self.kc_field()
    }

    /// Pack a job header; `raw` asks for raw accumulators instead of threshold codes.
    pub fn header(&self, m: u32, n: u32, kc: u32, raw: bool) -> u128 {
        (m as u128)
            | ((n as u128) << self.m_field())
            | ((kc as u128) << (self.m_field() + self.n_field()))
            | ((raw as u128) << self.raw_bit())
    }
}

/// `w` rounded up to whole bytes.
fn round8(w: u32) -> u32 {
    w.div_ceil(8) * 8
}
