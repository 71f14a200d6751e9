//! The graph under construction: its nodes, graph inputs and seeded samples, and every
//! tensor's value on the calibration sample (codes or floats), so each new layer is
//! calibrated on exactly what the engine will see.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Result};
use model::{GraphInput, Node, Op as MOp, Tensor};
use quant::example_layer::normal;
use quant::gemm::Conv2d;
use quant::n2uq::N2uqWeightSpec;
use quant::scalar::ScalarQuantizer;
use quant::spec::QuantSpec;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::calibrate::{accumulators, batchnorms};
use super::structure::Mode;

/// Values of a tensor during the calibration run.
pub(super) enum Data {
    /// Indices of the activation quantizer.
    Q(Vec<u32>),
    /// Float values.
    F(Vec<f64>),
}

/// A tensor during the calibration run.
pub(super) struct T {
    pub(super) shape: Vec<usize>,
    pub(super) data: Data,
}
/// The graph under construction.
pub(super) struct Builder {
    pub(super) rng: ChaCha8Rng,
    pub(super) in_rng: ChaCha8Rng,
    pub(super) w_bits: u32,
    pub(super) act_spec: QuantSpec,
    pub(super) act_q: Box<dyn ScalarQuantizer>,
    pub(super) nodes: Vec<Node>,
    pub(super) vals: HashMap<String, T>,
    pub(super) inputs: Vec<GraphInput>,
    pub(super) samples: Vec<Vec<f64>>,
    pub(super) notes: Vec<String>,
}

impl Builder {
    pub(super) fn floats(&self, name: &str) -> Vec<f64> {
        match &self.vals[name].data {
            Data::F(x) => x.clone(),
            Data::Q(idx) => {
                let s = self.act_q.level_scale();
                idx.iter()
                    .map(|&i| self.act_q.level(i as usize) as f64 * s)
                    .collect()
            }
        }
    }

    pub(super) fn shape(&self, name: &str) -> &[usize] {
        &self.vals[name].shape
    }

    pub(super) fn push(&mut self, name: String, op: MOp, inputs: Vec<String>, t: T) -> String {
        self.nodes.push(Node::new(name.clone(), op, inputs));
        self.vals.insert(name.clone(), t);
        name
    }

    pub(super) fn quant_node(&mut self, name: String, input: &str) -> String {
        let xs = self.floats(input);
        let codes = xs.iter().map(|&x| self.act_q.index(x) as u32).collect();
        let shape = self.shape(input).to_vec();
        self.push(
            name,
            MOp::Quant {
                spec: self.act_spec.clone(),
            },
            vec![input.to_string()],
            T {
                shape,
                data: Data::Q(codes),
            },
        )
    }

    /// `name` itself when quantized, else a quant node after it.
    pub(super) fn quantized(&mut self, name: &str) -> String {
        match self.vals[name].data {
            Data::Q(_) => name.to_string(),
            Data::F(_) => self.quant_node(format!("{name}.q"), name),
        }
    }

    /// A new seeded graph input of `shape`, quantized.
    pub(super) fn graph_input(&mut self, name: String, shape: Vec<usize>) -> String {
        let numel: usize = shape.iter().product();
        let x: Vec<f64> = (0..numel)
            .map(|_| self.in_rng.gen_range(0.0..2.0))
            .collect();
        self.inputs.push(GraphInput {
            name: name.clone(),
            shape: shape.clone(),
        });
        self.samples.push(x.clone());
        self.vals.insert(
            name.clone(),
            T {
                shape,
                data: Data::F(x),
            },
        );
        self.quant_node(format!("{name}.q"), &name)
    }

    pub(super) fn maxpool(
        &mut self,
        name: String,
        input: &str,
        k: usize,
        s: usize,
        p: usize,
    ) -> String {
        let sh = self.shape(input).to_vec();
        let (c, h, w) = (sh[0], sh[1], sh[2]);
        let (ho, wo) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        let Data::Q(x) = &self.vals[input].data else {
            unreachable!("pools run on quantized tensors")
        };
        let mut out = vec![0u32; c * ho * wo];
        for ch in 0..c {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut best = 0u32;
                    for dy in 0..k {
                        for dx in 0..k {
                            let y = (oy * s + dy) as isize - p as isize;
                            let xx = (ox * s + dx) as isize - p as isize;
                            if y >= 0 && xx >= 0 && (y as usize) < h && (xx as usize) < w {
                                best = best.max(x[(ch * h + y as usize) * w + xx as usize]);
                            }
                        }
                    }
                    out[(ch * ho + oy) * wo + ox] = best;
                }
            }
        }
        self.push(
            name,
            MOp::MaxPool {
                kernel: k,
                stride: s,
                padding: p,
            },
            vec![input.to_string()],
            T {
                shape: vec![c, ho, wo],
                data: Data::Q(out),
            },
        )
    }

    /// A quantized conv (`kernel` = `[kh, kw]`) or fc (`kernel` = `None`) layer reading the
    /// quantized tensor `input`; returns the tensor its chain produces.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn compute(
        &mut self,
        name: &str,
        input: &str,
        co: usize,
        conv: Option<(Conv2d, usize)>,
        bias: bool,
        mode: Mode,
        bn_name: String,
    ) -> Result<String> {
        let in_shape = self.shape(input).to_vec();
        let (fan_in, wshape, n) = match conv {
            Some((c, _)) => (c.k(), vec![co, c.c_in, c.kh, c.kw], c.n()),
            None => (in_shape[0], vec![co, in_shape[0]], 1),
        };
        let std = (2.0 / fan_in as f64).sqrt();
        let weights: Vec<f64> = (0..co * fan_in)
            .map(|_| normal(&mut self.rng) * std)
            .collect();
        let wspec = QuantSpec::N2uqWeight(N2uqWeightSpec {
            bits: self.w_bits,
            clip: 2.0,
        });
        let prepared = wspec
            .prepare(&weights, &wshape)
            .map_err(|e| anyhow!("{name}: weights: {e}"))?;
        let w_lv: Vec<i64> = weights
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let q = prepared.quantizer_of(i);
                q.level(q.index(x))
            })
            .collect();
        let b: Vec<f64> = if bias {
            (0..co).map(|_| 0.1 * normal(&mut self.rng)).collect()
        } else {
            Vec::new()
        };
        // The exact accumulators on the calibration sample.
        let Data::Q(idx) = &self.vals[input].data else {
            bail!("{name}: input {input:?} is not quantized (a bug)")
        };
        let a_lv: Vec<i64> = idx.iter().map(|&i| self.act_q.level(i as usize)).collect();
        let acc = accumulators(&a_lv, &w_lv, conv, co, fan_in, n);
        let s_a = self.act_q.level_scale();
        let y: Vec<f64> = acc
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = i / n;
                let s_w = prepared.quantizers[if prepared.quantizers.len() == 1 { 0 } else { c }]
                    .level_scale();
                v as f64 * s_w * s_a + b.get(c).copied().unwrap_or(0.0)
            })
            .collect();
        let weight = Tensor::new(wshape, weights).map_err(|e| anyhow!("{name}: {e}"))?;
        let bias_t = bias.then(|| Tensor::vector(b));
        let op = match conv {
            Some((c, g)) => MOp::Conv {
                weight,
                bias: bias_t,
                stride: c.stride,
                padding: c.pad,
                groups: g,
                weight_quant: Some(wspec),
            },
            None => MOp::Fc {
                weight,
                bias: bias_t,
                weight_quant: Some(wspec),
            },
        };
        let out_shape = match conv {
            Some((c, _)) => {
                let (ho, wo) = c.out_hw();
                vec![co, ho, wo]
            }
            None => vec![co],
        };
        let layer = self.push(
            name.to_string(),
            op,
            vec![input.to_string()],
            T {
                shape: out_shape.clone(),
                data: Data::F(y.clone()),
            },
        );
        if mode == Mode::Last {
            return Ok(layer);
        }
        let bns = batchnorms(&mut self.rng, self.act_q.as_ref(), &y, co, n, mode);
        let z: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, &v)| bns[i / n].apply(v))
            .collect();
        let bn = self.push(
            bn_name,
            MOp::BatchNorm {
                gamma: bns.iter().map(|b| b.gamma).collect(),
                beta: bns.iter().map(|b| b.beta).collect(),
                mean: bns.iter().map(|b| b.mean).collect(),
                var: bns.iter().map(|b| b.var).collect(),
                eps: 1e-5,
            },
            vec![layer],
            T {
                shape: out_shape,
                data: Data::F(z),
            },
        );
        if mode == Mode::Residual {
            return Ok(bn);
        }
        let relu = self.relu(format!("{name}.relu"), &bn);
        Ok(self.quant_node(format!("{name}.q"), &relu))
    }

    pub(super) fn relu(&mut self, name: String, input: &str) -> String {
        let x: Vec<f64> = self.floats(input).iter().map(|v| v.max(0.0)).collect();
        let shape = self.shape(input).to_vec();
        self.push(
            name,
            MOp::Relu,
            vec![input.to_string()],
            T {
                shape,
                data: Data::F(x),
            },
        )
    }
}
