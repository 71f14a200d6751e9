//! A GEMM job for an engine and its streams: weight codes, activation codes, per-channel
//! integer thresholds and (LUT engines) the layer's integer levels, packed into AXI4-Stream
//! beats exactly as the engine reads them, and the output beats the golden integer reference
//! (`quant`) says must come back. The packing into beats is in `job/streams.rs`.

use hdl::params::EngineParams;
use quant::fold::ChannelThresholds;

mod streams;

/// One stream beat: data words (little-endian) and `tlast`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// `tdata`.
    pub data: Vec<u64>,
    /// `tlast`.
    pub last: bool,
}

/// An output beat: `m_axis_out_tdata` as packed 64-bit words
/// ([`EngineParams::out_stream_width`] bits, decode with [`EngineParams::out_fields`]) and
/// `tlast`.
pub type OutBeat = (Vec<u64>, bool);

/// A job: `C = W·A` with `W` `M×K` and `A` `K×N` given as engine code bits, and either one
/// bank of thresholds per output channel (code mode) or none (raw mode: the engine returns
/// the accumulators).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Output channels.
    pub m: u32,
    /// Dot-product length.
    pub k: u32,
    /// Output pixels.
    pub n: u32,
    /// Weight code bits, `M×K` row-major.
    pub w_codes: Vec<u32>,
    /// Activation code bits, `K×N` row-major.
    pub a_codes: Vec<u32>,
    /// Thresholds per output channel (`2^out_bits − 1` each); empty in raw mode.
    pub thresholds: Vec<ChannelThresholds>,
    /// Raw mode: no thresholds are sent and every output beat carries the row's `dn`
    /// accumulators instead of codes.
    pub raw: bool,
    /// The layer's integer levels (LUT engines only; `None` for the bit-serial engine).
    pub levels: Option<LutLevels>,
}

/// A LUT-engine layer's integer levels: weight code `{s, j}` means `(−1)^s · w_mag[j − 1]`
/// (0 when j = 0), activation code `c` means `a_level[c − 1]` (0 when c = 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LutLevels {
    /// Weight magnitudes, `2^(w_bits−1) − 1` of them.
    pub w_mag: Vec<u64>,
    /// Non-zero activation levels, `2^a_bits − 1` of them.
    pub a_level: Vec<u64>,
}

impl LutLevels {
    /// The product table in load order: magnitude-major, `w_mag[j] · a_level[c]`.
    pub fn products(&self) -> Vec<u64> {
        self.w_mag
            .iter()
            .flat_map(|&w| self.a_level.iter().map(move |&a| w * a))
            .collect()
    }

    /// The signed level of weight code `code` (`w_bits` bits).
    pub fn w_level(&self, code: u32, w_bits: u32) -> i64 {
        let (negative, mag) = hdl::params::sign_mag(code, w_bits);
        if mag == 0 {
            return 0;
        }
        let v = self.w_mag[mag as usize - 1] as i64;
        if negative {
            -v
        } else {
            v
        }
    }

    /// The level of activation code `code`.
    pub fn a_level(&self, code: u32) -> i64 {
        if code == 0 {
            0
        } else {
            self.a_level[code as usize - 1] as i64
        }
    }
}

impl Job {
    /// Check the job against the engine's limits; errors name the field.
    pub fn validate(&self, p: &EngineParams) -> Result<(), String> {
        self.validate_with(p, None)
    }

    /// [`Job::validate`] with the job's accumulators ([`Job::accumulators`]) already computed
    /// (raw jobs check them against the output field; `None` computes them when needed).
    pub fn validate_with(&self, p: &EngineParams, acc: Option<&[i64]>) -> Result<(), String> {
        if self.m == 0 || self.m > p.max_m {
            return Err(format!("M: must be in 1..={}, got {}", p.max_m, self.m));
        }
        if self.k == 0 || self.k > p.max_k {
            return Err(format!("K: must be in 1..={}, got {}", p.max_k, self.k));
        }
        if self.n == 0 || self.n > p.max_n {
            return Err(format!("N: must be in 1..={}, got {}", p.max_n, self.n));
        }
        let (m, k, n) = (self.m as usize, self.k as usize, self.n as usize);
        if self.w_codes.len() != m * k || self.a_codes.len() != k * n {
            return Err(format!(
                "codes: need M×K = {} weights and K×N = {} activations",
                m * k,
                k * n
            ));
        }
        if let Some(i) = self.w_codes.iter().position(|&c| c >> p.w_bits != 0) {
            return Err(format!(
                "w_codes[{i}]: {} does not fit {} bits",
                self.w_codes[i], p.w_bits
            ));
        }
        if let Some(i) = self.a_codes.iter().position(|&c| c >> p.a_bits != 0) {
            return Err(format!(
                "a_codes[{i}]: {} does not fit {} bits",
                self.a_codes[i], p.a_bits
            ));
        }
        if self.raw {
            if !self.thresholds.is_empty() {
                return Err(format!(
                    "thresholds: a raw-mode job takes none, got {}",
                    self.thresholds.len()
                ));
            }
        } else if self.thresholds.len() != m {
            return Err(format!(
                "thresholds: need M = {m} channels, got {}",
                self.thresholds.len()
            ));
        }
        match (&self.levels, p.is_lut()) {
            (None, true) => return Err("levels: a LUT engine job needs its integer levels".into()),
            (Some(_), false) => {
                return Err("levels: the bit-serial engine takes no level table".into())
            }
            (Some(l), true) => {
                if l.w_mag.len() != p.w_mags() as usize {
                    return Err(format!(
                        "levels.w_mag: need {} weight magnitudes, got {}",
                        p.w_mags(),
                        l.w_mag.len()
                    ));
                }
                if l.a_level.len() != p.a_nonzero() as usize {
                    return Err(format!(
                        "levels.a_level: need {} activation levels, got {}",
                        p.a_nonzero(),
                        l.a_level.len()
                    ));
                }
                let limit = (1u128 << p.prod_bits()) - 1;
                if let Some(v) = l.products().iter().find(|&&v| v as u128 > limit) {
                    return Err(format!(
                        "levels: product {v} does not fit the {}-bit table entries",
                        p.prod_bits()
                    ));
                }
            }
            (None, false) => {}
        }
        if self.raw {
            let aw = p.acc_width();
            let (lo, hi) = (-(1i64 << (aw - 1)), (1i64 << (aw - 1)) - 1);
            let owned;
            let acc = match acc {
                Some(a) => a,
                None => {
                    owned = self.accumulators(p);
                    &owned
                }
            };
            if let Some(i) = acc.iter().position(|&v| v < lo || v > hi) {
                return Err(format!(
                    "accumulator C[{}][{}] does not fit the {aw}-bit output field",
                    i / n,
                    i % n
                ));
            }
        }
        let tw = p.thr_width();
        let (lo, hi) = (-(1i64 << (tw - 1)), (1i64 << (tw - 1)) - 1);
        for (c, t) in self.thresholds.iter().enumerate() {
            if t.t.len() != p.thresholds() as usize {
                return Err(format!(
                    "thresholds[{c}]: need {} values, got {}",
                    p.thresholds(),
                    t.t.len()
                ));
            }
            if let Some(v) = t.t.iter().find(|&&v| v < lo || v > hi) {
                return Err(format!("thresholds[{c}]: {v} does not fit {tw} bits"));
            }
        }
        Ok(())
    }

    /// Chunks of `dk` bits covering K.
    pub fn kc(&self, p: &EngineParams) -> u32 {
        self.k.div_ceil(p.dk)
    }

    /// Both input streams and the expected output beats.
    pub fn streams(&self, p: &EngineParams) -> (Vec<Packet>, Vec<Packet>, Vec<OutBeat>) {
        (self.wt_stream(p), self.act_stream(p), self.expected(p))
    }

    /// Exact accumulators `C = W·A` over the engine's integer levels (the foundation's GEMM).
    pub fn accumulators(&self, p: &EngineParams) -> Vec<i64> {
        let (w, a): (Vec<i64>, Vec<i64>) = match &self.levels {
            Some(l) => (
                self.w_codes
                    .iter()
                    .map(|&c| l.w_level(c, p.w_bits))
                    .collect(),
                self.a_codes.iter().map(|&c| l.a_level(c)).collect(),
            ),
            None => (
                self.w_codes.iter().map(|&c| p.w_level(c)).collect(),
                self.a_codes.iter().map(|&c| p.a_level(c)).collect(),
            ),
        };
        quant::gemm::gemm(&w, &a, self.m as usize, self.k as usize, self.n as usize)
    }

    /// The output beats the engine must send: per n-tile, m-tile and row, `dn` codes (or `dn`
    /// exact accumulators in raw mode), packed as the engine drives `m_axis_out_tdata`.
    pub fn expected(&self, p: &EngineParams) -> Vec<OutBeat> {
        self.expected_from(p, &self.accumulators(p))
    }

    /// [`Job::expected`] from the job's accumulators ([`Job::accumulators`]), computed once
    /// by a caller that needs them too.
    pub fn expected_from(&self, p: &EngineParams, acc: &[i64]) -> Vec<OutBeat> {
        let n = self.n as usize;
        let mut out = Vec::new();
        for n0 in (0..self.n).step_by(p.dn as usize) {
            for m0 in (0..self.m).step_by(p.dm as usize) {
                for m in m0..(m0 + p.dm).min(self.m) {
                    let fields: Vec<i64> = (0..p.dn)
                        .map(|c| {
                            let col = n0 + c;
                            if col >= self.n {
                                0
                            } else if self.raw {
                                acc[m as usize * n + col as usize]
                            } else {
                                self.thresholds[m as usize]
                                    .index(acc[m as usize * n + col as usize])
                                    as i64
                            }
                        })
                        .collect();
                    out.push((p.out_words(&fields, self.raw), false));
                }
            }
        }
        if let Some(last) = out.last_mut() {
            last.1 = true;
        }
        out
    }
}
