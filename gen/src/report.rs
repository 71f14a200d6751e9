//! The short design report `generate` writes and prints: shape, widths, memory, and the cycle
//! count of the layer from the cycle model (no stalls).

use std::fmt::Write;

use anyhow::{anyhow, Result};
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
    writeln!(s, "Layer: N2UQ W{}A{} 3x3 conv, {} -> {} channels, {}x{} output (seed {:#x}); GEMM M = {}, K = {}, N = {}.", l.w_bits, l.a_bits, l.channels, l.channels, l.hw, l.hw, l.seed, j.m, j.k, j.n)?;
    writeln!(
        s,
        "Engine: bit-serial, {} x {} DPUs of {} bits, limits M <= {}, K <= {}, N <= {}.\n",
        p.dm, p.dn, p.dk, p.max_m, p.max_k, p.max_n
    )?;
    writeln!(s, "| quantity | value | source |\n|---|---|---|")?;
    writeln!(
        s,
        "| accumulator | {} bits | exhaustive partial-sum bound x K |",
        p.acc_width()
    )?;
    writeln!(
        s,
        "| thresholds | {} per channel, {} bits | foundation bound |",
        p.thresholds(),
        p.thr_width()
    )?;
    writeln!(
        s,
        "| popcount latency | {} cycles | generator |",
        p.popcount().latency()
    )?;
    let wbits = p.dm as u64 * p.w_depth() as u64 * p.dk as u64;
    let abits = p.dn as u64 * p.a_depth() as u64 * p.dk as u64;
    let tbits = p.max_m as u64 * p.thr_word_width() as u64;
    writeln!(
        s,
        "| weight memory | {} x {} words x {} bits = {} KiB | parameters |",
        p.dm,
        p.w_depth(),
        p.dk,
        wbits / 8192
    )?;
    writeln!(
        s,
        "| activation memory | {} x {} words x {} bits = {} KiB | parameters |",
        p.dn,
        p.a_depth(),
        p.dk,
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
