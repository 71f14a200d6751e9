//! FINN's `MultiThreshold` (shared thresholds, `out_scale`/`out_bias`) and QONNX `Trunc` where
//! it is an exact shift, both as IR `quant` nodes (`multithreshold` and floor-rounding
//! `uniform` specs).

use model::Op;
use quant::spec::QuantSpec;
use quant::uniform::Scale;
use serde_json::json;

use super::attrs::Attrs;
use super::quantize::scalar;
use super::Ctx;
use crate::error::{Error, Result};
use crate::graph::Node;

/// `MultiThreshold(x, thresholds)` with `out_scale` / `out_bias` (per-tensor thresholds).
pub(crate) fn multithreshold(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["out_dtype", "out_scale", "out_bias", "data_layout"])?;
    let layout = a.string("data_layout", "NCHW")?;
    if !matches!(layout.as_str(), "" | "NCHW" | "NC") {
        return Err(a.err(
            "data_layout",
            format!("{layout:?} is not supported (channels first: NCHW or NC)"),
        ));
    }
    let out_scale = a.float("out_scale", 1.0)? as f64;
    let out_bias = a.float("out_bias", 0.0)? as f64;
    let (ir, shape) = cx.dynamic(node, 0)?;
    let t = cx.constant(node, 1, "thresholds")?.clone();
    let at = format!("{}: input 1 (thresholds)", node.at());
    if t.dims.len() != 2 || t.dims[1] == 0 {
        return Err(Error::new(
            &at,
            format!("shape {:?}: expected [C, T] or [1, T]", t.dims),
        ));
    }
    let (rows, steps) = (t.dims[0], t.dims[1]);
    if rows != 1 && rows != shape[0] {
        return Err(Error::new(
            &at,
            format!("{rows} rows for an input of {} channels", shape[0]),
        ));
    }
    let first = &t.values[..steps];
    if t.values.chunks(steps).any(|r| r != first) {
        return Err(Error::new(
            &at,
            "per-channel thresholds (rows that differ) are not supported yet; only thresholds shared by every channel",
        ));
    }
    let spec = QuantSpec::from_value(json!({
        "method": "multithreshold",
        "thresholds": first,
        "out_scale": out_scale,
        "out_bias": out_bias,
    }))
    .map_err(|e| Error::new(node.at(), format!("quantizer: {e}")))?;
    cx.emit(node, Op::Quant { spec }, vec![ir], shape)
}

/// `Trunc(x, scale, zeropt, in_bits, out_scale, out_bits)` (qonnx opset 2), where it is an
/// exact shift: `x` holds the codes of a `uniform` quantizer of the same `scale`, and
/// `out_scale = scale · 2^k`; then it is a floor-rounding uniform quantizer of `out_scale`.
pub(crate) fn trunc(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["rounding_mode", "signed", "narrow"])?;
    let mode = a.string("rounding_mode", "FLOOR")?;
    let rounding = match mode.to_ascii_uppercase().as_str() {
        "FLOOR" => "floor",
        "ROUND" | "HALF_EVEN" => "round",
        _ => {
            return Err(a.err(
                "rounding_mode",
                format!("{mode:?} is not supported (FLOOR or ROUND)"),
            ))
        }
    };
    let signed = a.int_in("signed", 1, &[0, 1])? == 1;
    let narrow = a.int_in("narrow", 0, &[0, 1])? == 1;
    let qonnx_opset = node_opset(cx, node);
    if qonnx_opset < 2 || node.inputs.len() < 6 {
        return Err(Error::new(
            node.at(),
            "Trunc version 1 (qonnx opset 1, rescaling by the input scale) is not supported; re-export with qonnx opset 2",
        ));
    }
    let (ir, shape) = cx.dynamic(node, 0)?;
    let s = scalar(cx, node, 1, "scale")?;
    let zp = scalar(cx, node, 2, "zeropt")?;
    if zp != 0.0 {
        return Err(Error::new(
            format!("{}: input 2 (zeropt)", node.at()),
            format!("zero point {zp} is not supported (only 0)"),
        ));
    }
    let os = scalar(cx, node, 4, "output_scale")?;
    let ob = scalar(cx, node, 5, "output_bit_width")?;
    if ob.fract() != 0.0 || !(1.0..=8.0).contains(&ob) {
        return Err(Error::new(
            format!("{}: input 5 (output_bit_width)", node.at()),
            format!("bit width {ob} is not supported (an integer 1..8)"),
        ));
    }
    let shift = (os / s).log2().round();
    if !(s > 0.0 && os > 0.0) || s * 2f64.powf(shift) != os {
        return Err(Error::new(
            format!("{}: input 4 (output_scale)", node.at()),
            format!("output scale {os} is not the input scale {s} times a power of two: not an exact shift"),
        ));
    }
    // Exact only if x lies on the `scale` grid: it must be the output of a uniform quant
    // node of exactly this scale.
    let on_grid = cx.nodes.iter().any(|n| {
        n.name == ir
            && matches!(&n.op, Op::Quant { spec: QuantSpec::Uniform(u) } if u.scale == Scale::Tensor(s))
    });
    if !on_grid {
        return Err(Error::new(
            format!("{}: input 0 {:?}", node.at(), node.inputs[0]),
            format!("Trunc is supported where it is an exact shift: its input must come straight from a Quant node of scale {s}"),
        ));
    }
    let spec = QuantSpec::from_value(json!({
        "method": "uniform", "bits": ob as u32, "signed": signed, "narrow": narrow,
        "scale": os, "rounding": rounding,
    }))
    .map_err(|e| Error::new(node.at(), format!("quantizer: {e}")))?;
    cx.emit(node, Op::Quant { spec }, vec![ir], shape)
}

fn node_opset(cx: &Ctx, node: &Node) -> i64 {
    cx.graph.opset(&node.domain).unwrap_or(1)
}
