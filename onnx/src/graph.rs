//! Reading a `.onnx` file into a checked, typed view of its main graph: nodes with their
//! attributes, initializers decoded to numbers, graph inputs and outputs with their shapes, the
//! IR version and opsets. Nothing here knows QONNX semantics; [`crate::import`] does.
//!
//! Protobuf decoding is prost's (generated from the official `onnx.proto`); every size a
//! file claims (tensor dims, raw data length, external data offsets) is checked against the
//! bytes actually there before anything is allocated from it.

use std::collections::HashMap;

mod decode;
mod tensor;

pub use decode::{
    from_bytes, from_bytes_within, initializer_elements, read, read_within, ElementCheck,
};
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
