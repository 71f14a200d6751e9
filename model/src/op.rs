//! The operations a node can compute, with their parameters (tensors already resolved).

use quant::QuantSpec;

use crate::tensor::Tensor;

/// The operation of a node (semantics in `docs/model.md` and [`crate::float`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Elementwise activation quantizer; the output is quantized.
    Quant {
        /// An activation method (`n2uq-act`, `lcq-act`, `qn`, `uniform`, `binary`, `ternary`,
        /// `multithreshold`).
        spec: QuantSpec,
    },
    /// 2-D convolution as `torch.nn.functional.conv2d`.
    Conv {
        /// `[Co, Ci/groups, kh, kw]`.
        weight: Tensor,
        /// `[Co]`.
        bias: Option<Tensor>,
        /// Stride (both axes, >= 1).
        stride: usize,
        /// Zero padding (both axes).
        padding: usize,
        /// Groups (>= 1, divides Ci and Co).
        groups: usize,
        /// Weight quantizer; `Some` makes this an engine job.
        weight_quant: Option<QuantSpec>,
    },
    /// Fully connected layer as `torch.nn.Linear`.
    Fc {
        /// `[out, in]`.
        weight: Tensor,
        /// `[out]`.
        bias: Option<Tensor>,
        /// Weight quantizer; `Some` makes this an engine job.
        weight_quant: Option<QuantSpec>,
    },
    /// Inference BatchNorm over axis 0.
    BatchNorm {
        /// Scale per channel.
        gamma: Vec<f64>,
        /// Shift per channel.
        beta: Vec<f64>,
        /// Running mean per channel.
        mean: Vec<f64>,
        /// Running variance per channel.
        var: Vec<f64>,
        /// Epsilon.
        eps: f64,
    },
    /// `max(x, 0)`.
    Relu,
    /// Max pooling (padded cells never win).
    MaxPool {
        /// Window size (both axes).
        kernel: usize,
        /// Stride (both axes).
        stride: usize,
        /// Padding (both axes, at most `kernel / 2`).
        padding: usize,
    },
    /// Average pooling, zeros of the padding counted (`count_include_pad=True`).
    AvgPool {
        /// Window size (both axes).
        kernel: usize,
        /// Stride (both axes).
        stride: usize,
        /// Padding (both axes, at most `kernel / 2`).
        padding: usize,
    },
    /// Mean over H and W: `[C, H, W] → [C]`.
    GlobalAvgPool,
    /// Elementwise sum of two inputs of the same shape.
    Add,
    /// `x · value`, `value` a scalar or one value per channel (axis 0), see [`Op::value`].
    Mul {
        /// The constant factor.
        value: Tensor,
    },
    /// `x / value` (no element of `value` zero), broadcast as for [`Op::Mul`].
    Div {
        /// The constant divisor.
        value: Tensor,
    },
    /// `x + value`, broadcast as for [`Op::Mul`] (ONNX `Add`/`Sub` by an initializer; `Sub`
    /// is `add_const` of the negated value).
    AddConst {
        /// The constant term.
        value: Tensor,
    },
    /// `[C, H, W] → [C·H·W]`, C-major.
    Flatten,
}

impl Op {
    /// Every op name as written in the manifest.
    pub const NAMES: [&'static str; 13] = [
        "quant",
        "conv",
        "fc",
        "batchnorm",
        "relu",
        "maxpool",
        "avgpool",
        "global_avgpool",
        "add",
        "flatten",
        "mul",
        "div",
        "add_const",
    ];

    /// The op name as written in the manifest.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Quant { .. } => "quant",
            Op::Conv { .. } => "conv",
            Op::Fc { .. } => "fc",
            Op::BatchNorm { .. } => "batchnorm",
            Op::Relu => "relu",
            Op::MaxPool { .. } => "maxpool",
            Op::AvgPool { .. } => "avgpool",
            Op::GlobalAvgPool => "global_avgpool",
            Op::Add => "add",
            Op::Flatten => "flatten",
            Op::Mul { .. } => "mul",
            Op::Div { .. } => "div",
            Op::AddConst { .. } => "add_const",
        }
    }

    /// Number of inputs the op takes.
    pub fn arity(&self) -> usize {
        match self {
            Op::Add => 2,
            _ => 1,
        }
    }

    /// The constant tensor of an elementwise `mul`/`div`/`add_const`, else `None`. It holds
    /// one element (a scalar for every element) or one per channel: `[C]`, or `[C, 1, 1]` for
    /// a `[C, H, W]` input.
    pub fn value(&self) -> Option<&Tensor> {
        match self {
            Op::Mul { value } | Op::Div { value } | Op::AddConst { value } => Some(value),
            _ => None,
        }
    }

    /// The weight quantizer of a quantized `conv`/`fc` (an engine job), else `None`.
    pub fn weight_quant(&self) -> Option<&QuantSpec> {
        match self {
            Op::Conv { weight_quant, .. } | Op::Fc { weight_quant, .. } => weight_quant.as_ref(),
            _ => None,
        }
    }
}

/// Element of a validated `mul`/`div`/`add_const` `value` for channel `c` (axis 0 of the
/// per-sample shape): the one element of a scalar, else element `c`.
pub fn channel_value(value: &Tensor, c: usize) -> f64 {
    if value.data.len() == 1 {
        value.data[0]
    } else {
        value.data[c]
    }
}
