//! `qforge report time`: cycles and latency per compute layer and for the network, and the
//! renderer.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{json, Value};

use super::Common;
use crate::network::Network;
use crate::policy::Policy;

/// One row of the time report.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeRow {
    /// Layer name.
    pub name: String,
    /// GEMM M, K, N per group and the number of groups.
    pub gemm: (u32, u32, u32, u32),
    /// `bitserial`, `lut` or `float (host)`.
    pub on: &'static str,
    /// W/A bits it runs at.
    pub bits: (u32, u32),
    /// Cycles (0 when not on the engine).
    pub cycles: u64,
    /// Array utilization: the layer's MACs over the array's peak MACs per cycle times its
    /// cycles (`sim::timing::utilization`; 0 when not on the engine).
    pub utilization: f64,
    /// Whether the layer returns raw accumulators (the last layer, convs feeding a residual
    /// `add`), as `qforge run --network` runs it, rather than thresholded codes.
    pub raw: bool,
}

/// The time report's rows.
pub fn time(net: &Network, p: &Policy) -> Vec<TimeRow> {
    let mut rows = Vec::new();
    let raw_of = crate::synthnet::raw_layers(net);
    let ends = net.compute_ends();
    for i in net.compute_layers() {
        let raw = raw_of[i];
        let l = &net.layers[i];
        let g = l.gemm().expect("compute layer");
        let role = Policy::role_in(ends, i);
        let (on, bits, cycles, utilization) = match p.engine_for(&g, role) {
            None => ("float (host)", (32, 32), 0, 0.0),
            Some(e) => {
                let job = sim::timing::job_cycles(&e, g.m, g.k, g.n, raw);
                (
                    if e.is_lut() { "lut" } else { "bitserial" },
                    (e.w_bits, e.a_bits),
                    g.groups as u64 * job,
                    sim::timing::utilization(&e, g.m, g.k, g.n, job),
                )
            }
        };
        rows.push(TimeRow {
            name: l.name.clone(),
            gemm: (g.m, g.k, g.n, g.groups),
            on,
            bits,
            cycles,
            utilization,
            raw,
        });
    }
    rows
}
pub(super) fn time_out(net: &Network, p: &Policy, c: &Common) -> Result<String> {
    let rows = time(net, p);
    let cycles: u64 = rows.iter().map(|r| r.cycles).sum();
    let ms = cycles as f64 / (p.clock_mhz * 1e3);
    if let Some(dir) = &c.svg {
        let bars: Vec<(String, f64)> = rows
            .iter()
            .map(|r| (r.name.clone(), r.cycles as f64))
            .collect();
        crate::svg::write(
            dir,
            "time.svg",
            &format!("{}: cycles per layer", net.name),
            &bars,
        )?;
    }
    if c.json {
        let layers: Vec<Value> = rows
            .iter()
            .map(|r| json!({"name": r.name, "m": r.gemm.0, "k": r.gemm.1, "n": r.gemm.2, "groups": r.gemm.3,
                            "on": r.on, "w_bits": r.bits.0, "a_bits": r.bits.1, "cycles": r.cycles,
                            "utilization": r.utilization, "mode": if r.raw { "raw" } else { "codes" },
                            "us": r.cycles as f64 / p.clock_mhz}))
            .collect();
        return Ok(serde_json::to_string_pretty(&json!({
            "network": net.name, "array": p.array_name(), "engine": p.engine_name(), "clock_mhz": p.clock_mhz,
            "cycles": cycles, "ms": ms, "fps": 1e3 / ms, "layers": layers,
        }))? + "\n");
    }
    if c.csv {
        let mut s = String::from("layer,m,k,n,groups,on,w_bits,a_bits,cycles,utilization\n");
        for r in &rows {
            writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{:.4}",
                r.name,
                r.gemm.0,
                r.gemm.1,
                r.gemm.2,
                r.gemm.3,
                r.on,
                r.bits.0,
                r.bits.1,
                r.cycles,
                r.utilization
            )?;
        }
        return Ok(s);
    }
    let mut s = String::new();
    writeln!(
        s,
        "# {}: time on a {} {} engine at {} MHz (W{}/A{}, first/last {} bits)\n",
        net.name,
        p.array_name(),
        p.engine_name(),
        p.clock_mhz,
        p.w_bits,
        p.a_bits,
        p.first_last_bits
    )?;
    writeln!(
        s,
        "| layer | M x K x N (groups) | on | bits | cycles | us | array busy |\n|---|---|---|---|---|---|---|"
    )?;
    for r in &rows {
        writeln!(
            s,
            "| {} | {} x {} x {} ({}) | {} | {}/{} | {} | {:.1} | {} |",
            r.name,
            r.gemm.0,
            r.gemm.1,
            r.gemm.2,
            r.gemm.3,
            r.on,
            r.bits.0,
            r.bits.1,
            r.cycles,
            r.cycles as f64 / p.clock_mhz,
            if r.cycles == 0 {
                "-".to_string()
            } else {
                format!("{:.1}%", 100.0 * r.utilization)
            }
        )?;
    }
    writeln!(
        s,
        "\nTotal: {cycles} cycles, {ms:.3} ms, {:.1} frames/s (batch 1, layers back to back).",
        1e3 / ms
    )?;
    writeln!(s, "Cycles: the cycle model's schedule in closed form (`sim::timing`), equal to full simulation (tested); no stalls. A tile's emission overlaps the next tiles' compute, and the activations load into two buffers beside the weights and the compute; a layer's weights and thresholds are loaded before its compute (not overlapped). Array busy: the layer's MACs over the array's peak (Dm·Dn·Dk / (weight planes · activation planes) per cycle) times its cycles.")?;
    Ok(s)
}
