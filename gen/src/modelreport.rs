//! `qforge report memory | time | resources --model M`: the reports for a trained model's own
//! layers, on the engine `qforge run --model` lowers it onto (`crate::lower::Plan`), with the
//! same engine flags (`crate::engine_spec`: `--engine`, default `auto`; `--array`; `--clock-mhz`;
//! `--prod-bits` is refused, the model's levels fix it).
//!
//! - time: per engine layer its GEMM, cycles from `sim::timing::job_cycles` (equal to what
//!   `qforge run` measures on the cycle model and the RTL, checked by `run`), latency,
//!   utilization; totals.
//! - memory: what the engine and the host hold for the model: weight codes at the engine's
//!   `w_bits`, thresholds at the engine's threshold width, product tables (LUT engine), and the
//!   host's float32 parameters (biases and BatchNorm of raw-output layers, float layers).
//! - resources: the engine's LUT/FF/BRAM (fitted model, or Yosys with `--synth`).
//! - compare: the model's own conv/fc shapes (engine layers and float host layers) as a
//!   network, under `report compare`'s standard configurations (each at the largest engine in
//!   the LUT budget; the first conv and last layer at `--first-last-bits`), as ratios to binary.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use serde_json::json;

use crate::lower::{Place, Plan};
use crate::netreport::{Common, ReportCmd};
use crate::run::{layer_rows, layer_table, plan, timing};

/// The model's conv/fc layers (engine and host) as a network of shapes, in graph order.
fn as_network(plan: &Plan) -> crate::network::Network {
    use crate::network::{Conv, Layer, Network, Op as NOp};
    let m = &plan.model;
    let layers = m
        .nodes
        .iter()
        .filter_map(|n| {
            let op = match &n.op {
                model::Op::Conv {
                    weight,
                    bias,
                    stride,
                    padding,
                    groups,
                    ..
                } => {
                    let s = crate::lower::shape_of(m, &n.inputs[0]);
                    NOp::Conv(Conv {
                        in_channels: s[0] as u32,
                        out_channels: weight.shape[0] as u32,
                        kernel: [weight.shape[2] as u32, weight.shape[3] as u32],
                        stride: *stride as u32,
                        padding: *padding as u32,
                        groups: *groups as u32,
                        bias: bias.is_some(),
                        in_hw: [s[1] as u32, s[2] as u32],
                    })
                }
                model::Op::Fc { weight, bias, .. } => NOp::Fc {
                    in_features: weight.shape[1] as u32,
                    out_features: weight.shape[0] as u32,
                    bias: bias.is_some(),
                },
                model::Op::BatchNorm { gamma, .. } => NOp::BatchNorm {
                    channels: gamma.len() as u32,
                },
                _ => return None,
            };
            Some(Layer {
                name: n.name.clone(),
                separate_input: false,
                op,
            })
        })
        .collect();
    Network {
        name: m.name.clone(),
        layers,
    }
}

/// Bytes one layer needs.
struct MemRow {
    name: String,
    weight_bytes: u64,
    threshold_bytes: u64,
    table_bytes: u64,
    host_bytes: u64,
}

fn bytes(bits: u64) -> u64 {
    bits.div_ceil(8)
}

fn memory(plan: &Plan) -> Vec<MemRow> {
    let p = &plan.params;
    let mut rows = Vec::new();
    for l in &plan.layers {
        let (m, k, _) = l.geom.mkn();
        let g = l.geom.groups() as u64;
        let (m, k) = (m as u64, k as u64);
        let fused = l.out_q.is_some();
        let host = if fused {
            0
        } else {
            // Raw output: the host applies per-channel scale and bias in float32, and for an
            // engine fed binary indices first the per-channel integer correction (int32).
            m * g * (2 + l.act_offset.is_some() as u64) * 4
        };
        rows.push(MemRow {
            name: l.name.clone(),
            weight_bytes: bytes(g * m * k * p.w_bits as u64),
            threshold_bytes: if fused {
                bytes(g * m * (p.thresholds() as u64 * p.thr_width() as u64 + 1))
            } else {
                0
            },
            table_bytes: if p.is_lut() {
                bytes(p.table_entries() as u64 * p.prod_bits() as u64)
            } else {
                0
            },
            host_bytes: host,
        });
    }
    for n in &plan.model.nodes {
        if plan.places[&n.name] != Place::Host {
            continue;
        }
        let floats: u64 = match &n.op {
            model::Op::BatchNorm { gamma, .. } => 2 * gamma.len() as u64,
            model::Op::Conv { weight, bias, .. } | model::Op::Fc { weight, bias, .. } => {
                (weight.data.len() + bias.as_ref().map_or(0, |b| b.data.len())) as u64
            }
            // A host `mul`/`div`/`add_const` keeps its constant.
            op => match op.value() {
                Some(v) => v.data.len() as u64,
                None => continue,
            },
        };
        rows.push(MemRow {
            name: n.name.clone(),
            weight_bytes: 0,
            threshold_bytes: 0,
            table_bytes: 0,
            host_bytes: floats * 4,
        });
    }
    rows
}

/// The report `cmd` for model `path`.
pub fn report(cmd: &ReportCmd, path: &Path) -> Result<String> {
    let (c, synth) = match cmd {
        ReportCmd::Memory(c) | ReportCmd::Time(c) => (c, false),
        ReportCmd::Resources { common, synth } => (common, *synth),
        ReportCmd::Compare { common, budget } => {
            let plan = plan(path, &common.engine)?;
            let net = as_network(&plan);
            crate::network::limits::check(&net).map_err(|e| anyhow!("--model: {e}"))?;
            return crate::netreport::compare_out(&net, common, *budget);
        }
    };
    if c.svg.is_some() {
        bail!("--svg: not available with --model yet");
    }
    let plan = plan(path, &c.engine)?;
    match cmd {
        ReportCmd::Time(_) => time(&plan, c),
        ReportCmd::Memory(_) => memory_out(&plan, c),
        _ => crate::netreport::resources_text(&plan.params, c, synth),
    }
}

fn time(plan: &Plan, c: &Common) -> Result<String> {
    let cycles = timing(plan);
    let total: u64 = cycles.iter().sum();
    let ms = total as f64 / (plan.clock_mhz * 1e3);
    if c.json {
        return Ok(serde_json::to_string_pretty(&json!({
            "model": plan.model.name, "engine": crate::run::engine_json(plan),
            "clock_mhz": plan.clock_mhz, "cycles": total, "ms": ms, "fps": 1e3 / ms,
            "layers": layer_rows(plan, &cycles), "nodes": crate::run::node_rows(plan),
        }))? + "\n");
    }
    if c.csv {
        let mut s = String::from("layer,m,k,n,groups,mode,cycles\n");
        for (l, &cy) in plan.layers.iter().zip(&cycles) {
            let (m, k, n) = l.geom.mkn();
            writeln!(
                s,
                "{},{m},{k},{n},{},{},{cy}",
                l.name,
                l.geom.groups(),
                if l.out_q.is_some() { "codes" } else { "raw" }
            )?;
        }
        return Ok(s);
    }
    let p = &plan.params;
    let mut s = format!(
        "# {}: time on a {} engine {}x{}x{} at {} MHz (W{}/A{}, out {} bits)\n\n",
        plan.model.name,
        if p.is_lut() { "LUT" } else { "bit-serial" },
        p.dm,
        p.dn,
        p.dk,
        plan.clock_mhz,
        p.w_bits,
        p.a_bits,
        p.out_bits
    );
    s += &layer_table(plan, &cycles)?;
    writeln!(
        s,
        "{:.1} frames/s (batch 1, jobs back to back). Cycles: `sim::timing`, equal to `qforge run` on the cycle model and the RTL.",
        1e3 / ms
    )?;
    Ok(s)
}

fn memory_out(plan: &Plan, c: &Common) -> Result<String> {
    let rows = memory(plan);
    let sum = |f: fn(&MemRow) -> u64| rows.iter().map(f).sum::<u64>();
    let (w, t, tb, h) = (
        sum(|r| r.weight_bytes),
        sum(|r| r.threshold_bytes),
        sum(|r| r.table_bytes),
        sum(|r| r.host_bytes),
    );
    let total = w + t + tb + h;
    if c.json {
        let layers: Vec<_> = rows
            .iter()
            .map(|r| json!({"name": r.name, "weight_bytes": r.weight_bytes, "threshold_bytes": r.threshold_bytes,
                            "lut_bytes": r.table_bytes, "host_bytes": r.host_bytes,
                            "total_bytes": r.weight_bytes + r.threshold_bytes + r.table_bytes + r.host_bytes}))
            .collect();
        return Ok(serde_json::to_string_pretty(&json!({
            "model": plan.model.name, "engine": crate::run::engine_json(plan),
            "total_bytes": total, "weight_bytes": w, "threshold_bytes": t, "lut_bytes": tb,
            "host_bytes": h, "layers": layers,
        }))? + "\n");
    }
    if c.csv {
        let mut s = String::from("layer,weight_bytes,threshold_bytes,lut_bytes,host_bytes\n");
        for r in &rows {
            writeln!(
                s,
                "{},{},{},{},{}",
                r.name, r.weight_bytes, r.threshold_bytes, r.table_bytes, r.host_bytes
            )?;
        }
        return Ok(s);
    }
    let mut s = format!(
        "# {}: memory on the {} engine (weights at {} bits, thresholds at {} bits)\n\n| layer | weights | thresholds | product table | host float32 |\n|---|---|---|---|---|\n",
        plan.model.name,
        if plan.params.is_lut() { "LUT" } else { "bit-serial" },
        plan.params.w_bits,
        plan.params.thr_width()
    );
    for r in &rows {
        writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            r.name, r.weight_bytes, r.threshold_bytes, r.table_bytes, r.host_bytes
        )?;
    }
    writeln!(
        s,
        "\nTotal: {total} bytes ({w} weights, {t} thresholds, {tb} product tables, {h} host)."
    )?;
    Ok(s)
}
