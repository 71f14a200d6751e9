//! Packing a [`Job`] into the engine's input streams, beat by beat as the engine reads them:
//! the weight/threshold stream (header, product table, weight words, thresholds) and the
//! activation stream (per n-tile, each column's words).

use hdl::params::EngineParams;
use quant::fold::Direction;

use super::{Job, Packet};

fn set_bit(words: &mut [u64], i: u32) {
    words[(i / 64) as usize] |= 1 << (i % 64);
}

fn words_for(width: u32) -> usize {
    width.div_ceil(64) as usize
}

impl Job {
    fn plane_word(p: &EngineParams, bits: impl Iterator<Item = bool>, width: u32) -> Vec<u64> {
        let mut w = vec![0u64; words_for(width)];
        for (b, on) in bits.enumerate().take(p.dk as usize) {
            if on {
                set_bit(&mut w, b as u32);
            }
        }
        w
    }

    /// A word of `dk` whole codes of `bits` bits (lane `l` at `[l·bits +: bits]`).
    fn code_word(
        p: &EngineParams,
        codes: impl Iterator<Item = u32>,
        bits: u32,
        width: u32,
    ) -> Vec<u64> {
        let mut w = vec![0u64; words_for(width)];
        for (l, c) in codes.enumerate().take(p.dk as usize) {
            for b in 0..bits {
                if (c >> b) & 1 == 1 {
                    set_bit(&mut w, l as u32 * bits + b);
                }
            }
        }
        w
    }

    /// The weight/threshold stream: header, product table (LUT engines), weight words, then
    /// thresholds (code mode only); `tlast` on the stream's last beat.
    pub fn wt_stream(&self, p: &EngineParams) -> Vec<Packet> {
        let width = p.wt_stream_width();
        let kc = self.kc(p);
        let mut out = Vec::new();
        let h = p.header(self.m, self.n, kc, self.raw);
        let mut hw = vec![0u64; words_for(width)];
        hw[0] = h as u64;
        if hw.len() > 1 {
            hw[1] = (h >> 64) as u64;
        }
        out.push(Packet {
            data: hw,
            last: false,
        });
        if let Some(l) = &self.levels {
            for v in l.products() {
                let mut w = vec![0u64; words_for(width)];
                w[0] = v;
                out.push(Packet {
                    data: w,
                    last: false,
                });
            }
        }
        for m in 0..self.m {
            for c in 0..kc {
                if p.is_lut() {
                    let codes = (0..p.dk).map(|b| {
                        let k = c * p.dk + b;
                        if k < self.k {
                            self.w_codes[(m * self.k + k) as usize]
                        } else {
                            0
                        }
                    });
                    out.push(Packet {
                        data: Self::code_word(p, codes, p.w_bits, width),
                        last: false,
                    });
                    continue;
                }
                for j in 0..p.w_bits {
                    let bits = (0..p.dk).map(|b| {
                        let k = c * p.dk + b;
                        k < self.k && (self.w_codes[(m * self.k + k) as usize] >> j) & 1 == 1
                    });
                    out.push(Packet {
                        data: Self::plane_word(p, bits, width),
                        last: false,
                    });
                }
            }
        }
        let tw = p.thr_width();
        for (c, t) in self.thresholds.iter().enumerate() {
            let mut dir = vec![0u64; words_for(width)];
            dir[0] = (t.direction == Direction::Descending) as u64;
            out.push(Packet {
                data: dir,
                last: false,
            });
            for (i, &v) in t.t.iter().enumerate() {
                let mut w = vec![0u64; words_for(width)];
                let bits = (v as u64) & if tw == 64 { u64::MAX } else { (1u64 << tw) - 1 };
                w[0] = bits;
                let last = c + 1 == self.thresholds.len() && i + 1 == t.t.len();
                out.push(Packet { data: w, last });
            }
        }
        if self.raw {
            // No thresholds: the last weight word ends the stream.
            if let Some(l) = out.last_mut() {
                l.last = true;
            }
        }
        out
    }

    /// The activation stream: per n-tile, each column's chunk/plane words.
    pub fn act_stream(&self, p: &EngineParams) -> Vec<Packet> {
        let width = p.act_stream_width();
        let kc = self.kc(p);
        let mut out = Vec::new();
        for n0 in (0..self.n).step_by(p.dn as usize) {
            let nv = p.dn.min(self.n - n0);
            for col in 0..nv {
                for c in 0..kc {
                    if p.is_lut() {
                        let codes = (0..p.dk).map(|b| {
                            let k = c * p.dk + b;
                            if k < self.k {
                                self.a_codes[(k * self.n + n0 + col) as usize]
                            } else {
                                0
                            }
                        });
                        out.push(Packet {
                            data: Self::code_word(p, codes, p.a_bits, width),
                            last: col + 1 == nv && c + 1 == kc,
                        });
                        continue;
                    }
                    for i in 0..p.a_bits {
                        let bits = (0..p.dk).map(|b| {
                            let k = c * p.dk + b;
                            k < self.k
                                && (self.a_codes[(k * self.n + n0 + col) as usize] >> i) & 1 == 1
                        });
                        let last = col + 1 == nv && c + 1 == kc && i + 1 == p.a_bits;
                        out.push(Packet {
                            data: Self::plane_word(p, bits, width),
                            last,
                        });
                    }
                }
            }
        }
        out
    }
}
