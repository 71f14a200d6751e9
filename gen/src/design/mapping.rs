//! Mapping a design's synthetic layer onto an engine: the engine parameters (validated,
//! errors naming the config field), the uniform / binary / ternary baselines on the
//! bit-serial engine, and LCQ / QN levels on the LUT-multiplier engine (sign-magnitude codes,
//! product table, padded thresholds).

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};
use hdl::popcount::ubits;
use quant::example_layer::{ExampleLayer, Method};
use quant::gemm::IntLayer;
use sim::job::Job;

use super::EngineCfg;
use crate::{lutmap, thresholds};

/// The engine of a design: the config's array, its limits (by default the layer's own M, K,
/// N), unsigned activation codes; validated, errors naming the config field.
pub(super) fn engine_params(
    e: &EngineCfg,
    (dm, dn, dk): (u32, u32, u32),
    (m, k, n): (u32, u32, u32),
    kind: Kind,
    (w_bits, a_bits, out_bits): (u32, u32, u32),
    w_enc: WeightEnc,
) -> Result<EngineParams> {
    let p = EngineParams {
        kind,
        dm,
        dn,
        dk,
        w_bits,
        a_bits,
        out_bits,
        w_enc,
        a_enc: ActEnc::Unsigned,
        max_m: e.max_m.unwrap_or(m),
        max_k: e.max_k.unwrap_or(k),
        max_n: e.max_n.unwrap_or(n),
        // Checked by `EngineSpec::from_cfg` before any layer is built.
        target: e
            .target
            .as_deref()
            .and_then(hdl::params::Target::parse)
            .unwrap_or_default(),
    };
    p.validate().map_err(|msg| {
        let lut = if p.is_lut() {
            " (LUT engine for this layer)"
        } else {
            ""
        };
        anyhow::anyhow!("engine.{msg}{lut}")
    })?;
    Ok(p)
}

/// Map a uniform / binary / ternary layer onto the bit-serial engine: uniform weights as
/// two's-complement (or unsigned) codes, binary ±1 as 1-bit offset codes (`2·c − 1`),
/// ternary {−1, 0, 1} as 2-bit two's complement; activations are the uniform unsigned
/// quantizer's indices (= levels). Every code is checked to decode to the integer layer's
/// level, so the job's golden output is the integer reference's.
pub(super) fn baseline_design(
    layer: &ExampleLayer,
    int: &IntLayer,
    method: &Method,
    w_bits: u32,
    (dm, dn, dk): (u32, u32, u32),
    e: &EngineCfg,
    (m, k, n): (u32, u32, u32),
) -> Result<(EngineParams, Job)> {
    let w_enc = match method {
        Method::Uniform { signed: true } | Method::Ternary => WeightEnc::Signed,
        Method::Uniform { signed: false } => WeightEnc::Unsigned,
        Method::Binary => WeightEnc::Offset,
        _ => unreachable!("only baselines come here"),
    };
    let aq = &layer.act_q;
    let a_bits = ubits(aq.num_levels() as u64 - 1);
    let out_bits = ubits(layer.next_q.num_levels() as u64 - 1);
    let params = engine_params(
        e,
        (dm, dn, dk),
        (m, k, n),
        Kind::BitSerial,
        (w_bits, a_bits, out_bits),
        w_enc,
    )?;
    // The code of every distinct level (a handful), then of every weight.
    let mut code_of = BTreeMap::new();
    for &v in &int.weights {
        if let Entry::Vacant(slot) = code_of.entry(v) {
            let c = params.w_code(v).with_context(|| {
                format!("layer: weight level {v} does not fit {w_bits}-bit {w_enc:?} codes")
            })?;
            slot.insert(c);
        }
    }
    let w_codes = int.weights.iter().map(|v| code_of[v]).collect();
    let a_idx = layer.act_idx_im2col();
    let a_codes: Vec<u32> = a_idx.iter().map(|&i| i as u32).collect();
    if a_idx
        .iter()
        .zip(&a_codes)
        .any(|(&i, &c)| params.a_level(c) != aq.level(i))
    {
        bail!("layer: an activation level is not its unsigned code");
    }
    let job = Job {
        m,
        k,
        n,
        w_codes,
        a_codes,
        thresholds: int.thresholds.clone(),
        levels: None,
        raw: false,
    };
    Ok((params, job))
}

/// Map a layer onto the LUT-multiplier engine: weight levels to sign-magnitude codes over the
/// distinct non-zero magnitudes, activation indices as codes (index 0 must be the zero
/// level), thresholds padded to a power of two with never-passed entries.
pub(super) fn lut_design(
    layer: &ExampleLayer,
    int: &IntLayer,
    (dm, dn, dk): (u32, u32, u32),
    e: &EngineCfg,
    (m, k, n): (u32, u32, u32),
) -> Result<(EngineParams, Job)> {
    let mags = lutmap::magnitudes(&layer.weight_q.quantizers);
    if mags.is_empty() {
        bail!("layer: every weight level is zero");
    }
    let w_bits = lutmap::weight_bits(&mags);
    let aq = &layer.act_q;
    let a_lv: Vec<i64> = (0..aq.num_levels()).map(|i| aq.level(i)).collect();
    if !lutmap::act_levels_ok(&a_lv) {
        bail!(
            "layer: the LUT engine needs activation levels >= 0 with index 0 at level 0, got {a_lv:?}"
        );
    }
    let a_bits = lutmap::act_bits(&a_lv);
    let max_prod = lutmap::max_product(&mags, &a_lv);
    let next_levels = layer.next_q.num_levels() as u64;
    let out_bits = ubits(next_levels - 1);
    let params = engine_params(
        e,
        (dm, dn, dk),
        (m, k, n),
        Kind::Lut {
            prod_bits: ubits(max_prod),
        },
        (w_bits, a_bits, out_bits),
        WeightEnc::SignMag,
    )?;
    let w_codes = int
        .weights
        .iter()
        .map(|&v| lutmap::weight_code(&mags, w_bits, v))
        .collect();
    // Pad each channel's thresholds to 2^out_bits − 1 with entries no accumulator passes.
    let thresholds = thresholds::pad(
        int.thresholds.clone(),
        &int.bound,
        params.thresholds() as usize,
    );
    let job = Job {
        m,
        k,
        n,
        w_codes,
        a_codes: layer.act_idx_im2col().iter().map(|&i| i as u32).collect(),
        thresholds,
        levels: Some(lutmap::lut_levels(&mags, &a_lv, &params)),
        raw: false,
    };
    Ok((params, job))
}
