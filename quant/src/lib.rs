//! Golden quantizers and the exact integer reference of a quantized layer.
//!
//! Every method of `shared/spec/quantizers.md` (N2UQ, LCQ, Quantization Networks, uniform,
//! binary, ternary), and FINN's MultiThreshold ([`multithreshold`]), is a [`ScalarQuantizer`]: the published computation, the same function as
//! sorted thresholds ([`Staircase`]), and the map to spec-file codes, float values and integer
//! hardware levels. [`gemm`] holds the integer GEMM and im2col, [`fold`] turns scales,
//! BatchNorm and the next quantizer into integer thresholds, and [`accum`] bounds the
//! accumulator width. [`spec`] and [`npy`] are the `qforge quantize` file formats.

pub mod accum;
pub mod error;
pub mod example_layer;
pub mod fold;
pub mod gemm;
pub mod init;
pub mod lcq;
pub mod multithreshold;
pub mod n2uq;
pub mod npy;
pub mod qn;
pub mod scalar;
pub mod spec;
pub mod staircase;
pub mod uniform;

pub use error::{Error, Result};
pub use scalar::ScalarQuantizer;
pub use spec::QuantSpec;
pub use staircase::{Compare, Staircase, Threshold};
