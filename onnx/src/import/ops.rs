//! One ONNX node → IR: the dispatcher, and the ops other than quantizers and layers:
//! `BatchNormalization`, `Relu`, `Add`/`Sub`/`Mul`/`Div`, the pools, and the structural ops
//! (`Reshape`, `Flatten`, `Squeeze`, `Transpose`, `Identity`, `Constant`), which on computed
//! tensors only rename (or become `flatten`) and on constants are evaluated.

use model::{Op, Tensor};

use super::attrs::Attrs;
use super::layers::transpose2;
use super::{layers, quantize, Cst, Ctx, Val, QONNX_DOMAINS, SUPPORTED};
use crate::error::{Error, Result};
use crate::graph::{Attr, Node};

/// Import one node.
pub(crate) fn node(cx: &mut Ctx, node: &Node) -> Result<()> {
    let qonnx = QONNX_DOMAINS.contains(&node.domain.as_str());
    let std = node.domain.is_empty() || node.domain == "ai.onnx";
    match (node.op_type.as_str(), qonnx, std) {
        ("Quant" | "IntQuant", true, _) => quantize::quant(cx, node),
        ("BipolarQuant", true, _) => quantize::bipolar(cx, node),
        ("MultiThreshold", true, _) => quantize::multithreshold(cx, node),
        ("Trunc", true, _) => quantize::trunc(cx, node),
        ("Gemm", _, true) => layers::gemm(cx, node),
        ("MatMul", _, true) => layers::matmul(cx, node),
        ("Conv", _, true) => layers::conv(cx, node),
        ("BatchNormalization", _, true) => batchnorm(cx, node),
        ("Relu", _, true) => unary(cx, node, Op::Relu),
        ("Add" | "Sub" | "Mul" | "Div", _, true) => arith(cx, node),
        ("MaxPool" | "AveragePool", _, true) => pool(cx, node),
        ("GlobalAveragePool", _, true) => global_avgpool(cx, node),
        ("Reshape", _, true) => reshape(cx, node),
        ("Flatten", _, true) => flatten(cx, node),
        ("Squeeze", _, true) => squeeze(cx, node),
        ("Transpose", _, true) => transpose(cx, node),
        ("Identity", _, true) => {
            Attrs::new(node, &[])?;
            let v = cx.input(node, 0)?.clone();
            cx.set(node, v)
        }
        ("Constant", _, true) => constant(cx, node),
        (op, _, _) => Err(Error::new(
            node.at(),
            format!(
                "op {op:?} of domain {:?} is not supported (supported: {}; quantizers from {})",
                if node.domain.is_empty() {
                    "ai.onnx"
                } else {
                    &node.domain
                },
                SUPPORTED.join(", "),
                QONNX_DOMAINS.join(" / ")
            ),
        )),
    }
}

fn unary(cx: &mut Ctx, node: &Node, op: Op) -> Result<()> {
    Attrs::new(node, &[])?;
    let (ir, shape) = cx.dynamic(node, 0)?;
    cx.emit(node, op, vec![ir], shape)
}

/// Inference BatchNormalization over the channel axis.
fn batchnorm(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["epsilon", "momentum", "training_mode", "spatial"])?;
    a.int_in("training_mode", 0, &[0])?;
    a.int_in("spatial", 1, &[1])?;
    let eps = a.float("epsilon", 1e-5)? as f64;
    if node.outputs.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(Error::new(
            node.at(),
            "has training outputs (running mean/var); only inference BatchNormalization is supported",
        ));
    }
    let (ir, shape) = cx.dynamic(node, 0)?;
    let c = shape[0];
    let mut params = Vec::new();
    for (i, what) in [(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")] {
        let t = cx.constant(node, i, what)?;
        if t.values.len() != c {
            return Err(Error::new(
                format!("{}: input {i} ({what})", node.at()),
                format!("has {} values for {c} channels", t.values.len()),
            ));
        }
        params.push(t.values.clone());
    }
    let var = params.pop().expect("4 params");
    let mean = params.pop().expect("4 params");
    let beta = params.pop().expect("4 params");
    let gamma = params.pop().expect("4 params");
    let op = Op::BatchNorm {
        gamma,
        beta,
        mean,
        var,
        eps,
    };
    cx.emit(node, op, vec![ir], shape)
}

/// `Add` of two computed tensors; `Add`/`Sub`/`Mul`/`Div` with one constant operand.
fn arith(cx: &mut Ctx, node: &Node) -> Result<()> {
    Attrs::new(node, &[])?;
    let (a, b) = (cx.input(node, 0)?.clone(), cx.input(node, 1)?.clone());
    match (&a, &b) {
        (Val::Dyn { ir: x, shape: sx }, Val::Dyn { ir: y, shape: sy }) => {
            if node.op_type != "Add" {
                return Err(Error::new(
                    node.at(),
                    format!("{} of two computed tensors is not supported (only Add; Mul/Div/Sub need a constant operand)", node.op_type),
                ));
            }
            if sx != sy {
                return Err(Error::new(
                    node.at(),
                    format!(
                        "operands have shapes {sx:?} and {sy:?}; broadcasting Add is not supported"
                    ),
                ));
            }
            let shape = sx.clone();
            cx.emit(node, Op::Add, vec![x.clone(), y.clone()], shape)
        }
        (Val::Dyn { ir, shape }, Val::Const(c)) => {
            let v = channel_values(node, 1, c, shape)?;
            const_arith(cx, node, ir.clone(), shape.clone(), v)
        }
        (Val::Const(c), Val::Dyn { ir, shape })
            if matches!(node.op_type.as_str(), "Add" | "Mul") =>
        {
            let v = channel_values(node, 0, c, shape)?;
            const_arith(cx, node, ir.clone(), shape.clone(), v)
        }
        (Val::Const(_), Val::Dyn { .. }) => Err(Error::new(
            node.at(),
            format!(
                "{} with the constant as the first operand is not supported",
                node.op_type
            ),
        )),
        (Val::Const(_), Val::Const(_)) => Err(Error::new(
            node.at(),
            "both operands are constants; fold them before import (qonnx-cleanup does)",
        )),
    }
}

/// A constant operand as a scalar or one value per channel of `shape` (numpy broadcasting
/// against `[1, *shape]`).
fn channel_values(node: &Node, i: usize, c: &Cst, shape: &[usize]) -> Result<Vec<f64>> {
    let at = format!("{}: input {i} {:?}", node.at(), node.inputs[i]);
    if c.values.len() == 1 {
        return Ok(c.values.clone());
    }
    // Full rank with batch: [1, C, 1, 1] / [1, F]; or without: [C, 1, 1] / [F].
    let mut d = c.dims.clone();
    if d.len() == shape.len() + 1 && d[0] == 1 {
        d.remove(0);
    }
    let per_channel = d.len() == shape.len() && d[0] == shape[0] && d[1..].iter().all(|&x| x == 1);
    if !per_channel {
        return Err(Error::new(
            at,
            format!(
                "shape {:?} against per-sample shape {shape:?}: only a scalar or one value per channel is supported",
                c.dims
            ),
        ));
    }
    Ok(c.values.clone())
}

fn const_arith(
    cx: &mut Ctx,
    node: &Node,
    ir: String,
    shape: Vec<usize>,
    v: Vec<f64>,
) -> Result<()> {
    let value = |v: Vec<f64>| Tensor::vector(v);
    let op = match node.op_type.as_str() {
        "Add" => Op::AddConst { value: value(v) },
        "Sub" => Op::AddConst {
            value: value(v.iter().map(|x| -x).collect()),
        },
        "Mul" => Op::Mul { value: value(v) },
        _ => {
            if let Some(i) = v.iter().position(|&x| x == 0.0) {
                return Err(Error::new(
                    format!("{}: input 1 {:?}", node.at(), node.inputs[1]),
                    format!("element {i} is 0: division by zero"),
                ));
            }
            Op::Div { value: value(v) }
        }
    };
    cx.emit(node, op, vec![ir], shape)
}

/// `MaxPool` / `AveragePool`: square kernel, equal strides, symmetric pads.
fn pool(cx: &mut Ctx, node: &Node) -> Result<()> {
    let avg = node.op_type == "AveragePool";
    let known: &[&str] = if avg {
        &[
            "kernel_shape",
            "strides",
            "pads",
            "auto_pad",
            "ceil_mode",
            "count_include_pad",
            "dilations",
        ]
    } else {
        &[
            "kernel_shape",
            "strides",
            "pads",
            "auto_pad",
            "ceil_mode",
            "dilations",
            "storage_order",
        ]
    };
    let a = Attrs::new(node, known)?;
    let (ir, shape) = cx.dynamic(node, 0)?;
    let [c, h, w] = shape[..] else {
        return Err(Error::new(
            format!("{}: input 0", node.at()),
            format!("per-sample shape {shape:?}: pools need [C, H, W]"),
        ));
    };
    let kernel = a.square("kernel_shape", None)?;
    let stride = a.square("strides", Some(1))?;
    let padding = a.pads()?;
    a.no_dilation()?;
    a.no_auto_pad(padding)?;
    a.int_in("ceil_mode", 0, &[0])?;
    if !avg {
        a.int_in("storage_order", 0, &[0])?;
    }
    if avg && padding > 0 && a.int("count_include_pad", 0)? != 1 {
        return Err(a.err(
            "count_include_pad",
            "0 with padding is not supported (padded AveragePool must count the padding: count_include_pad=1)",
        ));
    }
    if node.outputs.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(Error::new(node.at(), "the Indices output is not supported"));
    }
    if padding > kernel / 2 || h + 2 * padding < kernel || w + 2 * padding < kernel {
        return Err(a.err(
            "pads",
            format!("padding {padding} with kernel {kernel} on {h}x{w} is not supported"),
        ));
    }
    let (ho, wo) = (
        (h + 2 * padding - kernel) / stride + 1,
        (w + 2 * padding - kernel) / stride + 1,
    );
    let op = if avg {
        Op::AvgPool {
            kernel,
            stride,
            padding,
        }
    } else {
        Op::MaxPool {
            kernel,
            stride,
            padding,
        }
    };
    cx.emit(node, op, vec![ir], vec![c, ho, wo])
}

/// `GlobalAveragePool`: `[C, H, W] → [C, 1, 1]` (the IR node yields `[C]`; a following
/// flatten is then an alias).
fn global_avgpool(cx: &mut Ctx, node: &Node) -> Result<()> {
    Attrs::new(node, &[])?;
    let (ir, shape) = cx.dynamic(node, 0)?;
    if shape.len() != 3 {
        return Err(Error::new(
            format!("{}: input 0", node.at()),
            format!("per-sample shape {shape:?}: GlobalAveragePool needs [C, H, W]"),
        ));
    }
    let c = shape[0];
    cx.emit(node, Op::GlobalAvgPool, vec![ir], vec![c, 1, 1])?;
    Ok(())
}

/// Flatten a computed tensor to `[F]`: an alias when it already is flat (or `[C, 1, 1]` from
/// a global pool, which the IR already holds as `[C]`), else an IR `flatten`.
fn to_flat(cx: &mut Ctx, node: &Node, ir: String, shape: Vec<usize>) -> Result<()> {
    let n: usize = shape.iter().product();
    let produced_flat = shape.len() == 1
        || (shape.len() == 3
            && shape[1] == 1
            && shape[2] == 1
            && cx
                .nodes
                .iter()
                .any(|x| x.name == ir && matches!(x.op, Op::GlobalAvgPool)));
    if produced_flat {
        return cx.set(node, Val::Dyn { ir, shape: vec![n] });
    }
    cx.emit(node, Op::Flatten, vec![ir], vec![n])
}

/// `Flatten(axis = 1)`.
fn flatten(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["axis"])?;
    a.int_in("axis", 1, &[1])?;
    match cx.input(node, 0)?.clone() {
        Val::Dyn { ir, shape } => to_flat(cx, node, ir, shape),
        Val::Const(mut c) => {
            let first = c.dims.first().copied().unwrap_or(1);
            c.dims = vec![first, c.values.len() / first.max(1)];
            cx.set(node, Val::Const(c))
        }
    }
}

/// `Reshape(x, shape)` of a computed tensor to `[1, F]` (a flatten); of a constant, anything.
fn reshape(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["allowzero"])?;
    let allowzero = a.int_in("allowzero", 0, &[0, 1])? == 1;
    let target = cx.constant(node, 1, "shape")?.clone();
    if !target.int || target.dims.len() != 1 {
        return Err(Error::new(
            format!("{}: input 1 (shape)", node.at()),
            format!("must be a 1-D int64 constant, got dims {:?}", target.dims),
        ));
    }
    let want: Vec<i64> = target.values.iter().map(|&v| v as i64).collect();
    let (full, is_dyn) = match cx.input(node, 0)? {
        Val::Dyn { shape, .. } => {
            let mut f = vec![1usize];
            f.extend(shape);
            (f, true)
        }
        Val::Const(c) => (c.dims.clone(), false),
    };
    let resolved = resolve_shape(node, &want, &full, allowzero)?;
    match cx.input(node, 0)?.clone() {
        Val::Dyn { ir, shape } => {
            let _ = is_dyn;
            if resolved.len() == 2 && resolved[0] == 1 {
                to_flat(cx, node, ir, shape)
            } else if resolved.len() >= 2 && resolved[0] == 1 && resolved[1..] == shape[..] {
                cx.set(node, Val::Dyn { ir, shape })
            } else {
                Err(Error::new(
                    format!("{}: input 1 (shape)", node.at()),
                    format!("reshaping {full:?} to {resolved:?} is not supported (only flattening to [1, F])"),
                ))
            }
        }
        Val::Const(mut c) => {
            c.dims = resolved;
            cx.set(node, Val::Const(c))
        }
    }
}

/// ONNX Reshape's target: `0` copies the input dim (unless `allowzero`), one `-1` is inferred.
fn resolve_shape(node: &Node, want: &[i64], full: &[usize], allowzero: bool) -> Result<Vec<usize>> {
    let at = format!("{}: input 1 (shape)", node.at());
    let n: usize = full.iter().product();
    let mut out = Vec::new();
    let mut infer = None;
    for (i, &d) in want.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            0 if !allowzero => out.push(*full.get(i).ok_or_else(|| {
                Error::new(
                    &at,
                    format!("0 at axis {i} copies a dimension the input does not have"),
                )
            })?),
            d if d >= 0 => out.push(d as usize),
            _ => return Err(Error::new(&at, format!("{want:?} is not a valid shape"))),
        }
    }
    let known: usize = out.iter().product();
    if let Some(i) = infer {
        if known == 0 || n % known != 0 {
            return Err(Error::new(
                &at,
                format!("cannot infer -1 in {want:?} for {n} elements"),
            ));
        }
        out[i] = n / known;
    }
    if out.iter().product::<usize>() != n {
        return Err(Error::new(
            &at,
            format!(
                "{want:?} holds {} elements, the input {full:?} has {n}",
                out.iter().product::<usize>()
            ),
        ));
    }
    Ok(out)
}

/// `Squeeze` of `[1, C, 1, 1]` → `[1, C]` after a global pool (a flatten), or of a constant.
fn squeeze(cx: &mut Ctx, node: &Node) -> Result<()> {
    Attrs::new(node, &[])?;
    match cx.input(node, 0)?.clone() {
        Val::Dyn { ir, shape } => {
            if shape.len() == 3 && shape[1] == 1 && shape[2] == 1 {
                to_flat(cx, node, ir, shape)
            } else {
                Err(Error::new(
                    node.at(),
                    format!(
                        "squeezing per-sample shape {shape:?} is not supported (only [C, 1, 1])"
                    ),
                ))
            }
        }
        Val::Const(mut c) => {
            c.dims.retain(|&d| d != 1);
            cx.set(node, Val::Const(c))
        }
    }
}

/// `Transpose`: of a 2-D constant (a weight), any perm; of a computed tensor, the identity.
fn transpose(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["perm"])?;
    let perm = a.ints("perm")?;
    match cx.input(node, 0)?.clone() {
        Val::Const(c) => {
            let rank = c.dims.len();
            let reverse: Vec<i64> = (0..rank as i64).rev().collect();
            let identity: Vec<i64> = (0..rank as i64).collect();
            let p = perm.unwrap_or(reverse);
            if p == identity {
                return cx.set(node, Val::Const(c));
            }
            if rank == 2 && p == [1, 0] {
                return cx.set(node, Val::Const(transpose2(&c)));
            }
            Err(a.err(
                "perm",
                format!(
                    "{p:?} on a constant of shape {:?} is not supported (2-D transposes only)",
                    c.dims
                ),
            ))
        }
        Val::Dyn { ir, shape } => {
            let identity: Vec<i64> = (0..=shape.len() as i64).collect();
            match perm {
                Some(p) if p == identity => cx.set(node, Val::Dyn { ir, shape }),
                p => Err(a.err(
                    "perm",
                    format!("{p:?} on a computed tensor is not supported (only the identity; qforge keeps channels-first layout)"),
                )),
            }
        }
    }
}

/// `Constant` with a `value` tensor.
fn constant(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["value"])?;
    match node.attr("value") {
        Some(Attr::Tensor(t)) => {
            let c = Cst {
                dims: t.dims.clone(),
                values: t.floats(),
                int: matches!(t.data, crate::graph::Data::Int(_)),
                wq: None,
            };
            cx.set(node, Val::Const(c))
        }
        _ => Err(a.err(
            "value",
            "a TENSOR value is required (value_float, value_ints, ... are not supported)",
        )),
    }
}
