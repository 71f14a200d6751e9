//! `qforge report memory`: bytes of weights, biases, BatchNorm and LUT product tables per
//! layer, and the renderer.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{json, Value};

use super::{mib, Common};
use crate::network::{Network, Op};
use crate::policy::{EngineKind, Policy, Role};

/// One row of the memory report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemRow {
    /// Layer name.
    pub name: String,
    /// Quantized or first/last weight bytes (incl. their bias at that precision).
    pub weight_bytes: u64,
    /// 32-bit bias of quantized layers.
    pub bias_bytes: u64,
    /// BatchNorm bytes.
    pub batchnorm_bytes: u64,
    /// Product-table bytes (LUT engine).
    pub lut_bytes: u64,
}

impl MemRow {
    /// All bytes.
    pub fn total(&self) -> u64 {
        self.weight_bytes + self.bias_bytes + self.batchnorm_bytes + self.lut_bytes
    }
}

/// Product-table bytes of one quantized layer on the LUT engine.
pub fn table_bytes(p: &Policy) -> u64 {
    let entries = hdl::params::lut_table_entries(p.w_bits, p.a_bits) as u64;
    entries * p.prod_bits.div_ceil(8) as u64
}

/// The memory report's rows (layers that hold parameters).
pub fn memory(net: &Network, p: &Policy) -> Vec<MemRow> {
    let mut rows = Vec::new();
    let ends = net.compute_ends();
    for (i, l) in net.layers.iter().enumerate() {
        let mut r = MemRow {
            name: l.name.clone(),
            ..Default::default()
        };
        match &l.op {
            Op::BatchNorm { channels } => r.batchnorm_bytes = 2 * 4 * *channels as u64,
            Op::Conv(_) | Op::Fc { .. } => match Policy::role_in(ends, i) {
                Role::First | Role::Last => {
                    r.weight_bytes =
                        ((l.weights() + l.biases()) * p.first_last_bits as u64).div_ceil(8)
                }
                Role::Quantized => {
                    r.weight_bytes = (l.weights() * p.w_bits as u64).div_ceil(8);
                    r.bias_bytes = 4 * l.biases();
                    if p.engine == EngineKind::Lut {
                        r.lut_bytes = table_bytes(p);
                    }
                }
            },
            Op::Other(_) => continue,
        }
        rows.push(r);
    }
    rows
}
pub(super) fn memory_out(net: &Network, p: &Policy, c: &Common) -> Result<String> {
    let rows = memory(net, p);
    let sum = |f: fn(&MemRow) -> u64| rows.iter().map(f).sum::<u64>();
    let (w, b, bn, lut) = (
        sum(|r| r.weight_bytes),
        sum(|r| r.bias_bytes),
        sum(|r| r.batchnorm_bytes),
        sum(|r| r.lut_bytes),
    );
    let total = w + b + bn + lut;
    if let Some(dir) = &c.svg {
        let bars: Vec<(String, f64)> = vec![
            ("weights".into(), mib(w)),
            ("bias".into(), mib(b)),
            ("batchnorm".into(), mib(bn)),
            ("product tables".into(), mib(lut)),
        ];
        crate::svg::write(
            dir,
            "memory.svg",
            &format!("{}: model memory (MiB)", net.name),
            &bars,
        )?;
    }
    if c.json {
        let layers: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({"name": r.name, "total_bytes": r.total(), "total_bytes_without_lut": r.total() - r.lut_bytes,
                       "lut_bytes": r.lut_bytes, "weight_bytes": r.weight_bytes + r.bias_bytes, "batchnorm_bytes": r.batchnorm_bytes})
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&json!({
            "network": net.name, "bits": format!("{}/{}", p.w_bits, p.a_bits), "engine": p.engine_name(), "first_last_bits": p.first_last_bits,
            "total_bytes": total, "total_bytes_without_lut": total - lut, "lut_bytes": lut,
            "weight_bytes": w + b, "batchnorm_bytes": bn, "layers": layers,
        }))? + "\n");
    }
    if c.csv {
        let mut s =
            String::from("layer,weight_bytes,bias_bytes,batchnorm_bytes,lut_bytes,total_bytes\n");
        for r in &rows {
            writeln!(
                s,
                "{},{},{},{},{},{}",
                r.name,
                r.weight_bytes,
                r.bias_bytes,
                r.batchnorm_bytes,
                r.lut_bytes,
                r.total()
            )?;
        }
        writeln!(s, "total,{w},{b},{bn},{lut},{total}")?;
        return Ok(s);
    }
    let mut s = String::new();
    writeln!(
        s,
        "# {}: model memory, W{}/A{} on {}, first/last at {} bits\n",
        net.name,
        p.w_bits,
        p.a_bits,
        p.engine_name(),
        p.first_last_bits
    )?;
    writeln!(s, "| part | bytes | MiB |\n|---|---|---|")?;
    for (n, v) in [
        ("quantized + first/last weights", w),
        ("32-bit bias of quantized layers", b),
        ("BatchNorm (2 x fp32 per channel)", bn),
        ("product tables", lut),
    ] {
        writeln!(s, "| {n} | {v} | {:.3} |", mib(v))?;
    }
    writeln!(s, "| **total** | {total} | {:.3} |", mib(total))?;
    writeln!(
        s,
        "| total without tables | {} | {:.3} |",
        total - lut,
        mib(total - lut)
    )?;
    writeln!(
        s,
        "\nExact (counted from the layer shapes; no model). Per layer: `--json` or `--csv`."
    )?;
    Ok(s)
}
