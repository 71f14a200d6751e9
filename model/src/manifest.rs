//! The JSON manifest (`model.json`): reading it into a [`Model`] and writing one back.
//!
//! Parsing goes in passes, as `quant::spec` does, so every error names its place: the
//! top-level object's keys are checked against the known fields, then each node's `name` and
//! `op` are read, its keys checked against that op's fields (unknown ones get a "did you
//! mean" suggestion), and only then is the node deserialized with `serde_path_to_error`. The
//! tensor file is read after the whole manifest parsed, and [`Model::new`] does the rest.
//! Per-node parsing and tensor resolution are in `manifest/node.rs`; writing is in `write.rs`.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{unknown, Error, Result};
use crate::graph::{GraphInput, Model};
use crate::tensor::TensorFile;

mod node;

use node::{parse_node, resolve, RawNode};

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
        "mul" | "div" | "add_const" => &["value"],
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

impl Model {
    /// Load a model from its manifest, or from a directory holding `model.json`.
    pub fn load(path: &Path) -> Result<Model> {
        let manifest = Self::manifest_path(path);
        let shown = manifest.display().to_string();
        let text = std::fs::read(&manifest)
            .map_err(|e| Error::new(&shown, "", format!("cannot read the manifest: {e}")))?;
        let dir = manifest.parent().unwrap_or(Path::new("."));
        Self::from_manifest(&text, &shown, dir)
    }

    /// The manifest a model path names: `path` itself, or `path/model.json` for a directory.
    pub fn manifest_path(path: &Path) -> std::path::PathBuf {
        if path.is_dir() {
            path.join(MANIFEST)
        } else {
            path.to_path_buf()
        }
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
