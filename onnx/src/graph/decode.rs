//! Decoding: the file or bytes through prost into a [`Graph`], every initializer, node,
//! attribute and value info checked (with [`tensor`] for the tensor data), and the
//! initializers' element count offered to a memory check before any tensor is converted.

use std::collections::HashMap;
use std::path::Path;

use prost::Message;

use super::{tensor, Attr, Dim, Graph, Node, ValueInfo, MAX_FILE_BYTES};
use crate::error::{Error, Result};
use crate::proto;

/// Read and check the ONNX file at `path` (external tensor data is read relative to it).
pub fn read(path: &Path) -> Result<Graph> {
    read_within(path, &|_| Ok(()))
}

/// Elements of every initializer of `g` as its dims claim (saturating), before any tensor
/// data is read or converted: what an importer's memory estimate is based on.
pub fn initializer_elements(g: &proto::GraphProto) -> u64 {
    g.initializer
        .iter()
        .map(|t| {
            t.dims
                .iter()
                .try_fold(1u64, |n, &d| {
                    u64::try_from(d).ok().map(|d| n.saturating_mul(d))
                })
                .unwrap_or(0)
        })
        .fold(0u64, u64::saturating_add)
}

/// A check of a model's initializer element count ([`initializer_elements`]) before any
/// tensor is read or converted; its message becomes the error.
pub type ElementCheck<'a> = &'a dyn Fn(u64) -> std::result::Result<(), String>;

/// [`read`], calling `check` with the initializers' element count (external data included)
/// once the protobuf is decoded and before any tensor is read or converted.
pub fn read_within(path: &Path, check: ElementCheck) -> Result<Graph> {
    let shown = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| Error::new(&shown, format!("cannot read: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::new(
            &shown,
            format!(
                "{} bytes is larger than the {MAX_FILE_BYTES}-byte protobuf limit",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::new(&shown, format!("cannot read: {e}")))?;
    from_bytes_within(bytes.into(), path.parent(), check).map_err(|e| e.within(&shown))
}

/// Decode and check an ONNX model from `bytes`; `dir` is where external data files live
/// (`None`: external data is an error).
pub fn from_bytes(bytes: bytes::Bytes, dir: Option<&Path>) -> Result<Graph> {
    from_bytes_within(bytes, dir, &|_| Ok(()))
}

/// [`from_bytes`] with the element check of [`read_within`].
pub fn from_bytes_within(
    bytes: bytes::Bytes,
    dir: Option<&Path>,
    check: ElementCheck,
) -> Result<Graph> {
    let m = proto::ModelProto::decode(bytes).map_err(|e| {
        Error::new(
            "",
            format!("not a valid ONNX protobuf (truncated or corrupt file?): {e}"),
        )
    })?;
    let g = m
        .graph
        .as_ref()
        .ok_or_else(|| Error::new("", "the model has no graph (truncated file?)"))?;
    if !m.functions.is_empty() {
        return Err(Error::new(
            "",
            format!(
                "model-local functions ({}) are not supported; inline them first",
                m.functions.len()
            ),
        ));
    }
    check(initializer_elements(g)).map_err(|m| Error::new("", m))?;
    let mut initializers = HashMap::new();
    for t in &g.initializer {
        let c = tensor(t, dir)?;
        if initializers.insert(c.name.clone(), c).is_some() {
            return Err(Error::new(
                format!("initializer {:?}", t.name()),
                "is defined twice",
            ));
        }
    }
    if let Some(s) = g.sparse_initializer.first() {
        let name = s.values.as_ref().map_or("", |v| v.name());
        return Err(Error::new(
            format!("sparse initializer {name:?}"),
            "sparse initializers are not supported",
        ));
    }
    let inputs = g
        .input
        .iter()
        .filter(|v| !initializers.contains_key(v.name()))
        .map(value_info)
        .collect();
    let outputs = g.output.iter().map(value_info).collect();
    let nodes = g
        .node
        .iter()
        .enumerate()
        .map(|(i, n)| node(i, n, dir))
        .collect::<Result<Vec<_>>>()?;
    Ok(Graph {
        ir_version: m.ir_version(),
        opsets: m
            .opset_import
            .iter()
            .map(|o| (o.domain().to_string(), o.version()))
            .collect(),
        producer: format!("{} {}", m.producer_name(), m.producer_version())
            .trim()
            .to_string(),
        name: g.name().to_string(),
        inputs,
        outputs,
        nodes,
        initializers,
    })
}

fn value_info(v: &proto::ValueInfoProto) -> ValueInfo {
    use proto::type_proto::Value;
    let (elem_type, dims) = match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(Value::TensorType(t)) => (
            t.elem_type(),
            t.shape.as_ref().map(|s| {
                s.dim
                    .iter()
                    .map(|d| match &d.value {
                        Some(proto::tensor_shape_proto::dimension::Value::DimValue(v)) => {
                            Dim::Fixed(*v)
                        }
                        Some(proto::tensor_shape_proto::dimension::Value::DimParam(p)) => {
                            Dim::Symbolic(p.clone())
                        }
                        None => Dim::Unknown,
                    })
                    .collect()
            }),
        ),
        _ => (0, None),
    };
    ValueInfo {
        name: v.name().to_string(),
        elem_type,
        dims,
    }
}

fn node(i: usize, n: &proto::NodeProto, dir: Option<&Path>) -> Result<Node> {
    let name = if n.name().is_empty() {
        format!("{}#{i}", n.op_type())
    } else {
        n.name().to_string()
    };
    let mut out = Node {
        name,
        op_type: n.op_type().to_string(),
        domain: n.domain().to_string(),
        inputs: n.input.clone(),
        outputs: n.output.clone(),
        attrs: Vec::new(),
    };
    for a in &n.attribute {
        let v = attr(a, dir)
            .map_err(|e| e.within(&format!("{}: attribute {:?}", out.at(), a.name())))?;
        out.attrs.push((a.name().to_string(), v));
    }
    Ok(out)
}

fn attr(a: &proto::AttributeProto, dir: Option<&Path>) -> Result<Attr> {
    use proto::attribute_proto::AttributeType as T;
    let ty = match a.r#type {
        Some(t) => T::try_from(t).unwrap_or(T::Undefined),
        // Files older than IR 2 leave the type out: infer it from the field set.
        None => {
            if a.f.is_some() {
                T::Float
            } else if a.i.is_some() {
                T::Int
            } else if a.s.is_some() {
                T::String
            } else if a.t.is_some() {
                T::Tensor
            } else if !a.floats.is_empty() {
                T::Floats
            } else if !a.ints.is_empty() {
                T::Ints
            } else {
                T::Undefined
            }
        }
    };
    Ok(match ty {
        T::Float => Attr::Float(a.f()),
        T::Int => Attr::Int(a.i()),
        T::String => Attr::Str(String::from_utf8_lossy(a.s()).into_owned()),
        T::Floats => Attr::Floats(a.floats.clone()),
        T::Ints => Attr::Ints(a.ints.clone()),
        T::Tensor => match &a.t {
            Some(t) => Attr::Tensor(tensor(t, dir)?),
            None => return Err(Error::new("", "TENSOR attribute without a tensor")),
        },
        other => Attr::Other(other.as_str_name().to_string()),
    })
}
