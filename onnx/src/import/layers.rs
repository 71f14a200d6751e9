//! The layers: `Gemm` and `MatMul` become `fc` (weights `[out, in]`, transposed here when the
//! file stores them `[in, out]`), `Conv` becomes `conv`. A weight that went through a
//! `Quant`/`BipolarQuant` keeps that quantizer as the layer's `weight_quant` (an engine
//! job); a plain float weight makes a float layer on the host.

use model::{Op, Tensor};

use super::attrs::Attrs;
use super::{Cst, Ctx};
use crate::error::{Error, Result};
use crate::graph::Node;

/// `dims` of a 2-D constant transposed, with its values.
pub(crate) fn transpose2(c: &Cst) -> Cst {
    let (r, k) = (c.dims[0], c.dims[1]);
    let mut v = vec![0.0; r * k];
    for i in 0..r {
        for j in 0..k {
            v[j * r + i] = c.values[i * k + j];
        }
    }
    let wq = c.wq.clone().map(|mut q| {
        if q.scale.len() > 1 {
            // The scale transposes with the weight: pad to rank 2 (numpy), swap the axes.
            let mut sd = vec![1usize; 2usize.saturating_sub(q.scale_dims.len())];
            sd.extend(&q.scale_dims);
            if sd.len() == 2 {
                let (a, b) = (sd[0], sd[1]);
                let mut v = vec![0.0; q.scale.len()];
                for i in 0..a {
                    for j in 0..b {
                        v[j * a + i] = q.scale[i * b + j];
                    }
                }
                q.scale = v;
                q.scale_dims = vec![b, a];
            }
        }
        q
    });
    Cst {
        dims: vec![k, r],
        values: v,
        int: c.int,
        wq,
    }
}

fn tensor(c: &Cst, at: &str) -> Result<Tensor> {
    Tensor::new(c.dims.clone(), c.values.clone()).map_err(|e| Error::new(at, e.to_string()))
}

/// The bias input: a constant of `n` values (`[n]` or `[1, n]`).
fn bias(cx: &Ctx, node: &Node, i: usize, n: usize) -> Result<Option<Tensor>> {
    if !cx.has_input(node, i) {
        return Ok(None);
    }
    let c = cx.constant(node, i, "bias")?;
    if c.values.len() != n || c.dims.iter().filter(|&&d| d != 1).count() > 1 {
        return Err(Error::new(
            format!("{}: input {i} (bias)", node.at()),
            format!(
                "shape {:?}: expected {n} values ([{n}] or [1, {n}])",
                c.dims
            ),
        ));
    }
    if c.wq.is_some() {
        return Err(Error::new(
            format!("{}: input {i} (bias)", node.at()),
            "a quantized bias is not supported (the engine adds float biases on the host or folds them into thresholds)",
        ));
    }
    Ok(Some(Tensor::vector(c.values.clone())))
}

fn weight_quant(c: &Cst, node: &Node) -> Result<Option<quant::spec::QuantSpec>> {
    c.wq.as_ref()
        .map(|q| q.spec(&c.dims, &format!("{}: weight", node.at())))
        .transpose()
}

/// The flat input of a `Gemm`/`MatMul`: (IR name, features).
fn flat_input(cx: &Ctx, node: &Node) -> Result<(String, usize)> {
    let (ir, shape) = cx.dynamic(node, 0)?;
    match shape.as_slice() {
        [f] => Ok((ir, *f)),
        _ => Err(Error::new(
            format!("{}: input 0 {:?}", node.at(), node.inputs[0]),
            format!("has per-sample shape {shape:?}; Gemm/MatMul need a flat [N, F] input (add a Flatten)"),
        )),
    }
}

/// `Gemm(A, B, C)`: `alpha = beta = 1`, `transA = 0`.
pub(crate) fn gemm(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["alpha", "beta", "transA", "transB"])?;
    for name in ["alpha", "beta"] {
        let v = a.float(name, 1.0)?;
        if v != 1.0 {
            return Err(a.err(name, format!("{v} is not supported (only 1.0)")));
        }
    }
    a.int_in("transA", 0, &[0])?;
    let trans_b = a.int_in("transB", 0, &[0, 1])? == 1;
    let (ir, f) = flat_input(cx, node)?;
    let w = cx.constant(node, 1, "weight B")?.clone();
    if w.dims.len() != 2 {
        return Err(Error::new(
            format!("{}: input 1 (weight B)", node.at()),
            format!("shape {:?}: expected 2-D", w.dims),
        ));
    }
    let w = if trans_b { w } else { transpose2(&w) };
    fc(cx, node, ir, f, w, 2)
}

/// `MatMul(A, B)` with a constant `B` of `[in, out]`.
pub(crate) fn matmul(cx: &mut Ctx, node: &Node) -> Result<()> {
    Attrs::new(node, &[])?;
    let (ir, f) = flat_input(cx, node)?;
    let w = cx.constant(node, 1, "weight B")?.clone();
    if w.dims.len() != 2 {
        return Err(Error::new(
            format!("{}: input 1 (weight B)", node.at()),
            format!("shape {:?}: expected 2-D [in, out]", w.dims),
        ));
    }
    fc(cx, node, ir, f, transpose2(&w), usize::MAX)
}

fn fc(cx: &mut Ctx, node: &Node, ir: String, f: usize, w: Cst, bias_input: usize) -> Result<()> {
    let (out, inf) = (w.dims[0], w.dims[1]);
    if inf != f {
        return Err(Error::new(
            format!("{}: input 1 (weight)", node.at()),
            format!("has {inf} inputs per output but the input has {f} features"),
        ));
    }
    let weight_quant = weight_quant(&w, node)?;
    let bias = if bias_input == usize::MAX {
        None
    } else {
        bias(cx, node, bias_input, out)?
    };
    let op = Op::Fc {
        weight: tensor(&w, &node.at())?,
        bias,
        weight_quant,
    };
    cx.emit(node, op, vec![ir], vec![out])
}

/// `Conv(X, W, B)`: 2-D, square kernel, equal strides, symmetric pads, no dilation.
pub(crate) fn conv(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(
        node,
        &[
            "kernel_shape",
            "strides",
            "pads",
            "dilations",
            "group",
            "auto_pad",
        ],
    )?;
    let (ir, shape) = cx.dynamic(node, 0)?;
    let [c, h, wd] = shape[..] else {
        return Err(Error::new(
            format!("{}: input 0", node.at()),
            format!("per-sample shape {shape:?}: Conv needs [C, H, W]"),
        ));
    };
    let w = cx.constant(node, 1, "weight W")?.clone();
    if w.dims.len() != 4 || w.dims[2] != w.dims[3] {
        return Err(Error::new(
            format!("{}: input 1 (weight W)", node.at()),
            format!(
                "shape {:?}: expected [Co, Ci/group, k, k] (square 2-D kernels)",
                w.dims
            ),
        ));
    }
    let k = w.dims[2];
    if a.square("kernel_shape", Some(k))? != k {
        return Err(a.err(
            "kernel_shape",
            format!("does not match the weight's {k}x{k}"),
        ));
    }
    let stride = a.square("strides", Some(1))?;
    let pad = a.pads()?;
    a.no_dilation()?;
    a.no_auto_pad(pad)?;
    let groups = a.int("group", 1)?;
    if groups < 1 || c % groups as usize != 0 || w.dims[1] * groups as usize != c {
        return Err(a.err(
            "group",
            format!("{groups} with {c} input channels and weight {:?}", w.dims),
        ));
    }
    let co = w.dims[0];
    let bias = bias(cx, node, 2, co)?;
    if h + 2 * pad < k || wd + 2 * pad < k {
        return Err(Error::new(
            node.at(),
            format!("kernel {k} is larger than the padded input {h}x{wd} (pad {pad})"),
        ));
    }
    let (ho, wo) = (
        (h + 2 * pad - k) / stride + 1,
        (wd + 2 * pad - k) / stride + 1,
    );
    let weight_quant = weight_quant(&w, node)?;
    let op = Op::Conv {
        weight: tensor(&w, &node.at())?,
        bias,
        stride,
        padding: pad,
        groups: groups as usize,
        weight_quant,
    };
    cx.emit(node, op, vec![ir], vec![co, ho, wo])
}
