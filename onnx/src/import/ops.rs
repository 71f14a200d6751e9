//! One ONNX node → IR: the dispatcher, and the ops other than quantizers, layers and
//! structural ops: `BatchNormalization`, `Relu`, `Add`/`Sub`/`Mul`/`Div`, the pools,
//! `Identity` (an alias).

use model::{Op, Tensor};

use super::attrs::Attrs;
use super::{layers, quantize, reshape, threshold, Cst, Ctx, Val, QONNX_DOMAINS, SUPPORTED};
use crate::error::{Error, Result};
use crate::graph::Node;

/// Import one node.
pub(crate) fn node(cx: &mut Ctx, node: &Node) -> Result<()> {
    let qonnx = QONNX_DOMAINS.contains(&node.domain.as_str());
    let std = node.domain.is_empty() || node.domain == "ai.onnx";
    match (node.op_type.as_str(), qonnx, std) {
        ("Quant" | "IntQuant", true, _) => quantize::quant(cx, node),
        ("BipolarQuant", true, _) => quantize::bipolar(cx, node),
        ("MultiThreshold", true, _) => threshold::multithreshold(cx, node),
        ("Trunc", true, _) => threshold::trunc(cx, node),
        ("Gemm", _, true) => layers::gemm(cx, node),
        ("MatMul", _, true) => layers::matmul(cx, node),
        ("Conv", _, true) => layers::conv(cx, node),
        ("BatchNormalization", _, true) => batchnorm(cx, node),
        ("Relu", _, true) => unary(cx, node, Op::Relu),
        ("Add" | "Sub" | "Mul" | "Div", _, true) => arith(cx, node),
        ("MaxPool" | "AveragePool", _, true) => pool(cx, node),
        ("GlobalAveragePool", _, true) => global_avgpool(cx, node),
        ("Reshape", _, true) => reshape::reshape(cx, node),
        ("Flatten", _, true) => reshape::flatten(cx, node),
        ("Squeeze", _, true) => reshape::squeeze(cx, node),
        ("Transpose", _, true) => reshape::transpose(cx, node),
        ("Identity", _, true) => {
            Attrs::new(node, &[])?;
            let v = cx.input(node, 0)?.clone();
            cx.set(node, v)
        }
        ("Constant", _, true) => reshape::constant(cx, node),
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
