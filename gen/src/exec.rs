//! Running a lowered model ([`crate::lower::Plan`]) on an engine, one sample at a time: host
//! nodes in float64 (or on codes where the op keeps codes), every engine layer as jobs on the
//! one engine instance given (the cycle model or the Verilated RTL, anything that is a
//! `sim::dut::Dut`), each job's output beats checked against the golden integer reference
//! (`sim::job::Job::expected`) — a mismatch is an error, never a tolerance.
//!
//! Decisions "within rounding distance of a threshold" are counted per sample: a quantizer
//! input whose compare-domain value lies within `NEAR_REL · max(1, |u|)` of a step, where
//! float32 rounding inside a quantizer or a different float64 summation order could flip the
//! code between two correct implementations.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Result};
use quant::gemm::im2col;
use quant::scalar::ScalarQuantizer;
use sim::dut::Dut;
use sim::harness::{run, Stalls};
use sim::job::{Job, Packet};

use crate::lower::{Geom, Layer, Plan};

/// Relative distance to a step below which a decision counts as "near a threshold".
pub const NEAR_REL: f64 = 1e-6;

/// A tensor value on an edge of the graph.
#[derive(Debug, Clone)]
enum Val {
    /// Float values.
    F(Vec<f64>),
    /// Indices of quantizer `q` (into `Plan::quants`).
    Q(Vec<u32>, usize),
}

/// One sample through the whole model.
#[derive(Debug, Clone)]
pub struct SampleRun {
    /// The model's outputs, float64, in `Model::outputs` order.
    pub outputs: Vec<Vec<f64>>,
    /// Cycles of each engine layer (all its groups), in `Plan::layers` order.
    pub layer_cycles: Vec<u64>,
    /// Quantizer decisions within rounding distance of a threshold.
    pub near: usize,
}

/// Streams of one job, kept for `--dump-streams`.
pub struct JobStreams {
    /// Layer name.
    pub layer: String,
    /// Group index.
    pub group: usize,
    /// Weight/threshold stream.
    pub wt: Vec<Packet>,
    /// Activation stream.
    pub act: Vec<Packet>,
    /// Expected output beats (packed words, tlast).
    pub out: Vec<(Vec<u64>, bool)>,
    /// The job's cycles on the device it ran on (the harness's count).
    pub cycles: u64,
}

fn near(q: &dyn ScalarQuantizer, x: f64) -> bool {
    let s = q.staircase();
    let u = s.compare_domain(x);
    s.distance_to_step(x) <= NEAR_REL * u.abs().max(1.0)
}

impl Plan {
    /// The value of graph input / node `name` as floats.
    fn floats(&self, v: &Val) -> Vec<f64> {
        match v {
            Val::F(x) => x.clone(),
            Val::Q(idx, q) => {
                let q = self.quants[*q].as_ref();
                // The hardware's value of a code: its integer level times the level scale
                // (for LCQ the b'-bit outer level, the value the engine computes with).
                let s = q.level_scale();
                idx.iter()
                    .map(|&i| q.level(i as usize) as f64 * s)
                    .collect()
            }
        }
    }

    /// The job of group `g` of `layer` for input indices `idx` (the whole input tensor).
    pub fn job(&self, layer: &Layer, g: usize, idx: &[u32]) -> Job {
        let (m, k, n) = layer.geom.mkn();
        let zero = {
            let q = self.quants[layer.in_q].as_ref();
            (0..q.num_levels()).find(|&i| q.level(i) == 0).unwrap_or(0) as u32
        };
        let a_idx: Vec<u32> = match layer.geom {
            Geom::Conv { conv, .. } => {
                let per = conv.c_in * conv.h * conv.w;
                im2col(&idx[g * per..(g + 1) * per], &conv, zero)
            }
            Geom::Fc { .. } => idx.to_vec(),
        };
        let gj = &layer.jobs[g];
        Job {
            m,
            k,
            n,
            w_codes: gj.w_codes.clone(),
            a_codes: a_idx.iter().map(|&i| layer.a_code[i as usize]).collect(),
            thresholds: gj.thresholds.clone(),
            levels: gj.levels.clone(),
            raw: layer.out_q.is_none(),
        }
    }

    /// Run one sample (`x`: the graph input, one sample, float64; with several graph inputs,
    /// their values concatenated in `Model::inputs` order) on `dut`. `dump` collects
    /// every job's streams when given.
    pub fn run_sample<D: Dut + ?Sized>(
        &self,
        dut: &mut D,
        x: &[f64],
        mut dump: Option<&mut Vec<JobStreams>>,
    ) -> Result<SampleRun> {
        let p = *dut.params();
        let model = &self.model;
        let mut vals: HashMap<&str, Val> = HashMap::new();
        // Several graph inputs: the sample is their values concatenated in order.
        let want: usize = model
            .inputs
            .iter()
            .map(|g| g.shape.iter().product::<usize>())
            .sum();
        if x.len() != want {
            bail!("input: a sample needs {want} values, got {}", x.len());
        }
        let mut off = 0;
        for g in &model.inputs {
            let len: usize = g.shape.iter().product();
            vals.insert(g.name.as_str(), Val::F(x[off..off + len].to_vec()));
            off += len;
        }
        let layer_of: HashMap<&str, usize> = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.as_str(), i))
            .collect();
        let mut layer_cycles = vec![0u64; self.layers.len()];
        let mut n_near = 0usize;
        for node in &model.nodes {
            if matches!(
                self.places.get(&node.name),
                Some(crate::lower::Place::Fused { .. })
            ) {
                continue;
            }
            if let Some(&li) = layer_of.get(node.name.as_str()) {
                let layer = &self.layers[li];
                let idx = match vals.get(layer.input.as_str()) {
                    Some(Val::Q(idx, q)) if *q == layer.in_q => idx.clone(),
                    _ => bail!("node {:?}: input is not quantized as planned", node.name),
                };
                let (m, _, n) = layer.geom.mkn();
                let (m, n) = (m as usize, n as usize);
                let groups = layer.geom.groups();
                let mut out = vec![0i64; m * groups * n];
                for g in 0..groups {
                    let job = self.job(layer, g, &idx);
                    // The golden accumulators, once: the raw-field check, the expected beats
                    // and the near-threshold count all read them.
                    let acc = job.accumulators(&p);
                    job.validate_with(&p, Some(&acc)).map_err(|e| {
                        anyhow!("node {:?}: job does not fit the engine: {e}", node.name)
                    })?;
                    let (wt, act, want) = (
                        job.wt_stream(&p),
                        job.act_stream(&p),
                        job.expected_from(&p, &acc),
                    );
                    let r = run(dut, &wt, &act, want.len(), Stalls::NONE, None, u64::MAX)
                        .map_err(|e| anyhow!("node {:?}: engine run: {e}", node.name))?;
                    if r.beats != want {
                        let i = r.beats.iter().zip(&want).position(|(a, b)| a != b);
                        bail!(
                            "node {:?} group {g}: the engine's output differs from the golden reference at beat {:?} (a bug, please report)",
                            node.name,
                            i
                        );
                    }
                    layer_cycles[li] += r.cycles;
                    let vals_g = decode(&p, &job, &r.beats);
                    out[g * m * n..(g + 1) * m * n].copy_from_slice(&vals_g);
                    // Near-threshold decisions of a fused output, from the exact accumulators.
                    if let Some(q) = layer.out_q {
                        n_near += self.count_near(layer, g, &acc, n, q);
                    }
                    if let Some(d) = dump.as_deref_mut() {
                        d.push(JobStreams {
                            layer: layer.name.clone(),
                            group: g,
                            wt,
                            act,
                            out: want,
                            cycles: r.cycles,
                        });
                    }
                }
                let v = match layer.out_q {
                    Some(q) => Val::Q(out.iter().map(|&c| c as u32).collect(), q),
                    None => Val::F(
                        out.iter()
                            .enumerate()
                            .map(|(i, &acc)| {
                                // Engine accumulator → the true one (exact integers), then
                                // the affine.
                                let c = i / n;
                                let (s, b) = layer.affine[c];
                                layer.true_acc(c, acc) as f64 * s + b
                            })
                            .collect(),
                    ),
                };
                vals.insert(layer.output.as_str(), v);
                continue;
            }
            let ins: Vec<&Val> = node
                .inputs
                .iter()
                .map(|i| {
                    vals.get(i.as_str())
                        .ok_or_else(|| anyhow!("node {:?}: input {i:?} has no value", node.name))
                })
                .collect::<Result<_>>()?;
            let v = match &node.op {
                model::Op::Quant { .. } => {
                    let qi = self.quant_index[&node.name];
                    let q = self.quants[qi].as_ref();
                    let xs = self.floats(ins[0]);
                    // A graph input is given exactly: a tie there is resolved by the spec
                    // (the same in every implementation); only computed values can land on
                    // the other side of a step through rounding.
                    if !model.inputs.iter().any(|g| g.name == node.inputs[0]) {
                        n_near += xs.iter().filter(|&&x| near(q, x)).count();
                    }
                    Val::Q(xs.iter().map(|&x| q.index(x) as u32).collect(), qi)
                }
                model::Op::MaxPool { .. } | model::Op::Flatten | model::Op::Relu
                    if self.quantized.contains_key(&node.name) =>
                {
                    // Ops that keep codes: run them on the indices (levels rise with the
                    // index, so the max of indices is the index of the max).
                    let Val::Q(idx, q) = ins[0] else {
                        bail!("node {:?}: expected a quantized input", node.name)
                    };
                    let as_f: Vec<f64> = idx.iter().map(|&i| i as f64).collect();
                    let r = model::float::eval_host(model, node, &[as_f.as_slice()])
                        .map_err(|e| anyhow!("{e}"))?;
                    Val::Q(r.iter().map(|&v| v as u32).collect(), *q)
                }
                _ => {
                    let fs: Vec<Vec<f64>> = ins.iter().map(|v| self.floats(v)).collect();
                    let refs: Vec<&[f64]> = fs.iter().map(Vec::as_slice).collect();
                    Val::F(model::float::eval_host(model, node, &refs).map_err(|e| anyhow!("{e}"))?)
                }
            };
            vals.insert(node.name.as_str(), v);
        }
        let outputs = model
            .outputs
            .iter()
            .map(|o| {
                vals.get(o.as_str())
                    .map(|v| self.floats(v))
                    .ok_or_else(|| anyhow!("output {o:?} has no value"))
            })
            .collect::<Result<_>>()?;
        Ok(SampleRun {
            outputs,
            layer_cycles,
            near: n_near,
        })
    }

    /// Decisions of a fused output quantizer within rounding distance of a step.
    fn count_near(&self, layer: &Layer, g: usize, acc: &[i64], n: usize, q: usize) -> usize {
        let q = self.quants[q].as_ref();
        let (m, _, _) = layer.geom.mkn();
        let mut count = 0;
        for (i, &a) in acc.iter().enumerate() {
            let c = g * m as usize + i / n;
            let (s, b) = layer.affine[c];
            let mut y = layer.true_acc(c, a) as f64 * s + b;
            if let Some(bn) = layer.bn.get(c) {
                y = bn.apply(y);
            }
            if near(q, y) {
                count += 1;
            }
        }
        count
    }
}

/// Output beats of `job` as `M×N` values (codes, or raw accumulators).
pub fn decode(p: &hdl::params::EngineParams, job: &Job, beats: &[(Vec<u64>, bool)]) -> Vec<i64> {
    let (m, n) = (job.m as usize, job.n as usize);
    let mut out = vec![0i64; m * n];
    let mut it = beats.iter();
    for n0 in (0..n).step_by(p.dn as usize) {
        for m0 in (0..m).step_by(p.dm as usize) {
            for row in m0..(m0 + p.dm as usize).min(m) {
                let (words, _) = it.next().expect("beat count checked against golden");
                let f = p.out_fields(words, job.raw);
                for c in 0..(p.dn as usize).min(n - n0) {
                    out[row * n + n0 + c] = f[c];
                }
            }
        }
    }
    out
}
