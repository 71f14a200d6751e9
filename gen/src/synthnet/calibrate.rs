//! BatchNorm calibration on the seeded sample: a layer's exact integer accumulators (the same
//! ones the engine computes), and each BatchNorm's statistics and seeded scale and shift that
//! centre the channel in the next quantizer's range (see the parent module's docs).

use quant::example_layer::normal;
use quant::fold::BatchNorm;
use quant::gemm::{gemm, im2col, Conv2d};
use quant::scalar::ScalarQuantizer;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::structure::Mode;

/// The exact accumulators (`co × n`) of weight levels `w_lv` (`co × fan_in`) on activation
/// levels `a_lv`: a conv (`Some((geometry of one group, groups))`) or an fc.
pub(super) fn accumulators(
    a_lv: &[i64],
    w_lv: &[i64],
    conv: Option<(Conv2d, usize)>,
    co: usize,
    fan_in: usize,
    n: usize,
) -> Vec<i64> {
    let groups = conv.map_or(1, |(_, g)| g);
    let m = co / groups;
    let mut acc = vec![0i64; co * n];
    for g in 0..groups {
        let a_g = match conv {
            Some((c, _)) => {
                let per = c.c_in * c.h * c.w;
                im2col(&a_lv[g * per..(g + 1) * per], &c, 0)
            }
            None => a_lv.to_vec(),
        };
        let w_g = &w_lv[g * m * fan_in..(g + 1) * m * fan_in];
        let c_g = gemm(w_g, &a_g, m, fan_in, n);
        acc[g * m * n..(g + 1) * m * n].copy_from_slice(&c_g);
    }
    acc
}

/// The BatchNorm of each of `co` channels of `y` (`co × n`, `n` pixels) before `act_q`, from
/// the channel statistics (layer-wide with one output pixel), seeded from `rng`.
pub(super) fn batchnorms(
    rng: &mut ChaCha8Rng,
    act_q: &dyn ScalarQuantizer,
    y: &[f64],
    co: usize,
    n: usize,
    mode: Mode,
) -> Vec<BatchNorm> {
    let stats = |xs: &[f64]| {
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
        (mean, var)
    };
    let all = stats(y);
    let last = act_q.num_levels() - 1;
    let r = (act_q.value(last) - act_q.value(0)) / 2.0;
    let (centre, spread) = if mode == Mode::Residual {
        (0.5, 0.5)
    } else {
        (1.0, 1.0)
    };
    (0..co)
        .map(|c| {
            let (mean, var) = if n > 1 {
                stats(&y[c * n..(c + 1) * n])
            } else {
                all
            };
            let sign = if mode == Mode::Fused && rng.gen_range(0..16) == 0 {
                -1.0
            } else {
                1.0
            };
            BatchNorm {
                gamma: sign * spread * rng.gen_range(0.4..0.8) * r,
                beta: centre * (1.0 + 0.2 * normal(rng)) * r,
                mean,
                var,
                eps: 1e-5,
            }
        })
        .collect()
}
