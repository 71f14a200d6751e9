//! The short design report `generate` writes and prints: shape, widths, memory, and the cycle
//! count of the layer from the cycle model (no stalls).

use std::fmt::Write;

use anyhow::{anyhow, Result};
use hdl::params::{ActEnc, WeightEnc};
use sim::harness::{run_job, RunResult, Stalls};

use crate::design::Design;

/// Run the design's job on the cycle model without stalls; fails if any beat differs from
/// the golden reference.
pub fn model_run(d: &Design) -> Result<RunResult> {
    let p = &d.params;
    let want = d.job.expected(p);
    let (r, _) = run_job(p, &d.job, Stalls::NONE, None, u64::MAX)
        .map_err(|e| anyhow!("cycle model: {e}"))?;
    if r.beats != want {
        return Err(anyhow!("cycle model disagrees with the golden reference"));
    }
    Ok(r)
}

fn w_enc_name(e: WeightEnc) -> &'static str {
    match e {
        WeightEnc::Unsigned => "unsigned",
        WeightEnc::Signed => "two's-complement",
        WeightEnc::Offset => "offset (2c - L)",
        WeightEnc::SignMag => "sign-magnitude",
    }
}

fn a_enc_name(e: ActEnc) -> &'static str {
    match e {
        ActEnc::Unsigned => "unsigned",
        ActEnc::Signed => "two's-complement",
    }
}

/// The report text.
pub fn markdown(d: &Design) -> Result<String> {
    let p = &d.params;
    let (j, e, l) = (&d.job, &d.cfg.engine, &d.cfg.layer);
    let r = model_run(d)?;
    let mut s = String::new();
    let mhz = e.clock_mhz;
    let us = r.cycles as f64 / mhz;
    let ops = 2.0 * j.m as f64 * j.k as f64 * j.n as f64;
    writeln!(s, "# qforge design report\n")?;
    let quant = match l.method.as_str() {
        "qn" => format!(
            "QN weights {:?}, activations {:?}",
            l.w_levels.clone().unwrap_or_default(),
            l.a_levels.clone().unwrap_or_else(|| vec![0, 1, 2, 3])
        ),
        "lcq" => format!(
            "LCQ W{}A{} (outer {} bits{})",
            l.weight_bits(),
            l.a_bits,
            l.outer_bits,
            if l.lwn { ", LWN" } else { "" }
        ),
        "uniform" => format!(
            "uniform W{}A{} ({} weights, unsigned activations)",
            l.weight_bits(),
            l.a_bits,
            if l.signed_weights.unwrap_or(true) {
                "two's-complement"
            } else {
                "unsigned"
            }
        ),
        "binary" => format!("binary (±1) W1A{}", l.a_bits),
        "ternary" => format!("ternary {{-1, 0, 1}} W2A{}", l.a_bits),
        _ => format!("N2UQ W{}A{}", l.weight_bits(), l.a_bits),
    };
    writeln!(s, "Layer: {quant} 3x3 conv, {} -> {} channels, {}x{} output (seed {:#x}); GEMM M = {}, K = {}, N = {}.", l.channels, l.channels, l.hw, l.hw, l.seed, j.m, j.k, j.n)?;
    if p.is_lut() {
        writeln!(
            s,
            "Engine: LUT-multiplier, {} x {} PEs of {} lanes, W{} sign-magnitude x A{} codes, {}-bit products, limits M <= {}, K <= {}, N <= {}.\n",
            p.dm, p.dn, p.dk, p.w_bits, p.a_bits, p.prod_bits(), p.max_m, p.max_k, p.max_n
        )?;
    } else {
        writeln!(
            s,
            "Engine: bit-serial, {} x {} DPUs of {} bits, W{} {} x A{} {} codes, limits M <= {}, K <= {}, N <= {}.\n",
            p.dm, p.dn, p.dk, p.w_bits, w_enc_name(p.w_enc), p.a_bits, a_enc_name(p.a_enc), p.max_m, p.max_k, p.max_n
        )?;
    }
    writeln!(s, "| quantity | value | source |\n|---|---|---|")?;
    writeln!(
        s,
        "| accumulator | {} bits | {} |",
        p.acc_width(),
        if p.is_lut() {
            "largest product x K"
        } else {
            "exhaustive partial-sum bound x K"
        }
    )?;
    writeln!(
        s,
        "| thresholds | {} per channel, {} bits | foundation bound |",
        p.thresholds(),
        p.thr_width()
    )?;
    writeln!(
        s,
        "| popcount | `{}` (target {}), {} cycles | generator |",
        p.popcount_module(),
        p.target.name(),
        p.popcount().latency()
    )?;
    writeln!(s, "| PE latency | {} cycles | generator |", p.dpu_latency())?;
    if p.is_lut() {
        let lanes = (p.dm * p.dn * p.dk) as u64;
        writeln!(
            s,
            "| product table | {} products x {} bits per layer; one LUT-RAM copy of {} words per lane, {} lanes | parameters |",
            p.table_entries(),
            p.prod_bits(),
            p.table_depth(),
            lanes
        )?;
    }
    let wbits = p.dm as u64 * p.w_depth() as u64 * p.w_word() as u64;
    let abits = p.dn as u64 * p.a_depth() as u64 * p.a_word() as u64;
    let tbits = p.max_m as u64 * p.thr_word_width() as u64;
    writeln!(
        s,
        "| weight memory | {} x {} words x {} bits = {} KiB | parameters |",
        p.dm,
        p.w_depth(),
        p.w_word(),
        wbits / 8192
    )?;
    writeln!(
        s,
        "| activation memory | {} x {} words x {} bits = {} KiB | parameters |",
        p.dn,
        p.a_depth(),
        p.a_word(),
        abits / 8192
    )?;
    writeln!(
        s,
        "| threshold memory | {} words x {} bits = {} KiB | parameters |",
        p.max_m,
        p.thr_word_width(),
        tbits / 8192
    )?;
    writeln!(
        s,
        "| cycles (layer, no stalls) | {} | cycle model, checked against golden |",
        r.cycles
    )?;
    writeln!(
        s,
        "| latency at {mhz} MHz | {:.1} us | cycles / clock |",
        us
    )?;
    writeln!(
        s,
        "| throughput | {:.1} GOPS ({:.0} ops per cycle) | 2·M·K·N / latency |",
        ops / us / 1e3,
        ops / r.cycles as f64
    )?;
    Ok(s)
}
