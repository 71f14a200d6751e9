//! Network descriptions: layers in order (conv, fc, batchnorm, and carried-through ops), read
//! from a JSON file with errors that name the layer and field, or taken from the built-in
//! catalog (`crate::catalog`).
//!
//! ```json
//! {"name": "tiny", "layers": [
//!   {"name": "conv1", "op": "conv", "in_channels": 3, "out_channels": 8, "kernel": [3, 3],
//!    "stride": 1, "padding": 1, "groups": 1, "bias": false, "in_hw": [8, 8]},
//!   {"name": "bn1", "op": "batchnorm", "channels": 8},
//!   {"name": "relu1", "op": "relu"},
//!   {"name": "fc", "op": "fc", "in_features": 512, "out_features": 10, "bias": true}]}
//! ```

pub mod connect;
pub mod limits;
mod parse;
#[cfg(test)]
mod tests;

use anyhow::Result;

/// A 2-D convolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv {
    /// Input channels.
    pub in_channels: u32,
    /// Output channels.
    pub out_channels: u32,
    /// Kernel height and width.
    pub kernel: [u32; 2],
    /// Stride (both directions).
    pub stride: u32,
    /// Zero padding (both directions).
    pub padding: u32,
    /// Channel groups (depthwise: `groups = in_channels`).
    pub groups: u32,
    /// Whether the layer has a bias.
    pub bias: bool,
    /// Input height and width.
    pub in_hw: [u32; 2],
}

impl Conv {
    /// Output height and width.
    pub fn out_hw(&self) -> [u32; 2] {
        let f = |i: usize| (self.in_hw[i] + 2 * self.padding - self.kernel[i]) / self.stride + 1;
        [f(0), f(1)]
    }
}

/// A layer's operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Convolution.
    Conv(Conv),
    /// Fully connected.
    Fc {
        /// Inputs.
        in_features: u32,
        /// Outputs.
        out_features: u32,
        /// Bias.
        bias: bool,
    },
    /// BatchNorm over `channels`.
    BatchNorm {
        /// Channels.
        channels: u32,
    },
    /// Any other op (relu, pool, add, ...), carried through without cost.
    Other(String),
}

/// A named layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Name.
    pub name: String,
    /// Operation.
    pub op: Op,
    /// A conv/fc that reads a separate input of its own shape rather than the previous
    /// tensor (`"separate_input": true` in a file): the connection check skips it and
    /// `run --network` gives it a seeded graph input.
    pub separate_input: bool,
}

/// The GEMM one group of a conv or an fc layer lowers to (convs by im2col), and how many
/// such GEMMs the layer runs (its groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gemm {
    /// Output channels of one group.
    pub m: u32,
    /// Dot-product length.
    pub k: u32,
    /// Output pixels (1 for fc at batch 1).
    pub n: u32,
    /// Groups (GEMMs of this shape).
    pub groups: u32,
}

impl Layer {
    /// The GEMM of a conv or fc layer. Its dimensions are computed in 64-bit checked
    /// arithmetic ([`limits::gemm_dims`]); a network that passed [`Network::check`] (every
    /// file and the catalog) has each below 2^32.
    pub fn gemm(&self) -> Option<Gemm> {
        let d = limits::gemm_dims(self)?
            .unwrap_or_else(|e| panic!("layer {}: {e} (the network was not checked)", self.name));
        let f = |x: u64| u32::try_from(x).expect("checked: GEMM dimensions below 2^32");
        Some(Gemm {
            m: f(d[0]),
            k: f(d[1]),
            n: f(d[2]),
            groups: f(d[3]),
        })
    }

    /// Whether the layer is a conv or fc (runs a GEMM).
    pub fn is_compute(&self) -> bool {
        matches!(self.op, Op::Conv(_) | Op::Fc { .. })
    }

    /// Weights (not counting bias).
    pub fn weights(&self) -> u64 {
        self.gemm()
            .map_or(0, |g| g.m as u64 * g.k as u64 * g.groups as u64)
    }

    /// Bias values.
    pub fn biases(&self) -> u64 {
        match &self.op {
            Op::Conv(c) if c.bias => c.out_channels as u64,
            Op::Fc {
                out_features,
                bias: true,
                ..
            } => *out_features as u64,
            _ => 0,
        }
    }

    /// Trainable parameters (weights, bias, BatchNorm scale and shift).
    pub fn params(&self) -> u64 {
        match &self.op {
            Op::BatchNorm { channels } => 2 * *channels as u64,
            _ => self.weights() + self.biases(),
        }
    }
}

/// A network: layers in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Name.
    pub name: String,
    /// Layers.
    pub layers: Vec<Layer>,
}

impl Network {
    /// Indices of the conv/fc layers, in order.
    pub fn compute_layers(&self) -> Vec<usize> {
        (0..self.layers.len())
            .filter(|&i| self.layers[i].is_compute())
            .collect()
    }

    /// The indices of the first and last conv/fc layers.
    pub fn compute_ends(&self) -> Option<(usize, usize)> {
        let first = self.layers.iter().position(Layer::is_compute)?;
        let last = self.layers.iter().rposition(Layer::is_compute)?;
        Some((first, last))
    }

    /// Parse a network file's JSON text and check it (`parse`, `connect`): unknown ops and
    /// fields, sizes that overflow the limits and layers whose shapes do not connect are
    /// errors naming the layer and field.
    pub fn from_json(text: &str) -> Result<Self> {
        let net = parse::parse(text)?;
        net.check()?;
        Ok(net)
    }

    /// Check a network: every layer's sizes within [`limits`] (64-bit checked arithmetic)
    /// and consecutive layers' shapes connecting (`connect`). The catalog passes (tested).
    pub fn check(&self) -> Result<()> {
        limits::check(self)?;
        connect::check(self)
    }
}
