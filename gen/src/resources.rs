//! FPGA resources of an engine: measured by Yosys `synth_xilinx -family xcup` on the generated
//! RTL, or predicted by a per-block linear model fitted to such runs (`crate::fit`; `qforge
//! bench --fit` measures the design points, fits the coefficients and reports the error; the
//! constants below come from that run and are labelled "model" wherever they are used).
//!
//! LUTs (logic + LUT-RAM sites) are modelled per engine kind as a sum of features:
//! - bit-serial: `c0 + c1·PEs·Dk + c2·PEs·acc_width + c3·Dn·Dk·[offset weights]` (control
//!   and memories, the AND-popcount tree per bit, per-DPU term/accumulator logic, the
//!   per-column activation popcount of ±1 weights);
//! - LUT: `c0 + c1·lanes + c2·lanes·(P + 1) + c3·lanes·P·[table > 64 words] + table sites`,
//!   with the per-lane table in LUT-RAM sites counted from the RAM primitives Yosys picks
//!   (RAM32M16: 14 bits × 32 words, RAM64M8: 7 bits × 64 words, 8 sites each).
//!
//! The measurements behind the constants are `docs/data/resource_fit.csv` (written by
//! `qforge bench --fit --fit-csv FILE`); a test in `crate::fit` re-fits them and checks the
//! constants.
//!
//! Flip-flops follow the same features; block RAM is counted from the memory shapes.

use hdl::params::EngineParams;
use testbench::synth::SynthResult;

/// xcvu9p capacity (UltraScale+ VU9P).
pub const VU9P_LUTS: u64 = 1_182_240;
/// Flip-flops.
pub const VU9P_FFS: u64 = 2_364_480;
/// DSP48E2 slices.
pub const VU9P_DSPS: u64 = 6_840;
/// 36-Kb block RAMs.
pub const VU9P_BRAM36: u64 = 2_160;
/// UltraRAMs.
pub const VU9P_URAM: u64 = 960;

/// Resources of one engine.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Resources {
    /// LUTs, logic and LUT-RAM sites.
    pub luts: f64,
    /// Flip-flops.
    pub ffs: f64,
    /// CARRY8 cells.
    pub carry: f64,
    /// DSP48E2.
    pub dsp: f64,
    /// 36-Kb block RAMs (two 18-Kb count as one).
    pub bram36: f64,
    /// UltraRAMs.
    pub uram: f64,
}

impl From<&SynthResult> for Resources {
    /// Yosys's counts: LUT-RAM in LUT sites, two 18-Kb block RAMs as one 36-Kb.
    fn from(s: &SynthResult) -> Self {
        Resources {
            luts: (s.luts() + s.lutram_sites) as f64,
            ffs: s.ffs as f64,
            carry: s.carry as f64,
            dsp: s.dsp as f64,
            bram36: s.bram36 as f64 + s.bram18 as f64 / 2.0,
            uram: s.uram as f64,
        }
    }
}

/// LUT-RAM sites of every lane's product table (0 for the bit-serial engine).
pub fn table_sites_total(p: &EngineParams) -> f64 {
    if p.is_lut() {
        (p.dm * p.dn * p.dk) as f64 * table_sites(p)
    } else {
        0.0
    }
}

/// LUT-RAM sites one lane's product table takes.
pub fn table_sites(p: &EngineParams) -> f64 {
    let (depth, w) = (p.table_depth() as f64, p.prod_bits() as f64);
    if depth <= 32.0 {
        8.0 * (w / 14.0).ceil()
    } else {
        8.0 * (w / 7.0).ceil() * (depth / 64.0).ceil()
    }
}

/// The model's features of an engine (see the module doc), for LUTs and flip-flops.
pub fn features(p: &EngineParams) -> Vec<f64> {
    let pes = (p.dm * p.dn) as f64;
    let lanes = pes * p.dk as f64;
    if p.is_lut() {
        let pb = p.prod_bits() as f64;
        // Tables deeper than 64 words take two LUT-RAM halves and a 2:1 mux per bit.
        let deep = if p.table_depth() > 64 { 1.0 } else { 0.0 };
        vec![1.0, lanes, lanes * (pb + 1.0), lanes * pb * deep]
    } else {
        // Offset weights (binary ±1) add one activation popcount per column.
        let offset = if p.w_enc == hdl::params::WeightEnc::Offset {
            1.0
        } else {
            0.0
        };
        vec![
            1.0,
            lanes,
            pes * p.acc_width() as f64,
            (p.dn * p.dk) as f64 * offset,
        ]
    }
}

/// Fitted LUT coefficients, bit-serial (logic + LUT-RAM sites), from
/// `docs/data/resource_fit.csv` (12 design points; in-sample error mean 7.3%, max 18.6%;
/// leave-one-out mean 14.4%, max 55.6%).
pub const BITSERIAL_LUT: [f64; 4] = [389.2769, 2.157817, 3.992675, 1.375263];
/// Fitted flip-flop coefficients, bit-serial (in-sample mean 5.4%, max 14.5%; leave-one-out
/// mean 9.4%, max 30.7%).
pub const BITSERIAL_FF: [f64; 4] = [286.6971, 1.731659, 1.231957, 1.405721];
/// Fitted LUT coefficients, LUT engine (logic + LUT-RAM sites other than the tables; 12
/// points; in-sample mean 5.1%, max 12.4%; leave-one-out mean 7.8%, max 18.3%).
pub const LUT_LUT: [f64; 4] = [608.5725, 1.960004, 1.563680, 1.001178];
/// Fitted flip-flop coefficients, LUT engine (in-sample mean 4.3%, max 21.0%;
/// leave-one-out mean 7.0%, max 27.9%).
pub const LUT_FF: [f64; 4] = [430.1571, 1.545819, 1.484690, 0.023304];

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Block RAMs of the weight, activation and threshold memories: each bank deeper than 64
/// words as 36-Kb blocks of 512 × 72 or 1024 × 36 / 2048 × 18 / 4096 × 9 / 8192 × 4 /
/// 16384 × 2 / 32768 × 1, the cheapest that fits; Yosys puts banks of up to 64 words in
/// LUT-RAM (their sites are in the fitted LUTs).
pub fn bram36(p: &EngineParams) -> f64 {
    let bank = |depth: u64, width: u64| -> f64 {
        if depth <= 64 {
            return 0.0;
        }
        [
            (512u64, 72u64),
            (1024, 36),
            (2048, 18),
            (4096, 9),
            (8192, 4),
            (16384, 2),
            (32768, 1),
        ]
        .iter()
        .map(|&(d, w)| (depth.div_ceil(d) * width.div_ceil(w)) as f64)
        .fold(f64::INFINITY, f64::min)
    };
    p.dm as f64 * bank(p.w_depth() as u64, p.w_word() as u64)
        + p.dn as f64 * bank(p.a_depth() as u64, p.a_word() as u64)
        + bank(p.max_m as u64, p.thr_word_width() as u64)
}

/// The model's prediction for an engine.
pub fn model(p: &EngineParams) -> Resources {
    let f = features(p);
    let (cl, cf) = if p.is_lut() {
        (&LUT_LUT, &LUT_FF)
    } else {
        (&BITSERIAL_LUT, &BITSERIAL_FF)
    };
    Resources {
        luts: dot(cl, &f) + table_sites_total(p),
        ffs: dot(cf, &f),
        carry: 0.0,
        dsp: 0.0,
        bram36: bram36(p),
        uram: 0.0,
    }
}
