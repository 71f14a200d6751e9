//! Which tensors hold quantized codes, and the fusion walk: the chain after a conv/fc of
//! per-channel affine ops (`batchnorm`, `mul`, `div`, `add_const`, any number, any order),
//! then an optional `relu`, then a `quant`, each the only consumer of the one before, folded
//! into the layer's thresholds.
//!
//! **The affine chain as one BatchNorm.** A chain that is exactly one `batchnorm` is passed on
//! as it is (bit-identical to the model's parameters). Any other chain is composed per output
//! channel, in float64, into `y = g·z/d + b` (`z` the layer's output including its bias,
//! `d > 0`): `mul v` gives `(g·v, d, b·v)`, `div v` gives `(±g, d·|v|, b/v)` (the division is
//! carried in `d`, not turned into a multiply by `1/v`), `add_const v` gives `(g, d, b + v)`,
//! a batchnorm `(γ, β, μ, σ², ε)` with `s = sqrt(σ² + ε)` gives `(γ·g, d·s, γ·(b − μ)/s + β)`.
//! It reaches `quant::fold` as `BatchNorm { gamma: g, beta: b, mean: 0, var: d², eps: 0 }`,
//! whose `apply` is `fl(fl(g·z)/d) + b` (`sqrt(d²) == d` is checked; otherwise `d` is folded
//! into `g`). So a single `mul`, `div` or `add_const`, and `mul` then `div` then one
//! `add_const` (each optional), compute exactly the float reference's `x·v`, `x/v`, `x + v`;
//! longer chains differ from it by float64 rounding (a few ulps), which can only flip a
//! decision within rounding distance of a threshold (the near-threshold count). A composite
//! with a non-finite parameter does not fuse (the chain runs on the host).

use std::collections::HashMap;

use anyhow::{anyhow, Result};
use model::op::channel_value;
use model::{Model, Node, Op};
use quant::fold::BatchNorm;
use quant::scalar::ScalarQuantizer;
use quant::spec::QuantSpec;

use super::levels;

/// The activation quantizers of a model and the tensors holding their codes.
pub(super) struct Quants {
    /// Activation quantizers of the `quant` nodes.
    pub quants: Vec<Box<dyn ScalarQuantizer>>,
    /// Quant node name → index into `quants`.
    pub quant_index: HashMap<String, usize>,
    /// The spec of each quantizer.
    pub specs: Vec<QuantSpec>,
    /// Tensor name → the quantizer whose codes it holds (quantized tensors only).
    pub quantized: HashMap<String, usize>,
}

/// Whether `q`'s levels rise with the index (max of codes = code of the max).
fn monotone(q: &dyn ScalarQuantizer) -> bool {
    levels(q).windows(2).all(|w| w[0] <= w[1])
}

/// Which tensors are quantized (codes of which quantizer).
pub(super) fn quantized_tensors(model: &Model) -> Result<Quants> {
    let mut quants: Vec<Box<dyn ScalarQuantizer>> = Vec::new();
    let mut quant_index = HashMap::new();
    let mut quant_specs: Vec<QuantSpec> = Vec::new();
    let mut quantized: HashMap<String, usize> = HashMap::new();
    for n in &model.nodes {
        match &n.op {
            Op::Quant { spec } => {
                let q = spec
                    .scalar()
                    .map_err(|e| anyhow!("node {:?}: spec: {e}", n.name))?;
                quant_index.insert(n.name.clone(), quants.len());
                quantized.insert(n.name.clone(), quants.len());
                quants.push(q);
                quant_specs.push(spec.clone());
            }
            Op::MaxPool { .. } => {
                if let Some(&q) = quantized.get(&n.inputs[0]) {
                    if monotone(quants[q].as_ref()) {
                        quantized.insert(n.name.clone(), q);
                    }
                }
            }
            Op::Flatten => {
                if let Some(&q) = quantized.get(&n.inputs[0]) {
                    quantized.insert(n.name.clone(), q);
                }
            }
            Op::Relu => {
                if let Some(&q) = quantized.get(&n.inputs[0]) {
                    if levels(quants[q].as_ref()).iter().all(|&v| v >= 0) {
                        quantized.insert(n.name.clone(), q);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Quants {
        quants,
        quant_index,
        specs: quant_specs,
        quantized,
    })
}

/// The consumers of every tensor.
pub(super) struct Consumers<'m> {
    model: &'m Model,
    of: HashMap<&'m str, Vec<usize>>,
}

impl<'m> Consumers<'m> {
    /// Index `model`'s consumers.
    pub fn new(model: &'m Model) -> Self {
        let mut of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, n) in model.nodes.iter().enumerate() {
            for inp in &n.inputs {
                of.entry(inp.as_str()).or_default().push(i);
            }
        }
        Consumers { model, of }
    }

    /// The single consumer of `name`, if it has exactly one and is not a graph output.
    pub fn only(&self, name: &str) -> Option<usize> {
        let is_output = self.model.outputs.iter().any(|o| o == name);
        match self.of.get(name).map(Vec::as_slice) {
            Some([c]) if !is_output => Some(*c),
            _ => None,
        }
    }
}

/// What folds into one engine layer.
pub(super) struct Fusion {
    /// The tensor the layer produces: the fused quant node, or the layer itself (raw).
    pub output: String,
    /// Fused output quantizer; `None` = raw.
    pub out_q: Option<usize>,
    /// The nodes folded into the layer.
    pub fused: Vec<String>,
    /// The folded affine chain as one BatchNorm per output channel (empty: none).
    pub bn: Vec<BatchNorm>,
}

/// One channel of a composed affine chain: `y = g·z/d + b`, `d > 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Composite {
    g: f64,
    d: f64,
    b: f64,
}

impl Composite {
    const IDENTITY: Composite = Composite {
        g: 1.0,
        d: 1.0,
        b: 0.0,
    };

    /// This map followed by channel `c` of the affine op `op`.
    fn then(self, op: &Op, c: usize) -> Composite {
        let Composite { g, d, b } = self;
        match op {
            Op::Mul { value } => {
                let v = channel_value(value, c);
                Composite {
                    g: g * v,
                    d,
                    b: b * v,
                }
            }
            Op::Div { value } => {
                let v = channel_value(value, c);
                Composite {
                    g: if v < 0.0 { -g } else { g },
                    d: d * v.abs(),
                    b: b / v,
                }
            }
            Op::AddConst { value } => Composite {
                b: b + channel_value(value, c),
                ..self
            },
            Op::BatchNorm {
                gamma,
                beta,
                mean,
                var,
                eps,
            } => {
                let s = (var[c] + eps).sqrt();
                Composite {
                    g: gamma[c] * g,
                    d: d * s,
                    b: gamma[c] * (b - mean[c]) / s + beta[c],
                }
            }
            _ => self,
        }
    }

    /// As a BatchNorm, `None` when a parameter is not finite (or the result invalid).
    fn batchnorm(self) -> Option<BatchNorm> {
        let var = self.d * self.d;
        let bn = if var.is_normal() && var.sqrt() == self.d {
            BatchNorm {
                gamma: self.g,
                beta: self.b,
                mean: 0.0,
                var,
                eps: 0.0,
            }
        } else {
            BatchNorm {
                gamma: self.g / self.d,
                beta: self.b,
                mean: 0.0,
                var: 1.0,
                eps: 0.0,
            }
        };
        bn.validate().ok().map(|()| bn)
    }
}

/// Whether `op` is a per-channel affine op the fusion walk folds.
fn is_affine(op: &Op) -> bool {
    matches!(
        op,
        Op::BatchNorm { .. } | Op::Mul { .. } | Op::Div { .. } | Op::AddConst { .. }
    )
}

/// The affine chain `ops` (in order) per output channel (`co` of them); `None` when some
/// channel's composite is not finite.
fn compose(ops: &[&Node], co: usize) -> Option<Vec<BatchNorm>> {
    if let [Node {
        op:
            Op::BatchNorm {
                gamma,
                beta,
                mean,
                var,
                eps,
            },
        ..
    }] = ops
    {
        return Some(
            (0..co)
                .map(|i| BatchNorm {
                    gamma: gamma[i],
                    beta: beta[i],
                    mean: mean[i],
                    var: var[i],
                    eps: *eps,
                })
                .collect(),
        );
    }
    if ops.is_empty() {
        return Some(Vec::new());
    }
    (0..co)
        .map(|c| {
            ops.iter()
                .fold(Composite::IDENTITY, |acc, n| acc.then(&n.op, c))
                .batchnorm()
        })
        .collect()
}

/// Fusion after layer `name` (`co` output channels): `[affine ops] [relu] quant` (affine:
/// `batchnorm`, `mul`, `div`, `add_const`, any number), each the only consumer; nothing folds
/// unless the chain ends in a quant node and its affine part composes (module docs).
pub(super) fn fuse(
    model: &Model,
    consumers: &Consumers,
    name: &str,
    co: usize,
    quants: &[Box<dyn ScalarQuantizer>],
    quant_index: &HashMap<String, usize>,
) -> Fusion {
    let mut fused = Vec::new();
    let mut affine: Vec<&Node> = Vec::new();
    let mut cur = name.to_string();
    let mut out_q = None;
    let mut relu_seen = false;
    while let Some(c) = consumers.only(&cur) {
        let cn = &model.nodes[c];
        match &cn.op {
            op if is_affine(op) && !relu_seen => {
                affine.push(cn);
                fused.push(cn.name.clone());
                cur = cn.name.clone();
            }
            Op::Relu if !relu_seen => {
                relu_seen = true;
                fused.push(cn.name.clone());
                cur = cn.name.clone();
            }
            Op::Quant { .. } => {
                let q = quant_index[&cn.name];
                // ReLU folds only when the quantizer already maps every negative
                // input to the code of level 0.
                let qq = quants[q].as_ref();
                let relu_ok = !relu_seen || (qq.index(0.0) == 0 && qq.index(-1e300) == 0);
                if relu_ok {
                    fused.push(cn.name.clone());
                    out_q = Some(q);
                    cur = cn.name.clone();
                }
                break;
            }
            _ => break,
        }
    }
    match (out_q, compose(&affine, co)) {
        (Some(_), Some(bn)) => Fusion {
            output: cur,
            out_q,
            fused,
            bn,
        },
        _ => Fusion {
            output: name.to_string(),
            out_q: None,
            fused: Vec::new(),
            bn: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests;
