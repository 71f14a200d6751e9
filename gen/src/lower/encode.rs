//! Encoding one lowered layer for the chosen engine: weight and activation codes, folded
//! thresholds padded to the engine's count, LUT levels, and the raw jobs' affine.

use anyhow::{anyhow, Result};
use hdl::params::EngineParams;
use quant::fold::{ChannelThresholds, Direction};
use quant::gemm::LayerParams;
use quant::scalar::ScalarQuantizer;
use sim::job::LutLevels;

use super::{levels, GroupJob, Layer, Pre};

/// Distinct non-zero weight magnitudes of a layer, sorted.
pub(super) fn magnitudes(p: &Pre) -> Vec<u64> {
    let mut m: Vec<u64> = p
        .weight_q
        .iter()
        .flat_map(|q| (0..q.num_levels()).map(|i| q.level(i).unsigned_abs()))
        .filter(|&v| v != 0)
        .collect();
    m.sort_unstable();
    m.dedup();
    m
}

/// Encode one layer's jobs for the chosen engine.
pub(super) fn encode(
    p: Pre,
    quants: &[Box<dyn ScalarQuantizer>],
    e: &EngineParams,
) -> Result<Layer> {
    let aq = quants[p.in_q].as_ref();
    let a_code: Vec<u32> = if e.is_lut() {
        (0..aq.num_levels() as u32).collect()
    } else {
        (0..aq.num_levels())
            .map(|i| {
                e.a_code(aq.level(i)).ok_or_else(|| {
                    anyhow!(
                        "node {:?}: activation level {} does not fit the engine's {}-bit codes",
                        p.name,
                        aq.level(i),
                        e.a_bits
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    let (m, k, _) = p.geom.mkn();
    let (m, k) = (m as usize, k as usize);
    let co = m * p.geom.groups();
    let mags = magnitudes(&p);
    let w_code = |v: i64| -> Result<u32> {
        if e.is_lut() {
            let j = mags
                .binary_search(&v.unsigned_abs())
                .map_or(0, |i| i as u32 + 1);
            Ok(if v < 0 { (1 << (e.w_bits - 1)) | j } else { j })
        } else {
            e.w_code(v).ok_or_else(|| {
                anyhow!(
                    "node {:?}: weight level {v} does not fit the engine's {}-bit {:?} codes",
                    p.name,
                    e.w_bits,
                    e.w_enc
                )
            })
        }
    };
    let levels_of_job = if e.is_lut() {
        let a = levels(aq);
        let mut a_level: Vec<u64> = a[1..].iter().map(|&v| v as u64).collect();
        a_level.resize(e.a_nonzero() as usize, 0);
        let mut w_mag = mags.clone();
        w_mag.resize(e.w_mags() as usize, 0);
        Some(LutLevels { w_mag, a_level })
    } else {
        None
    };
    let folded = match p.out_q {
        None => None,
        Some(q) => {
            let lp = LayerParams {
                weight_q: &p.weight_q,
                weight_idx: &p.weight_idx,
                m: co,
                k,
                act_q: aq,
                bias: &p.bias,
                bn: &p.bn,
                next_q: quants[q].as_ref(),
            };
            let int = lp
                .to_int()
                .map_err(|err| anyhow!("node {:?}: {err}", p.name))?;
            let want = e.thresholds() as usize;
            let (lo, hi) = (int.bound.lo as i64 - 1, int.bound.hi as i64 + 1);
            let padded: Vec<ChannelThresholds> = int
                .thresholds
                .into_iter()
                .map(|mut t| {
                    let never = if t.direction == Direction::Descending {
                        lo
                    } else {
                        hi
                    };
                    t.t.resize(want, never);
                    t
                })
                .collect();
            Some(padded)
        }
    };
    let mut jobs = Vec::new();
    for g in 0..p.geom.groups() {
        let rows = g * m..(g + 1) * m;
        let w_codes = p.w_levels[rows.start * k..rows.end * k]
            .iter()
            .map(|&v| w_code(v))
            .collect::<Result<Vec<u32>>>()?;
        let thresholds = folded
            .as_ref()
            .map_or_else(Vec::new, |t| t[rows.clone()].to_vec());
        jobs.push(GroupJob {
            w_codes,
            thresholds,
            levels: levels_of_job.clone(),
        });
    }
    let affine = (0..co)
        .map(|c| {
            let wq = p.weight_q[if p.weight_q.len() == 1 { 0 } else { c }].as_ref();
            (
                wq.level_scale() * aq.level_scale(),
                p.bias.get(c).copied().unwrap_or(0.0),
            )
        })
        .collect();
    Ok(Layer {
        name: p.name,
        input: p.input,
        in_q: p.in_q,
        output: p.output,
        out_q: p.out_q,
        geom: p.geom,
        jobs,
        affine,
        a_code,
        bn: p.bn,
    })
}
