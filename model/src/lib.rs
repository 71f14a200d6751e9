//! The qforge model format (`docs/model.md`): a JSON graph manifest plus one safetensors
//! file, loaded into a validated, front-end-neutral graph IR, and qforge's float reference
//! evaluator of that graph (the fake-quant forward a PyTorch user computes).
//!
//! - [`Model::load`] reads `model.json` (or a directory holding it) and its tensors;
//!   [`Model::to_dir`] writes them back.
//! - [`Model::new`] builds a model from nodes in any order (the QONNX importer's entry): it
//!   sorts them topologically and runs every check, each error naming the node and field.
//! - [`Node::quantized_weights`] gives a quantized layer's prepared per-channel weight
//!   quantizers and weight indices for the engine lowering.
//! - [`float::run`] evaluates one sample in float64.

pub mod error;
pub mod float;
pub mod graph;
pub mod manifest;
pub mod op;
pub mod shape;
pub mod tensor;
pub mod weights;
pub mod write;

pub use error::{Error, Result};
pub use graph::{GraphInput, Model, Node, Op};
pub use tensor::Tensor;
pub use weights::QuantizedWeights;
