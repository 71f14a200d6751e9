//! The cycle model against the golden integer reference: random designs, edge-case and random
//! jobs, with and without stalls on every port; outputs must match beat for beat and the
//! protocol checks must stay silent. Raw-mode jobs (accumulators out, the level corners at
//! the largest K) likewise. A mid-job reset recovers and the next job is exact.

use hdl::params::EngineParams;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::harness::{run_job, Stalls};
use sim::random::{design, jobs, lut_design, raw_jobs};

#[test]
fn model_matches_golden_on_random_designs() {
    against_golden(design, 150, 7);
}

#[test]
fn lut_model_matches_golden_on_random_designs() {
    against_golden(lut_design, 120, 8);
}

#[test]
fn raw_model_matches_golden_on_random_designs() {
    against_golden_raw(design, 150, 17);
}

#[test]
fn lut_raw_model_matches_golden_on_random_designs() {
    against_golden_raw(lut_design, 120, 18);
}

fn against_golden_raw(gen: fn(&mut ChaCha8Rng) -> EngineParams, designs: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut checked = 0;
    for d in 0..designs {
        let p = gen(&mut rng);
        let (lo, hi) = (p.acc_bound().lo as i64, p.acc_bound().hi as i64);
        let mut extremes = (false, false);
        for (j, job) in raw_jobs(&p, 2, &mut rng).into_iter().enumerate() {
            job.validate(&p).unwrap();
            let stalls = if j % 2 == 0 {
                Stalls::NONE
            } else {
                Stalls::random(&mut rng)
            };
            let want = job.expected(&p);
            let (got, e) = run_job(&p, &job, stalls, None, 10_000_000)
                .unwrap_or_else(|err| panic!("design {d} job {j} {p:?}: {err}"));
            assert_eq!(got.beats, want, "raw design {d} job {j} {p:?}");
            assert!(e.protocol_errors.is_empty(), "{:?}", e.protocol_errors);
            for (words, _) in &got.beats {
                for v in p.out_fields(words, true) {
                    extremes.0 |= v == lo;
                    extremes.1 |= v == hi;
                }
            }
            // Decoded beats are the exact GEMM.
            let acc = job.accumulators(&p);
            let first = p.out_fields(&got.beats[0].0, true);
            for (c, &v) in first.iter().enumerate() {
                let want = if (c as u32) < job.n.min(p.dn) {
                    acc[c]
                } else {
                    0
                };
                assert_eq!(v, want, "design {d} job {j} column {c}");
            }
            checked += 1;
        }
        // Bit-serial corners hit the exact bound; LUT corners reach ±K·(largest product),
        // the bound only when the largest product is the table's top value.
        if !p.is_lut() {
            assert!(extremes.0 && extremes.1, "design {d} {p:?}: {extremes:?}");
        }
    }
    assert_eq!(checked, designs * 7);
}

fn against_golden(gen: fn(&mut ChaCha8Rng) -> EngineParams, designs: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut checked = 0;
    for d in 0..designs {
        let p = gen(&mut rng);
        for (j, job) in jobs(&p, 3, &mut rng).into_iter().enumerate() {
            job.validate(&p).unwrap();
            let stalls = if j % 2 == 0 {
                Stalls::NONE
            } else {
                Stalls::random(&mut rng)
            };
            let want = job.expected(&p);
            let (got, e) = run_job(&p, &job, stalls, None, 10_000_000)
                .unwrap_or_else(|err| panic!("design {d} job {j} {p:?}: {err}"));
            assert_eq!(
                got.beats, want,
                "design {d} job {j} {p:?} m={} k={} n={}",
                job.m, job.k, job.n
            );
            assert!(e.protocol_errors.is_empty(), "{:?}", e.protocol_errors);
            checked += 1;
        }
    }
    assert_eq!(checked, designs * 7);
}

#[test]
fn reset_mid_job_recovers() {
    reset_recovers(design, 11);
}

#[test]
fn lut_reset_mid_job_recovers() {
    reset_recovers(lut_design, 12);
}

fn reset_recovers(gen: fn(&mut ChaCha8Rng) -> EngineParams, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in 0..80 {
        let p = gen(&mut rng);
        // Code-mode and raw-mode jobs in turn.
        let job = &if i % 2 == 0 {
            jobs(&p, 1, &mut rng)
        } else {
            raw_jobs(&p, 1, &mut rng)
        }[if i % 2 == 0 { 4 } else { 5 }];
        let want = job.expected(&p);
        let stalls = Stalls {
            wt_pct: 70,
            act_pct: 60,
            out_pct: 50,
            seed: 99,
        };
        let (full, _) = run_job(&p, job, stalls, None, 10_000_000).unwrap();
        let at = rng.gen_range(1..full.cycles);
        let (again, _) = run_job(&p, job, stalls, Some(at), 10_000_000).unwrap();
        assert_eq!(again.beats, want, "reset at cycle {at} of {}", full.cycles);
    }
}

#[test]
fn raw_mode_checks_tlast_on_the_last_weight_word() {
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    for gen in [design as fn(&mut ChaCha8Rng) -> EngineParams, lut_design] {
        for _ in 0..20 {
            let p = gen(&mut rng);
            let job = &raw_jobs(&p, 1, &mut rng)[5];
            let (mut wt, act, want) = job.streams(&p);
            assert!(wt.last().unwrap().last);
            assert_eq!(wt.iter().filter(|b| b.last).count(), 1);
            // The stream is exactly header, table, weights: no thresholds.
            let table = if p.is_lut() { p.table_entries() } else { 0 } as usize;
            let words = (job.m * job.kc(&p) * p.w_planes()) as usize;
            assert_eq!(wt.len(), 1 + table + words);
            // tlast moved off the last weight word: the protocol check fires.
            let n = wt.len();
            wt[n - 1].last = false;
            if n > 2 {
                wt[n - 2].last = true;
            }
            let mut e = sim::engine::Engine::new(p);
            let _ = sim::harness::run(&mut e, &wt, &act, want.len(), Stalls::NONE, None, 1_000_000);
            assert!(
                e.protocol_errors.iter().any(|m| m.contains("weight beat")),
                "{p:?}: {:?}",
                e.protocol_errors
            );
        }
    }
}
