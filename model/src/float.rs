//! qforge's float reference of a model: one sample through the graph in float64, the
//! fake-quant forward a PyTorch user computes.
//!
//! Semantics per op (`docs/model.md`):
//! - `quant`: per element, index = the golden quantizer's [`ScalarQuantizer::index`] (the
//!   published computation, not the staircase), output = its float `value(index)`.
//! - `conv`: `torch.nn.functional.conv2d` with zero padding, stride and groups; with
//!   `weight_quant` every weight is replaced by its quantized float value (the spec prepared
//!   against the weight tensor). Each output is `Σ_(c, dy, dx) w·x` summed in that order over
//!   the taps inside the input (padded taps add nothing), then `+ bias`.
//! - `fc`: `y[o] = Σ_i W[o, i]·x[i]` in order of `i`, then `+ bias[o]`; weights quantized as
//!   for `conv`.
//! - `batchnorm`: `gamma·(x − mean)/sqrt(var + eps) + beta` per channel of axis 0
//!   (`quant::fold::BatchNorm::apply`).
//! - `relu`: `max(x, 0)`. `maxpool`: max over the window's cells inside the input (padded
//!   cells never win). `avgpool`: window sum divided by `kernel²` (padding counts as zeros,
//!   `count_include_pad=True`). `global_avgpool`: channel sum divided by `H·W`. Windows start
//!   at `o·stride − padding` (`ceil_mode=False`).
//! - `add`: elementwise sum. `flatten`: the `[C, H, W]` data as it is (C-major).
//! - `mul`, `div`, `add_const`: exactly `x * v`, `x / v`, `x + v` in float64, `v` the
//!   constant's single element or its element for the channel (axis 0) of `x`.
//!
//! The per-op kernels are in `float/ops.rs`; this module holds the run types and the
//! evaluator that walks the graph.

use std::collections::HashMap;

use quant::{ScalarQuantizer, Staircase};

use crate::error::{Error, Result};
use crate::graph::{Model, Node, Op};
use crate::tensor::Tensor;

mod ops;

use ops::{eval, Prep};

/// One node's output in a float run.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeOutput {
    /// The node's name.
    pub name: String,
    /// Its output tensor (float values; for a `quant` node the quantized values).
    pub value: Tensor,
    /// For a `quant` node: the staircase index of every element.
    pub indices: Option<Vec<usize>>,
    /// For a `quant` node: the smallest distance, in the quantizer's input domain, from any
    /// of its inputs to a threshold (see [`near_threshold`]).
    pub threshold_distance: Option<f64>,
}

/// Every node's output for one sample, in [`Model::nodes`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatRun {
    /// One entry per node, in topological order.
    pub nodes: Vec<NodeOutput>,
}

impl FloatRun {
    /// The output of node `name`.
    pub fn get(&self, name: &str) -> Option<&NodeOutput> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The tensor of node `name`.
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.get(name).map(|n| &n.value)
    }

    /// The model's outputs, in the order of [`Model::outputs`].
    pub fn outputs(&self, model: &Model) -> Vec<&Tensor> {
        model
            .outputs
            .iter()
            .filter_map(|o| self.tensor(o))
            .collect()
    }
}

/// The smallest distance from any element of `q_input` to a threshold of `quantizer`,
/// measured in the quantizer's input domain (the staircase's compare-domain distance divided
/// by its gain). Infinite for an empty input or a quantizer without thresholds or with zero
/// gain. A small distance means float rounding could flip that element's code.
pub fn near_threshold(q_input: &[f64], quantizer: &dyn ScalarQuantizer) -> f64 {
    distance(q_input, &quantizer.staircase())
}

fn distance(xs: &[f64], st: &Staircase) -> f64 {
    if st.gain == 0.0 {
        return f64::INFINITY;
    }
    xs.iter()
        .map(|&x| st.distance_to_step(x) / st.gain.abs())
        .fold(f64::INFINITY, f64::min)
}

/// A model with its quantizers prepared once, to run many samples.
pub struct Evaluator<'m> {
    model: &'m Model,
    preps: Vec<Prep>,
}

/// Run one sample (the model's single graph input, row-major) through `model`.
pub fn run(model: &Model, input: &[f64]) -> Result<FloatRun> {
    Evaluator::new(model)?.run(input)
}

impl<'m> Evaluator<'m> {
    /// Prepare every quantizer of `model`.
    pub fn new(model: &'m Model) -> Result<Self> {
        let preps = model
            .nodes
            .iter()
            .map(|n| {
                Ok(match &n.op {
                    Op::Quant { spec } => {
                        let q = spec.scalar().map_err(|e| {
                            Error::from_quant(format!("node {:?}", n.name), "spec", e)
                        })?;
                        let st = q.staircase();
                        Prep::Quant(q, st)
                    }
                    _ => match n.quantized_weights()? {
                        Some(w) => Prep::Weights(w.values),
                        None => Prep::Nothing,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Evaluator { model, preps })
    }

    /// Run one sample; the model must have exactly one graph input.
    pub fn run(&self, input: &[f64]) -> Result<FloatRun> {
        if self.model.inputs.len() != 1 {
            return Err(Error::new(
                "manifest",
                "inputs",
                format!(
                    "the model has {} graph inputs; use run_inputs",
                    self.model.inputs.len()
                ),
            ));
        }
        self.run_inputs(&[input])
    }

    /// Run one sample given every graph input (in [`Model::inputs`] order).
    pub fn run_inputs(&self, inputs: &[&[f64]]) -> Result<FloatRun> {
        let model = self.model;
        if inputs.len() != model.inputs.len() {
            return Err(Error::new(
                "input",
                "",
                format!(
                    "{} tensors given for {} graph inputs",
                    inputs.len(),
                    model.inputs.len()
                ),
            ));
        }
        let mut env: HashMap<&str, &[f64]> = HashMap::new();
        for (g, data) in model.inputs.iter().zip(inputs) {
            let at = format!("input {:?}", g.name);
            let n: usize = g.shape.iter().product();
            if data.len() != n {
                return Err(Error::new(
                    at,
                    "",
                    format!("has {} values; shape {:?} needs {n}", data.len(), g.shape),
                ));
            }
            if let Some(i) = data.iter().position(|v| !v.is_finite()) {
                return Err(Error::new(
                    at,
                    format!("[{i}]"),
                    format!("is {}; inputs must be finite", data[i]),
                ));
            }
            env.insert(&g.name, data);
        }
        let mut outs: Vec<NodeOutput> = Vec::with_capacity(model.nodes.len());
        let mut at: HashMap<&str, usize> = HashMap::new();
        for (node, prep) in model.nodes.iter().zip(&self.preps) {
            let xs: Vec<(&[f64], &[usize])> = node
                .inputs
                .iter()
                .map(|name| {
                    let shape = model.shape_of(name).expect("validated input");
                    let data = match env.get(name.as_str()) {
                        Some(d) => d,
                        None => outs[at[name.as_str()]].value.data.as_slice(),
                    };
                    (data, shape)
                })
                .collect();
            let out = eval(node, prep, &xs);
            at.insert(&node.name, outs.len());
            outs.push(out);
        }
        Ok(FloatRun { nodes: outs })
    }
}

/// One host node on given input tensors (per sample, in the node's input order), float64:
/// every op but `quant` and weight-quantized `conv`/`fc` (those run on the engine or through
/// [`Evaluator`]). Used by executors that run the other nodes elsewhere.
pub fn eval_host(model: &Model, node: &Node, inputs: &[&[f64]]) -> Result<Vec<f64>> {
    if matches!(node.op, Op::Quant { .. }) || node.op.weight_quant().is_some() {
        return Err(Error::new(
            format!("node {:?}", node.name),
            "op",
            "quantizers and quantized layers are not host float ops",
        ));
    }
    if inputs.len() != node.inputs.len() {
        return Err(Error::new(
            format!("node {:?}", node.name),
            "inputs",
            format!(
                "{} tensors given for {} inputs",
                inputs.len(),
                node.inputs.len()
            ),
        ));
    }
    let xs: Vec<(&[f64], &[usize])> = node
        .inputs
        .iter()
        .zip(inputs)
        .map(|(name, data)| (*data, model.shape_of(name).expect("validated input")))
        .collect();
    Ok(eval(node, &Prep::Nothing, &xs).value.data)
}
