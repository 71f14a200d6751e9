//! Reading a `.onnx` file into a checked, typed view of its main graph: nodes with their
//! attributes, initializers decoded to numbers, graph inputs and outputs with their shapes, the
//! IR version and opsets. Nothing here knows QONNX semantics; [`crate::import`] does.
//!
//! Protobuf decoding is prost's (generated from the official `onnx.proto`); every size a
//! file claims (tensor dims, raw data length, external data offsets) is checked against the
//! bytes actually there before anything is allocated from it.

use std::collections::HashMap;
use std::path::Path;

use prost::Message;

use crate::error::{Error, Result};
use crate::proto;

mod tensor;

pub use tensor::tensor;

/// Largest file read (protobuf itself caps messages at 2 GiB).
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// Largest number of elements of one tensor.
pub const MAX_ELEMENTS: usize = 1 << 28;

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    /// `FLOAT`.
    Float(f32),
    /// `INT`.
    Int(i64),
    /// `STRING` (lossy UTF-8).
    Str(String),
    /// `FLOATS`.
    Floats(Vec<f32>),
    /// `INTS`.
    Ints(Vec<i64>),
    /// `TENSOR`.
    Tensor(Const),
    /// Any other kind (graphs, sparse tensors, type protos, lists of them): its type name.
    Other(String),
}

impl Attr {
    /// The ONNX type name of the value.
    pub fn type_name(&self) -> &str {
        match self {
            Attr::Float(_) => "FLOAT",
            Attr::Int(_) => "INT",
            Attr::Str(_) => "STRING",
            Attr::Floats(_) => "FLOATS",
            Attr::Ints(_) => "INTS",
            Attr::Tensor(_) => "TENSOR",
            Attr::Other(t) => t,
        }
    }
}

/// A node of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its name (`<op_type>#<index>` when the file leaves it empty).
    pub name: String,
    /// Operator type.
    pub op_type: String,
    /// Operator domain (`""` = `ai.onnx`).
    pub domain: String,
    /// Input tensor names (`""` = an omitted optional input).
    pub inputs: Vec<String>,
    /// Output tensor names.
    pub outputs: Vec<String>,
    /// Attributes in file order.
    pub attrs: Vec<(String, Attr)>,
}

impl Node {
    /// `node "name" (Op)`, the location prefix of every error about this node.
    pub fn at(&self) -> String {
        format!("node {:?} ({})", self.name, self.op_type)
    }

    /// The attribute called `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
}

/// Element data of a constant tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// Floating point (`FLOAT`, `DOUBLE`, `FLOAT16` is refused), widened to f64 exactly;
    /// `f32` records whether the file stored float32.
    Float {
        /// Values.
        values: Vec<f64>,
        /// Stored as float32 (the precision the file's computation uses).
        f32: bool,
    },
    /// Integers (`INT64`, `INT32`, `INT16`, `INT8`, `UINT8`, `UINT16`, `UINT32`, `BOOL`).
    Int(Vec<i64>),
}

/// A constant tensor (an initializer or a `TENSOR` attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct Const {
    /// Its name.
    pub name: String,
    /// Dimensions (`[]` = scalar).
    pub dims: Vec<usize>,
    /// Elements, row-major.
    pub data: Data,
}

impl Const {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    /// The values as f64 (integers converted).
    pub fn floats(&self) -> Vec<f64> {
        match &self.data {
            Data::Float { values, .. } => values.clone(),
            Data::Int(v) => v.iter().map(|&x| x as f64).collect(),
        }
    }
}

/// One dimension of a declared shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A named, symbolic size (`dim_param`).
    Symbolic(String),
    /// Neither given.
    Unknown,
}

/// A graph input or output as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueInfo {
    /// Tensor name.
    pub name: String,
    /// Element type (`TensorProto.DataType` number; 0 = not given).
    pub elem_type: i32,
    /// Declared shape, `None` when the file gives none.
    pub dims: Option<Vec<Dim>>,
}

/// The checked main graph of an ONNX model.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// `ModelProto.ir_version`.
    pub ir_version: i64,
    /// Opset imports: (domain, version); domain `""` is `ai.onnx`.
    pub opsets: Vec<(String, i64)>,
    /// Producer name and version.
    pub producer: String,
    /// Graph name.
    pub name: String,
    /// Graph inputs that are not initializers.
    pub inputs: Vec<ValueInfo>,
    /// Graph outputs.
    pub outputs: Vec<ValueInfo>,
    /// Nodes in file order.
    pub nodes: Vec<Node>,
    /// Initializers by name.
    pub initializers: HashMap<String, Const>,
}

impl Graph {
    /// The opset version imported for `domain`, if any (`""` and `ai.onnx` are the same).
    pub fn opset(&self, domain: &str) -> Option<i64> {
        let norm = |d: &str| {
            if d == "ai.onnx" {
                String::new()
            } else {
                d.to_string()
            }
        };
        let want = norm(domain);
        self.opsets
            .iter()
            .find(|(d, _)| norm(d) == want)
            .map(|&(_, v)| v)
    }
}

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
