//! QONNX → [`model::Model`]: the graphs Brevitas' `export_qonnx` writes (the dynamo exporter of
//! torch >= 2.9 and the legacy TorchScript one) as `qonnx-cleanup` leaves them.
//!
//! The walk goes through the nodes in file order (ONNX requires topological order) and keeps,
//! for every ONNX tensor, either a **constant** (an initializer, or anything computed from
//! initializers only: weight `Quant`/`BipolarQuant` nodes are evaluated here, `Transpose`,
//! `Identity`, `Reshape` of constants) or a **dynamic** tensor: the IR node producing it and
//! its per-sample shape (the batch axis, which must be 1, dropped). Structural ops that only
//! rename (`Identity`, a `Flatten`/`Reshape` of an already flat tensor) become aliases, not
//! nodes. Each remaining ONNX node becomes one IR node named like the ONNX node, so the
//! placement `qforge run --json` reports reads in the user's names.
//!
//! Semantics per op are in `docs/qonnx.md`; everything outside the supported list, and any
//! attribute value outside what the IR computes exactly, is an error naming the node, the op
//! and the attribute or input.

mod attrs;
mod layers;
mod ops;
mod quantize;
mod reshape;
mod threshold;

use std::collections::HashMap;
use std::path::Path;

use model::{GraphInput, Model, Node as IrNode};

use crate::error::{Error, Result};
use crate::graph::{self, Const, Dim, Graph, Node};

/// The ONNX domains whose `Quant`, `BipolarQuant`, `MultiThreshold` and `Trunc` the importer
/// reads (QONNX's, and the older names FINN and Brevitas used for the same ops).
pub const QONNX_DOMAINS: [&str; 3] = [
    "qonnx.custom_op.general",
    "finn.custom_op.general",
    "onnx.brevitas",
];

/// Every supported op type (standard domain unless in [`QONNX_DOMAINS`]).
pub const SUPPORTED: [&str; 22] = [
    "Quant",
    "BipolarQuant",
    "MultiThreshold",
    "Trunc",
    "Gemm",
    "MatMul",
    "Conv",
    "BatchNormalization",
    "Relu",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "Reshape",
    "Flatten",
    "Transpose",
    "Identity",
    "Constant",
    "Squeeze",
];

/// Lowest `ai.onnx` opset read (the attribute/input forms below are those of opset 13+).
pub const MIN_OPSET: i64 = 13;

/// Highest IR version read.
pub const MAX_IR_VERSION: i64 = 12;

/// A value on an ONNX edge.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    /// Known at import time.
    Const(Cst),
    /// Computed per sample by IR node `ir` (or graph input), of per-sample `shape`.
    Dyn {
        /// IR tensor name.
        ir: String,
        /// Per-sample ONNX shape (batch axis dropped).
        shape: Vec<usize>,
    },
}

/// A constant, possibly a quantized weight.
#[derive(Debug, Clone)]
pub(crate) struct Cst {
    /// Dims.
    pub dims: Vec<usize>,
    /// Values (f64; float32 files widen exactly).
    pub values: Vec<f64>,
    /// Integer-typed in the file.
    pub int: bool,
    /// The weight quantizer that produced `values` (dequantized), if any.
    pub wq: Option<quantize::WeightQuant>,
}

impl Cst {
    fn from_const(c: &Const) -> Cst {
        Cst {
            dims: c.dims.clone(),
            values: c.floats(),
            int: matches!(c.data, graph::Data::Int(_)),
            wq: None,
        }
    }
}

/// The import state: values of ONNX tensors and the IR nodes so far.
pub(crate) struct Ctx<'g> {
    pub graph: &'g Graph,
    vals: HashMap<String, Val>,
    pub nodes: Vec<IrNode>,
    ir_names: HashMap<String, ()>,
}

impl<'g> Ctx<'g> {
    /// The value of input `i` of `node` (required).
    pub fn input(&self, node: &Node, i: usize) -> Result<&Val> {
        let name = node
            .inputs
            .get(i)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Error::new(node.at(), format!("input {i} is missing")))?;
        self.vals.get(name).ok_or_else(|| {
            Error::new(
                format!("{}: input {i} {name:?}", node.at()),
                "is not a graph input, an initializer or the output of an earlier node (missing initializer?)",
            )
        })
    }

    /// Whether optional input `i` of `node` is given.
    pub fn has_input(&self, node: &Node, i: usize) -> bool {
        node.inputs.get(i).is_some_and(|n| !n.is_empty())
    }

    /// Input `i` of `node`, which must be a constant.
    pub fn constant(&self, node: &Node, i: usize, what: &str) -> Result<&Cst> {
        match self.input(node, i)? {
            Val::Const(c) => Ok(c),
            Val::Dyn { .. } => Err(Error::new(
                format!("{}: input {i} {:?} ({what})", node.at(), node.inputs[i]),
                "must be a constant (an initializer); computed values are not supported here",
            )),
        }
    }

    /// Input `i` of `node`, which must be dynamic: (IR name, per-sample shape).
    pub fn dynamic(&self, node: &Node, i: usize) -> Result<(String, Vec<usize>)> {
        match self.input(node, i)? {
            Val::Dyn { ir, shape } => Ok((ir.clone(), shape.clone())),
            Val::Const(_) => Err(Error::new(
                format!("{}: input {i} {:?}", node.at(), node.inputs[i]),
                "is a constant here; this op is supported on computed tensors only",
            )),
        }
    }

    /// Set output 0 of `node` to `v`.
    pub fn set(&mut self, node: &Node, v: Val) -> Result<()> {
        let out = node
            .outputs
            .first()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| Error::new(node.at(), "has no output"))?;
        if self.vals.insert(out.clone(), v).is_some() {
            return Err(Error::new(
                node.at(),
                format!("output {out:?} is already defined by an earlier node or initializer"),
            ));
        }
        Ok(())
    }

    /// Add IR node `op` reading `inputs`, producing output 0 of `node` with per-sample ONNX
    /// shape `shape`.
    pub fn emit(
        &mut self,
        node: &Node,
        op: model::Op,
        inputs: Vec<String>,
        shape: Vec<usize>,
    ) -> Result<()> {
        let mut name = node.name.clone();
        let mut k = 1;
        while self.ir_names.contains_key(&name) {
            name = format!("{}_{k}", node.name);
            k += 1;
        }
        self.ir_names.insert(name.clone(), ());
        self.nodes.push(IrNode::new(name.clone(), op, inputs));
        self.set(node, Val::Dyn { ir: name, shape })
    }
}

/// Import the QONNX file at `path`.
pub fn import(path: &Path) -> Result<Model> {
    import_within(path, &|_| Ok(()))
}

/// [`import`] with a check of the initializers' element count before any tensor is
/// converted ([`graph::read_within`]).
pub fn import_within(path: &Path, check: graph::ElementCheck) -> Result<Model> {
    let g = graph::read_within(path, check)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    from_graph(&g, &stem).map_err(|e| e.within(&path.display().to_string()))
}

/// Import a decoded graph; `name` is the model's name when the graph has none.
pub fn from_graph(g: &Graph, name: &str) -> Result<Model> {
    check_versions(g)?;
    let mut cx = Ctx {
        graph: g,
        vals: HashMap::new(),
        nodes: Vec::new(),
        ir_names: HashMap::new(),
    };
    for (n, c) in &g.initializers {
        cx.vals.insert(n.clone(), Val::Const(Cst::from_const(c)));
    }
    let mut inputs = Vec::new();
    for v in &g.inputs {
        let shape = input_shape(v)?;
        cx.ir_names.insert(v.name.clone(), ());
        cx.vals.insert(
            v.name.clone(),
            Val::Dyn {
                ir: v.name.clone(),
                shape: shape.clone(),
            },
        );
        inputs.push(GraphInput {
            name: v.name.clone(),
            shape,
        });
    }
    if inputs.is_empty() {
        return Err(Error::new(
            "graph",
            "has no inputs (every graph input is an initializer)",
        ));
    }
    for node in &g.nodes {
        ops::node(&mut cx, node)?;
    }
    let mut outputs = Vec::new();
    for (i, o) in g.outputs.iter().enumerate() {
        match cx.vals.get(&o.name) {
            Some(Val::Dyn { ir, .. }) => outputs.push(ir.clone()),
            Some(Val::Const(_)) => {
                return Err(Error::new(
                    format!("graph output {i} {:?}", o.name),
                    "is a constant (it does not depend on the input)",
                ))
            }
            None => {
                return Err(Error::new(
                    format!("graph output {i} {:?}", o.name),
                    "is not produced by any node (truncated file?)",
                ))
            }
        }
    }
    if outputs.is_empty() {
        return Err(Error::new("graph", "has no outputs"));
    }
    let model_name = if g.name.is_empty() || g.name == "main_graph" || g.name == "main-graph" {
        name.to_string()
    } else {
        g.name.clone()
    };
    Model::new(model_name, inputs, outputs, cx.nodes)
        .map_err(|e| Error::new("", format!("the imported graph is not a valid model: {e}")))
}

fn check_versions(g: &Graph) -> Result<()> {
    if g.ir_version > MAX_IR_VERSION {
        return Err(Error::new(
            "model",
            format!(
                "IR version {} is newer than the {MAX_IR_VERSION} this importer reads",
                g.ir_version
            ),
        ));
    }
    if let Some(n) = g.nodes.iter().find(|n| g.opset(&n.domain).is_none()) {
        return Err(Error::new(
            n.at(),
            format!(
                "its domain {:?} is not in the model's opset imports (truncated file?)",
                if n.domain.is_empty() {
                    "ai.onnx"
                } else {
                    &n.domain
                }
            ),
        ));
    }
    match g.opset("") {
        Some(v) if v < MIN_OPSET => Err(Error::new(
            "model",
            format!(
                "ai.onnx opset {v} is older than {MIN_OPSET}; re-export with opset >= {MIN_OPSET}"
            ),
        )),
        None if g
            .nodes
            .iter()
            .any(|n| n.domain.is_empty() || n.domain == "ai.onnx") =>
        {
            Err(Error::new(
                "model",
                "imports no ai.onnx opset but uses standard ops",
            ))
        }
        _ => Ok(()),
    }
}

/// Per-sample shape of a graph input: fixed dims, batch (axis 0) 1 or symbolic, then
/// `[C, H, W]` or `[F]`.
fn input_shape(v: &graph::ValueInfo) -> Result<Vec<usize>> {
    let at = format!("graph input {:?}", v.name);
    if v.elem_type != 1 && v.elem_type != 11 && v.elem_type != 0 {
        return Err(Error::new(
            &at,
            format!(
                "element type {} is not supported (float32 inputs)",
                v.elem_type
            ),
        ));
    }
    let dims = v
        .dims
        .as_ref()
        .ok_or_else(|| Error::new(&at, "has no declared shape"))?;
    let mut shape = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        match (i, d) {
            (0, Dim::Fixed(1)) | (0, Dim::Symbolic(_)) => {}
            (0, &Dim::Fixed(n)) => {
                return Err(Error::new(
                    &at,
                    format!("batch axis is {n}; qforge runs one sample at a time, export with batch 1"),
                ))
            }
            (_, &Dim::Fixed(n)) if n >= 1 => shape.push(n as usize),
            (_, d) => {
                return Err(Error::new(
                    &at,
                    format!("axis {i} has a dynamic or unknown size ({d:?}); every axis but the batch must be fixed"),
                ))
            }
        }
    }
    if dims.is_empty() {
        return Err(Error::new(
            &at,
            "is a scalar; expected [N, F] or [N, C, H, W]",
        ));
    }
    match shape.len() {
        1 | 3 => Ok(shape),
        _ => Err(Error::new(
            &at,
            format!("shape {dims:?} is not supported: [N, F] or [N, C, H, W]"),
        )),
    }
}
