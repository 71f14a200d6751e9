//! Which tensors hold quantized codes, and the fusion walk: the `[batchnorm] [relu] quant`
//! chain after a conv/fc, each the only consumer of the one before, folded into the layer's
//! thresholds.

use std::collections::HashMap;

use anyhow::{anyhow, Result};
use model::{Model, Op};
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
    /// The folded BatchNorm, per output channel (empty: none).
    pub bn: Vec<BatchNorm>,
}

/// Fusion after layer `name` (`co` output channels): `[batchnorm] [relu] quant`, each the only
/// consumer; nothing folds unless the chain ends in a quant node.
pub(super) fn fuse(
    model: &Model,
    consumers: &Consumers,
    name: &str,
    co: usize,
    quants: &[Box<dyn ScalarQuantizer>],
    quant_index: &HashMap<String, usize>,
) -> Fusion {
    let mut fused = Vec::new();
    let mut bn = Vec::new();
    let mut cur = name.to_string();
    let mut out_q = None;
    let mut relu_seen = false;
    while let Some(c) = consumers.only(&cur) {
        let cn = &model.nodes[c];
        match &cn.op {
            Op::BatchNorm {
                gamma,
                beta,
                mean,
                var,
                eps,
            } if bn.is_empty() && !relu_seen => {
                bn = (0..co)
                    .map(|i| BatchNorm {
                        gamma: gamma[i],
                        beta: beta[i],
                        mean: mean[i],
                        var: var[i],
                        eps: *eps,
                    })
                    .collect();
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
    match out_q {
        Some(_) => Fusion {
            output: cur,
            out_q,
            fused,
            bn,
        },
        None => Fusion {
            output: name.to_string(),
            out_q,
            fused: Vec::new(),
            bn: Vec::new(),
        },
    }
}
