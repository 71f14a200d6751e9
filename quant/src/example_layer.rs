//! The built-in default design's layer: an N2UQ W2A2 ResNet-18 3×3 convolution, 256→256
//! channels, 14×14 output (stride 1, pad 1), with deterministic synthetic weights, input
//! activations, BatchNorm and output thresholds from a fixed seed; and the same synthetic
//! layer quantized with LCQ, Quantization Networks or the uniform / binary / ternary
//! baselines ([`Method`]).
//!
//! Weights are Kaiming-normal; the input is ReLU of a unit normal, quantized by the method's
//! initial activation quantizer (LCQ, QN and the baselines initialise from that input: the
//! baselines' activations are uniform unsigned, max-abs calibrated); BatchNorm running
//! statistics are those of the layer's own accumulators on that input (as calibration would
//! give), scaled to the output quantizer's range, so the output codes use every level; a few
//! channels get a negative BatchNorm scale so that both threshold directions appear.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::Result;
use crate::fold::BatchNorm;
use crate::gemm::{im2col, Conv2d, IntLayer, LayerParams};
use crate::init::{binary_init, qn_init, ternary_init, uniform_init};
use crate::lcq::{LcqActSpec, LcqWeightSpec};
use crate::n2uq::{N2uqAct, N2uqActSpec, N2uqWeightSpec};
use crate::scalar::ScalarQuantizer;
use crate::spec::{Prepared, QuantSpec};

/// The quantization method of a synthetic layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// N2UQ (uniform codes; `w_bits`/`a_bits`).
    N2uq,
    /// LCQ with `b'`-bit outer levels and optional limited weight normalisation.
    Lcq {
        /// Outer bit-width b' of the hardware levels.
        outer_bits: u32,
        /// Limited weight normalisation.
        lwn: bool,
    },
    /// Quantization Networks with the given target level sets (weights symmetric, with
    /// offset; activations without).
    Qn {
        /// Weight levels, e.g. `[-4, -2, -1, 0, 1, 2, 4]`.
        w_levels: Vec<i64>,
        /// Activation levels, e.g. `[0, 1, 2, 3]`.
        a_levels: Vec<i64>,
    },
    /// Uniform `w_bits`-bit weights, `code = clamp(round(w/scale))` with the per-tensor
    /// max-abs scale (two's complement when `signed`, else unsigned, negative weights clamp
    /// to 0); uniform unsigned `a_bits`-bit activations.
    Uniform {
        /// Two's-complement weight codes (`w_bits >= 2`).
        signed: bool,
    },
    /// Binary ±1 weights (`w >= 0` → +1) with the XNOR-Net scale `mean|W|` (`w_bits` is 1);
    /// uniform unsigned activations.
    Binary,
    /// Ternary {−1, 0, +1} weights with the TWN threshold `0.7·mean|W|` and scale the mean
    /// `|W|` above it (`w_bits` is 2); uniform unsigned activations.
    Ternary,
}

impl Method {
    /// Uniform, binary or ternary: a baseline with uniform unsigned activations.
    pub fn is_baseline(&self) -> bool {
        matches!(
            self,
            Method::Uniform { .. } | Method::Binary | Method::Ternary
        )
    }
}

/// The seed of the built-in default design.
pub const DEFAULT_SEED: u64 = 0x9f0e_2026;

/// A quantized conv layer with its float description and integer lowering.
pub struct ExampleLayer {
    /// The convolution shape.
    pub conv: Conv2d,
    /// Output channels (GEMM M).
    pub out_channels: usize,
    /// Float weights `[M, C_in, kh, kw]`.
    pub weights: Vec<f64>,
    /// The prepared per-channel weight quantizers.
    pub weight_q: Prepared,
    /// Weight indices, `M×K`.
    pub weight_idx: Vec<usize>,
    /// Input activation quantizer.
    pub act_q: Box<dyn ScalarQuantizer>,
    /// Input activation indices `[C_in, H, W]`.
    pub act_idx: Vec<usize>,
    /// BatchNorm per output channel.
    pub bn: Vec<BatchNorm>,
    /// Output activation quantizer.
    pub next_q: Box<dyn ScalarQuantizer>,
}

/// A standard normal sample (Box–Muller), deterministic for a given generator.
pub fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

impl ExampleLayer {
    /// The default layer (ResNet-18 layer3 3×3 conv, W2A2).
    pub fn resnet18_default() -> Result<Self> {
        Self::new(256, 256, 14, 2, 2, DEFAULT_SEED)
    }

    /// A 3×3 / stride 1 / pad 1 conv with `c_in → c_out` channels on an `hw × hw` map.
    pub fn new(
        c_in: usize,
        c_out: usize,
        hw: usize,
        w_bits: u32,
        a_bits: u32,
        seed: u64,
    ) -> Result<Self> {
        Self::with_method(c_in, c_out, hw, w_bits, a_bits, &Method::N2uq, seed)
    }

    /// The same layer quantized with `method` (`w_bits`/`a_bits` are unused by QN, whose
    /// level sets fix them; `w_bits` is unused by binary and ternary weights).
    pub fn with_method(
        c_in: usize,
        c_out: usize,
        hw: usize,
        w_bits: u32,
        a_bits: u32,
        method: &Method,
        seed: u64,
    ) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let conv = Conv2d {
            c_in,
            h: hw,
            w: hw,
            kh: 3,
            kw: 3,
            stride: 1,
            pad: 1,
        };
        let k = conv.k();
        let std = (2.0 / k as f64).sqrt();
        let weights: Vec<f64> = (0..c_out * k).map(|_| normal(&mut rng) * std).collect();
        let w_spec = match method {
            Method::N2uq => QuantSpec::N2uqWeight(N2uqWeightSpec {
                bits: w_bits,
                clip: 2.0,
            }),
            Method::Lcq { outer_bits, lwn } => {
                let mut s = LcqWeightSpec::init(w_bits, &weights, *lwn)?;
                s.outer_bits = *outer_bits;
                QuantSpec::LcqWeight(s)
            }
            Method::Qn { w_levels, .. } => QuantSpec::Qn(qn_init(w_levels, &weights, true)?),
            Method::Uniform { signed } => {
                QuantSpec::Uniform(uniform_init(w_bits, *signed, &weights)?)
            }
            Method::Binary => QuantSpec::Binary(binary_init(&weights)?),
            Method::Ternary => QuantSpec::Ternary(ternary_init(&weights)?),
        };
        let weight_q = w_spec.prepare(&weights, &[c_out, c_in, 3, 3])?;
        let weight_idx: Vec<usize> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| weight_q.quantizer_of(i).index(w))
            .collect();
        let (act_q, act_idx, next_q): (
            Box<dyn ScalarQuantizer>,
            Vec<usize>,
            Box<dyn ScalarQuantizer>,
        ) = if *method == Method::N2uq {
            let act_q = N2uqAct::new(&N2uqActSpec::init(a_bits)?)?;
            let act_idx: Vec<usize> = (0..c_in * hw * hw)
                .map(|_| act_q.index(normal(&mut rng).max(0.0)))
                .collect();
            let next_q = N2uqAct::new(&N2uqActSpec::init(a_bits)?)?;
            (Box::new(act_q), act_idx, Box::new(next_q))
        } else {
            // LCQ, QN and the baselines initialise from the data they quantize: the input.
            let x: Vec<f64> = (0..c_in * hw * hw)
                .map(|_| normal(&mut rng).max(0.0))
                .collect();
            let spec = match method {
                Method::Lcq { outer_bits, .. } => {
                    let mut s = LcqActSpec::init(a_bits, &x)?;
                    s.outer_bits = *outer_bits;
                    QuantSpec::LcqAct(s)
                }
                Method::Qn { a_levels, .. } => QuantSpec::Qn(qn_init(a_levels, &x, false)?),
                Method::Uniform { .. } | Method::Binary | Method::Ternary => {
                    QuantSpec::Uniform(uniform_init(a_bits, false, &x)?)
                }
                Method::N2uq => unreachable!("handled above"),
            };
            let act_q = spec.scalar()?;
            let act_idx = x.iter().map(|&v| act_q.index(v)).collect();
            (act_q, act_idx, spec.scalar()?)
        };
        // Calibrate BatchNorm on the layer's own accumulators; the output quantizer's range is
        // [0, 2], so centre each channel near 1 with a spread of about 0.6.
        let mut layer = ExampleLayer {
            conv,
            out_channels: c_out,
            weights,
            weight_q,
            weight_idx,
            act_q,
            act_idx,
            bn: Vec::new(),
            next_q,
        };
        let identity = layer.params(&[]).to_int()?;
        let acc = identity.accumulate(&layer.act_levels_im2col(), conv.n());
        let n = conv.n();
        let scale = |c: usize| {
            let q = &layer.weight_q.quantizers[if layer.weight_q.quantizers.len() == 1 {
                0
            } else {
                c
            }];
            q.level_scale() * layer.act_q.level_scale()
        };
        // Half the output quantizer's value range (1 for N2UQ's [0, 2]).
        let last = layer.next_q.num_levels() - 1;
        let r = (layer.next_q.value(last) - layer.next_q.value(0)) / 2.0;
        layer.bn = (0..c_out)
            .map(|c| {
                let xs: Vec<f64> = acc[c * n..(c + 1) * n]
                    .iter()
                    .map(|&a| a as f64 * scale(c))
                    .collect();
                let mean = xs.iter().sum::<f64>() / n as f64;
                let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
                let sign = if rng.gen_range(0..16) == 0 { -1.0 } else { 1.0 };
                BatchNorm {
                    gamma: sign * rng.gen_range(0.4..0.8) * r,
                    beta: (1.0 + 0.2 * normal(&mut rng)) * r,
                    mean,
                    var,
                    eps: 1e-5,
                }
            })
            .collect();
        Ok(layer)
    }

    /// The float description of the layer with BatchNorm `bn`.
    pub fn params<'a>(&'a self, bn: &'a [BatchNorm]) -> LayerParams<'a> {
        LayerParams {
            weight_q: &self.weight_q.quantizers,
            weight_idx: &self.weight_idx,
            m: self.out_channels,
            k: self.conv.k(),
            act_q: self.act_q.as_ref(),
            bias: &[],
            bn,
            next_q: self.next_q.as_ref(),
        }
    }

    /// The integer layer (levels, bound, thresholds).
    pub fn int_layer(&self) -> Result<IntLayer> {
        self.params(&self.bn).to_int()
    }

    /// The activation indices lowered to the `K×N` GEMM operand (padding is index 0, whose
    /// value is 0 for N2UQ activations).
    pub fn act_idx_im2col(&self) -> Vec<usize> {
        im2col(&self.act_idx, &self.conv, 0)
    }

    /// The activation levels lowered to `K×N`.
    pub fn act_levels_im2col(&self) -> Vec<i64> {
        self.act_idx_im2col()
            .iter()
            .map(|&i| self.act_q.level(i))
            .collect()
    }
}
