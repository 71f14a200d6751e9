//! Lowering a model (`model::Model`) onto one engine instance: every quantized conv/fc
//! becomes an engine job (one per group), its BatchNorm, ReLU and output quantizer folded into
//! integer thresholds where they follow it alone, otherwise a raw-accumulator job whose
//! affine the host applies; every other node runs on the host. The engine is sized for the
//! largest job and the widest codes (`docs/model.md`, "How a model runs on an engine").
//!
//! The plan is static (independent of the input): weight codes, thresholds and product tables
//! per job, the activation code of every input-quantizer index, and where each node runs.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Result};
use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};
use hdl::popcount::ubits;
use model::{Model, Op};
use quant::fold::{BatchNorm, ChannelThresholds, Direction};
use quant::gemm::{Conv2d, LayerParams};
use quant::scalar::ScalarQuantizer;
use quant::spec::QuantSpec;
use sim::job::LutLevels;

/// Which engine the model runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// Bit-serial when every layer has uniform codes, else the LUT engine.
    Auto,
    /// The bit-serial engine.
    BitSerial,
    /// The LUT-multiplier engine.
    Lut,
}

/// The array and clock the model runs on (the engine's widths come from the model).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArrayCfg {
    /// Engine kind.
    pub kind: EngineChoice,
    /// Array rows, columns, bits per DPU (lanes per LUT PE); `None` = the kind's default.
    pub array: Option<(u32, u32, u32)>,
    /// Clock for latencies.
    pub clock_mhz: f64,
}

/// Where a node runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// An engine job (the conv/fc itself): `raw` when it returns accumulators.
    Engine {
        /// Raw-accumulator mode.
        raw: bool,
        /// Jobs (one per group).
        jobs: usize,
    },
    /// Folded into the thresholds of engine layer `layer`.
    Fused {
        /// The conv/fc node it is folded into.
        layer: String,
    },
    /// On the host (float64, or on codes for `maxpool`/`flatten`/`quant`).
    Host,
}

impl Place {
    /// A short label for reports and JSON.
    pub fn label(&self) -> String {
        match self {
            Place::Engine { raw: false, .. } => "engine".into(),
            Place::Engine { raw: true, .. } => "engine (raw accumulators)".into(),
            Place::Fused { layer } => format!("engine (folded into {layer})"),
            Place::Host => "host".into(),
        }
    }
}

/// The static part of one engine job.
pub struct GroupJob {
    /// Weight codes in the engine's encoding, `M×K`.
    pub w_codes: Vec<u32>,
    /// Thresholds per channel (empty for raw jobs), padded to the engine's count.
    pub thresholds: Vec<ChannelThresholds>,
    /// LUT engines: the job's levels.
    pub levels: Option<LutLevels>,
}

/// A conv's or fc's GEMM geometry.
#[derive(Debug, Clone, Copy)]
pub enum Geom {
    /// A convolution: per-group geometry, groups, output channels.
    Conv {
        /// One group's im2col geometry (c_in per group).
        conv: Conv2d,
        /// Groups.
        groups: usize,
        /// Output channels in all.
        co: usize,
    },
    /// A fully connected layer.
    Fc {
        /// Inputs.
        inputs: usize,
        /// Outputs.
        outputs: usize,
    },
}

impl Geom {
    /// (M, K, N) of each group's job.
    pub fn mkn(&self) -> (u32, u32, u32) {
        match *self {
            Geom::Conv { conv, groups, co } => {
                ((co / groups) as u32, conv.k() as u32, conv.n() as u32)
            }
            Geom::Fc { inputs, outputs } => (outputs as u32, inputs as u32, 1),
        }
    }
    /// Groups (jobs).
    pub fn groups(&self) -> usize {
        match *self {
            Geom::Conv { groups, .. } => groups,
            Geom::Fc { .. } => 1,
        }
    }
}

/// One engine layer.
pub struct Layer {
    /// The conv/fc node.
    pub name: String,
    /// The quantized tensor it reads.
    pub input: String,
    /// Quantizer of the input (index into [`Plan::quants`]).
    pub in_q: usize,
    /// The tensor it produces: the fused quant node, or the conv/fc itself (raw).
    pub output: String,
    /// Fused output quantizer (index into [`Plan::quants`]); `None` = raw.
    pub out_q: Option<usize>,
    /// GEMM geometry.
    pub geom: Geom,
    /// Jobs, one per group.
    pub jobs: Vec<GroupJob>,
    /// Raw jobs: per output channel `(scale, bias)` with `y = acc·scale + bias`.
    pub affine: Vec<(f64, f64)>,
    /// Activation code of each input-quantizer index.
    pub a_code: Vec<u32>,
    /// The BatchNorm folded into the thresholds, per output channel (empty: none).
    pub bn: Vec<BatchNorm>,
}

/// A model lowered onto one engine.
pub struct Plan {
    /// The model.
    pub model: Model,
    /// The engine.
    pub params: EngineParams,
    /// Clock.
    pub clock_mhz: f64,
    /// Activation quantizers of the `quant` nodes.
    pub quants: Vec<Box<dyn ScalarQuantizer>>,
    /// Quant node name → index into `quants`.
    pub quant_index: HashMap<String, usize>,
    /// Tensor name → the quantizer whose codes it holds (quantized tensors only).
    pub quantized: HashMap<String, usize>,
    /// Engine layers in topological order.
    pub layers: Vec<Layer>,
    /// Node name → where it runs.
    pub places: HashMap<String, Place>,
}

/// Per-layer facts gathered before the engine is chosen.
struct Pre {
    name: String,
    input: String,
    in_q: usize,
    out_q: Option<usize>,
    output: String,
    geom: Geom,
    weight_q: Vec<Box<dyn ScalarQuantizer>>,
    weight_idx: Vec<usize>,
    w_levels: Vec<i64>,
    bias: Vec<f64>,
    bn: Vec<BatchNorm>,
    uniform: bool,
}

fn is_uniform_weight(spec: &QuantSpec) -> bool {
    matches!(
        spec,
        QuantSpec::N2uqWeight(_)
            | QuantSpec::Uniform(_)
            | QuantSpec::Binary(_)
            | QuantSpec::Ternary(_)
    )
}

fn is_uniform_act(spec: &QuantSpec) -> bool {
    matches!(spec, QuantSpec::N2uqAct(_) | QuantSpec::Uniform(_))
}

/// Levels of quantizer `q`, by index.
fn levels(q: &dyn ScalarQuantizer) -> Vec<i64> {
    (0..q.num_levels()).map(|i| q.level(i)).collect()
}

/// Whether `q`'s levels rise with the index (max of codes = code of the max).
fn monotone(q: &dyn ScalarQuantizer) -> bool {
    levels(q).windows(2).all(|w| w[0] <= w[1])
}

/// Smallest width of `enc` holding every level, if any.
fn enc_bits(enc: WeightEnc, lv: &[i64]) -> Option<u32> {
    (1..=8u32).find(|&b| {
        lv.iter().all(|&v| match enc {
            WeightEnc::Unsigned => v >= 0 && v < (1 << b),
            WeightEnc::Signed => b >= 2 && v >= -(1 << (b - 1)) && v < (1 << (b - 1)),
            WeightEnc::Offset => v.rem_euclid(2) == 1 && v.abs() < (1 << b),
            WeightEnc::SignMag => false,
        })
    })
}

impl Plan {
    /// Lower `model` onto an engine of `cfg`'s array.
    pub fn new(model: Model, cfg: &ArrayCfg) -> Result<Plan> {
        let mut quants: Vec<Box<dyn ScalarQuantizer>> = Vec::new();
        let mut quant_index = HashMap::new();
        let mut quant_specs: Vec<QuantSpec> = Vec::new();
        let mut quantized: HashMap<String, usize> = HashMap::new();
        let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, n) in model.nodes.iter().enumerate() {
            for inp in &n.inputs {
                consumers.entry(inp.as_str()).or_default().push(i);
            }
        }
        let is_output = |name: &str| model.outputs.iter().any(|o| o == name);
        let index_of: HashMap<&str, usize> = model
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        // The single consumer of `name`, if it has exactly one and is not a graph output.
        let only = |name: &str| -> Option<usize> {
            match consumers.get(name).map(Vec::as_slice) {
                Some([c]) if !is_output(name) => Some(*c),
                _ => None,
            }
        };
        // Which tensors are quantized (codes of which quantizer).
        for n in &model.nodes {
            match &n.op {
                Op::Quant { spec } => {
                    let q = spec
                        .scalar()
                        .map_err(|e| anyhow!("node {:?}: spec: {e}", n.name))?;
                    quant_index.insert(n.name.clone(), quants.len());
                    quantized.insert(n.name.clone(), quants.len());
                    quants.push(q);
                    quant_specs.push(spec.clone());
                }
                Op::MaxPool { .. } => {
                    if let Some(&q) = quantized.get(&n.inputs[0]) {
                        if monotone(quants[q].as_ref()) {
                            quantized.insert(n.name.clone(), q);
                        }
                    }
                }
                Op::Flatten => {
                    if let Some(&q) = quantized.get(&n.inputs[0]) {
                        quantized.insert(n.name.clone(), q);
                    }
                }
                Op::Relu => {
                    if let Some(&q) = quantized.get(&n.inputs[0]) {
                        if levels(quants[q].as_ref()).iter().all(|&v| v >= 0) {
                            quantized.insert(n.name.clone(), q);
                        }
                    }
                }
                _ => {}
            }
        }
        // Engine layers and what folds into them.
        let mut pres: Vec<Pre> = Vec::new();
        let mut places: HashMap<String, Place> = HashMap::new();
        for n in &model.nodes {
            let (weight, bias, wq, geom) = match &n.op {
                Op::Conv {
                    weight,
                    bias,
                    stride,
                    padding,
                    groups,
                    weight_quant: Some(wq),
                } => {
                    let in_shape = shape_of(&model, &n.inputs[0]);
                    let (co, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3]);
                    let conv = Conv2d {
                        c_in: in_shape[0] / groups,
                        h: in_shape[1],
                        w: in_shape[2],
                        kh,
                        kw,
                        stride: *stride,
                        pad: *padding,
                    };
                    (
                        weight,
                        bias,
                        wq,
                        Geom::Conv {
                            conv,
                            groups: *groups,
                            co,
                        },
                    )
                }
                Op::Fc {
                    weight,
                    bias,
                    weight_quant: Some(wq),
                } => (
                    weight,
                    bias,
                    wq,
                    Geom::Fc {
                        inputs: weight.shape[1],
                        outputs: weight.shape[0],
                    },
                ),
                _ => continue,
            };
            let input = n.inputs[0].clone();
            let in_q = *quantized.get(&input).ok_or_else(|| {
                anyhow!(
                    "node {:?}: a quantized layer needs a quantized input, but {input:?} is a float tensor (add a quant node before it)",
                    n.name
                )
            })?;
            if let Geom::Conv { conv, .. } = geom {
                if conv.pad > 0 && !levels(quants[in_q].as_ref()).contains(&0) {
                    bail!(
                        "node {:?}: padding: the input quantizer has no zero level to pad with",
                        n.name
                    );
                }
            }
            let prepared = wq
                .prepare(&weight.data, &weight.shape)
                .map_err(|e| anyhow!("node {:?}: weight_quant: {e}", n.name))?;
            let weight_idx: Vec<usize> = weight
                .data
                .iter()
                .enumerate()
                .map(|(i, &x)| prepared.quantizer_of(i).index(x))
                .collect();
            let w_levels: Vec<i64> = weight_idx
                .iter()
                .enumerate()
                .map(|(i, &x)| prepared.quantizer_of(i).level(x))
                .collect();
            let co = weight.shape[0];
            let bias = bias.as_ref().map(|b| b.data.clone()).unwrap_or_default();
            // Fusion: [batchnorm] [relu] quant, each the only consumer.
            let mut fused = Vec::new();
            let mut bn = Vec::new();
            let mut cur = n.name.clone();
            let mut out_q = None;
            let mut relu_seen = false;
            while let Some(c) = only(&cur) {
                let cn = &model.nodes[c];
                match &cn.op {
                    Op::BatchNorm {
                        gamma,
                        beta,
                        mean,
                        var,
                        eps,
                    } if bn.is_empty() && !relu_seen => {
                        bn = (0..co)
                            .map(|i| BatchNorm {
                                gamma: gamma[i],
                                beta: beta[i],
                                mean: mean[i],
                                var: var[i],
                                eps: *eps,
                            })
                            .collect();
                        fused.push(cn.name.clone());
                        cur = cn.name.clone();
                    }
                    Op::Relu if !relu_seen => {
                        relu_seen = true;
                        fused.push(cn.name.clone());
                        cur = cn.name.clone();
                    }
                    Op::Quant { .. } => {
                        let q = quant_index[&cn.name];
                        // ReLU folds only when the quantizer already maps every negative
                        // input to the code of level 0.
                        let qq = quants[q].as_ref();
                        let relu_ok = !relu_seen || (qq.index(0.0) == 0 && qq.index(-1e300) == 0);
                        if relu_ok && is_output(&cn.name).then_some(()).is_none() {
                            fused.push(cn.name.clone());
                            out_q = Some(q);
                            cur = cn.name.clone();
                        }
                        break;
                    }
                    _ => break,
                }
            }
            let (output, fused, bn) = match out_q {
                Some(_) => (cur, fused, bn),
                None => (n.name.clone(), Vec::new(), Vec::new()),
            };
            for f in &fused {
                places.insert(
                    f.clone(),
                    Place::Fused {
                        layer: n.name.clone(),
                    },
                );
            }
            places.insert(
                n.name.clone(),
                Place::Engine {
                    raw: out_q.is_none(),
                    jobs: geom.groups(),
                },
            );
            let uniform = is_uniform_weight(wq) && is_uniform_act(&quant_specs[in_q]);
            pres.push(Pre {
                name: n.name.clone(),
                input,
                in_q,
                out_q,
                output,
                geom,
                weight_q: prepared.quantizers,
                weight_idx,
                w_levels,
                bias,
                bn,
                uniform,
            });
        }
        if pres.is_empty() {
            bail!(
                "model {:?}: no quantized conv/fc layer runs on the engine",
                model.name
            );
        }
        for n in &model.nodes {
            places.entry(n.name.clone()).or_insert(Place::Host);
        }
        let lut = match cfg.kind {
            EngineChoice::Auto => pres.iter().any(|p| !p.uniform),
            EngineChoice::BitSerial => {
                if let Some(p) = pres.iter().find(|p| !p.uniform) {
                    bail!(
                        "--engine bitserial: node {:?} has non-uniform levels (LCQ/QN); use the LUT engine",
                        p.name
                    );
                }
                false
            }
            EngineChoice::Lut => true,
        };
        let _ = index_of;
        let params = engine_params(&pres, &quants, cfg, lut)?;
        let layers = pres
            .into_iter()
            .map(|p| encode(p, &quants, &params))
            .collect::<Result<Vec<_>>>()?;
        Ok(Plan {
            model,
            params,
            clock_mhz: cfg.clock_mhz,
            quants,
            quant_index,
            quantized,
            layers,
            places,
        })
    }
}

/// The per-sample shape of tensor `name` (a graph input or a node).
pub fn shape_of(model: &Model, name: &str) -> Vec<usize> {
    model
        .inputs
        .iter()
        .find(|i| i.name == name)
        .map(|i| i.shape.clone())
        .or_else(|| {
            model
                .nodes
                .iter()
                .find(|n| n.name == name)
                .map(|n| n.shape.clone())
        })
        .unwrap_or_default()
}

/// Distinct non-zero weight magnitudes of a layer, sorted.
fn magnitudes(p: &Pre) -> Vec<u64> {
    let mut m: Vec<u64> = p
        .weight_q
        .iter()
        .flat_map(|q| (0..q.num_levels()).map(|i| q.level(i).unsigned_abs()))
        .filter(|&v| v != 0)
        .collect();
    m.sort_unstable();
    m.dedup();
    m
}

fn engine_params(
    pres: &[Pre],
    quants: &[Box<dyn ScalarQuantizer>],
    cfg: &ArrayCfg,
    lut: bool,
) -> Result<EngineParams> {
    let (mut mm, mut mk, mut mn) = (1u32, 1u32, 1u32);
    for p in pres {
        let (m, k, n) = p.geom.mkn();
        (mm, mk, mn) = (mm.max(m), mk.max(k), mn.max(n));
    }
    let out_bits = pres
        .iter()
        .filter_map(|p| p.out_q)
        .map(|q| ubits(quants[q].num_levels() as u64 - 1).max(1))
        .max()
        .unwrap_or(1);
    let (dm, dn, dk) = cfg
        .array
        .unwrap_or(if lut { (4, 4, 32) } else { (8, 8, 256) });
    let (kind, w_bits, a_bits, w_enc, a_enc) = if lut {
        let mut w_bits = 2;
        let mut a_bits = 1;
        let mut max_prod = 1u64;
        for p in pres {
            let mags = magnitudes(p);
            if mags.is_empty() {
                bail!("node {:?}: every weight level is zero", p.name);
            }
            w_bits = w_bits.max(1 + ubits(mags.len() as u64));
            let a = levels(quants[p.in_q].as_ref());
            if a[0] != 0 || a.iter().any(|&v| v < 0) {
                bail!(
                    "node {:?}: the LUT engine needs input activation levels >= 0 with index 0 at level 0, got {a:?}",
                    p.name
                );
            }
            a_bits = a_bits.max(ubits(a.len() as u64 - 1));
            let amax = *a.iter().max().unwrap() as u64;
            max_prod = max_prod.max(mags.last().unwrap() * amax);
        }
        (
            Kind::Lut {
                prod_bits: ubits(max_prod),
            },
            w_bits,
            a_bits,
            WeightEnc::SignMag,
            ActEnc::Unsigned,
        )
    } else {
        let all_w: Vec<i64> = pres
            .iter()
            .flat_map(|p| p.w_levels.iter().copied())
            .collect();
        let (w_enc, w_bits) = [WeightEnc::Offset, WeightEnc::Signed, WeightEnc::Unsigned]
            .into_iter()
            .filter_map(|e| enc_bits(e, &all_w).map(|b| (e, b)))
            .min_by_key(|&(_, b)| b)
            .ok_or_else(|| anyhow!("weights: no bit-serial encoding of 1..8 bits holds every layer's weight levels"))?;
        let all_a: Vec<i64> = pres
            .iter()
            .flat_map(|p| levels(quants[p.in_q].as_ref()))
            .collect();
        let a_enc = if all_a.iter().all(|&v| v >= 0) {
            ActEnc::Unsigned
        } else {
            ActEnc::Signed
        };
        let wenc = match a_enc {
            ActEnc::Unsigned => WeightEnc::Unsigned,
            ActEnc::Signed => WeightEnc::Signed,
        };
        let a_bits = enc_bits(wenc, &all_a).ok_or_else(|| {
            anyhow!(
                "activations: levels {:?}..{:?} need more than 8 bits",
                all_a.iter().min(),
                all_a.iter().max()
            )
        })?;
        (Kind::BitSerial, w_bits, a_bits, w_enc, a_enc)
    };
    let p = EngineParams {
        kind,
        dm,
        dn,
        dk,
        w_bits,
        a_bits,
        out_bits,
        w_enc,
        a_enc,
        max_m: mm,
        max_k: mk,
        max_n: mn,
    };
    p.validate()
        .map_err(|e| anyhow!("engine for this model: {e}"))?;
    Ok(p)
}

/// Encode one layer's jobs for the chosen engine.
fn encode(p: Pre, quants: &[Box<dyn ScalarQuantizer>], e: &EngineParams) -> Result<Layer> {
    let aq = quants[p.in_q].as_ref();
    let a_code: Vec<u32> = if e.is_lut() {
        (0..aq.num_levels() as u32).collect()
    } else {
        (0..aq.num_levels())
            .map(|i| {
                e.a_code(aq.level(i)).ok_or_else(|| {
                    anyhow!(
                        "node {:?}: activation level {} does not fit the engine's {}-bit codes",
                        p.name,
                        aq.level(i),
                        e.a_bits
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    let (m, k, _) = p.geom.mkn();
    let (m, k) = (m as usize, k as usize);
    let co = m * p.geom.groups();
    let mags = magnitudes(&p);
    let w_code = |v: i64| -> Result<u32> {
        if e.is_lut() {
            let j = mags
                .binary_search(&v.unsigned_abs())
                .map_or(0, |i| i as u32 + 1);
            Ok(if v < 0 { (1 << (e.w_bits - 1)) | j } else { j })
        } else {
            e.w_code(v).ok_or_else(|| {
                anyhow!(
                    "node {:?}: weight level {v} does not fit the engine's {}-bit {:?} codes",
                    p.name,
                    e.w_bits,
                    e.w_enc
                )
            })
        }
    };
    let levels_of_job = if e.is_lut() {
        let a = levels(aq);
        let mut a_level: Vec<u64> = a[1..].iter().map(|&v| v as u64).collect();
        a_level.resize(e.a_nonzero() as usize, 0);
        let mut w_mag = mags.clone();
        w_mag.resize(e.w_mags() as usize, 0);
        Some(LutLevels { w_mag, a_level })
    } else {
        None
    };
    let folded = match p.out_q {
        None => None,
        Some(q) => {
            let lp = LayerParams {
                weight_q: &p.weight_q,
                weight_idx: &p.weight_idx,
                m: co,
                k,
                act_q: aq,
                bias: &p.bias,
                bn: &p.bn,
                next_q: quants[q].as_ref(),
            };
            let int = lp
                .to_int()
                .map_err(|err| anyhow!("node {:?}: {err}", p.name))?;
            let want = e.thresholds() as usize;
            let (lo, hi) = (int.bound.lo as i64 - 1, int.bound.hi as i64 + 1);
            let padded: Vec<ChannelThresholds> = int
                .thresholds
                .into_iter()
                .map(|mut t| {
                    let never = if t.direction == Direction::Descending {
                        lo
                    } else {
                        hi
                    };
                    t.t.resize(want, never);
                    t
                })
                .collect();
            Some(padded)
        }
    };
    let mut jobs = Vec::new();
    for g in 0..p.geom.groups() {
        let rows = g * m..(g + 1) * m;
        let w_codes = p.w_levels[rows.start * k..rows.end * k]
            .iter()
            .map(|&v| w_code(v))
            .collect::<Result<Vec<u32>>>()?;
        let thresholds = folded
            .as_ref()
            .map_or_else(Vec::new, |t| t[rows.clone()].to_vec());
        jobs.push(GroupJob {
            w_codes,
            thresholds,
            levels: levels_of_job.clone(),
        });
    }
    let affine = (0..co)
        .map(|c| {
            let wq = p.weight_q[if p.weight_q.len() == 1 { 0 } else { c }].as_ref();
            (
                wq.level_scale() * aq.level_scale(),
                p.bias.get(c).copied().unwrap_or(0.0),
            )
        })
        .collect();
    Ok(Layer {
        name: p.name,
        input: p.input,
        in_q: p.in_q,
        output: p.output,
        out_q: p.out_q,
        geom: p.geom,
        jobs,
        affine,
        a_code,
        bn: p.bn,
    })
}
