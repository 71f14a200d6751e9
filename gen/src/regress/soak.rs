//! `qforge regress --soak [--beats N] [--seed S] [--json]`: one bit-serial and one LUT design
//! (from the seed), each as the cycle model and its Verilated RTL (`testbench::dynrtl`) in
//! lockstep, random jobs back to back on one instance (no reset between jobs) under random
//! stalls on every port, until each of the three streams has moved at least N beats. Every
//! output is compared every cycle, every output beat against the golden beat of its position
//! (none lost, duplicated or reordered), and every job must have accepted each of its input
//! beats exactly once by its last output beat (`sim::harness::lockstep_beats`).

use std::time::Instant;

use crate::console::outln;
use anyhow::{anyhow, bail, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::harness::{lockstep_beats, Stalls, StreamBeats};
use sim::random::Data;

/// One design's soak.
struct Soaked {
    kind: &'static str,
    params: String,
    jobs: u64,
    beats: StreamBeats,
    build_s: f64,
    run_s: f64,
}

fn soak_one(lut: bool, seed: u64, target: u64, work: &std::path::Path) -> Result<Soaked> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ if lut { 0x1u64 << 63 } else { 0 });
    let p = if lut {
        sim::random::lut_design(&mut rng)
    } else {
        sim::random::design(&mut rng)
    };
    let t = Instant::now();
    let mut rtl = testbench::dynrtl::DynRtl::build(&p, work)
        .map_err(|e| anyhow!("--soak: Verilator build of {p:?}: {e}"))?;
    let build_s = t.elapsed().as_secs_f64();
    let mut model = sim::engine::Engine::new(p);
    let mut total = StreamBeats::default();
    let mut jobs = 0u64;
    let t = Instant::now();
    while total.wt < target || total.act < target || total.out < target {
        // Large jobs move the most beats per reset-free handover; every size stays legal.
        let (m, k, n) = (
            rng.gen_range(1..=p.max_m),
            rng.gen_range(1..=p.max_k),
            rng.gen_range(1..=p.max_n),
        );
        let job = if rng.gen_bool(0.25) {
            sim::random::raw_job(&p, Data::Random, m, k, n, &mut rng)
        } else {
            sim::random::job(&p, Data::Random, m, k, n, &mut rng)
        };
        let stalls = Stalls::random(&mut rng);
        let b = lockstep_beats(&mut model, &mut rtl, &job, stalls, jobs == 0, 50_000_000)
            .map_err(|e| anyhow!("--soak: {p:?} job {jobs} {stalls:?}: {e}"))?;
        total.cycles += b.cycles;
        total.wt += b.wt;
        total.act += b.act;
        total.out += b.out;
        jobs += 1;
    }
    Ok(Soaked {
        kind: if lut { "lut" } else { "bitserial" },
        params: format!("{p:?}"),
        jobs,
        beats: total,
        build_s,
        run_s: t.elapsed().as_secs_f64(),
    })
}

/// `qforge regress --soak`.
pub fn soak(seed: u64, beats: u64, json: bool) -> Result<()> {
    if beats == 0 || beats > 1_000_000_000 {
        bail!("--beats: must be in 1..=1000000000, got {beats}");
    }
    let work = crate::output::temp_dir()?;
    let runs = [false, true]
        .into_iter()
        .map(|lut| soak_one(lut, seed, beats, work.path()))
        .collect::<Result<Vec<_>>>()?;
    if json {
        let v: Vec<_> = runs
            .iter()
            .map(|r| {
                serde_json::json!({
                    "kind": r.kind, "params": r.params, "jobs": r.jobs,
                    "cycles": r.beats.cycles, "wt_beats": r.beats.wt, "act_beats": r.beats.act,
                    "out_beats": r.beats.out, "lost_duplicated_reordered": 0,
                    "build_s": r.build_s, "run_s": r.run_s,
                    "cycles_per_s": r.beats.cycles as f64 / r.run_s.max(1e-9),
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"seed": seed, "target_beats": beats, "designs": v})
            )?
        );
    } else {
        outln!("# soak: model and Verilated RTL in lockstep, random stalls, seed {seed}, >= {beats} beats per stream\n");
        outln!("| kind | jobs | cycles | wt beats | act beats | out beats | build s | run s | cycles/s |");
        outln!("|---|---|---|---|---|---|---|---|---|");
        for r in &runs {
            outln!(
                "| {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.0} |",
                r.kind,
                r.jobs,
                r.beats.cycles,
                r.beats.wt,
                r.beats.act,
                r.beats.out,
                r.build_s,
                r.run_s,
                r.beats.cycles as f64 / r.run_s.max(1e-9)
            );
        }
        outln!("\nEvery output equal every cycle; every output beat the golden beat of its position (0 lost, duplicated or reordered); every input beat accepted exactly once per job.");
        for r in &runs {
            outln!("- {}: {}", r.kind, r.params);
        }
    }
    Ok(())
}
