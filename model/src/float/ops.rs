//! The per-op float kernels of the evaluator: one node's output from its input tensors
//! (`quant`, `conv`, `fc`, `batchnorm`, `relu`, the pools, `add`, `flatten`, `mul`, `div`,
//! `add_const`), with the
//! semantics the parent module documents.

use quant::fold::BatchNorm;
use quant::{ScalarQuantizer, Staircase};

use super::{distance, NodeOutput};
use crate::graph::{Node, Op};
use crate::op::channel_value;
use crate::tensor::Tensor;

/// What [`super::Evaluator`] prepares once per node.
pub(super) enum Prep {
    Quant(Box<dyn ScalarQuantizer>, Staircase),
    Weights(Vec<f64>),
    Nothing,
}

/// One node on its inputs (data and shape, in the node's input order).
pub(super) fn eval(node: &Node, prep: &Prep, xs: &[(&[f64], &[usize])]) -> NodeOutput {
    let (x, shape) = xs[0];
    let mut indices = None;
    let mut threshold_distance = None;
    let data: Vec<f64> = match (&node.op, prep) {
        (Op::Quant { .. }, Prep::Quant(q, st)) => {
            let idx: Vec<usize> = x.iter().map(|&v| q.index(v)).collect();
            let vals = idx.iter().map(|&i| q.value(i)).collect();
            threshold_distance = Some(distance(x, st));
            indices = Some(idx);
            vals
        }
        (
            Op::Conv {
                weight,
                bias,
                stride,
                padding,
                groups,
                ..
            },
            _,
        ) => {
            let w = match prep {
                Prep::Weights(v) => v.as_slice(),
                _ => weight.data.as_slice(),
            };
            conv(
                x,
                shape,
                w,
                &weight.shape,
                bias.as_ref(),
                *stride,
                *padding,
                *groups,
                &node.shape,
            )
        }
        (Op::Fc { weight, bias, .. }, _) => {
            let w = match prep {
                Prep::Weights(v) => v.as_slice(),
                _ => weight.data.as_slice(),
            };
            let inf = weight.shape[1];
            (0..weight.shape[0])
                .map(|o| {
                    let dot: f64 = w[o * inf..(o + 1) * inf]
                        .iter()
                        .zip(x)
                        .map(|(a, b)| a * b)
                        .sum();
                    dot + bias.as_ref().map_or(0.0, |b| b.data[o])
                })
                .collect()
        }
        (
            Op::BatchNorm {
                gamma,
                beta,
                mean,
                var,
                eps,
            },
            _,
        ) => {
            let per = x.len() / shape[0];
            x.iter()
                .enumerate()
                .map(|(i, &v)| {
                    let c = i / per;
                    let bn = BatchNorm {
                        gamma: gamma[c],
                        beta: beta[c],
                        mean: mean[c],
                        var: var[c],
                        eps: *eps,
                    };
                    bn.apply(v)
                })
                .collect()
        }
        (Op::Relu, _) => x.iter().map(|&v| v.max(0.0)).collect(),
        (
            Op::MaxPool {
                kernel,
                stride,
                padding,
            },
            _,
        ) => pool(x, shape, *kernel, *stride, *padding, &node.shape, true),
        (
            Op::AvgPool {
                kernel,
                stride,
                padding,
            },
            _,
        ) => pool(x, shape, *kernel, *stride, *padding, &node.shape, false),
        (Op::GlobalAvgPool, _) => {
            let hw = shape[1] * shape[2];
            x.chunks(hw)
                .map(|ch| ch.iter().sum::<f64>() / hw as f64)
                .collect()
        }
        (Op::Add, _) => x.iter().zip(xs[1].0).map(|(a, b)| a + b).collect(),
        (Op::Flatten, _) => x.to_vec(),
        (Op::Mul { value }, _) => per_channel(x, shape, value, |a, v| a * v),
        (Op::Div { value }, _) => per_channel(x, shape, value, |a, v| a / v),
        (Op::AddConst { value }, _) => per_channel(x, shape, value, |a, v| a + v),
        (Op::Quant { .. }, _) => unreachable!("quant nodes are prepared"),
    };
    NodeOutput {
        name: node.name.clone(),
        value: Tensor {
            shape: node.shape.clone(),
            data,
        },
        indices,
        threshold_distance,
    }
}

/// `f(x, v)` per element, `v` the constant's value for the element's channel (axis 0).
fn per_channel(
    x: &[f64],
    shape: &[usize],
    value: &Tensor,
    f: impl Fn(f64, f64) -> f64,
) -> Vec<f64> {
    let per = x.len() / shape[0].max(1);
    x.iter()
        .enumerate()
        .map(|(i, &a)| f(a, channel_value(value, i / per.max(1))))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn conv(
    x: &[f64],
    shape: &[usize],
    w: &[f64],
    w_shape: &[usize],
    bias: Option<&Tensor>,
    stride: usize,
    pad: usize,
    groups: usize,
    out_shape: &[usize],
) -> Vec<f64> {
    let (h, wd) = (shape[1] as isize, shape[2] as isize);
    let (co, cig, kh, kw) = (w_shape[0], w_shape[1], w_shape[2], w_shape[3]);
    let cog = co / groups;
    let (ho, wo) = (out_shape[1], out_shape[2]);
    let mut out = Vec::with_capacity(co * ho * wo);
    for oc in 0..co {
        let g = oc / cog;
        for oy in 0..ho {
            for ox in 0..wo {
                let mut acc = 0.0;
                for ic in 0..cig {
                    let c = g * cig + ic;
                    for dy in 0..kh {
                        let y = (oy * stride + dy) as isize - pad as isize;
                        if y < 0 || y >= h {
                            continue;
                        }
                        for dx in 0..kw {
                            let xx = (ox * stride + dx) as isize - pad as isize;
                            if xx < 0 || xx >= wd {
                                continue;
                            }
                            let wv = w[((oc * cig + ic) * kh + dy) * kw + dx];
                            acc +=
                                wv * x[(c * h as usize + y as usize) * wd as usize + xx as usize];
                        }
                    }
                }
                out.push(acc + bias.map_or(0.0, |b| b.data[oc]));
            }
        }
    }
    out
}

fn pool(
    x: &[f64],
    shape: &[usize],
    k: usize,
    stride: usize,
    pad: usize,
    out_shape: &[usize],
    max: bool,
) -> Vec<f64> {
    let (c, h, w) = (shape[0], shape[1] as isize, shape[2] as isize);
    let (ho, wo) = (out_shape[1], out_shape[2]);
    let mut out = Vec::with_capacity(c * ho * wo);
    for ch in 0..c {
        let plane = &x[ch * (h * w) as usize..(ch + 1) * (h * w) as usize];
        for oy in 0..ho {
            for ox in 0..wo {
                let mut best = f64::NEG_INFINITY;
                let mut sum = 0.0;
                for dy in 0..k {
                    let y = (oy * stride + dy) as isize - pad as isize;
                    for dx in 0..k {
                        let xx = (ox * stride + dx) as isize - pad as isize;
                        if y < 0 || y >= h || xx < 0 || xx >= w {
                            continue;
                        }
                        let v = plane[(y * w + xx) as usize];
                        best = best.max(v);
                        sum += v;
                    }
                }
                out.push(if max { best } else { sum / (k * k) as f64 });
            }
        }
    }
    out
}
