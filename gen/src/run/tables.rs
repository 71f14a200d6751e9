//! The per-layer views of a lowered model shared by `qforge run`, `report --model`,
//! `generate` and `verify`: closed-form cycles, the Markdown layer table and the JSON rows of
//! layers, nodes and the engine.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{json, Value};

use crate::lower::Plan;

/// The closed-form cycles of every engine layer (`sim::timing`), as `report time` computes them.
pub fn timing(plan: &Plan) -> Vec<u64> {
    plan.layers
        .iter()
        .map(|l| {
            let (m, k, n) = l.geom.mkn();
            l.geom.groups() as u64
                * sim::timing::job_cycles(&plan.params, m, k, n, l.out_q.is_none())
        })
        .collect()
}

/// Per-layer JSON rows (`report time --json` field names).
pub fn layer_rows(plan: &Plan, cycles: &[u64]) -> Vec<Value> {
    plan.layers
        .iter()
        .zip(cycles)
        .map(|(l, &c)| {
            let (m, k, n) = l.geom.mkn();
            let g = l.geom.groups() as u64;
            json!({
                "name": l.name, "m": m, "k": k, "n": n, "groups": g,
                "mode": if l.out_q.is_some() { "codes" } else { "raw" },
                "cycles": c, "us": c as f64 / plan.clock_mhz,
                "utilization": sim::timing::utilization(&plan.params, m, k, n, c / g.max(1)),
            })
        })
        .collect()
}

/// Where every node ran, for JSON.
pub fn node_rows(plan: &Plan) -> Vec<Value> {
    plan.model
        .nodes
        .iter()
        .map(|n| json!({"name": n.name, "op": n.op.name(), "ran": plan.places[&n.name].label()}))
        .collect()
}

/// The engine, for JSON and reports.
pub fn engine_json(plan: &Plan) -> Value {
    let p = &plan.params;
    json!({
        "kind": if p.is_lut() { "lut" } else { "bitserial" },
        "array": format!("{}x{}x{}", p.dm, p.dn, p.dk),
        "w_bits": p.w_bits, "a_bits": p.a_bits, "out_bits": p.out_bits,
        "w_enc": format!("{:?}", p.w_enc), "a_enc": format!("{:?}", p.a_enc),
        "max_m": p.max_m, "max_k": p.max_k, "max_n": p.max_n,
        "prod_bits": p.prod_bits(), "acc_width": p.acc_width(),
        "clock_mhz": plan.clock_mhz,
    })
}

/// Markdown table of the engine layers.
pub fn layer_table(plan: &Plan, cycles: &[u64]) -> Result<String> {
    let mut s = String::new();
    writeln!(
        s,
        "| layer | M x K x N (groups) | output | cycles | us | utilization |\n|---|---|---|---|---|---|"
    )?;
    for (l, &c) in plan.layers.iter().zip(cycles) {
        let (m, k, n) = l.geom.mkn();
        let g = l.geom.groups() as u64;
        writeln!(
            s,
            "| {} | {m} x {k} x {n} ({g}) | {} | {c} | {:.2} | {:.1}% |",
            l.name,
            if l.out_q.is_some() { "codes" } else { "raw" },
            c as f64 / plan.clock_mhz,
            100.0 * sim::timing::utilization(&plan.params, m, k, n, c / g.max(1))
        )?;
    }
    let total: u64 = cycles.iter().sum();
    writeln!(
        s,
        "\nTotal: {total} cycles, {:.3} us at {} MHz per sample.",
        total as f64 / plan.clock_mhz,
        plan.clock_mhz
    )?;
    Ok(s)
}
