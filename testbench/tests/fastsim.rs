//! The fastest Verilator configuration (`testbench::fastsim`: `--cc -O3 --x-assign fast`, a
//! minimal C++ driver) agrees with the cycle model: on random designs of both kinds (odd
//! array sizes and stream widths below, at and above 32 and 64 bits) and their edge-case and
//! raw-mode jobs without stalls, every output beat matches the golden beats (checked by the
//! driver) and the cycle count equals the model's, on `Xcup` designs too (the vendor cell
//! models added); a wrong expected beat is caught.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::harness::{run_job, Stalls};
use sim::random::{design, jobs, lut_design, raw_jobs};
use testbench::bench::MAX_CYCLES;
use testbench::fastsim::FastSim;

#[test]
fn the_fast_driver_matches_the_model_on_random_designs_of_both_kinds() {
    check_random(0xfa57, 4, hdl::params::Target::Generic);
}

#[test]
fn the_fast_driver_matches_the_model_on_xcup_designs() {
    check_random(0xfa58, 2, hdl::params::Target::Xcup);
}

fn check_random(seed: u64, designs: usize, target: hdl::params::Target) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for d in 0..designs {
        let p = if d % 2 == 0 {
            design(&mut rng)
        } else {
            lut_design(&mut rng)
        };
        let p = hdl::params::EngineParams { target, ..p };
        let dir = tempfile::tempdir().unwrap();
        let fast = FastSim::build(&p, dir.path()).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        for (j, job) in jobs(&p, 1, &mut rng)
            .into_iter()
            .chain(raw_jobs(&p, 1, &mut rng))
            .enumerate()
        {
            let (model, _) = run_job(&p, &job, Stalls::NONE, None, MAX_CYCLES).unwrap();
            let t = fast
                .run_job(&job, 2)
                .unwrap_or_else(|e| panic!("design {d} {p:?} job {j}: {e}"));
            assert_eq!(t.cycles, model.cycles, "design {d} {p:?} job {j}");
            assert_eq!(t.runs, 2);
        }
    }
}

#[test]
fn the_fast_driver_catches_a_wrong_beat() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let p = design(&mut rng);
    let dir = tempfile::tempdir().unwrap();
    let fast = FastSim::build(&p, dir.path()).unwrap();
    let job = jobs(&p, 1, &mut rng).pop().unwrap();
    fast.run_job(&job, 1).unwrap();
    // Bit 0 of the first output beat (column 0, always present) flipped, then tlast of the
    // last beat: each must fail.
    let want = job.expected(&p);
    let mut bad = want.clone();
    bad[0].0[0] ^= 1;
    let err = fast
        .run_with_expected(&job, &bad)
        .expect_err("a wrong data bit must fail");
    assert!(err.contains("FAIL output beat 0"), "{err}");
    let mut bad = want.clone();
    let n = bad.len();
    bad[n - 1].1 = !bad[n - 1].1;
    let err = fast
        .run_with_expected(&job, &bad)
        .expect_err("a wrong tlast must fail");
    assert!(
        err.contains(&format!("FAIL output beat {}", n - 1)),
        "{err}"
    );
}
