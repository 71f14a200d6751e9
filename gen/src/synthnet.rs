//! Seeded synthetic whole networks: a catalog network (`crate::catalog`) or a network file
//! (`crate::network`), which are layer *lists* with shapes, built into a `model::Model` graph
//! with seeded weights, so that `qforge run --network NAME --bits W/A --seed S` runs the whole
//! network on one engine instance.
//!
//! - **Layers.** Every conv/fc is a quantized layer: Kaiming-normal weights (std
//!   `sqrt(2 / fan_in)`) quantized by `n2uq-weight` at W bits, a seeded bias when the layer has
//!   one, then its BatchNorm (the list's BatchNorm right after it, or one named `<layer>.bn`),
//!   ReLU and an `n2uq-act` quantizer at A bits with its initial (uniform) thresholds. The
//!   engine folds that chain into thresholds. The **last** compute layer returns raw
//!   accumulators (no BatchNorm, no output quantizer). The first and last layers are quantized
//!   at W/A like the others (the engine is one instance); the graph input is quantized by an
//!   `n2uq-act` node at A bits.
//! - **BatchNorm calibration.** While the graph is built, the network runs once on the seeded
//!   synthetic sample in exact integer arithmetic (the same accumulators the engine computes);
//!   each BatchNorm's running mean and variance are its channel's statistics on that sample
//!   (layer-wide when a layer has a single output pixel), and its scale and shift centre the
//!   channel in the next quantizer's range as `quant::example_layer` does (a spread of about
//!   0.6 of half the range, 1 in 16 channels with a negative scale), so the outputs use every
//!   code. A BatchNorm feeding a residual `add` gets half that centre and spread, so the sum
//!   of two branches lands in the range again.
//! - **Structure.** Consecutive layers are connected where the shapes connect. Residual blocks
//!   are derived from the names (torchvision's): a layer `P.add` closes block `P`, whose input
//!   is the input of its first layer; a conv `P.downsample.0` reads the block input and its
//!   BatchNorm is the shortcut, else the shortcut is the block input itself. The convs feeding
//!   the `add` (the block's last main-path conv and the downsample conv) run in raw mode with
//!   their BatchNorm on the host; after the `add` come ReLU and an `n2uq-act` quantizer (run on
//!   the host), the next block's input. This gives ResNet's basic and bottleneck blocks and
//!   MobileNet-V2's inverted residuals (whose linear bottleneck gets the quantizer's clamp at 0
//!   like every other layer).
//! - **Pooling.** Where a conv needs a smaller map than the previous tensor (same channels),
//!   a max pool is inserted with the first of 3×3/2 pad 1 (ResNet's stem), 3×3/2 pad 0
//!   (AlexNet), 2×2/2, or k×k/k that gives the shape; it runs on codes. Before an fc, a
//!   `[C, H, W]` tensor is flattened when `C·H·W` is its input, or global-average-pooled when
//!   `C` is (then quantized by an `n2uq-act` node so the fc runs on the engine). Pool entries
//!   of the list name the inserted nodes.
//! - **Fallback.** A compute layer whose input shape follows from none of the above reads a
//!   separate seeded graph input of its shape (quantized like the first input), named
//!   `<layer>.in`, and a note says so; layers no output reads any more are dropped (noted).
//!   Catalog networks need no fallback.
//!
//! The graph input samples are seeded too (uniform in `[0, 2)`, which covers the initial
//! `n2uq-act` range), from a generator separate from the weights'.

use std::collections::{HashMap, HashSet};

use anyhow::{anyhow, bail, Context, Result};
use model::{GraphInput, Model, Node, Op as MOp, Tensor};
use quant::example_layer::normal;
use quant::fold::BatchNorm;
use quant::gemm::{gemm, im2col, Conv2d};
use quant::n2uq::{N2uqActSpec, N2uqWeightSpec};
use quant::scalar::ScalarQuantizer;
use quant::spec::QuantSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::network::{Network, Op as NOp};

/// A network built into a model with seeded weights and calibrated BatchNorm.
pub struct SynthNet {
    /// The model (quantized layers, BatchNorm, ReLU, quantizers, pools, residual adds).
    pub model: Model,
    /// One seeded sample of every graph input, in `model.inputs` order.
    pub inputs: Vec<Vec<f64>>,
    /// How the structure was derived (residual blocks, inserted pools, fallbacks).
    pub notes: Vec<String>,
}

impl SynthNet {
    /// Every graph input's sample, concatenated in `model.inputs` order (what
    /// `Plan::run_sample` takes).
    pub fn sample(&self) -> Vec<f64> {
        self.inputs.concat()
    }
}

/// Values of a tensor during the calibration run.
enum Data {
    /// Indices of the activation quantizer.
    Q(Vec<u32>),
    /// Float values.
    F(Vec<f64>),
}

struct T {
    shape: Vec<usize>,
    data: Data,
}

/// How a compute layer's output continues.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// BatchNorm, ReLU, quantizer (folded into the engine's thresholds).
    Fused,
    /// Raw accumulators, BatchNorm on the host (feeds a residual add).
    Residual,
    /// Raw accumulators, nothing after (the last layer).
    Last,
}

struct Builder {
    rng: ChaCha8Rng,
    in_rng: ChaCha8Rng,
    w_bits: u32,
    act_spec: QuantSpec,
    act_q: Box<dyn ScalarQuantizer>,
    nodes: Vec<Node>,
    vals: HashMap<String, T>,
    inputs: Vec<GraphInput>,
    samples: Vec<Vec<f64>>,
    notes: Vec<String>,
}

/// The block a layer belongs to: `layer1.0` for `layer1.0.conv1`, `layer1.0.downsample.0` and
/// `layer1.0.add`; empty for a top-level name.
fn block_of(name: &str) -> &str {
    if let Some(i) = name.find(".downsample") {
        return &name[..i];
    }
    name.rsplit_once('.').map_or("", |(p, _)| p)
}

fn is_downsample(name: &str) -> bool {
    name.contains(".downsample")
}

/// Max-pool parameters taking `h` to `want` (kernel, stride, padding).
fn pool_params(h: usize, want: usize) -> Option<(usize, usize, usize)> {
    let mut cands = vec![(3, 2, 1), (3, 2, 0), (2, 2, 0)];
    if want > 0 && h % want == 0 {
        cands.push((h / want, h / want, 0));
    }
    cands
        .into_iter()
        .find(|&(k, s, p)| h + 2 * p >= k && (h + 2 * p - k) / s + 1 == want)
}

impl Builder {
    fn floats(&self, name: &str) -> Vec<f64> {
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

    fn shape(&self, name: &str) -> &[usize] {
        &self.vals[name].shape
    }

    fn push(&mut self, name: String, op: MOp, inputs: Vec<String>, t: T) -> String {
        self.nodes.push(Node::new(name.clone(), op, inputs));
        self.vals.insert(name.clone(), t);
        name
    }

    fn quant_node(&mut self, name: String, input: &str) -> String {
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
    fn quantized(&mut self, name: &str) -> String {
        match self.vals[name].data {
            Data::Q(_) => name.to_string(),
            Data::F(_) => self.quant_node(format!("{name}.q"), name),
        }
    }

    /// A new seeded graph input of `shape`, quantized.
    fn graph_input(&mut self, name: String, shape: Vec<usize>) -> String {
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

    fn maxpool(&mut self, name: String, input: &str, k: usize, s: usize, p: usize) -> String {
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
    fn compute(
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
        let (groups, fan_in, wshape, n) = match conv {
            Some((c, g)) => (g, c.k(), vec![co, c.c_in, c.kh, c.kw], c.n()),
            None => (1, in_shape[0], vec![co, in_shape[0]], 1),
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
        let m = co / groups;
        let mut acc = vec![0i64; co * n];
        for g in 0..groups {
            let a_g = match conv {
                Some((c, _)) => {
                    let per = c.c_in * c.h * c.w;
                    im2col(&a_lv[g * per..(g + 1) * per], &c, 0)
                }
                None => a_lv.clone(),
            };
            let w_g = &w_lv[g * m * fan_in..(g + 1) * m * fan_in];
            let c_g = gemm(w_g, &a_g, m, fan_in, n);
            acc[g * m * n..(g + 1) * m * n].copy_from_slice(&c_g);
        }
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
        // BatchNorm from the channel statistics (layer-wide with one output pixel).
        let stats = |xs: &[f64]| {
            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
            let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
            (mean, var)
        };
        let all = stats(&y);
        let last = self.act_q.num_levels() - 1;
        let r = (self.act_q.value(last) - self.act_q.value(0)) / 2.0;
        let (centre, spread) = if mode == Mode::Residual {
            (0.5, 0.5)
        } else {
            (1.0, 1.0)
        };
        let bns: Vec<BatchNorm> = (0..co)
            .map(|c| {
                let (mean, var) = if n > 1 {
                    stats(&y[c * n..(c + 1) * n])
                } else {
                    all
                };
                let sign = if mode == Mode::Fused && self.rng.gen_range(0..16) == 0 {
                    -1.0
                } else {
                    1.0
                };
                BatchNorm {
                    gamma: sign * spread * self.rng.gen_range(0.4..0.8) * r,
                    beta: centre * (1.0 + 0.2 * normal(&mut self.rng)) * r,
                    mean,
                    var,
                    eps: 1e-5,
                }
            })
            .collect();
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

    fn relu(&mut self, name: String, input: &str) -> String {
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

/// Build `net` at `w_bits`/`a_bits` with weights, BatchNorm and the input sample seeded by
/// `seed` (see the module docs for the structure rules).
/// Blocks closed by an `add` layer.
fn add_blocks(layers: &[crate::network::Layer]) -> HashSet<&str> {
    layers
        .iter()
        .filter(|l| l.op == NOp::Other("add".into()))
        .map(|l| block_of(&l.name))
        .collect()
}

/// How compute layer `i` ends (`last` is the last compute layer's index): the one rule
/// [`build`] and the time report ([`raw_layers`]) share.
fn layer_mode(
    layers: &[crate::network::Layer],
    add_blocks: &HashSet<&str>,
    i: usize,
    last: usize,
) -> Mode {
    let l = &layers[i];
    let blk = block_of(&l.name);
    let in_block = add_blocks.contains(blk);
    if i == last {
        Mode::Last
    } else if in_block && is_downsample(&l.name) {
        Mode::Residual
    } else {
        // Feeds the add when the next non-BN/ReLU layer closes or short-cuts the block.
        let next = layers[i + 1..].iter().find(|nl| {
            !matches!(nl.op, NOp::BatchNorm { .. }) && nl.op != NOp::Other("relu".into())
        });
        match next {
            Some(nl)
                if in_block
                    && block_of(&nl.name) == blk
                    && (nl.op == NOp::Other("add".into()) || is_downsample(&nl.name)) =>
            {
                Mode::Residual
            }
            _ => Mode::Fused,
        }
    }
}

/// Per layer of `net` (by index): whether a whole-network run returns that layer's raw
/// accumulators (the last layer, and the convs feeding a residual `add`) rather than codes.
pub fn raw_layers(net: &Network) -> Vec<bool> {
    let layers = &net.layers;
    let compute = net.compute_layers();
    let Some(&last) = compute.last() else {
        return vec![false; layers.len()];
    };
    let blocks = add_blocks(layers);
    (0..layers.len())
        .map(|i| compute.contains(&i) && layer_mode(layers, &blocks, i, last) != Mode::Fused)
        .collect()
}

pub fn build(net: &Network, w_bits: u32, a_bits: u32, seed: u64) -> Result<SynthNet> {
    let act_spec =
        QuantSpec::N2uqAct(N2uqActSpec::init(a_bits).map_err(|e| anyhow!("--bits: {e}"))?);
    let act_q = act_spec.scalar().map_err(|e| anyhow!("--bits: {e}"))?;
    let mut b = Builder {
        rng: ChaCha8Rng::seed_from_u64(seed),
        in_rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_1a9e_0000_0001),
        w_bits,
        act_spec,
        act_q,
        nodes: Vec::new(),
        vals: HashMap::new(),
        inputs: Vec::new(),
        samples: Vec::new(),
        notes: Vec::new(),
    };
    let layers = &net.layers;
    let compute = net.compute_layers();
    let last = *compute.last().expect("a network has a compute layer");
    // Blocks closed by an `add`.
    let add_blocks = add_blocks(layers);
    let mut block_input: HashMap<String, String> = HashMap::new();
    let mut shortcut: HashMap<String, String> = HashMap::new();
    let mut cur: Option<String> = None;
    let mut pending_pool: Option<String> = None;
    let mut consumed = vec![false; layers.len()];
    let mut blocks_seen = 0usize;
    let mut pools = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        if consumed[i] {
            continue;
        }
        let at = || format!("layers[{i}] ({})", l.name);
        match &l.op {
            NOp::Conv(_) | NOp::Fc { .. } => {
                let blk = block_of(&l.name).to_string();
                let in_block = add_blocks.contains(blk.as_str());
                // The tensor this layer reads, by structure.
                let want: Vec<usize> = match &l.op {
                    NOp::Conv(c) => vec![
                        c.in_channels as usize,
                        c.in_hw[0] as usize,
                        c.in_hw[1] as usize,
                    ],
                    NOp::Fc { in_features, .. } => vec![*in_features as usize],
                    _ => unreachable!(),
                };
                let src = if is_downsample(&l.name) && in_block {
                    block_input.get(&blk).cloned().or_else(|| cur.clone())
                } else {
                    cur.clone()
                };
                let mut src = match src {
                    Some(s) => s,
                    None => {
                        // The first layer: the graph input.
                        let s = b.graph_input("x".into(), want.clone());
                        cur = Some(s.clone());
                        s
                    }
                };
                // Make the shapes connect: pools, flatten.
                let have = b.shape(&src).to_vec();
                if have != want {
                    let pool_name = pending_pool.take();
                    if have.len() == 3 && want.len() == 3 && have[0] == want[0] {
                        src = b.quantized(&src);
                        match (pool_params(have[1], want[1]), pool_params(have[2], want[2])) {
                            (Some(ph), Some(pw)) if ph == pw => {
                                let name = pool_name.unwrap_or_else(|| format!("{}.pool", l.name));
                                pools.push(format!(
                                    "{name} {}x{}/{} pad {}",
                                    ph.0, ph.0, ph.1, ph.2
                                ));
                                src = b.maxpool(name, &src, ph.0, ph.1, ph.2);
                            }
                            _ => {}
                        }
                    } else if have.len() == 3 && want.len() == 1 {
                        if have.iter().product::<usize>() == want[0] {
                            src = b.quantized(&src);
                            let t = T {
                                shape: want.clone(),
                                data: match &b.vals[&src].data {
                                    Data::Q(x) => Data::Q(x.clone()),
                                    Data::F(x) => Data::F(x.clone()),
                                },
                            };
                            src = b.push(format!("{}.flatten", l.name), MOp::Flatten, vec![src], t);
                        } else if have[0] == want[0] {
                            let name = pool_name.unwrap_or_else(|| format!("{}.avgpool", l.name));
                            let x = b.floats(&src);
                            let hw = have[1] * have[2];
                            let avg = x
                                .chunks(hw)
                                .map(|c| c.iter().sum::<f64>() / hw as f64)
                                .collect();
                            pools.push(format!("{name} global average"));
                            src = b.push(
                                name,
                                MOp::GlobalAvgPool,
                                vec![src],
                                T {
                                    shape: want.clone(),
                                    data: Data::F(avg),
                                },
                            );
                        }
                    }
                }
                if b.shape(&src) != want.as_slice() {
                    let have = b.shape(&src).to_vec();
                    b.notes.push(format!(
                        "{}: its input {want:?} does not follow from the previous tensor {have:?}; it reads a separate seeded input \"{}.in\"",
                        l.name, l.name
                    ));
                    src = b.graph_input(format!("{}.in", l.name), want.clone());
                }
                let src = b.quantized(&src);
                if in_block && !block_input.contains_key(&blk) {
                    block_input.insert(blk.clone(), src.clone());
                    blocks_seen += 1;
                }
                // The BatchNorm right after it, if the list has one.
                let bn_name = match layers.get(i + 1) {
                    Some(nl) if matches!(nl.op, NOp::BatchNorm { .. }) => {
                        consumed[i + 1] = true;
                        nl.name.clone()
                    }
                    _ => format!("{}.bn", l.name),
                };
                let mode = layer_mode(layers, &add_blocks, i, last);
                let (co, conv, bias) = match &l.op {
                    NOp::Conv(c) => (
                        c.out_channels as usize,
                        Some((
                            Conv2d {
                                c_in: (c.in_channels / c.groups) as usize,
                                h: c.in_hw[0] as usize,
                                w: c.in_hw[1] as usize,
                                kh: c.kernel[0] as usize,
                                kw: c.kernel[1] as usize,
                                stride: c.stride as usize,
                                pad: c.padding as usize,
                            },
                            c.groups as usize,
                        )),
                        c.bias,
                    ),
                    NOp::Fc {
                        out_features, bias, ..
                    } => (*out_features as usize, None, *bias),
                    _ => unreachable!(),
                };
                let out = b
                    .compute(&l.name, &src, co, conv, bias, mode, bn_name)
                    .with_context(at)?;
                if in_block && is_downsample(&l.name) {
                    shortcut.insert(blk, out);
                } else {
                    cur = Some(out);
                }
                if i == last {
                    break;
                }
            }
            NOp::Other(op) if op == "add" => {
                let blk = block_of(&l.name).to_string();
                let main = cur
                    .clone()
                    .ok_or_else(|| anyhow!("{}: add before any layer", at()))?;
                let sc = match shortcut.get(&blk).or(block_input.get(&blk)) {
                    Some(s) => s.clone(),
                    None => bail!("{}: no layer of block {blk:?} precedes it", at()),
                };
                if b.shape(&main) != b.shape(&sc) {
                    bail!(
                        "{}: the block's output {:?} and its shortcut {:?} differ in shape (no downsample layer \"{blk}.downsample.0\"?)",
                        at(),
                        b.shape(&main),
                        b.shape(&sc)
                    );
                }
                let (x, y) = (b.floats(&main), b.floats(&sc));
                let sum = x.iter().zip(&y).map(|(a, c)| a + c).collect();
                let shape = b.shape(&main).to_vec();
                let add = b.push(
                    l.name.clone(),
                    MOp::Add,
                    vec![main, sc],
                    T {
                        shape,
                        data: Data::F(sum),
                    },
                );
                let relu = b.relu(format!("{}.relu", l.name), &add);
                cur = Some(b.quant_node(format!("{}.q", l.name), &relu));
            }
            NOp::Other(op) if op == "maxpool" || op == "avgpool" => {
                pending_pool = Some(l.name.clone());
            }
            // ReLUs are inserted after every BatchNorm and add; a BatchNorm not right after a
            // layer and anything else carry no computation here.
            NOp::BatchNorm { .. } | NOp::Other(_) => {}
        }
    }
    if blocks_seen > 0 {
        b.notes.push(format!(
            "{blocks_seen} residual blocks derived from the layer names (P.add closes block P; P.downsample.0 reads its input), {} with a downsample shortcut",
            shortcut.len()
        ));
    }
    if !pools.is_empty() {
        b.notes
            .push(format!("pools inserted: {}", pools.join(", ")));
    }
    let out = cur.ok_or_else(|| anyhow!("no compute layer"))?;
    let last_name = &layers[last].name;
    let outputs = vec![if b.vals.contains_key(last_name) {
        last_name.clone()
    } else {
        out
    }];
    // A fallback input can leave earlier layers unused: drop what no output reads.
    let mut used: HashSet<String> = outputs.iter().cloned().collect();
    for n in b.nodes.iter().rev() {
        if used.contains(&n.name) {
            used.extend(n.inputs.iter().cloned());
        }
    }
    let dropped: Vec<String> = b
        .nodes
        .iter()
        .filter(|n| !used.contains(&n.name) && n.op.weight_quant().is_some())
        .map(|n| n.name.clone())
        .collect();
    if !dropped.is_empty() {
        b.notes.push(format!(
            "unused (no output reads them, dropped): {}",
            dropped.join(", ")
        ));
    }
    b.nodes.retain(|n| used.contains(&n.name));
    let keep: Vec<bool> = b.inputs.iter().map(|g| used.contains(&g.name)).collect();
    let mut k = keep.iter();
    b.inputs.retain(|_| *k.next().unwrap());
    let mut k = keep.iter();
    b.samples.retain(|_| *k.next().unwrap());
    let model = Model::new(net.name.clone(), b.inputs, outputs, b.nodes)
        .map_err(|e| anyhow!("building the model: {e}"))?;
    Ok(SynthNet {
        model,
        inputs: b.samples,
        notes: b.notes,
    })
}
