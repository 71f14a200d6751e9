//! The bit-serial engine's parameters: one struct that the RTL generator, the cycle model,
//! the testbench and the reports all read, so no width or latency is stated twice.

use quant::accum::signed_bits;

use crate::ast::Module;
use crate::popcount::ubits;
use crate::popcount_xcup::CompressorParams;
pub use crate::popcount_xcup::Target;

/// How a weight code's bit-planes map to its integer level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightEnc {
    /// level = code, `0 ..= 2^b − 1`.
    Unsigned,
    /// two's complement, `−2^(b−1) ..= 2^(b−1) − 1`.
    Signed,
    /// level = `2·code − (2^b − 1)` (N2UQ odd levels; binary ±1 at b = 1): every plane is a
    /// ±1 digit.
    Offset,
    /// LUT engine only: sign bit on top, magnitude index below (0 = the zero level); the
    /// magnitude itself comes from the job's product table. As a bare level, `±index`.
    SignMag,
}

/// Which processing element the array is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// AND-popcount DPUs over bit-planes (uniform codes).
    BitSerial,
    /// Product-table PEs over whole codes (non-uniform levels, LCQ / QN).
    Lut {
        /// Bits of a table entry (an unsigned product of a weight magnitude and an
        /// activation level).
        prod_bits: u32,
    },
}

/// How an activation code's bit-planes map to its integer level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActEnc {
    /// level = code.
    Unsigned,
    /// two's complement.
    Signed,
}

/// Generation-time parameters of a bit-serial engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EngineParams {
    /// Processing element.
    pub kind: Kind,
    /// Rows of the DPU array (output channels per tile).
    pub dm: u32,
    /// Columns of the DPU array (output pixels per tile).
    pub dn: u32,
    /// Bits per DPU per cycle.
    pub dk: u32,
    /// Weight bits.
    pub w_bits: u32,
    /// Activation bits.
    pub a_bits: u32,
    /// Output code bits (`2^out_bits − 1` thresholds per channel).
    pub out_bits: u32,
    /// Weight encoding.
    pub w_enc: WeightEnc,
    /// Activation encoding.
    pub a_enc: ActEnc,
    /// Largest M (output channels) a job may have.
    pub max_m: u32,
    /// Largest K (dot-product length).
    pub max_k: u32,
    /// Largest N (output pixels).
    pub max_n: u32,
    /// Technology of every AND-popcount in the engine ([`Self::popcount`]): `Generic`, the
    /// behavioural `and_popcount` (vendor-neutral: ASICs, other FPGAs), or `Xcup`, the
    /// instantiated LUT6_2 + CARRY8 compressor `and_popcount_xcup` (UltraScale+; simulated
    /// with Yosys's `xilinx/cells_sim.v`). The bit-serial engine's popcounts are the DPUs'
    /// `popcount(w & a)` and, with offset weights, the activation count `a_count`; the LUT
    /// engine's products come from its tables, and its one popcount is each PE's count of
    /// negative lanes (`u_negs`), which `Xcup` makes the compressor too. The latencies of
    /// the control delay line follow the chosen block.
    pub target: Target,
}

/// Latency (cycles) from a weight/activation BRAM read address to its data.
pub const BRAM_LATENCY: u32 = 1;

impl EngineParams {
    /// Check every parameter; errors name the field. Either [`Self::target`] applies to every
    /// design: the xcup compressor plans every Dk in 1..=1024 (latency 1 to 5 cycles), and
    /// the LUT engine's popcount is a popcount like the DPU's, so no field refuses `Xcup`.
    pub fn validate(&self) -> Result<(), String> {
        let check = |name: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name}: must be in {lo}..={hi}, got {v}"))
            }
        };
        check("dm", self.dm, 1, 64)?;
        check("dn", self.dn, 1, 64)?;
        check("dk", self.dk, 1, 1024)?;
        check("w_bits", self.w_bits, 1, 8)?;
        check("a_bits", self.a_bits, 1, 8)?;
        check("out_bits", self.out_bits, 1, 8)?;
        check("max_m", self.max_m, 1, 1 << 16)?;
        check("max_k", self.max_k, 1, 1 << 20)?;
        check("max_n", self.max_n, 1, 1 << 20)?;
        match self.kind {
            Kind::BitSerial => {
                if self.w_enc == WeightEnc::SignMag {
                    return Err("w_enc: sign-magnitude weights need the LUT engine".into());
                }
            }
            Kind::Lut { prod_bits } => {
                check("prod_bits", prod_bits, 1, 32)?;
                if self.w_enc != WeightEnc::SignMag {
                    return Err("w_enc: the LUT engine takes sign-magnitude weight codes".into());
                }
                if self.a_enc != ActEnc::Unsigned {
                    return Err("a_enc: the LUT engine takes unsigned activation codes".into());
                }
                check("w_bits", self.w_bits, 2, 5)?;
                check("a_bits", self.a_bits, 1, 6)?;
                if self.dk * self.w_bits.max(self.a_bits) > 4096 {
                    return Err(format!(
                        "dk: {} lanes of {} bits exceed a 4096-bit memory word",
                        self.dk,
                        self.w_bits.max(self.a_bits)
                    ));
                }
            }
        }
        if self.a_enc == ActEnc::Signed && self.a_bits < 2 {
            return Err("a_bits: signed activations need at least 2 bits".into());
        }
        if self.w_enc == WeightEnc::Signed && self.w_bits < 2 {
            return Err("w_bits: signed weights need at least 2 bits".into());
        }
        if self.acc_width() > 63 || self.thr_width() > 63 {
            return Err(format!(
                "max_k: a {}-bit accumulator is too wide",
                self.acc_width()
            ));
        }
        Ok(())
    }

    /// Accumulator width: holds every partial sum of the schedule for K up to `max_k`
    /// (`max_k` elements each within [`Self::element_range`]), and so the final bound too.
    pub fn acc_width(&self) -> u32 {
        if self.is_lut() {
            // One full signed product per element: the final bound is the only bound.
            return self.acc_bound().width();
        }
        let (lo, hi) = self.element_range();
        let k = self.max_k as i128;
        signed_bits(k * lo as i128)
            .max(signed_bits(k * hi as i128))
            .max(self.acc_bound().width())
    }

    /// Threshold width: thresholds saturate to one past the final bound.
    pub fn thr_width(&self) -> u32 {
        self.acc_bound().threshold_width()
    }

    /// Thresholds per channel.
    pub fn thresholds(&self) -> u32 {
        (1 << self.out_bits) - 1
    }

    /// Whether this is a LUT-multiplier engine.
    pub fn is_lut(&self) -> bool {
        matches!(self.kind, Kind::Lut { .. })
    }

    /// Bits of a product-table entry (0 for the bit-serial engine).
    pub fn prod_bits(&self) -> u32 {
        match self.kind {
            Kind::Lut { prod_bits } => prod_bits,
            Kind::BitSerial => 0,
        }
    }

    /// Non-zero weight magnitudes a table row covers: `2^(w_bits−1) − 1`.
    pub fn w_mags(&self) -> u32 {
        (1 << (self.w_bits - 1)) - 1
    }

    /// Non-zero activation codes a table column covers: `2^a_bits − 1`.
    pub fn a_nonzero(&self) -> u32 {
        (1 << self.a_bits) - 1
    }

    /// Products the table stores (zero levels never): `w_mags · a_nonzero`.
    pub fn table_entries(&self) -> u32 {
        lut_table_entries(self.w_bits, self.a_bits)
    }

    /// Addresses of a PE's table memory, `{magnitude, activation}`: `2^(w_bits−1+a_bits)`.
    pub fn table_depth(&self) -> u32 {
        1 << (self.w_bits - 1 + self.a_bits)
    }

    /// Name of the top module.
    pub fn top_name(&self) -> &'static str {
        if self.is_lut() {
            "lut_engine"
        } else {
            "bitserial_engine"
        }
    }

    /// Name of the processing-element module.
    pub fn pe_name(&self) -> &'static str {
        if self.is_lut() {
            "lut_pe"
        } else {
            "dpu"
        }
    }

    /// Weight words per k-chunk: `w_bits` planes (bit-serial) or 1 word of whole codes (LUT).
    pub fn w_planes(&self) -> u32 {
        if self.is_lut() {
            1
        } else {
            self.w_bits
        }
    }

    /// Activation words per k-chunk.
    pub fn a_planes(&self) -> u32 {
        if self.is_lut() {
            1
        } else {
            self.a_bits
        }
    }

    /// Bits of a weight memory word: a `dk`-bit plane, or `dk` codes of `w_bits` (lane `l`
    /// at `[l·w_bits +: w_bits]`).
    pub fn w_word(&self) -> u32 {
        if self.is_lut() {
            self.dk * self.w_bits
        } else {
            self.dk
        }
    }

    /// Bits of an activation memory word.
    pub fn a_word(&self) -> u32 {
        if self.is_lut() {
            self.dk * self.a_bits
        } else {
            self.dk
        }
    }

    /// The adder tree of a LUT PE (`dk` signed lane values of `prod_bits + 1` bits), no
    /// wider than the accumulator (the PE adds its sum modulo `2^acc_width`).
    pub fn adder_tree(&self) -> crate::adder_tree::AdderTreeParams {
        crate::adder_tree::AdderTreeParams::new(self.dk, self.prod_bits() + 1)
            .capped(self.acc_width())
    }

    /// Cycles the step control is delayed to meet the PE: the popcount latency (the DPU
    /// registers it once more with its term), or the whole PE latency.
    pub fn ctl_delay(&self) -> u32 {
        if self.is_lut() {
            self.dpu_latency()
        } else {
            self.popcount().latency()
        }
    }

    /// Name of the AND-popcount module every popcount of the engine instantiates
    /// (`and_popcount` or `and_popcount_xcup`, after [`Self::target`]).
    pub fn popcount_module(&self) -> &'static str {
        self.popcount().top_name()
    }

    /// The AND-popcount modules the engine's RTL needs: one, `popcount().module()`, named
    /// [`Self::popcount_module`] (the `LUT6_2`/`CARRY8` primitives of `Xcup` come from the
    /// vendor's cell library, never from qforge).
    pub fn popcount_modules(&self) -> Vec<Module> {
        vec![self.popcount().module()]
    }

    /// Chunks of `dk` bits covering `max_k`.
    pub fn max_kc(&self) -> u32 {
        self.max_k.div_ceil(self.dk)
    }

    /// The popcount block of a DPU (and of the engine's other popcounts): `dk` bits on
    /// [`Self::target`].
    pub fn popcount(&self) -> CompressorParams {
        CompressorParams::new(self.dk, self.target)
    }

    /// Bits of a popcount.
    pub fn pc_width(&self) -> u32 {
        self.popcount().out_width()
    }

    /// Largest left shift of a step term (`a_bits − 1 + w_bits − 1`).
    pub fn max_shift(&self) -> u32 {
        self.a_bits + self.w_bits - 2
    }

    /// Bits of the shift amount.
    pub fn shift_width(&self) -> u32 {
        ubits(self.max_shift() as u64)
    }

    /// Words per weight bank: `ceil(max_m/dm)` rows × `max_kc` chunks × `w_planes` words.
    pub fn w_depth(&self) -> u32 {
        self.max_m.div_ceil(self.dm) * self.max_kc() * self.w_planes()
    }

    /// Words of one n-tile's column in an activation bank: `max_kc` chunks × `a_planes`
    /// words (one of the bank's two buffers).
    pub fn a_buf_depth(&self) -> u32 {
        self.max_kc() * self.a_planes()
    }

    /// Words per activation bank: two buffers of [`Self::a_buf_depth`] (double buffering:
    /// the next n-tile loads into one while the compute reads the other).
    pub fn a_depth(&self) -> u32 {
        2 * self.a_buf_depth()
    }

    /// Cycles from a DPU's operands to its term register (popcount tree, then the registered
    /// shift/negate stage); the accumulator updates from the term register one cycle later.
    /// For the LUT PE: the lane register (look-up), the adder tree and the sign count side by
    /// side, then the term register.
    pub fn dpu_latency(&self) -> u32 {
        if self.is_lut() {
            1 + self.adder_tree().latency().max(self.popcount().latency()) + 1
        } else {
            self.popcount().latency() + 1
        }
    }

    /// Cycles from a compute step's address issue to its accumulator update being visible:
    /// BRAM read, DPU pipeline, accumulate register.
    pub fn compute_latency(&self) -> u32 {
        BRAM_LATENCY + self.dpu_latency() + 1
    }
}

/// Products a LUT engine's table stores for `w_bits` sign-magnitude weight codes and `a_bits`
/// activation codes: `(2^(w_bits−1) − 1)·(2^a_bits − 1)` (zero levels never).
pub fn lut_table_entries(w_bits: u32, a_bits: u32) -> u32 {
    ((1 << (w_bits - 1)) - 1) * ((1 << a_bits) - 1)
}

/// A `bits`-bit sign-magnitude code as (negative, magnitude index): sign on top.
pub fn sign_mag(code: u32, bits: u32) -> (bool, u32) {
    (
        (code >> (bits - 1)) & 1 == 1,
        code & ((1 << (bits - 1)) - 1),
    )
}

/// Sign-extend the low `bits` of `v`.
pub fn sign_extend(v: i64, bits: u32) -> i64 {
    let shift = 64 - bits;
    (v << shift) >> shift
}
