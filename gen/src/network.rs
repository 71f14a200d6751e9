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

use anyhow::{anyhow, bail, Result};
use serde_json::{Map, Value};

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
    /// The GEMM of a conv or fc layer.
    pub fn gemm(&self) -> Option<Gemm> {
        match &self.op {
            Op::Conv(c) => {
                let [oh, ow] = c.out_hw();
                Some(Gemm {
                    m: c.out_channels / c.groups,
                    k: c.in_channels / c.groups * c.kernel[0] * c.kernel[1],
                    n: oh * ow,
                    groups: c.groups,
                })
            }
            Op::Fc {
                in_features,
                out_features,
                ..
            } => Some(Gemm {
                m: *out_features,
                k: *in_features,
                n: 1,
                groups: 1,
            }),
            _ => None,
        }
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
            .filter(|&i| self.layers[i].gemm().is_some())
            .collect()
    }

    /// Parse a network file's JSON text; errors name the layer and field.
    pub fn from_json(text: &str) -> Result<Self> {
        let v: Value = serde_json::from_str(text).map_err(|e| anyhow!("not valid JSON: {e}"))?;
        let top = v
            .as_object()
            .ok_or_else(|| anyhow!("the file must hold an object {{\"name\", \"layers\"}}"))?;
        let name = top
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("name: missing or not a string"))?
            .to_string();
        let list = top
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("layers: missing or not an array"))?;
        if list.is_empty() {
            bail!("layers: empty");
        }
        let mut layers = Vec::new();
        for (i, l) in list.iter().enumerate() {
            let obj = l
                .as_object()
                .ok_or_else(|| anyhow!("layers[{i}]: not an object"))?;
            let lname = obj
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("layers[{i}].name: missing or not a string"))?
                .to_string();
            let at = format!("layers[{i}] ({lname})");
            let op = obj
                .get("op")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{at}.op: missing or not a string"))?;
            let f = Fields { obj, at: &at };
            let op = match op {
                "conv" => {
                    let c = Conv {
                        in_channels: f.pos("in_channels")?,
                        out_channels: f.pos("out_channels")?,
                        kernel: f.pair("kernel")?,
                        stride: f.pos_or("stride", 1)?,
                        padding: f.uint_or("padding", 0)?,
                        groups: f.pos_or("groups", 1)?,
                        bias: f.boolean_or("bias", false)?,
                        in_hw: f.pair("in_hw")?,
                    };
                    if c.in_channels % c.groups != 0 || c.out_channels % c.groups != 0 {
                        bail!(
                            "{at}.groups: {} does not divide in_channels {} and out_channels {}",
                            c.groups,
                            c.in_channels,
                            c.out_channels
                        );
                    }
                    for d in 0..2 {
                        if c.in_hw[d] + 2 * c.padding < c.kernel[d] {
                            bail!(
                                "{at}.kernel: {:?} is larger than the padded input {:?} + 2·{}",
                                c.kernel,
                                c.in_hw,
                                c.padding
                            );
                        }
                    }
                    Op::Conv(c)
                }
                "fc" => Op::Fc {
                    in_features: f.pos("in_features")?,
                    out_features: f.pos("out_features")?,
                    bias: f.boolean_or("bias", false)?,
                },
                "batchnorm" => Op::BatchNorm {
                    channels: f.pos("channels")?,
                },
                other => Op::Other(other.to_string()),
            };
            layers.push(Layer { name: lname, op });
        }
        let net = Network { name, layers };
        if net.compute_layers().is_empty() {
            bail!("layers: no conv or fc layer, nothing to report");
        }
        Ok(net)
    }
}

struct Fields<'a> {
    obj: &'a Map<String, Value>,
    at: &'a str,
}

impl Fields<'_> {
    fn uint(&self, key: &str, v: &Value) -> Result<u32> {
        v.as_u64()
            .filter(|&x| x <= 1 << 24)
            .map(|x| x as u32)
            .ok_or_else(|| {
                anyhow!(
                    "{}.{key}: must be a whole number in 0..=16777216, got {v}",
                    self.at
                )
            })
    }
    fn pos(&self, key: &str) -> Result<u32> {
        let v = self
            .obj
            .get(key)
            .ok_or_else(|| anyhow!("{}.{key}: missing", self.at))?;
        let x = self.uint(key, v)?;
        if x == 0 {
            bail!("{}.{key}: must be at least 1, got 0", self.at);
        }
        Ok(x)
    }
    fn pos_or(&self, key: &str, d: u32) -> Result<u32> {
        if self.obj.contains_key(key) {
            self.pos(key)
        } else {
            Ok(d)
        }
    }
    fn uint_or(&self, key: &str, d: u32) -> Result<u32> {
        self.obj.get(key).map_or(Ok(d), |v| self.uint(key, v))
    }
    fn boolean_or(&self, key: &str, d: bool) -> Result<bool> {
        match self.obj.get(key) {
            None => Ok(d),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| anyhow!("{}.{key}: must be true or false, got {v}", self.at)),
        }
    }
    fn pair(&self, key: &str) -> Result<[u32; 2]> {
        let v = self
            .obj
            .get(key)
            .ok_or_else(|| anyhow!("{}.{key}: missing", self.at))?;
        let a = v
            .as_array()
            .filter(|a| a.len() == 2)
            .ok_or_else(|| anyhow!("{}.{key}: must be [h, w], got {v}", self.at))?;
        let (x, y) = (self.uint(key, &a[0])?, self.uint(key, &a[1])?);
        if x == 0 || y == 0 {
            bail!("{}.{key}: entries must be at least 1, got {v}", self.at);
        }
        Ok([x, y])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_layer_and_field() {
        for (text, needle) in [
            ("[]", "must hold an object"),
            ("{\"layers\": []}", "name"),
            ("{\"name\": \"x\", \"layers\": []}", "layers: empty"),
            (
                "{\"name\": \"x\", \"layers\": [{\"name\": \"r\", \"op\": \"relu\"}]}",
                "no conv or fc layer",
            ),
            (
                "{\"name\": \"x\", \"layers\": [{\"name\": \"c\", \"op\": \"conv\", \"in_channels\": 3}]}",
                "layers[0] (c).out_channels: missing",
            ),
            (
                "{\"name\": \"x\", \"layers\": [{\"name\": \"c\", \"op\": \"conv\", \"in_channels\": 3, \"out_channels\": 4, \"kernel\": [3], \"in_hw\": [4, 4]}]}",
                "layers[0] (c).kernel: must be [h, w]",
            ),
            (
                "{\"name\": \"x\", \"layers\": [{\"name\": \"c\", \"op\": \"conv\", \"in_channels\": 3, \"out_channels\": 4, \"kernel\": [3, 3], \"groups\": 2, \"in_hw\": [4, 4]}]}",
                "layers[0] (c).groups",
            ),
            (
                "{\"name\": \"x\", \"layers\": [{\"name\": \"f\", \"op\": \"fc\", \"in_features\": -1, \"out_features\": 2}]}",
                "layers[0] (f).in_features",
            ),
            (
                "{\"name\": \"x\", \"layers\": [{\"name\": \"b\", \"op\": \"batchnorm\", \"channels\": 0}]}",
                "layers[0] (b).channels: must be at least 1",
            ),
        ] {
            let e = Network::from_json(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn shapes_by_hand() {
        let n = Network::from_json(
            r#"{"name": "t", "layers": [
              {"name": "c", "op": "conv", "in_channels": 4, "out_channels": 8, "kernel": [3, 3],
               "stride": 2, "padding": 1, "groups": 2, "bias": true, "in_hw": [9, 9]},
              {"name": "r", "op": "relu"},
              {"name": "f", "op": "fc", "in_features": 10, "out_features": 3, "bias": true}]}"#,
        )
        .unwrap();
        // (9 + 2 − 3)/2 + 1 = 5 → N = 25; per group M = 4, K = 2·9 = 18.
        assert_eq!(
            n.layers[0].gemm(),
            Some(Gemm {
                m: 4,
                k: 18,
                n: 25,
                groups: 2
            })
        );
        assert_eq!(n.layers[0].params(), 8 * 18 + 8);
        assert_eq!(n.layers[1].op, Op::Other("relu".into()));
        assert_eq!(n.layers[2].params(), 33);
        assert_eq!(n.compute_layers(), vec![0, 2]);
    }
}
