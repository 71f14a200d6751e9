//! Lowering a model (`model::Model`) onto one engine instance: every quantized conv/fc
//! becomes an engine job (one per group), its BatchNorm, ReLU and output quantizer folded into
//! integer thresholds where they follow it alone, otherwise a raw-accumulator job whose
//! affine the host applies; every other node runs on the host. The engine is sized for the
//! largest job and the widest codes (`docs/model.md`, "How a model runs on an engine").
//!
//! The plan is static (independent of the input): weight codes, thresholds and product tables
//! per job, the activation code of every input-quantizer index, and where each node runs.
//!
//! [`Plan::new`] orchestrates: `fuse` finds the quantized tensors and what folds into each
//! layer, `engine` sizes the engine, `encode` turns each layer into the engine's codes;
//! `offset` holds the correction of layers whose engine is fed input indices (binary ±1
//! inputs, [`ActOffset`]).

mod encode;
mod engine;
mod fuse;
mod offset;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use anyhow::{anyhow, bail, Result};
use hdl::params::EngineParams;
use model::{Model, Op};
use quant::fold::{BatchNorm, ChannelThresholds};
use quant::gemm::Conv2d;
use quant::scalar::ScalarQuantizer;
use sim::job::LutLevels;

pub use offset::ActOffset;

pub use crate::engine_spec::EngineChoice;

/// The array and clock the model runs on (the engine's widths come from the model).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArrayCfg {
    /// Engine kind.
    pub kind: EngineChoice,
    /// Array rows, columns, bits per DPU (lanes per LUT PE); `None` = the kind's default.
    pub array: Option<(u32, u32, u32)>,
    /// Clock for latencies.
    pub clock_mhz: f64,
    /// Popcount technology of the engine.
    pub target: hdl::params::Target,
}

/// Where a node runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// An engine job (the conv/fc itself): `raw` when it returns accumulators.
    Engine {
        /// Raw-accumulator mode.
        raw: bool,
        /// Jobs (one per group).
        jobs: usize,
    },
    /// Folded into the thresholds of engine layer `layer`.
    Fused {
        /// The conv/fc node it is folded into.
        layer: String,
    },
    /// On the host (float64, or on codes for `maxpool`/`flatten`/`quant`).
    Host,
}

impl Place {
    /// A short label for reports and JSON.
    pub fn label(&self) -> String {
        match self {
            Place::Engine { raw: false, .. } => "engine".into(),
            Place::Engine { raw: true, .. } => "engine (raw accumulators)".into(),
            Place::Fused { layer } => format!("engine (folded into {layer})"),
            Place::Host => "host".into(),
        }
    }
}

/// The static part of one engine job.
pub struct GroupJob {
    /// Weight codes in the engine's encoding, `M×K`.
    pub w_codes: Vec<u32>,
    /// Thresholds per channel (empty for raw jobs), padded to the engine's count.
    pub thresholds: Vec<ChannelThresholds>,
    /// LUT engines: the job's levels.
    pub levels: Option<LutLevels>,
}

/// A conv's or fc's GEMM geometry.
#[derive(Debug, Clone, Copy)]
pub enum Geom {
    /// A convolution: per-group geometry, groups, output channels.
    Conv {
        /// One group's im2col geometry (c_in per group).
        conv: Conv2d,
        /// Groups.
        groups: usize,
        /// Output channels in all.
        co: usize,
    },
    /// A fully connected layer.
    Fc {
        /// Inputs.
        inputs: usize,
        /// Outputs.
        outputs: usize,
    },
}

impl Geom {
    /// (M, K, N) of each group's job.
    pub fn mkn(&self) -> (u32, u32, u32) {
        match *self {
            Geom::Conv { conv, groups, co } => {
                ((co / groups) as u32, conv.k() as u32, conv.n() as u32)
            }
            Geom::Fc { inputs, outputs } => (outputs as u32, inputs as u32, 1),
        }
    }
    /// Groups (jobs).
    pub fn groups(&self) -> usize {
        match *self {
            Geom::Conv { groups, .. } => groups,
            Geom::Fc { .. } => 1,
        }
    }
}

/// One engine layer.
pub struct Layer {
    /// The conv/fc node.
    pub name: String,
    /// The quantized tensor it reads.
    pub input: String,
    /// Quantizer of the input (index into [`Plan::quants`]).
    pub in_q: usize,
    /// The tensor it produces: the fused quant node, or the conv/fc itself (raw).
    pub output: String,
    /// Fused output quantizer (index into [`Plan::quants`]); `None` = raw.
    pub out_q: Option<usize>,
    /// GEMM geometry.
    pub geom: Geom,
    /// Jobs, one per group.
    pub jobs: Vec<GroupJob>,
    /// Raw jobs: per output channel `(scale, bias)` with `y = acc·scale + bias`, `acc` the
    /// true accumulator ([`Layer::true_acc`] of the engine's).
    pub affine: Vec<(f64, f64)>,
    /// Activation code of each input-quantizer index.
    pub a_code: Vec<u32>,
    /// The BatchNorm folded into the thresholds, per output channel (empty: none).
    pub bn: Vec<BatchNorm>,
    /// `Some` when the engine is fed the input quantizer's *index* instead of its level
    /// (binary ±1 inputs): engine accumulators are then in the engine domain, and
    /// [`Layer::true_acc`] gives the layer's true accumulator. The folded thresholds already
    /// account for it; only host-side readers of raw accumulators apply it.
    pub act_offset: Option<ActOffset>,
}

/// A model lowered onto one engine.
pub struct Plan {
    /// The model.
    pub model: Model,
    /// The engine.
    pub params: EngineParams,
    /// Clock.
    pub clock_mhz: f64,
    /// Activation quantizers of the `quant` nodes.
    pub quants: Vec<Box<dyn ScalarQuantizer>>,
    /// Quant node name → index into `quants`.
    pub quant_index: HashMap<String, usize>,
    /// Tensor name → the quantizer whose codes it holds (quantized tensors only).
    pub quantized: HashMap<String, usize>,
    /// Engine layers in topological order.
    pub layers: Vec<Layer>,
    /// Node name → where it runs.
    pub places: HashMap<String, Place>,
}

/// Per-layer facts gathered before the engine is chosen.
struct Pre {
    name: String,
    input: String,
    in_q: usize,
    out_q: Option<usize>,
    output: String,
    geom: Geom,
    weight_q: Vec<Box<dyn ScalarQuantizer>>,
    weight_idx: Vec<usize>,
    w_levels: Vec<i64>,
    bias: Vec<f64>,
    bn: Vec<BatchNorm>,
    uniform: bool,
    /// `(base, mul)` when the engine is fed input indices (levels `base + mul·index`).
    act_form: Option<(i64, i64)>,
}

/// Levels of quantizer `q`, by index.
fn levels(q: &dyn ScalarQuantizer) -> Vec<i64> {
    (0..q.num_levels()).map(|i| q.level(i)).collect()
}

impl Plan {
    /// Lower `model` onto an engine of `cfg`'s array.
    pub fn new(model: Model, cfg: &ArrayCfg) -> Result<Plan> {
        let consumers = fuse::Consumers::new(&model);
        let fuse::Quants {
            quants,
            quant_index,
            specs: quant_specs,
            quantized,
        } = fuse::quantized_tensors(&model)?;
        // Engine layers and what folds into them.
        let mut pres: Vec<Pre> = Vec::new();
        let mut places: HashMap<String, Place> = HashMap::new();
        for n in &model.nodes {
            let (weight, bias, wq, geom) = match &n.op {
                Op::Conv {
                    weight,
                    bias,
                    stride,
                    padding,
                    groups,
                    weight_quant: Some(wq),
                } => {
                    let in_shape = shape_of(&model, &n.inputs[0]);
                    let (co, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3]);
                    let conv = Conv2d {
                        c_in: in_shape[0] / groups,
                        h: in_shape[1],
                        w: in_shape[2],
                        kh,
                        kw,
                        stride: *stride,
                        pad: *padding,
                    };
                    (
                        weight,
                        bias,
                        wq,
                        Geom::Conv {
                            conv,
                            groups: *groups,
                            co,
                        },
                    )
                }
                Op::Fc {
                    weight,
                    bias,
                    weight_quant: Some(wq),
                } => (
                    weight,
                    bias,
                    wq,
                    Geom::Fc {
                        inputs: weight.shape[1],
                        outputs: weight.shape[0],
                    },
                ),
                _ => continue,
            };
            let input = n.inputs[0].clone();
            let in_q = *quantized.get(&input).ok_or_else(|| {
                anyhow!(
                    "node {:?}: a quantized layer needs a quantized input, but {input:?} is a float tensor (add a quant node before it)",
                    n.name
                )
            })?;
            if let Geom::Conv { conv, .. } = geom {
                if conv.pad > 0 && !levels(quants[in_q].as_ref()).contains(&0) {
                    bail!(
                        "node {:?}: padding: the input quantizer has no zero level to pad with",
                        n.name
                    );
                }
            }
            let prepared = wq
                .prepare(&weight.data, &weight.shape)
                .map_err(|e| anyhow!("node {:?}: weight_quant: {e}", n.name))?;
            let weight_idx: Vec<usize> = weight
                .data
                .iter()
                .enumerate()
                .map(|(i, &x)| prepared.quantizer_of(i).index(x))
                .collect();
            let w_levels: Vec<i64> = weight_idx
                .iter()
                .enumerate()
                .map(|(i, &x)| prepared.quantizer_of(i).level(x))
                .collect();
            let co = weight.shape[0];
            let bias = bias.as_ref().map(|b| b.data.clone()).unwrap_or_default();
            let fuse::Fusion {
                output,
                out_q,
                fused,
                bn,
            } = fuse::fuse(&model, &consumers, &n.name, co, &quants, &quant_index);
            for f in &fused {
                places.insert(
                    f.clone(),
                    Place::Fused {
                        layer: n.name.clone(),
                    },
                );
            }
            places.insert(
                n.name.clone(),
                Place::Engine {
                    raw: out_q.is_none(),
                    jobs: geom.groups(),
                },
            );
            let uniform =
                engine::is_uniform_weight(wq) && engine::is_uniform_act(&quant_specs[in_q]);
            let act_form = offset::act_form(&quant_specs[in_q], quants[in_q].as_ref());
            pres.push(Pre {
                name: n.name.clone(),
                input,
                in_q,
                out_q,
                output,
                geom,
                weight_q: prepared.quantizers,
                weight_idx,
                w_levels,
                bias,
                bn,
                uniform,
                act_form,
            });
        }
        if pres.is_empty() {
            bail!(
                "model {:?}: no quantized conv/fc layer runs on the engine",
                model.name
            );
        }
        for n in &model.nodes {
            places.entry(n.name.clone()).or_insert(Place::Host);
        }
        let lut = engine::choose_lut(cfg.kind, &pres)?;
        let params = engine::engine_params(&pres, &quants, cfg, lut)?;
        let layers = pres
            .into_iter()
            .map(|p| encode::encode(p, &quants, &params))
            .collect::<Result<Vec<_>>>()?;
        Ok(Plan {
            model,
            params,
            clock_mhz: cfg.clock_mhz,
            quants,
            quant_index,
            quantized,
            layers,
            places,
        })
    }
}

/// The per-sample shape of tensor `name` (a graph input or a node).
pub fn shape_of(model: &Model, name: &str) -> Vec<usize> {
    model
        .inputs
        .iter()
        .find(|i| i.name == name)
        .map(|i| i.shape.clone())
        .or_else(|| {
            model
                .nodes
                .iter()
                .find(|n| n.name == name)
                .map(|n| n.shape.clone())
        })
        .unwrap_or_default()
}
