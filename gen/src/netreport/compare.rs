//! `qforge report compare`: per configuration the largest engine fitting a LUT budget, its
//! network time and memory, as ratios to binary.

use std::fmt::Write as _;

use anyhow::{anyhow, bail, Result};
use serde_json::{json, Value};

use super::memory::memory;
use super::time::time;
use super::{engine_of, mib, policy, Common};
use crate::network::{Network, Op};
use crate::policy::{EngineKind, Policy};
use crate::resources::{self, Resources};

/// The largest square array (`Dm = Dn` up to the engine's range, 64; `p`'s Dk, bits and
/// engine) whose modelled LUTs (`crate::resources::model` of [`engine_of`]) fit `budget` of
/// the xcvu9p's, with its resources; `None` when even 1×1 does not fit. `report compare` and
/// `bench --resnet18`.
pub fn largest_square(net: &Network, p: &Policy, budget: f64) -> Option<(Policy, Resources)> {
    let cap = budget * resources::VU9P_LUTS as f64;
    let mut best = None;
    for d in 1..=crate::engine_limits::DM_DN.1 {
        let q = Policy {
            dm: d,
            dn: d,
            ..p.clone()
        };
        let r = resources::model(&engine_of(net, &q));
        if r.luts > cap {
            break;
        }
        best = Some((q, r));
    }
    best
}

/// One configuration of the comparison.
struct Config {
    name: &'static str,
    engine: EngineKind,
    bits: (u32, u32),
    prod_bits: u32,
    dk: u32,
}

pub fn compare_out(net: &Network, c: &Common, budget: f64) -> Result<String> {
    if !(budget > 0.0 && budget <= 1.0) {
        bail!("--budget: must be in (0, 1], got {budget}");
    }
    let base = policy(c)?;
    let configs = [
        Config {
            name: "binary 1/1",
            engine: EngineKind::BitSerial,
            bits: (1, 1),
            prod_bits: 0,
            dk: 256,
        },
        Config {
            name: "ternary / uniform 2/2",
            engine: EngineKind::BitSerial,
            bits: (2, 2),
            prod_bits: 0,
            dk: 256,
        },
        Config {
            name: "uniform 3/3",
            engine: EngineKind::BitSerial,
            bits: (3, 3),
            prod_bits: 0,
            dk: 256,
        },
        Config {
            name: "uniform 4/4",
            engine: EngineKind::BitSerial,
            bits: (4, 4),
            prod_bits: 0,
            dk: 256,
        },
        Config {
            name: "LCQ 2/2 (b'=8)",
            engine: EngineKind::Lut,
            bits: (2, 2),
            prod_bits: 15,
            dk: 32,
        },
        Config {
            name: "LCQ 4/4 (b'=8)",
            engine: EngineKind::Lut,
            bits: (4, 4),
            prod_bits: 15,
            dk: 32,
        },
        Config {
            name: "QN 3/2 {0,±1,±2,±4}",
            engine: EngineKind::Lut,
            bits: (3, 2),
            prod_bits: 4,
            dk: 32,
        },
    ];
    let mut rows = Vec::new();
    for cfg in &configs {
        let p = Policy {
            w_bits: cfg.bits.0,
            a_bits: cfg.bits.1,
            engine: cfg.engine,
            dk: cfg.dk,
            prod_bits: cfg.prod_bits,
            ..base.clone()
        };
        let (p, r) = largest_square(net, &p, budget)
            .ok_or_else(|| anyhow!("{}: even a 1x1 array exceeds the budget", cfg.name))?;
        let cycles: u64 = time(net, &p).iter().map(|t| t.cycles).sum();
        let mem: u64 = memory(net, &p).iter().map(|m| m.total()).sum();
        rows.push((cfg.name, p, r, cycles, mem));
    }
    // Baselines from a DSP cost model (documented in docs/reports.md): 8-bit, 2 MACs per
    // DSP48E2 per cycle (INT8 packing), and float32, 1 MAC per 3 DSPs per cycle; all 6,840
    // DSPs at the clock, ideal utilization.
    let macs: f64 = net
        .compute_layers()
        .iter()
        .map(|&i| {
            let g = net.layers[i].gemm().unwrap();
            g.m as f64 * g.k as f64 * g.n as f64 * g.groups as f64
        })
        .sum();
    let params: u64 = net
        .compute_layers()
        .iter()
        .map(|&i| net.layers[i].weights() + net.layers[i].biases())
        .sum();
    let bn: u64 = net
        .layers
        .iter()
        .map(|l| {
            if let Op::BatchNorm { channels } = l.op {
                8 * channels as u64
            } else {
                0
            }
        })
        .sum();
    let dsp = resources::VU9P_DSPS as f64;
    let int8_cycles = (macs / (2.0 * dsp)).ceil() as u64;
    let fp32_cycles = (macs / (dsp / 3.0)).ceil() as u64;
    let (bin_cycles, bin_mem) = (rows[0].3 as f64, rows[0].4 as f64);
    if rows[0].3 == 0 {
        bail!(
            "--network {}: no layer runs on the engine (only first/last layers, at 32 bits)",
            net.name
        );
    }
    if let Some(dir) = &c.svg {
        let mut bars: Vec<(String, f64)> = rows
            .iter()
            .map(|r| (r.0.to_string(), r.3 as f64 / bin_cycles))
            .collect();
        bars.push(("int8 (DSP model)".into(), int8_cycles as f64 / bin_cycles));
        bars.push((
            "float32 (DSP model)".into(),
            fp32_cycles as f64 / bin_cycles,
        ));
        crate::svg::write(
            dir,
            "compare.svg",
            &format!("{}: time relative to binary", net.name),
            &bars,
        )?;
    }
    let mut s = String::new();
    if c.json {
        let v: Vec<Value> = rows.iter().map(|(n, p, r, cy, mem)| json!({"config": n, "array": format!("{}x{}x{}", p.dm, p.dn, p.dk),
            "luts": r.luts, "cycles": cy, "ms": *cy as f64 / (p.clock_mhz * 1e3), "memory_bytes": mem,
            "time_vs_binary": *cy as f64 / bin_cycles, "space_vs_binary": *mem as f64 / bin_mem})).collect();
        return Ok(serde_json::to_string_pretty(
            &json!({"network": net.name, "budget": budget, "configs": v,
            "int8_dsp_model": {"cycles": int8_cycles, "memory_bytes": params, "time_vs_binary": int8_cycles as f64 / bin_cycles},
            "float32_dsp_model": {"cycles": fp32_cycles, "memory_bytes": 4 * params + bn, "time_vs_binary": fp32_cycles as f64 / bin_cycles}}),
        )? + "\n");
    }
    if c.csv {
        writeln!(
            s,
            "config,array,luts_model,cycles,memory_bytes,time_vs_binary,space_vs_binary"
        )?;
        for (n, p, r, cy, mem) in &rows {
            writeln!(
                s,
                "{n},{}x{}x{},{:.0},{cy},{mem},{:.4},{:.4}",
                p.dm,
                p.dn,
                p.dk,
                r.luts,
                *cy as f64 / bin_cycles,
                *mem as f64 / bin_mem
            )?;
        }
        writeln!(
            s,
            "int8 (DSP model),-,-,{int8_cycles},{},{:.4},{:.4}",
            params + bn,
            int8_cycles as f64 / bin_cycles,
            (params + bn) as f64 / bin_mem
        )?;
        writeln!(
            s,
            "float32 (DSP model),-,-,{fp32_cycles},{},{:.4},{:.4}",
            4 * params + bn,
            fp32_cycles as f64 / bin_cycles,
            (4 * params + bn) as f64 / bin_mem
        )?;
        return Ok(s);
    }
    writeln!(s, "# {}: largest engine per configuration within {:.0}% of the xcvu9p's LUTs (model), {} MHz\n", net.name, budget * 100.0, base.clock_mhz)?;
    writeln!(s, "| configuration | engine | array | LUTs (model) | cycles | ms | memory MiB | time / binary | space / binary |\n|---|---|---|---|---|---|---|---|---|")?;
    for (n, p, r, cy, mem) in &rows {
        writeln!(
            s,
            "| {n} | {} | {}x{}x{} | {:.0} | {cy} | {:.3} | {:.2} | {:.2} | {:.2} |",
            if p.engine == EngineKind::Lut {
                "lut"
            } else {
                "bitserial"
            },
            p.dm,
            p.dn,
            p.dk,
            r.luts,
            *cy as f64 / (p.clock_mhz * 1e3),
            mib(*mem),
            *cy as f64 / bin_cycles,
            *mem as f64 / bin_mem
        )?;
    }
    writeln!(s, "| int8 (DSP model) | 6,840 DSP48E2, 2 MAC/DSP/cycle | - | - | {int8_cycles} | {:.3} | {:.2} | {:.2} | {:.2} |",
        int8_cycles as f64 / (base.clock_mhz * 1e3), mib(params + bn), int8_cycles as f64 / bin_cycles, (params + bn) as f64 / bin_mem)?;
    writeln!(s, "| float32 (DSP model) | 6,840 DSP48E2, 1 MAC/3 DSP/cycle | - | - | {fp32_cycles} | {:.3} | {:.2} | {:.2} | {:.2} |",
        fp32_cycles as f64 / (base.clock_mhz * 1e3), mib(4 * params + bn), fp32_cycles as f64 / bin_cycles, (4 * params + bn) as f64 / bin_mem)?;
    writeln!(s, "\nQuantization Networks Table 7 (their ratios to binary): ternary 1.4x time / 2x space; full precision 45x / 32x.")?;
    writeln!(s, "Time: cycle model schedule (`sim::timing`), first/last layers at {} bits on a bit-serial engine of the same array. Space: `report memory`.", base.first_last_bits)?;
    let bs = &rows[0];
    let tops = 2.0 * (bs.1.dm * bs.1.dn * bs.1.dk) as f64 * base.clock_mhz * 1e6 / 1e12;
    writeln!(s, "Projected peak binary throughput of the largest binary engine ({}x{}x{}): {:.0} TOPS (2 ops per bit-lane per cycle).", bs.1.dm, bs.1.dn, bs.1.dk, tops)?;
    Ok(s)
}
