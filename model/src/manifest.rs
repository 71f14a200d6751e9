//! The JSON manifest (`model.json`): reading it into a [`Model`] and writing one back.
//!
//! Parsing goes in passes, as `quant::spec` does, so every error names its place: the
//! top-level object's keys are checked against the known fields, then each node's `name` and
//! `op` are read, its keys checked against that op's fields (unknown ones get a "did you
//! mean" suggestion), and only then is the node deserialized with `serde_path_to_error`. The
//! tensor file is read after the whole manifest parsed, and [`Model::new`] does the rest.
//! Writing is in `write.rs`.

use std::path::Path;

use quant::QuantSpec;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{node_at, unknown, Error, Result};
use crate::graph::{GraphInput, Model, Node, Op};
use crate::tensor::{Tensor, TensorFile};

/// The manifest's `format`.
pub const FORMAT: &str = "qforge-model";
/// The manifest version this crate reads and writes.
pub const VERSION: u64 = 1;
/// The manifest's file name inside a model directory.
pub const MANIFEST: &str = "model.json";
/// The tensor file name [`Model::to_dir`] writes.
pub const TENSORS: &str = "model.safetensors";

const TOP_FIELDS: [&str; 7] = [
    "format", "version", "name", "tensors", "inputs", "outputs", "nodes",
];

/// The fields of each op besides `name`, `op` and `inputs`.
pub fn op_fields(op: &str) -> Option<&'static [&'static str]> {
    Some(match op {
        "quant" => &["spec"],
        "conv" => &[
            "weight",
            "bias",
            "stride",
            "padding",
            "groups",
            "weight_quant",
        ],
        "fc" => &["weight", "bias", "weight_quant"],
        "batchnorm" => &["weight", "bias", "running_mean", "running_var", "eps"],
        "maxpool" | "avgpool" => &["kernel", "stride", "padding"],
        "relu" | "global_avgpool" | "add" | "flatten" => &[],
        _ => return None,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Top {
    format: String,
    version: u64,
    name: String,
    tensors: String,
    inputs: Vec<InputDef>,
    outputs: Vec<String>,
    nodes: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputDef {
    name: String,
    shape: Vec<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Plain {
    inputs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuantDef {
    inputs: Vec<String>,
    spec: Value,
}

fn one() -> usize {
    1
}

fn default_eps() -> f64 {
    1e-5
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConvDef {
    inputs: Vec<String>,
    weight: String,
    #[serde(default)]
    bias: Option<String>,
    #[serde(default = "one")]
    stride: usize,
    #[serde(default)]
    padding: usize,
    #[serde(default = "one")]
    groups: usize,
    #[serde(default)]
    weight_quant: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FcDef {
    inputs: Vec<String>,
    weight: String,
    #[serde(default)]
    bias: Option<String>,
    #[serde(default)]
    weight_quant: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BnDef {
    inputs: Vec<String>,
    weight: String,
    bias: String,
    running_mean: String,
    running_var: String,
    #[serde(default = "default_eps")]
    eps: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolDef {
    inputs: Vec<String>,
    kernel: usize,
    #[serde(default)]
    stride: Option<usize>,
    #[serde(default)]
    padding: usize,
}

/// A node as parsed, tensors still by name.
enum RawOp {
    Quant(QuantSpec),
    Conv(ConvDef, Option<QuantSpec>),
    Fc(FcDef, Option<QuantSpec>),
    Bn(BnDef),
    Pool(bool, PoolDef),
    Simple(Op),
}

struct RawNode {
    at: String,
    name: String,
    inputs: Vec<String>,
    op: RawOp,
}

fn fields<T: DeserializeOwned>(at: &str, value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        Error::new(at, field, e.inner().to_string())
    })
}

fn check_keys(at: &str, map: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(Error::new(at, key, unknown("field", key, allowed)));
        }
    }
    Ok(())
}

fn spec(at: &str, field: &str, value: Value) -> Result<QuantSpec> {
    QuantSpec::from_value(value).map_err(|e| Error::from_quant(at, field, e))
}

fn opt_spec(at: &str, value: Option<Value>) -> Result<Option<QuantSpec>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => spec(at, "weight_quant", v).map(Some),
    }
}

fn parse_node(i: usize, value: Value) -> Result<RawNode> {
    let Value::Object(mut map) = value else {
        return Err(Error::new(
            format!("nodes[{i}]"),
            "",
            "must be a JSON object",
        ));
    };
    let name = match map.remove("name") {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(Error::new(
                format!("nodes[{i}]"),
                "name",
                format!("must be a string, got {other}"),
            ))
        }
        None => return Err(Error::new(format!("nodes[{i}]"), "name", "is missing")),
    };
    let at = node_at(i, &name);
    let op = match map.remove("op") {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(Error::new(
                at,
                "op",
                format!("must be a string, got {other}"),
            ))
        }
        None => {
            return Err(Error::new(
                at,
                "op",
                format!("is missing; one of {}", Op::NAMES.join(", ")),
            ))
        }
    };
    let Some(own) = op_fields(&op) else {
        return Err(Error::new(at, "op", unknown("op", &op, &Op::NAMES)));
    };
    let mut allowed = vec!["name", "op", "inputs"];
    allowed.extend_from_slice(own);
    check_keys(&at, &map, &allowed)?;
    let rest = Value::Object(map);
    let (inputs, op) = match op.as_str() {
        "quant" => {
            let d: QuantDef = fields(&at, rest)?;
            (d.inputs, RawOp::Quant(spec(&at, "spec", d.spec)?))
        }
        "conv" => {
            let mut d: ConvDef = fields(&at, rest)?;
            let q = opt_spec(&at, d.weight_quant.take())?;
            (std::mem::take(&mut d.inputs), RawOp::Conv(d, q))
        }
        "fc" => {
            let mut d: FcDef = fields(&at, rest)?;
            let q = opt_spec(&at, d.weight_quant.take())?;
            (std::mem::take(&mut d.inputs), RawOp::Fc(d, q))
        }
        "batchnorm" => {
            let mut d: BnDef = fields(&at, rest)?;
            (std::mem::take(&mut d.inputs), RawOp::Bn(d))
        }
        "maxpool" | "avgpool" => {
            let mut d: PoolDef = fields(&at, rest)?;
            (
                std::mem::take(&mut d.inputs),
                RawOp::Pool(op == "maxpool", d),
            )
        }
        simple => {
            let d: Plain = fields(&at, rest)?;
            let op = match simple {
                "relu" => Op::Relu,
                "global_avgpool" => Op::GlobalAvgPool,
                "add" => Op::Add,
                _ => Op::Flatten,
            };
            (d.inputs, RawOp::Simple(op))
        }
    };
    Ok(RawNode {
        at,
        name,
        inputs,
        op,
    })
}

/// Look up tensor `tensor` for `field` of the node at `at`.
fn tensor(file: &TensorFile, at: &str, field: &str, tensor: &str) -> Result<Tensor> {
    file.get(tensor)
        .map_err(|e| Error::new(at, field, e.to_string()))
}

fn resolve(file: &TensorFile, raw: RawNode) -> Result<Node> {
    let at = raw.at.as_str();
    let op = match raw.op {
        RawOp::Quant(spec) => Op::Quant { spec },
        RawOp::Conv(d, weight_quant) => Op::Conv {
            weight: tensor(file, at, "weight", &d.weight)?,
            bias: d.bias.map(|b| tensor(file, at, "bias", &b)).transpose()?,
            stride: d.stride,
            padding: d.padding,
            groups: d.groups,
            weight_quant,
        },
        RawOp::Fc(d, weight_quant) => Op::Fc {
            weight: tensor(file, at, "weight", &d.weight)?,
            bias: d.bias.map(|b| tensor(file, at, "bias", &b)).transpose()?,
            weight_quant,
        },
        RawOp::Bn(d) => {
            let vec = |field: &str, name: &str| -> Result<Vec<f64>> {
                let t = tensor(file, at, field, name)?;
                if t.shape.len() != 1 {
                    return Err(Error::new(
                        at,
                        field,
                        format!("tensor {name:?} has shape {:?}; must be [C]", t.shape),
                    ));
                }
                Ok(t.data)
            };
            Op::BatchNorm {
                gamma: vec("weight", &d.weight)?,
                beta: vec("bias", &d.bias)?,
                mean: vec("running_mean", &d.running_mean)?,
                var: vec("running_var", &d.running_var)?,
                eps: d.eps,
            }
        }
        RawOp::Pool(is_max, d) => {
            let (kernel, padding) = (d.kernel, d.padding);
            let stride = d.stride.unwrap_or(kernel);
            if is_max {
                Op::MaxPool {
                    kernel,
                    stride,
                    padding,
                }
            } else {
                Op::AvgPool {
                    kernel,
                    stride,
                    padding,
                }
            }
        }
        RawOp::Simple(op) => op,
    };
    Ok(Node::new(raw.name, op, raw.inputs))
}

impl Model {
    /// Load a model from its manifest, or from a directory holding `model.json`.
    pub fn load(path: &Path) -> Result<Model> {
        let manifest = if path.is_dir() {
            path.join(MANIFEST)
        } else {
            path.to_path_buf()
        };
        let shown = manifest.display().to_string();
        let text = std::fs::read(&manifest)
            .map_err(|e| Error::new(&shown, "", format!("cannot read the manifest: {e}")))?;
        let dir = manifest.parent().unwrap_or(Path::new("."));
        Self::from_manifest(&text, &shown, dir)
    }

    /// Parse manifest bytes (`shown` names them in errors); the tensor file is relative to
    /// `dir`.
    pub fn from_manifest(text: &[u8], shown: &str, dir: &Path) -> Result<Model> {
        let parsed = parse(text, shown)?;
        let file = TensorFile::read(&dir.join(&parsed.tensors))?;
        parsed.build(&file)
    }

    /// A model from the bytes of its manifest and of its safetensors file (the manifest's
    /// `tensors` field is not used).
    pub fn from_bytes(manifest: &[u8], tensors: &[u8]) -> Result<Model> {
        let parsed = parse(manifest, MANIFEST)?;
        let file = TensorFile::from_bytes(TENSORS.to_string(), tensors.to_vec())?;
        parsed.build(&file)
    }
}

/// A parsed manifest, tensors still by name.
struct Parsed {
    name: String,
    tensors: String,
    inputs: Vec<GraphInput>,
    outputs: Vec<String>,
    nodes: Vec<RawNode>,
}

fn parse(text: &[u8], shown: &str) -> Result<Parsed> {
    let value: Value = serde_json::from_slice(text)
        .map_err(|e| Error::new(shown, "", format!("is not valid JSON: {e}")))?;
    let Value::Object(map) = &value else {
        return Err(Error::new(shown, "", "must be a JSON object"));
    };
    check_keys("manifest", map, &TOP_FIELDS)?;
    let top: Top = fields("manifest", value)?;
    if top.format != FORMAT {
        return Err(Error::new(
            "manifest",
            "format",
            format!("is {:?}, expected {FORMAT:?}", top.format),
        ));
    }
    if top.version != VERSION {
        return Err(Error::new(
            "manifest",
            "version",
            format!("is {}; this qforge reads version {VERSION}", top.version),
        ));
    }
    let nodes = top
        .nodes
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse_node(i, v))
        .collect::<Result<Vec<_>>>()?;
    let inputs = top
        .inputs
        .into_iter()
        .map(|d| GraphInput {
            name: d.name,
            shape: d.shape,
        })
        .collect();
    Ok(Parsed {
        name: top.name,
        tensors: top.tensors,
        inputs,
        outputs: top.outputs,
        nodes,
    })
}

impl Parsed {
    fn build(self, file: &TensorFile) -> Result<Model> {
        let nodes = self
            .nodes
            .into_iter()
            .map(|r| resolve(file, r))
            .collect::<Result<Vec<_>>>()?;
        Model::new(self.name, self.inputs, self.outputs, nodes)
    }
}
