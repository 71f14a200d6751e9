//! Sizing the engine for a lowered model: the kind (bit-serial or LUT), the weight and
//! activation widths and encodings, the output width and the largest job's M, K, N.

use anyhow::{anyhow, bail, Result};
use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};
use hdl::popcount::ubits;
use quant::scalar::ScalarQuantizer;
use quant::spec::QuantSpec;

use super::{ArrayCfg, EngineChoice, Pre};
use crate::lutmap;

/// Whether a weight spec has uniform codes (bit-serial capable).
pub(super) fn is_uniform_weight(spec: &QuantSpec) -> bool {
    matches!(
        spec,
        QuantSpec::N2uqWeight(_)
            | QuantSpec::Uniform(_)
            | QuantSpec::Binary(_)
            | QuantSpec::Ternary(_)
    )
}

/// Whether an activation spec has uniform codes (bit-serial capable). Binary ±1 inputs run
/// through their indices (`super::offset::act_form`).
pub(super) fn is_uniform_act(spec: &QuantSpec) -> bool {
    matches!(
        spec,
        QuantSpec::N2uqAct(_)
            | QuantSpec::Uniform(_)
            | QuantSpec::Binary(_)
            | QuantSpec::MultiThreshold(_)
    )
}

/// Levels for an error message: all of them when few, else the first, the last and the count.
fn show_levels(a: &[i64]) -> String {
    if a.len() <= 8 {
        format!("{a:?}")
    } else {
        format!(
            "{} levels {}, {}, ..., {}",
            a.len(),
            a[0],
            a[1],
            a[a.len() - 1]
        )
    }
}

/// Smallest width of `enc` holding every level, if any.
fn enc_bits(enc: WeightEnc, lv: &[i64]) -> Option<u32> {
    (1..=8u32).find(|&b| {
        lv.iter().all(|&v| match enc {
            WeightEnc::Unsigned => v >= 0 && v < (1 << b),
            WeightEnc::Signed => b >= 2 && v >= -(1 << (b - 1)) && v < (1 << (b - 1)),
            WeightEnc::Offset => v.rem_euclid(2) == 1 && v.abs() < (1 << b),
            WeightEnc::SignMag => false,
        })
    })
}

/// Whether the model runs on the LUT engine: `Auto` picks it when some layer has non-uniform
/// levels; `BitSerial` refuses such a layer.
pub(super) fn choose_lut(kind: EngineChoice, pres: &[Pre]) -> Result<bool> {
    Ok(match kind {
        EngineChoice::Auto => pres.iter().any(|p| !p.uniform),
        EngineChoice::BitSerial => {
            if let Some(p) = pres.iter().find(|p| !p.uniform) {
                bail!(
                    "--engine bitserial: node {:?} has non-uniform levels (LCQ/QN); use the LUT engine",
                    p.name
                );
            }
            false
        }
        EngineChoice::Lut => true,
    })
}

/// The engine for `pres`: `cfg`'s array, the LUT or bit-serial kind, widths holding every
/// layer's codes.
pub(super) fn engine_params(
    pres: &[Pre],
    quants: &[Box<dyn ScalarQuantizer>],
    cfg: &ArrayCfg,
    lut: bool,
) -> Result<EngineParams> {
    let (mut mm, mut mk, mut mn) = (1u32, 1u32, 1u32);
    for p in pres {
        let (m, k, n) = p.geom.mkn();
        (mm, mk, mn) = (mm.max(m), mk.max(k), mn.max(n));
    }
    let out_bits = pres
        .iter()
        .filter_map(|p| p.out_q)
        .map(|q| ubits(quants[q].num_levels() as u64 - 1).max(1))
        .max()
        .unwrap_or(1);
    let (dm, dn, dk) = cfg
        .array
        .unwrap_or_else(|| crate::engine_spec::default_array(lut));
    let (kind, w_bits, a_bits, w_enc, a_enc) = if lut {
        let mut w_bits = 2;
        let mut a_bits = 1;
        let mut max_prod = 1u64;
        for p in pres {
            let mags = lutmap::magnitudes(&p.weight_q);
            if mags.is_empty() {
                bail!("node {:?}: every weight level is zero", p.name);
            }
            w_bits = w_bits.max(lutmap::weight_bits(&mags));
            let a = p.engine_levels(quants[p.in_q].as_ref());
            if !lutmap::act_levels_ok(&a) {
                bail!(
                    "node {:?}: the LUT engine needs input activation levels >= 0 with index 0 at level 0, got {}",
                    p.name,
                    show_levels(&a)
                );
            }
            a_bits = a_bits.max(lutmap::act_bits(&a));
            max_prod = max_prod.max(lutmap::max_product(&mags, &a));
        }
        (
            Kind::Lut {
                prod_bits: ubits(max_prod),
            },
            w_bits,
            a_bits,
            WeightEnc::SignMag,
            ActEnc::Unsigned,
        )
    } else {
        let all_w: Vec<i64> = pres
            .iter()
            .flat_map(|p| p.w_levels.iter().copied())
            .collect();
        let (w_enc, w_bits) = [WeightEnc::Offset, WeightEnc::Signed, WeightEnc::Unsigned]
            .into_iter()
            .filter_map(|e| enc_bits(e, &all_w).map(|b| (e, b)))
            .min_by_key(|&(_, b)| b)
            .ok_or_else(|| anyhow!("weights: no bit-serial encoding of 1..8 bits holds every layer's weight levels"))?;
        let all_a: Vec<i64> = pres
            .iter()
            .flat_map(|p| p.engine_levels(quants[p.in_q].as_ref()))
            .collect();
        let a_enc = if all_a.iter().all(|&v| v >= 0) {
            ActEnc::Unsigned
        } else {
            ActEnc::Signed
        };
        let wenc = match a_enc {
            ActEnc::Unsigned => WeightEnc::Unsigned,
            ActEnc::Signed => WeightEnc::Signed,
        };
        let a_bits = enc_bits(wenc, &all_a).ok_or_else(|| {
            anyhow!(
                "activations: levels {:?}..{:?} need more than 8 bits",
                all_a.iter().min(),
                all_a.iter().max()
            )
        })?;
        (Kind::BitSerial, w_bits, a_bits, w_enc, a_enc)
    };
    let p = EngineParams {
        kind,
        dm,
        dn,
        dk,
        w_bits,
        a_bits,
        out_bits,
        w_enc,
        a_enc,
        max_m: mm,
        max_k: mk,
        max_n: mn,
        target: cfg.target,
    };
    p.validate()
        .map_err(|e| anyhow!("engine for this model: {e}"))?;
    Ok(p)
}
