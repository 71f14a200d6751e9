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
//!
//! The parts: `structure` (how layers end and where residual blocks and pools are),
//! `builder` (the graph under construction with its calibration-run values) and `calibrate`
//! (the exact accumulators and the BatchNorm statistics).

mod builder;
mod calibrate;
pub(crate) mod structure;

use std::collections::{HashMap, HashSet};

use anyhow::{anyhow, bail, Context, Result};
use model::{Model, Op as MOp};
use quant::gemm::Conv2d;
use quant::n2uq::N2uqActSpec;
use quant::spec::QuantSpec;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::network::{Network, Op as NOp};
use builder::{Builder, Data, T};
pub use structure::raw_layers;
use structure::{add_blocks, block_of, is_downsample, layer_mode, pool_params};

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

/// Build `net` at `w_bits`/`a_bits` with weights, BatchNorm and the input sample seeded by
/// `seed` (see the module docs for the structure rules).
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
                if have != want && !l.separate_input {
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
                        let (c, h, w) = (have[0] as u64, have[1] as u64, have[2] as u64);
                        let pooled = (have.iter().product::<usize>() != want[0]
                            && have[0] != want[0])
                            .then(|| {
                                crate::network::connect::pooled_flatten(c, h, w, want[0] as u64)
                            })
                            .flatten();
                        if let Some((h2, w2)) = pooled {
                            // Pool, then flatten (AlexNet's features.12 before classifier.1).
                            // `pooled_flatten` found the same pool for both dimensions.
                            debug_assert_eq!(
                                pool_params(have[1], h2 as usize),
                                pool_params(have[2], w2 as usize)
                            );
                            if let Some(ph) = pool_params(have[1], h2 as usize) {
                                src = b.quantized(&src);
                                let name = pool_name
                                    .clone()
                                    .unwrap_or_else(|| format!("{}.pool", l.name));
                                pools.push(format!(
                                    "{name} {}x{}/{} pad {}",
                                    ph.0, ph.0, ph.1, ph.2
                                ));
                                src = b.maxpool(name, &src, ph.0, ph.1, ph.2);
                            }
                        }
                        let have = b.shape(&src).to_vec();
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
                if l.separate_input || b.shape(&src) != want.as_slice() {
                    let have = b.shape(&src).to_vec();
                    b.notes.push(if l.separate_input {
                        format!("{}: marked \"separate_input\"; it reads a separate seeded input \"{}.in\"", l.name, l.name)
                    } else {
                        format!(
                            "{}: its input {want:?} does not follow from the previous tensor {have:?}; it reads a separate seeded input \"{}.in\"",
                            l.name, l.name
                        )
                    });
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
