//! The QONNX quantizer ops `Quant` (`IntQuant`) and `BipolarQuant` (`MultiThreshold` and `Trunc`
//! are in `threshold.rs`).
//!
//! On a constant (a weight initializer) `Quant`/`BipolarQuant` are evaluated here exactly as
//! qonnx's executor does (float32 `x / scale`, clip, round half to even): the constant becomes
//! its dequantized values `code · scale` (exact in f64) and remembers the quantizer, which the
//! consuming `Gemm`/`MatMul`/`Conv` turns into its `weight_quant` (per output channel when the
//! scale is). On a computed tensor they become an IR `quant` node with the equivalent spec
//! (`uniform` with `narrow`, `binary` for bipolar and for 1-bit signed `Quant`).

use model::Op;
use quant::spec::QuantSpec;
use serde_json::{json, Value};

use super::attrs::Attrs;
use super::{Cst, Ctx, Val};
use crate::error::{Error, Result};
use crate::graph::Node;

/// The quantizer of a quantized weight constant.
#[derive(Debug, Clone)]
pub(crate) struct WeightQuant {
    /// `uniform` (`bits`, `signed`, `narrow`) or bipolar.
    pub kind: WKind,
    /// Scale values, broadcast against the weight (`scale_dims`, numpy rules).
    pub scale: Vec<f64>,
    /// Dims of `scale`.
    pub scale_dims: Vec<usize>,
}

/// Which weight quantizer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WKind {
    /// Integer codes.
    Uniform {
        /// Bits.
        bits: u32,
        /// Signed codes.
        signed: bool,
        /// Narrow range.
        narrow: bool,
    },
    /// ±1.
    Bipolar,
}

impl WeightQuant {
    /// The spec for a weight whose output channels are axis 0 of `dims`.
    pub fn spec(&self, dims: &[usize], at: &str) -> Result<QuantSpec> {
        let scale: Value = if self.scale.len() == 1 {
            json!(self.scale[0])
        } else {
            // Per channel: the scale must vary along axis 0 of the weight only.
            let rank = dims.len();
            let mut sd = vec![1usize; rank.saturating_sub(self.scale_dims.len())];
            sd.extend(&self.scale_dims);
            if sd.len() != rank || sd[0] != dims[0] || sd[1..].iter().any(|&d| d != 1) {
                return Err(Error::new(
                    at,
                    format!(
                        "weight scale of shape {:?} for a weight of shape {dims:?}: only per-tensor or per-output-channel scales ([{}, 1, ...]) are supported",
                        self.scale_dims, dims[0]
                    ),
                ));
            }
            json!(self.scale)
        };
        let v = match self.kind {
            WKind::Uniform {
                bits,
                signed,
                narrow,
            } => uniform_json(bits, signed, narrow, scale),
            WKind::Bipolar => {
                if self.scale.len() != 1 {
                    return Err(Error::new(
                        at,
                        "bipolar weights with a per-channel scale are not supported (per-tensor only)",
                    ));
                }
                json!({"method": "binary", "scale": scale})
            }
        };
        QuantSpec::from_value(v).map_err(|e| Error::new(at, format!("weight quantizer: {e}")))
    }
}

/// A `uniform` spec (`narrow` written only when set).
fn uniform_json(bits: u32, signed: bool, narrow: bool, scale: Value) -> Value {
    let mut v = json!({"method": "uniform", "bits": bits, "signed": signed, "scale": scale});
    if narrow {
        v["narrow"] = json!(true);
    }
    v
}

/// A scalar constant input (`zeropt`, `bitwidth`), or an error naming it.
pub(crate) fn scalar(cx: &Ctx, node: &Node, i: usize, what: &str) -> Result<f64> {
    let c = cx.constant(node, i, what)?;
    if c.values.len() != 1 {
        return Err(Error::new(
            format!("{}: input {i} ({what})", node.at()),
            format!("must be a scalar, got shape {:?}", c.dims),
        ));
    }
    Ok(c.values[0])
}

/// A positive, finite scale constant (any shape), as float32 values widened to f64.
fn scales(cx: &Ctx, node: &Node, i: usize) -> Result<(Vec<f64>, Vec<usize>)> {
    let c = cx.constant(node, i, "scale")?;
    if let Some(bad) = c.values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(Error::new(
            format!("{}: input {i} (scale)", node.at()),
            format!("every scale must be finite and > 0, got {bad}"),
        ));
    }
    if c.values.is_empty() {
        return Err(Error::new(
            format!("{}: input {i} (scale)", node.at()),
            "is empty",
        ));
    }
    Ok((c.values.clone(), c.dims.clone()))
}

/// For each element of a `dims`-shaped tensor, the index of the `sd`-shaped scale numpy
/// pairs it with (`sd` already checked broadcastable).
fn bcast_index(sd: &[usize], dims: &[usize]) -> impl Fn(usize) -> usize {
    let off = dims.len() - sd.len();
    // Per axis of `dims`: (size, stride in the scale or 0 where the scale broadcasts).
    let mut axes = Vec::with_capacity(dims.len());
    let mut stride = 1usize;
    let mut sstr = vec![0usize; dims.len()];
    for ax in (0..sd.len()).rev() {
        sstr[ax + off] = if sd[ax] == 1 { 0 } else { stride };
        stride *= sd[ax];
    }
    for (ax, &d) in dims.iter().enumerate() {
        axes.push((d, sstr[ax]));
    }
    move |i: usize| {
        let (mut rem, mut idx) = (i, 0usize);
        for &(d, st) in axes.iter().rev() {
            idx += (rem % d) * st;
            rem /= d;
        }
        idx
    }
}

/// Whether `sd` broadcasts against `dims` (numpy rules, result shape `dims`).
fn broadcasts(sd: &[usize], dims: &[usize]) -> bool {
    sd.len() <= dims.len()
        && sd
            .iter()
            .rev()
            .zip(dims.iter().rev())
            .all(|(&a, &b)| a == 1 || a == b)
}

/// `Quant(x, scale, zeropt, bitwidth)`.
pub(crate) fn quant(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["signed", "narrow", "rounding_mode"])?;
    let signed = a.int_in("signed", 1, &[0, 1])? == 1;
    let narrow = a.int_in("narrow", 0, &[0, 1])? == 1;
    let mode = a.string("rounding_mode", "ROUND")?;
    if !matches!(mode.to_ascii_uppercase().as_str(), "ROUND" | "HALF_EVEN") {
        return Err(a.err(
            "rounding_mode",
            format!("{mode:?} is not supported (ROUND, i.e. half to even)"),
        ));
    }
    let (s, sd) = scales(cx, node, 1)?;
    let zp = scalar(cx, node, 2, "zeropt")?;
    if zp != 0.0 {
        return Err(Error::new(
            format!("{}: input 2 (zeropt)", node.at()),
            format!("zero point {zp} is not supported (only 0: symmetric or unsigned codes)"),
        ));
    }
    let bw = scalar(cx, node, 3, "bitwidth")?;
    if bw.fract() != 0.0 || !(1.0..=8.0).contains(&bw) {
        return Err(Error::new(
            format!("{}: input 3 (bitwidth)", node.at()),
            format!("bit width {bw} is not supported (an integer 1..8)"),
        ));
    }
    let bits = bw as u32;
    // qonnx: a signed 1-bit Quant is the sign function (±1), like BipolarQuant.
    let bipolar = bits == 1 && signed;
    let kind = if bipolar {
        WKind::Bipolar
    } else {
        WKind::Uniform {
            bits,
            signed,
            narrow,
        }
    };
    let (ir, shape) = match cx.input(node, 0)? {
        Val::Const(c) => {
            let v = quantize_const(node, c, &s, &sd, kind)?;
            return cx.set(node, Val::Const(v));
        }
        Val::Dyn { ir, shape } => (ir.clone(), shape.clone()),
    };
    {
        {
            if s.len() != 1 {
                return Err(Error::new(
                    format!("{}: input 1 (scale)", node.at()),
                    format!(
                        "a per-channel scale (shape {:?}) on activations is not supported (per-tensor only)", sd
                    ),
                ));
            }
            let spec = match kind {
                WKind::Bipolar => json!({"method": "binary", "scale": s[0]}),
                WKind::Uniform { .. } => uniform_json(bits, signed, narrow, json!(s[0])),
            };
            let spec = QuantSpec::from_value(spec)
                .map_err(|e| Error::new(node.at(), format!("quantizer: {e}")))?;
            cx.emit(node, Op::Quant { spec }, vec![ir], shape)
        }
    }
}

/// `BipolarQuant(x, scale)`: `x >= 0 → +scale`, else `−scale`.
pub(crate) fn bipolar(cx: &mut Ctx, node: &Node) -> Result<()> {
    Attrs::new(node, &[])?;
    let (s, sd) = scales(cx, node, 1)?;
    let (ir, shape) = match cx.input(node, 0)? {
        Val::Const(c) => {
            let v = quantize_const(node, c, &s, &sd, WKind::Bipolar)?;
            return cx.set(node, Val::Const(v));
        }
        Val::Dyn { ir, shape } => (ir.clone(), shape.clone()),
    };
    {
        if s.len() != 1 {
            return Err(Error::new(
                format!("{}: input 1 (scale)", node.at()),
                "a per-channel scale on activations is not supported (per-tensor only)",
            ));
        }
        let spec = QuantSpec::from_value(json!({"method": "binary", "scale": s[0]}))
            .map_err(|e| Error::new(node.at(), format!("quantizer: {e}")))?;
        cx.emit(node, Op::Quant { spec }, vec![ir], shape)
    }
}

/// Evaluate a weight quantizer on a constant as qonnx does (float32 arithmetic).
fn quantize_const(node: &Node, c: &Cst, s: &[f64], sd: &[usize], kind: WKind) -> Result<Cst> {
    if c.wq.is_some() {
        return Err(Error::new(
            node.at(),
            "quantizes an already quantized constant (two weight quantizers in a row)",
        ));
    }
    if !broadcasts(sd, &c.dims) {
        return Err(Error::new(
            format!("{}: input 1 (scale)", node.at()),
            format!(
                "shape {sd:?} does not broadcast to the weight's {:?}",
                c.dims
            ),
        ));
    }
    let mut values = Vec::with_capacity(c.values.len());
    let scale_of = bcast_index(sd, &c.dims);
    // The common case, one scale per output channel (axis 0): a division per element.
    let numel = c.values.len().max(1);
    let axis0 = s.len() > 1
        && !c.dims.is_empty()
        && s.len() == c.dims[0]
        && sd.iter().filter(|&&d| d != 1).count() == 1
        && sd.len() == c.dims.len()
        && sd[0] == c.dims[0];
    let inner = numel / c.dims.first().copied().unwrap_or(1).max(1);
    for (i, &x) in c.values.iter().enumerate() {
        if !x.is_finite() {
            return Err(Error::new(
                format!("{}: input 0", node.at()),
                format!("weight element {i} is {x}"),
            ));
        }
        let sc = if s.len() == 1 {
            s[0]
        } else if axis0 {
            s[i / inner]
        } else {
            s[scale_of(i)]
        };
        let code = match kind {
            WKind::Bipolar => {
                if x >= 0.0 {
                    1.0
                } else {
                    -1.0
                }
            }
            WKind::Uniform {
                bits,
                signed,
                narrow,
            } => {
                let (lo, hi) = quant::uniform::code_range(bits, signed, narrow);
                // float32 as numpy: y = x / scale (the file's float32 values), clip, round.
                let y = (x as f32) / (sc as f32);
                quant::staircase::round_half_even((y as f64).clamp(lo as f64, hi as f64))
            }
        };
        values.push(code * sc);
    }
    Ok(Cst {
        dims: c.dims.clone(),
        values,
        int: false,
        wq: Some(WeightQuant {
            kind,
            scale: s.to_vec(),
            scale_dims: sd.to_vec(),
        }),
    })
}
