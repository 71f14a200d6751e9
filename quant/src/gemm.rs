//! The exact integer reference of a quantized layer, the contract every RTL engine meets.
//!
//! `C = W·A` over integer levels (`W` is `M×K`, `A` is `K×N`, row-major), then each output
//! channel's integer thresholds give the next quantizer's index. Convolutions reach the GEMM
//! through [`im2col`]: `K = C_in·kh·kw` ordered `(c, dy, dx)` (the flattening of a PyTorch
//! `[C_out, C_in, kh, kw]` weight), `N = H_out·W_out`.

use crate::accum::{AccBound, LevelRange};
use crate::error::{Error, Result};
use crate::fold::{channel_affine, fold, BatchNorm, ChannelThresholds};
use crate::scalar::ScalarQuantizer;

/// `C[m][n] = Σ_k W[m][k]·A[k][n]` in 64-bit integers.
///
/// When `K·max|W|·max|A| < 2^31` every partial sum fits 32 bits and the product runs in
/// 32-bit lanes, four rows at a time (AVX2 when the CPU has it, checked at run time): the
/// same exact result, several times faster on the low-bit layers the engine runs.
pub fn gemm(w: &[i64], a: &[i64], m: usize, k: usize, n: usize) -> Vec<i64> {
    assert_eq!(w.len(), m * k, "W must be M×K");
    assert_eq!(a.len(), k * n, "A must be K×N");
    let max_abs = |x: &[i64]| x.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as u128;
    if max_abs(w) * max_abs(a) * (k as u128) < 1 << 31 {
        let w32: Vec<i32> = w.iter().map(|&v| v as i32).collect();
        let a32: Vec<i32> = a.iter().map(|&v| v as i32).collect();
        return gemm_i32(&w32, &a32, m, k, n)
            .into_iter()
            .map(i64::from)
            .collect();
    }
    gemm_i64(w, a, m, k, n)
}

/// [`gemm`] in 32-bit lanes; every partial sum must fit (the caller checks).
fn gemm_i32(w: &[i32], a: &[i32], m: usize, k: usize, n: usize) -> Vec<i32> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { gemm_i32_avx2(w, a, m, k, n) };
    }
    gemm_i32_body(w, a, m, k, n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn gemm_i32_avx2(w: &[i32], a: &[i32], m: usize, k: usize, n: usize) -> Vec<i32> {
    gemm_i32_body(w, a, m, k, n)
}

#[inline(always)]
fn gemm_i32_body(w: &[i32], a: &[i32], m: usize, k: usize, n: usize) -> Vec<i32> {
    let mut c = vec![0i32; m * n];
    if n == 0 {
        return c;
    }
    // Four rows share each row of A (a quarter of the memory traffic).
    for (blk, rows) in c.chunks_mut(4 * n).enumerate() {
        let r0 = 4 * blk;
        if rows.len() == 4 * n {
            let (c0, rest) = rows.split_at_mut(n);
            let (c1, rest) = rest.split_at_mut(n);
            let (c2, c3) = rest.split_at_mut(n);
            for kk in 0..k {
                let ar = &a[kk * n..(kk + 1) * n];
                let (w0, w1, w2, w3) = (
                    w[r0 * k + kk],
                    w[(r0 + 1) * k + kk],
                    w[(r0 + 2) * k + kk],
                    w[(r0 + 3) * k + kk],
                );
                for ((((x0, x1), x2), x3), &av) in c0
                    .iter_mut()
                    .zip(c1.iter_mut())
                    .zip(c2.iter_mut())
                    .zip(c3.iter_mut())
                    .zip(ar)
                {
                    *x0 += w0 * av;
                    *x1 += w1 * av;
                    *x2 += w2 * av;
                    *x3 += w3 * av;
                }
            }
        } else {
            for (i, c_row) in rows.chunks_mut(n).enumerate() {
                let row = r0 + i;
                for kk in 0..k {
                    let wv = w[row * k + kk];
                    for (cv, &av) in c_row.iter_mut().zip(&a[kk * n..(kk + 1) * n]) {
                        *cv += wv * av;
                    }
                }
            }
        }
    }
    c
}

/// [`gemm`] in 64-bit lanes.
fn gemm_i64(w: &[i64], a: &[i64], m: usize, k: usize, n: usize) -> Vec<i64> {
    let mut c = vec![0i64; m * n];
    for (row, c_row) in c.chunks_mut(n.max(1)).enumerate().take(m) {
        for kk in 0..k {
            let wv = w[row * k + kk];
            if wv == 0 {
                continue;
            }
            for (cv, av) in c_row.iter_mut().zip(&a[kk * n..(kk + 1) * n]) {
                *cv += wv * av;
            }
        }
    }
    c
}

/// Shape of a 2-D convolution lowered to a GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2d {
    /// Input channels.
    pub c_in: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Stride (both axes).
    pub stride: usize,
    /// Zero padding (both axes).
    pub pad: usize,
}

impl Conv2d {
    /// Output height and width.
    pub fn out_hw(&self) -> (usize, usize) {
        let o = |i: usize, k: usize| (i + 2 * self.pad).saturating_sub(k) / self.stride + 1;
        (o(self.h, self.kh), o(self.w, self.kw))
    }
    /// GEMM K.
    pub fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
    /// GEMM N.
    pub fn n(&self) -> usize {
        let (ho, wo) = self.out_hw();
        ho * wo
    }
}

/// Lower a `[C_in, H, W]` input to the `K×N` GEMM operand, padding with `pad_value`.
pub fn im2col<T: Copy>(x: &[T], conv: &Conv2d, pad_value: T) -> Vec<T> {
    assert_eq!(x.len(), conv.c_in * conv.h * conv.w, "input must be C×H×W");
    let (ho, wo) = conv.out_hw();
    let mut out = Vec::with_capacity(conv.k() * ho * wo);
    for c in 0..conv.c_in {
        for dy in 0..conv.kh {
            for dx in 0..conv.kw {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let y = (oy * conv.stride + dy) as isize - conv.pad as isize;
                        let xx = (ox * conv.stride + dx) as isize - conv.pad as isize;
                        let inside =
                            y >= 0 && xx >= 0 && (y as usize) < conv.h && (xx as usize) < conv.w;
                        out.push(if inside {
                            x[(c * conv.h + y as usize) * conv.w + xx as usize]
                        } else {
                            pad_value
                        });
                    }
                }
            }
        }
    }
    out
}

/// A quantized GEMM layer in integers: weight levels, accumulator bound, per-channel
/// thresholds for the next quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct IntLayer {
    /// Output channels.
    pub m: usize,
    /// Dot-product length.
    pub k: usize,
    /// Weight levels, `M×K` row-major.
    pub weights: Vec<i64>,
    /// The accumulator's exact range.
    pub bound: AccBound,
    /// Per output channel thresholds.
    pub thresholds: Vec<ChannelThresholds>,
}

impl IntLayer {
    /// Accumulators for activation levels `a` (`K×N`).
    pub fn accumulate(&self, a: &[i64], n: usize) -> Vec<i64> {
        gemm(&self.weights, a, self.m, self.k, n)
    }

    /// Next-quantizer indices (`M×N`) for activation levels `a` (`K×N`).
    pub fn forward(&self, a: &[i64], n: usize) -> Vec<u32> {
        self.requantize(&self.accumulate(a, n), n)
    }

    /// Indices for given accumulators.
    pub fn requantize(&self, acc: &[i64], n: usize) -> Vec<u32> {
        acc.iter()
            .enumerate()
            .map(|(i, &c)| self.thresholds[i / n.max(1)].index(c) as u32)
            .collect()
    }
}

/// The float description of one quantized layer, from which both the integer layer and the
/// float reference path are built.
pub struct LayerParams<'a> {
    /// Weight quantizer of each output channel (one shared, or one per channel).
    pub weight_q: &'a [Box<dyn ScalarQuantizer>],
    /// Weight indices, `M×K`.
    pub weight_idx: &'a [usize],
    /// Output channels.
    pub m: usize,
    /// Dot-product length.
    pub k: usize,
    /// The quantizer that produced this layer's input activations.
    pub act_q: &'a dyn ScalarQuantizer,
    /// Conv/FC bias per output channel (added before BatchNorm), or empty.
    pub bias: &'a [f64],
    /// BatchNorm per output channel, or empty for none.
    pub bn: &'a [BatchNorm],
    /// The quantizer of this layer's output.
    pub next_q: &'a dyn ScalarQuantizer,
}

impl LayerParams<'_> {
    fn wq(&self, row: usize) -> &dyn ScalarQuantizer {
        let i = if self.weight_q.len() == 1 { 0 } else { row };
        self.weight_q[i].as_ref()
    }

    fn check(&self) -> Result<()> {
        if self.weight_q.len() != 1 && self.weight_q.len() != self.m {
            return Err(Error::new(
                "weights",
                format!(
                    "need 1 or M = {} quantizers, got {}",
                    self.m,
                    self.weight_q.len()
                ),
            ));
        }
        if self.weight_idx.len() != self.m * self.k {
            return Err(Error::new(
                "weights",
                format!(
                    "need M×K = {} entries, got {}",
                    self.m * self.k,
                    self.weight_idx.len()
                ),
            ));
        }
        for (name, len) in [("bias", self.bias.len()), ("bn", self.bn.len())] {
            if len != 0 && len != self.m {
                return Err(Error::new(
                    name,
                    format!("needs 0 or M = {} entries, got {len}", self.m),
                ));
            }
        }
        for (c, bn) in self.bn.iter().enumerate() {
            bn.validate().map_err(|e| e.within(&format!("bn[{c}]")))?;
        }
        Ok(())
    }

    /// Build the integer layer (levels, bound, folded thresholds).
    pub fn to_int(&self) -> Result<IntLayer> {
        self.check()?;
        let w_range = self
            .weight_q
            .iter()
            .map(|q| LevelRange::of(q.as_ref()))
            .reduce(LevelRange::union)
            .expect("checked non-empty");
        let bound = AccBound::new(self.k as u64, w_range, LevelRange::of(self.act_q))?;
        let weights = self
            .weight_idx
            .iter()
            .enumerate()
            .map(|(i, &idx)| self.wq(i / self.k).level(idx))
            .collect();
        let staircase = self.next_q.staircase();
        let thresholds = (0..self.m)
            .map(|c| {
                let scale = self.wq(c).level_scale() * self.act_q.level_scale();
                let bias = self.bias.get(c).copied().unwrap_or(0.0);
                let bn = self.bn.get(c).copied().unwrap_or_else(BatchNorm::identity);
                fold(channel_affine(scale, bias, &bn), &staircase, &bound)
            })
            .collect();
        Ok(IntLayer {
            m: self.m,
            k: self.k,
            weights,
            bound,
            thresholds,
        })
    }

    /// The float path for activation indices `a_idx` (`K×N`): dot product of the real values
    /// the hardware levels stand for, plus bias, BatchNorm, then the next quantizer as
    /// published. Returns (next-quantizer input `y`, index) per output, `M×N`.
    pub fn float_forward(&self, a_idx: &[usize], n: usize) -> Vec<(f64, usize)> {
        let a_val: Vec<f64> = a_idx
            .iter()
            .map(|&i| self.act_q.level(i) as f64 * self.act_q.level_scale())
            .collect();
        let mut out = Vec::with_capacity(self.m * n);
        for row in 0..self.m {
            let q = self.wq(row);
            let w_val: Vec<f64> = (0..self.k)
                .map(|kk| q.level(self.weight_idx[row * self.k + kk]) as f64 * q.level_scale())
                .collect();
            for col in 0..n {
                let dot: f64 = (0..self.k).map(|kk| w_val[kk] * a_val[kk * n + col]).sum();
                let x = dot + self.bias.get(row).copied().unwrap_or(0.0);
                let y = self.bn.get(row).map_or(x, |bn| bn.apply(x));
                out.push((y, self.next_q.index(y)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_by_hand() {
        // [1 -3; 3 1] · [0 1 2; 3 2 1] = [-9 -5 -1; 3 5 7]
        let c = gemm(&[1, -3, 3, 1], &[0, 1, 2, 3, 2, 1], 2, 2, 3);
        assert_eq!(c, vec![-9, -5, -1, 3, 5, 7]);
    }

    #[test]
    fn gemm_32_bit_lanes_equal_64_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for i in 0..60 {
            let (m, k, n) = (
                rng.gen_range(1..11),
                rng.gen_range(1..40),
                rng.gen_range(1..23),
            );
            // Small levels (the 32-bit path), and near and past its limit (the 64-bit one).
            let lim: i64 = [3, 255, 1 << 13, 1 << 20][i % 4];
            let w: Vec<i64> = (0..m * k).map(|_| rng.gen_range(-lim..=lim)).collect();
            let a: Vec<i64> = (0..k * n).map(|_| rng.gen_range(-lim..=lim)).collect();
            assert_eq!(
                gemm(&w, &a, m, k, n),
                gemm_i64(&w, &a, m, k, n),
                "{m}x{k}x{n} {lim}"
            );
        }
        // Sums at the very edge of 32 bits.
        let (k, big) = (2usize, 32767i64);
        let w = vec![big; k];
        let a = vec![big; k];
        assert_eq!(gemm(&w, &a, 1, k, 1), vec![2 * big * big]);
        let w = vec![i64::from(i32::MAX); 3];
        assert_eq!(gemm(&w, &[1, 1, 1], 1, 3, 1), vec![3 * i64::from(i32::MAX)]);
    }

    #[test]
    fn im2col_3x3_pad1() {
        let conv = Conv2d {
            c_in: 1,
            h: 2,
            w: 2,
            kh: 3,
            kw: 3,
            stride: 1,
            pad: 1,
        };
        assert_eq!((conv.out_hw(), conv.k(), conv.n()), ((2, 2), 9, 4));
        let cols = im2col(&[1, 2, 3, 4], &conv, 0);
        // Centre tap (dy = 1, dx = 1) sees the input itself.
        assert_eq!(&cols[4 * 4..5 * 4], &[1, 2, 3, 4]);
        // Top-left tap (dy = 0, dx = 0) sees only input[0] at output (1, 1).
        assert_eq!(&cols[0..4], &[0, 0, 0, 1]);
        let strided = Conv2d {
            c_in: 1,
            h: 5,
            w: 5,
            kh: 3,
            kw: 3,
            stride: 2,
            pad: 0,
        };
        assert_eq!(strided.out_hw(), (2, 2));
    }
}
