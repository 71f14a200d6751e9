//! One manifest node: its `name` and `op` read first, its keys checked against
//! [`super::op_fields`], then its per-op fields deserialized (`Plain`, `QuantDef`,
//! `ConvDef`, `ConstDef`, ...) into a node whose tensors are still named, and later resolved against the
//! tensor file into a [`Node`].

use quant::QuantSpec;
use serde::Deserialize;
use serde_json::Value;

use super::{check_keys, fields, op_fields};
use crate::error::{node_at, unknown, Error, Result};
use crate::graph::{Node, Op};
use crate::tensor::{Tensor, TensorFile};

/// A node without its own fields (`relu`, `global_avgpool`, `add`, `flatten`).
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

/// `mul`, `div`, `add_const`: the constant tensor's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConstDef {
    inputs: Vec<String>,
    value: String,
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
    /// The op name (`mul`, `div`, `add_const`) and its constant.
    Const(&'static str, ConstDef),
    Simple(Op),
}

pub(super) struct RawNode {
    at: String,
    name: String,
    inputs: Vec<String>,
    op: RawOp,
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

pub(super) fn parse_node(i: usize, value: Value) -> Result<RawNode> {
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
        "mul" | "div" | "add_const" => {
            let mut d: ConstDef = fields(&at, rest)?;
            let kind = match op.as_str() {
                "mul" => "mul",
                "div" => "div",
                _ => "add_const",
            };
            (std::mem::take(&mut d.inputs), RawOp::Const(kind, d))
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

pub(super) fn resolve(file: &TensorFile, raw: RawNode) -> Result<Node> {
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
        RawOp::Const(kind, d) => {
            let value = tensor(file, at, "value", &d.value)?;
            match kind {
                "mul" => Op::Mul { value },
                "div" => Op::Div { value },
                _ => Op::AddConst { value },
            }
        }
        RawOp::Simple(op) => op,
    };
    Ok(Node::new(raw.name, op, raw.inputs))
}
