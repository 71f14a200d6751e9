//! What a network runs on: the precision policy (weight/activation bits of the quantized
//! layers, the first conv's and last layer's precision, 32-bit float BatchNorm) and the engine
//! (kind, array, clock). Reports read one `Policy`.

use anyhow::{anyhow, bail, Result};
use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};

use crate::engine_limits;
use crate::network::{Gemm, Network};

/// Which engine runs the quantized layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// Bit-serial popcount engine (uniform codes).
    BitSerial,
    /// LUT-multiplier engine (non-uniform levels).
    Lut,
}

/// Precision policy and engine for a whole network.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Weight bits of the quantized layers.
    pub w_bits: u32,
    /// Activation bits of the quantized layers.
    pub a_bits: u32,
    /// Bits of the first conv and the last layer (weights and bias); 32 means float.
    pub first_last_bits: u32,
    /// Engine of the quantized layers (first/last layers at ≤ 8 bits run on a bit-serial
    /// engine of the same array).
    pub engine: EngineKind,
    /// Array rows.
    pub dm: u32,
    /// Array columns.
    pub dn: u32,
    /// Bits per DPU per cycle, or lanes per LUT PE.
    pub dk: u32,
    /// Clock.
    pub clock_mhz: f64,
    /// Table entry bits of the LUT engine (LCQ with b' = 8: 15).
    pub prod_bits: u32,
}

/// Role of a compute layer under the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The first conv, at `first_last_bits`; its outputs feed a quantized layer.
    First,
    /// The last layer, at `first_last_bits` in and out.
    Last,
    /// A quantized layer.
    Quantized,
}

impl Policy {
    /// Parse `W/A` bits, e.g. `2/2`.
    pub fn parse_bits(s: &str) -> Result<(u32, u32)> {
        let (w, a) = s
            .split_once('/')
            .ok_or_else(|| anyhow!("--bits: expected W/A such as 2/2, got {s:?}"))?;
        let p = |x: &str, what: &str| -> Result<u32> {
            let v: u32 = x
                .trim()
                .parse()
                .map_err(|_| anyhow!("--bits: {what} bits {x:?} is not a number"))?;
            if !(1..=8).contains(&v) {
                bail!("--bits: {what} bits must be in 1..=8, got {v}");
            }
            Ok(v)
        };
        Ok((p(w, "weight")?, p(a, "activation")?))
    }

    /// The engine's name on the command line: `bitserial` or `lut`.
    pub fn engine_name(&self) -> &'static str {
        match self.engine {
            EngineKind::BitSerial => "bitserial",
            EngineKind::Lut => "lut",
        }
    }

    /// The array as `DmxDnxDk`.
    pub fn array_name(&self) -> String {
        format!("{}x{}x{}", self.dm, self.dn, self.dk)
    }

    /// Check the policy; errors name the flag.
    pub fn validate(&self) -> Result<()> {
        if !(1..=8).contains(&self.first_last_bits) && self.first_last_bits != 32 {
            bail!(
                "--first-last-bits: must be 1..=8 or 32 (float), got {}",
                self.first_last_bits
            );
        }
        engine_limits::clock("--clock-mhz", self.clock_mhz)?;
        engine_limits::array(
            ["--array: dm", "--array: dn", "--array: dk"],
            (self.dm, self.dn, self.dk),
        )?;
        engine_limits::prod_bits("--prod-bits", self.prod_bits)?;
        if self.engine == EngineKind::Lut && self.w_bits < 2 {
            bail!("--bits: the LUT engine needs at least 2 weight bits (sign and magnitude)");
        }
        // The engine the quantized layers run on, with the engine's own checks (the code
        // widths the LUT engine takes, its memory word): the same as `report resources`.
        let one = Gemm {
            m: 1,
            k: 1,
            n: 1,
            groups: 1,
        };
        if let Some(e) = self.engine_for(&one, Role::Quantized) {
            e.validate().map_err(|m| {
                let flag = match m.split(':').next().unwrap_or("") {
                    "dm" | "dn" | "dk" => "--array",
                    "prod_bits" => "--prod-bits",
                    _ => "--bits",
                };
                anyhow!(
                    "{flag} ({} engine): {m}",
                    if e.is_lut() { "LUT" } else { "bit-serial" }
                )
            })?;
        }
        Ok(())
    }

    /// The role of compute layer `i` (an index into `net.layers`).
    pub fn role(&self, net: &Network, i: usize) -> Role {
        Self::role_in(net.compute_ends(), i)
    }

    /// The role of compute layer `i` given the first and last compute layers'
    /// indices ([`Network::compute_ends`], computed once per report: O(1) per layer).
    pub fn role_in(ends: Option<(usize, usize)>, i: usize) -> Role {
        match ends {
            Some((first, _)) if first == i => Role::First,
            Some((_, last)) if last == i => Role::Last,
            _ => Role::Quantized,
        }
    }

    /// Engine parameters a layer of shape `g` runs on (the array of the policy, limits from
    /// the layer itself), or `None` for a float first/last layer (not on the engine).
    pub fn engine_for(&self, g: &Gemm, role: Role) -> Option<EngineParams> {
        let fl = self.first_last_bits;
        let (kind, w_bits, a_bits, w_enc) = match (role, self.engine) {
            (Role::First | Role::Last, _) if fl == 32 => return None,
            (Role::First | Role::Last, _) => (
                Kind::BitSerial,
                self.first_last_bits,
                self.first_last_bits,
                signed_or_offset(self.first_last_bits),
            ),
            (Role::Quantized, EngineKind::BitSerial) => (
                Kind::BitSerial,
                self.w_bits,
                self.a_bits,
                signed_or_offset(self.w_bits),
            ),
            (Role::Quantized, EngineKind::Lut) => (
                Kind::Lut {
                    prod_bits: self.prod_bits,
                },
                self.w_bits,
                self.a_bits,
                WeightEnc::SignMag,
            ),
        };
        Some(EngineParams {
            kind,
            dm: self.dm,
            dn: self.dn,
            dk: self.dk,
            // The LUT engine's codes are at most 5/6 bits; wider requests are rejected by
            // validate() in the caller.
            w_bits,
            a_bits,
            // Outputs: the next quantized layer's activation codes, or the last layer's
            // first/last precision.
            out_bits: if role == Role::Last { fl } else { self.a_bits },
            w_enc,
            a_enc: ActEnc::Unsigned,
            max_m: g.m.max(1),
            max_k: g.k.max(1),
            max_n: g.n.max(1),
            target: hdl::params::Target::Generic,
        })
    }
}

fn signed_or_offset(bits: u32) -> WeightEnc {
    if bits == 1 {
        WeightEnc::Offset
    } else {
        WeightEnc::Signed
    }
}
