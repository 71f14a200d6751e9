//! Writing a model back as `model.json` plus `model.safetensors`: tensors are stored as F64
//! (so a written model reads back bit for bit) under `<node>.weight`, `.bias`,
//! `.running_mean`, `.running_var` and `.value`, every optional field written out explicitly.

use std::path::Path;

use quant::QuantSpec;
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::graph::{Model, Op};
use crate::manifest::{FORMAT, MANIFEST, TENSORS, VERSION};
use crate::tensor::{to_safetensors, Tensor};

impl Model {
    /// The manifest JSON of this model and its named tensors (`<node>.weight`, `.bias`,
    /// `.running_mean`, `.running_var`, `.value`; the suffixes end in different letters, so
    /// unique node names give unique tensor names).
    pub fn to_manifest(&self) -> (Value, Vec<(String, Tensor)>) {
        let mut tensors: Vec<(String, Tensor)> = Vec::new();
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .map(|n| {
                let mut m = Map::new();
                m.insert("name".into(), json!(n.name));
                m.insert("op".into(), json!(n.op.name()));
                m.insert("inputs".into(), json!(n.inputs));
                let mut put = |m: &mut Map<String, Value>, field: &str, t: Tensor| {
                    let name = format!("{}.{field}", n.name);
                    m.insert(field.into(), json!(name));
                    tensors.push((name, t));
                };
                match &n.op {
                    Op::Quant { spec } => {
                        m.insert("spec".into(), spec_json(spec));
                    }
                    Op::Conv {
                        weight,
                        bias,
                        stride,
                        padding,
                        groups,
                        weight_quant,
                    } => {
                        put(&mut m, "weight", weight.clone());
                        if let Some(b) = bias {
                            put(&mut m, "bias", b.clone());
                        }
                        m.insert("stride".into(), json!(stride));
                        m.insert("padding".into(), json!(padding));
                        m.insert("groups".into(), json!(groups));
                        m.insert("weight_quant".into(), opt_spec_json(weight_quant));
                    }
                    Op::Fc {
                        weight,
                        bias,
                        weight_quant,
                    } => {
                        put(&mut m, "weight", weight.clone());
                        if let Some(b) = bias {
                            put(&mut m, "bias", b.clone());
                        }
                        m.insert("weight_quant".into(), opt_spec_json(weight_quant));
                    }
                    Op::BatchNorm {
                        gamma,
                        beta,
                        mean,
                        var,
                        eps,
                    } => {
                        for (field, v) in [
                            ("weight", gamma),
                            ("bias", beta),
                            ("running_mean", mean),
                            ("running_var", var),
                        ] {
                            put(&mut m, field, Tensor::vector(v.clone()));
                        }
                        m.insert("eps".into(), json!(eps));
                    }
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
                        m.insert("kernel".into(), json!(kernel));
                        m.insert("stride".into(), json!(stride));
                        m.insert("padding".into(), json!(padding));
                    }
                    Op::Mul { value } | Op::Div { value } | Op::AddConst { value } => {
                        put(&mut m, "value", value.clone());
                    }
                    Op::Relu | Op::GlobalAvgPool | Op::Add | Op::Flatten => {}
                }
                Value::Object(m)
            })
            .collect();
        let inputs: Vec<Value> = self
            .inputs
            .iter()
            .map(|g| json!({ "name": g.name, "shape": g.shape }))
            .collect();
        let manifest = json!({
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "tensors": TENSORS,
            "inputs": inputs,
            "outputs": self.outputs,
            "nodes": nodes,
        });
        (manifest, tensors)
    }

    /// Write `model.json` and `model.safetensors` (F64) into `dir`, creating it if needed.
    /// [`Model::load`] of `dir` gives this model back exactly.
    pub fn to_dir(&self, dir: &Path) -> Result<()> {
        let shown = dir.display().to_string();
        let io = |e: std::io::Error| Error::new(&shown, "", format!("cannot write the model: {e}"));
        std::fs::create_dir_all(dir).map_err(io)?;
        for (name, bytes) in self.to_files()? {
            std::fs::write(dir.join(name), bytes).map_err(io)?;
        }
        Ok(())
    }

    /// The files of the model directory (`model.safetensors`, `model.json`) as (name, bytes),
    /// for callers that write them themselves.
    pub fn to_files(&self) -> Result<Vec<(&'static str, Vec<u8>)>> {
        let (manifest, tensors) = self.to_manifest();
        let named: Vec<(String, &Tensor)> = tensors.iter().map(|(n, t)| (n.clone(), t)).collect();
        let bytes = to_safetensors(&named)?;
        let text = serde_json::to_string_pretty(&manifest).expect("JSON values serialize") + "\n";
        Ok(vec![(TENSORS, bytes), (MANIFEST, text.into_bytes())])
    }
}

fn opt_spec_json(spec: &Option<QuantSpec>) -> Value {
    spec.as_ref().map_or(Value::Null, spec_json)
}

fn spec_json(spec: &QuantSpec) -> Value {
    serde_json::to_value(spec).expect("specs always serialize")
}
