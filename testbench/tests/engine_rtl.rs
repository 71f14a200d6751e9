//! golden = cycle model = RTL: random engine designs (array shape, Dk, bits 1..4 each side,
//! every encoding, limits that are not multiples of the array), each built once under
//! Verilator and run on edge-case jobs first (all-zero, all-max codes, K = 1, one output),
//! then random jobs with random stalls on every port, and a mid-job reset; then raw-mode jobs
//! (accumulators out: the four level corners at the largest M, K, N, so both accumulator
//! extremes, K = 1, random sizes with random stalls, and a mid-job reset). The testbench
//! checks every output beat (the whole `m_axis_out_tdata`) against the golden reference; the
//! test checks the cycle counts equal the model's. `QFORGE_RTL_DESIGNS=N` runs more designs (default 20 bit-serial, and
//! `QFORGE_RTL_LUT_DESIGNS=N`, default 20, for the LUT-multiplier engine).
//!
//! The same on `Target::Xcup` designs (every popcount the LUT6_2 + CARRY8 compressor,
//! simulated with Yosys's `xilinx/cells_sim.v`; the encodings in turn, so offset weights
//! and their activation count are covered): `QFORGE_RTL_XCUP_DESIGNS=N` (default 6) under
//! Verilator, 3 small ones under Icarus, and LUT engines (their negative-lane counts).

use hdl::params::{Target, WeightEnc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::harness::{run_job, Stalls};
use sim::random::{design, jobs, lut_design, raw_jobs};
use testbench::bench::{Bench, Simulator, MAX_CYCLES};

fn designs(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn cross_check(sim: Simulator, count: usize, seed: u64, lut: bool, target: Target) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut runs = 0;
    for d in 0..count {
        let p = if lut {
            lut_design(&mut rng)
        } else {
            // Every weight encoding in turn, so each simulator sees all of them.
            let mut p = design(&mut rng);
            p.w_enc = [WeightEnc::Unsigned, WeightEnc::Signed, WeightEnc::Offset][d % 3];
            if p.w_enc == WeightEnc::Signed {
                p.w_bits = p.w_bits.max(2);
            }
            p
        };
        let p = hdl::params::EngineParams { target, ..p };
        let dir = tempfile::tempdir().unwrap();
        let bench =
            Bench::build(&p, dir.path(), sim).unwrap_or_else(|e| panic!("design {d} {p:?}: {e}"));
        let code = jobs(&p, 2, &mut rng);
        let raw = raw_jobs(&p, 2, &mut rng);
        assert_eq!((code.len(), raw.len()), (6, 7));
        for (j, job) in code.into_iter().chain(raw).enumerate() {
            // Code jobs 0..4 and raw jobs 6..8 without stalls, the rest with random stalls.
            let stalls = if j < 4 || (6..8).contains(&j) {
                Stalls::NONE
            } else {
                Stalls::random(&mut rng)
            };
            let want = job.expected(&p);
            let (model, _) = run_job(&p, &job, stalls, None, MAX_CYCLES).unwrap();
            assert_eq!(model.beats, want, "model vs golden, design {d} job {j}");
            let rtl = bench.run_job(&job, stalls, None).unwrap_or_else(|err| {
                panic!(
                    "design {d} {p:?} job {j} (m={} k={} n={}) {stalls:?}: {err}",
                    job.m, job.k, job.n
                )
            });
            assert_eq!(
                rtl, model.cycles,
                "cycle count, design {d} {p:?} job {j} {stalls:?}"
            );
            runs += 1;
            if j == 5 || j == 12 {
                // A reset in the middle of the job, then the whole job again: still exact.
                let at = rng.gen_range(1..model.cycles);
                let (again, _) = run_job(&p, &job, stalls, Some(at), MAX_CYCLES).unwrap();
                let rtl = bench
                    .run_job(&job, stalls, Some(at))
                    .unwrap_or_else(|err| panic!("design {d} reset at {at}: {err}"));
                assert_eq!(
                    rtl, again.cycles,
                    "cycle count after a reset at {at}, design {d}"
                );
                runs += 1;
            }
        }
    }
    assert_eq!(runs, count * 15);
}

#[test]
fn verilator_matches_model_and_golden() {
    cross_check(
        Simulator::Verilator,
        designs("QFORGE_RTL_DESIGNS", 20),
        2026,
        false,
        Target::Generic,
    );
}

#[test]
fn icarus_matches_model_and_golden() {
    cross_check(Simulator::Icarus, 4, 77, false, Target::Generic);
}

#[test]
fn lut_verilator_matches_model_and_golden() {
    cross_check(
        Simulator::Verilator,
        designs("QFORGE_RTL_LUT_DESIGNS", 20),
        2027,
        true,
        Target::Generic,
    );
}

#[test]
fn lut_icarus_matches_model_and_golden() {
    cross_check(Simulator::Icarus, 4, 78, true, Target::Generic);
}

#[test]
fn xcup_verilator_matches_model_and_golden() {
    cross_check(
        Simulator::Verilator,
        designs("QFORGE_RTL_XCUP_DESIGNS", 6),
        2028,
        false,
        Target::Xcup,
    );
}

#[test]
fn xcup_icarus_matches_model_and_golden() {
    cross_check(Simulator::Icarus, 3, 79, false, Target::Xcup);
}

#[test]
fn xcup_lut_verilator_matches_model_and_golden() {
    cross_check(Simulator::Verilator, 2, 2029, true, Target::Xcup);
}
