//! Per-op checks and shape inference: tensor shapes against the input shape, window and
//! channel arithmetic (checked, so absurd numbers are errors rather than overflows), and the
//! quantizer specs (activation methods on `quant` nodes, weight methods prepared against the
//! weight tensor). The constants of `mul`/`div`/`add_const` are checked in
//! `shape/elementwise.rs`.

use quant::fold::BatchNorm;
use quant::QuantSpec;

use crate::error::{Error, Result};
use crate::graph::{Node, Op};
use crate::tensor::{checked_numel, Tensor};

mod elementwise;

/// Methods a `quant` node may use.
pub const ACTIVATION_METHODS: [&str; 7] = [
    "n2uq-act",
    "lcq-act",
    "qn",
    "uniform",
    "binary",
    "ternary",
    "multithreshold",
];

/// Methods a `weight_quant` may use.
pub const WEIGHT_METHODS: [&str; 6] = [
    "n2uq-weight",
    "lcq-weight",
    "qn",
    "uniform",
    "binary",
    "ternary",
];

/// Check `node` given its input shapes and the spec of the quantizer whose codes its first
/// input carries (if any); return its output shape. `at` names the node in errors.
pub fn check_node(
    at: &str,
    node: &Node,
    inputs: &[&[usize]],
    in_quant: Option<&QuantSpec>,
) -> Result<Vec<usize>> {
    let err = |field: &str, msg: String| Error::new(at, field, msg);
    let x = inputs[0];
    let chw = |what: &str| -> Result<(usize, usize, usize)> {
        match *x {
            [c, h, w] => Ok((c, h, w)),
            _ => Err(err(
                "inputs[0]",
                format!("{what} needs a [C, H, W] input, got shape {x:?}"),
            )),
        }
    };
    let shape = match &node.op {
        Op::Quant { spec } => {
            if !ACTIVATION_METHODS.contains(&spec.method()) {
                return Err(err(
                    "spec.method",
                    format!(
                        "{:?} is a weight quantizer; a quant node needs an activation method ({})",
                        spec.method(),
                        ACTIVATION_METHODS.join(", ")
                    ),
                ));
            }
            spec.validate()
                .map_err(|e| Error::from_quant(at, "spec", e))?;
            x.to_vec()
        }
        Op::Conv {
            weight,
            bias,
            stride,
            padding,
            groups,
            weight_quant,
        } => {
            let (c, h, w) = chw("conv")?;
            let [co, cig, kh, kw] = *weight.shape.as_slice() else {
                return Err(err(
                    "weight",
                    format!("shape {:?} must be [Co, Ci/groups, kh, kw]", weight.shape),
                ));
            };
            if weight.shape.contains(&0) {
                return Err(err(
                    "weight",
                    format!("shape {:?} has a zero dimension", weight.shape),
                ));
            }
            check_len(at, "weight", weight)?;
            if *groups == 0 {
                return Err(err("groups", "must be >= 1".into()));
            }
            if *stride == 0 {
                return Err(err("stride", "must be >= 1".into()));
            }
            if co % groups != 0 {
                return Err(err(
                    "groups",
                    format!(
                        "{groups} does not divide the {co} output channels of weight {:?}",
                        weight.shape
                    ),
                ));
            }
            if cig.checked_mul(*groups) != Some(c) {
                return Err(err(
                    "weight",
                    format!(
                        "shape {:?} expects {cig}·{groups} (groups) input channels, the input {:?} has {c}",
                        weight.shape, node.inputs[0]
                    ),
                ));
            }
            check_bias(at, bias.as_ref(), co)?;
            let ho = window(at, "weight", h, kh, *stride, *padding)?;
            let wo = window(at, "weight", w, kw, *stride, *padding)?;
            if let Some(spec) = weight_quant {
                check_weight_quant(at, spec, weight)?;
                let q = require_quantized(at, node, in_quant)?;
                if *padding > 0 {
                    let sq = q
                        .scalar()
                        .map_err(|e| Error::from_quant(at, "inputs[0]", e))?;
                    if !(0..sq.num_levels()).any(|i| sq.level(i) == 0) {
                        return Err(err(
                            "padding",
                            format!(
                                "is {padding} but the input's quantizer ({}) has no zero level to pad with",
                                q.method()
                            ),
                        ));
                    }
                }
            }
            vec![co, ho, wo]
        }
        Op::Fc {
            weight,
            bias,
            weight_quant,
        } => {
            let [out, inf] = *weight.shape.as_slice() else {
                return Err(err(
                    "weight",
                    format!("shape {:?} must be [out, in]", weight.shape),
                ));
            };
            if out == 0 || inf == 0 {
                return Err(err(
                    "weight",
                    format!("shape {:?} has a zero dimension", weight.shape),
                ));
            }
            check_len(at, "weight", weight)?;
            if *x != [inf] {
                let hint = if x.len() == 3 {
                    " (add a flatten node)"
                } else {
                    ""
                };
                return Err(err(
                    "weight",
                    format!(
                        "shape {:?} expects an input of [{inf}], the input {:?} has shape {x:?}{hint}",
                        weight.shape, node.inputs[0]
                    ),
                ));
            }
            check_bias(at, bias.as_ref(), out)?;
            if let Some(spec) = weight_quant {
                check_weight_quant(at, spec, weight)?;
                require_quantized(at, node, in_quant)?;
            }
            vec![out]
        }
        Op::BatchNorm {
            gamma,
            beta,
            mean,
            var,
            eps,
        } => {
            let c = x[0];
            for (field, v) in [
                ("weight", gamma),
                ("bias", beta),
                ("running_mean", mean),
                ("running_var", var),
            ] {
                if v.len() != c {
                    return Err(err(
                        field,
                        format!(
                            "has {} entries, the input {:?} has {c} channels",
                            v.len(),
                            node.inputs[0]
                        ),
                    ));
                }
            }
            if !(eps.is_finite() && *eps >= 0.0) {
                return Err(err(
                    "eps",
                    format!("is {eps}; must be a finite number >= 0"),
                ));
            }
            for ch in 0..c {
                let bn = BatchNorm {
                    gamma: gamma[ch],
                    beta: beta[ch],
                    mean: mean[ch],
                    var: var[ch],
                    eps: *eps,
                };
                bn.validate().map_err(|e| {
                    let field = match e.field.as_str() {
                        "gamma" => format!("weight[{ch}]"),
                        "beta" => format!("bias[{ch}]"),
                        "mean" => format!("running_mean[{ch}]"),
                        "var" => format!("running_var[{ch}]"),
                        other => other.to_string(),
                    };
                    Error::new(at, field, e.message)
                })?;
            }
            x.to_vec()
        }
        Op::Relu => x.to_vec(),
        Op::MaxPool {
            kernel,
            stride,
            padding,
        }
        | Op::AvgPool {
            kernel,
            stride,
            padding,
        } => {
            let (c, h, w) = chw(node.op.name())?;
            if *kernel == 0 {
                return Err(err("kernel", "must be >= 1".into()));
            }
            if *stride == 0 {
                return Err(err("stride", "must be >= 1".into()));
            }
            if *padding > kernel / 2 {
                return Err(err(
                    "padding",
                    format!("{padding} exceeds half the kernel ({kernel}), as PyTorch requires"),
                ));
            }
            let ho = window(at, "kernel", h, *kernel, *stride, *padding)?;
            let wo = window(at, "kernel", w, *kernel, *stride, *padding)?;
            vec![c, ho, wo]
        }
        Op::GlobalAvgPool => {
            let (c, _, _) = chw("global_avgpool")?;
            vec![c]
        }
        Op::Add => {
            if inputs[0] != inputs[1] {
                return Err(err(
                    "inputs",
                    format!(
                        "{:?} has shape {:?} but {:?} has shape {:?}",
                        node.inputs[0], inputs[0], node.inputs[1], inputs[1]
                    ),
                ));
            }
            x.to_vec()
        }
        Op::Mul { value } | Op::Div { value } | Op::AddConst { value } => {
            elementwise::check(at, node, value, x)?
        }
        Op::Flatten => match *x {
            [c, h, w] => vec![c * h * w],
            [f] => vec![f],
            _ => return Err(err("inputs[0]", format!("cannot flatten shape {x:?}"))),
        },
    };
    if checked_numel(&shape).is_none() {
        return Err(err("", format!("output shape {shape:?} is too large")));
    }
    Ok(shape)
}

fn check_len(at: &str, field: &str, t: &Tensor) -> Result<()> {
    if checked_numel(&t.shape) != Some(t.data.len()) {
        return Err(Error::new(
            at,
            field,
            format!(
                "shape {:?} does not match its {} values",
                t.shape,
                t.data.len()
            ),
        ));
    }
    if let Some(i) = t.data.iter().position(|v| !v.is_finite()) {
        return Err(Error::new(
            at,
            format!("{field}[{i}]"),
            format!("is {}; must be finite", t.data[i]),
        ));
    }
    Ok(())
}

fn check_bias(at: &str, bias: Option<&Tensor>, channels: usize) -> Result<()> {
    if let Some(b) = bias {
        if b.shape != [channels] {
            return Err(Error::new(
                at,
                "bias",
                format!(
                    "shape {:?} must be [{channels}] (one per output channel)",
                    b.shape
                ),
            ));
        }
        check_len(at, "bias", b)?;
    }
    Ok(())
}

/// Output length of a window of `k` with `stride` over `n` padded by `pad` on both sides.
fn window(at: &str, field: &str, n: usize, k: usize, stride: usize, pad: usize) -> Result<usize> {
    let padded = pad.checked_mul(2).and_then(|p| p.checked_add(n));
    match padded {
        Some(p) if p >= k => Ok((p - k) / stride + 1),
        Some(p) => Err(Error::new(
            at,
            field,
            format!("window {k} does not fit the padded input ({n} + 2·{pad} = {p})"),
        )),
        None => Err(Error::new(at, "padding", format!("{pad} is too large"))),
    }
}

fn check_weight_quant(at: &str, spec: &QuantSpec, weight: &Tensor) -> Result<()> {
    if !WEIGHT_METHODS.contains(&spec.method()) {
        return Err(Error::new(
            at,
            "weight_quant.method",
            format!(
                "{:?} is an activation quantizer; weight_quant needs one of {}",
                spec.method(),
                WEIGHT_METHODS.join(", ")
            ),
        ));
    }
    spec.validate()
        .map_err(|e| Error::from_quant(at, "weight_quant", e))?;
    spec.prepare(&weight.data, &weight.shape)
        .map(|_| ())
        .map_err(|e| {
            let e = if e.field == "input" || e.field.starts_with("input[") {
                quant::Error::new(e.field.replacen("input", "weight", 1), e.message)
            } else {
                e.within("weight_quant")
            };
            Error::new(at, e.field, e.message)
        })
}

fn require_quantized<'a>(
    at: &str,
    node: &Node,
    in_quant: Option<&'a QuantSpec>,
) -> Result<&'a QuantSpec> {
    in_quant.ok_or_else(|| {
        Error::new(
            at,
            "weight_quant",
            format!(
                "is set, so the input must be quantized, but {:?} is not the output of a quant \
                 node (through maxpool/flatten only); set weight_quant to null for a float layer",
                node.inputs[0]
            ),
        )
    })
}
