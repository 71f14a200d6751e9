//! Encoding one lowered layer for the chosen engine: weight and activation codes, folded
//! thresholds padded to the engine's count, LUT levels, and the raw jobs' affine. A layer
//! whose engine is fed input indices (binary inputs) gets its [`ActOffset`] and thresholds
//! moved to the engine's accumulator.

use anyhow::{anyhow, Result};
use hdl::params::EngineParams;
use quant::accum::{AccBound, LevelRange};
use quant::gemm::LayerParams;
use quant::scalar::ScalarQuantizer;

use super::{ActOffset, GroupJob, Layer, Pre};
use crate::{lutmap, thresholds};

/// Encode one layer's jobs for the chosen engine.
pub(super) fn encode(
    p: Pre,
    quants: &[Box<dyn ScalarQuantizer>],
    e: &EngineParams,
) -> Result<Layer> {
    let aq = quants[p.in_q].as_ref();
    // The levels the engine multiplies (the indices themselves for binary inputs).
    let eng_levels = p.engine_levels(aq);
    let a_code: Vec<u32> = if e.is_lut() {
        (0..aq.num_levels() as u32).collect()
    } else {
        eng_levels
            .iter()
            .map(|&v| {
                e.a_code(v).ok_or_else(|| {
                    anyhow!(
                        "node {:?}: activation level {v} does not fit the engine's {}-bit codes",
                        p.name,
                        e.a_bits
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    let (m, k, _) = p.geom.mkn();
    let (m, k) = (m as usize, k as usize);
    let co = m * p.geom.groups();
    let act_offset = p.act_form.map(|(base, mul)| ActOffset {
        mul,
        base,
        sum_w: p
            .w_levels
            .chunks(k.max(1))
            .map(|row| row.iter().sum())
            .collect(),
    });
    let mags = lutmap::magnitudes(&p.weight_q);
    let w_code = |v: i64| -> Result<u32> {
        if e.is_lut() {
            Ok(lutmap::weight_code(&mags, e.w_bits, v))
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
        Some(lutmap::lut_levels(&mags, &eng_levels, e))
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
            // `to_int` folds against the true accumulator; an engine fed indices accumulates
            // `acc_e`, with `acc = mul·acc_e + base·sum_w[c]`.
            let (ts, bound) = match &act_offset {
                None => (int.thresholds, int.bound),
                Some(o) => {
                    let w_range = p
                        .weight_q
                        .iter()
                        .map(|q| LevelRange::of(q.as_ref()))
                        .reduce(LevelRange::union)
                        .ok_or_else(|| anyhow!("node {:?}: no weight quantizer", p.name))?;
                    let a_range = LevelRange::new(0, aq.num_levels() as i64 - 1);
                    let eb = AccBound::new(k as u64, w_range, a_range)
                        .map_err(|err| anyhow!("node {:?}: {err}", p.name))?;
                    let ts = int
                        .thresholds
                        .into_iter()
                        .enumerate()
                        .map(|(c, t)| {
                            thresholds::to_engine_domain(t, o.mul, o.base * o.sum_w[c], &eb)
                        })
                        .collect();
                    (ts, eb)
                }
            };
            Some(thresholds::pad(ts, &bound, e.thresholds() as usize))
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
        act_offset,
    })
}
