//! Model and RTL stepped together on every lockstep design: edge-case and random jobs with
//! random stalls, in code and raw mode, every output compared every cycle; and the Verilated
//! RTL alone through `sim::harness::run` (the `Dut` trait), raw beats against golden.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::harness::{run, run_job, Stalls};
use sim::random::{jobs, raw_jobs};

#[test]
fn model_and_rtl_agree_every_cycle() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut cycles = 0;
    for (d, p) in lockstep::designs().iter().enumerate() {
        let all = jobs(p, 6, &mut rng)
            .into_iter()
            .chain(raw_jobs(p, 5, &mut rng));
        for (j, job) in all.enumerate() {
            let stalls = if j % 2 == 0 {
                Stalls::NONE
            } else {
                Stalls::random(&mut rng)
            };
            cycles += lockstep::run(d, &job, stalls, 2_000_000)
                .unwrap_or_else(|e| panic!("design {d} job {j}: {e}"));
        }
    }
    assert!(cycles > 10_000, "only {cycles} cycles compared");
}

#[test]
fn harness_drives_the_rtl_through_dut() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut runs = 0;
    for (d, p) in lockstep::designs().iter().enumerate() {
        for job in raw_jobs(p, 2, &mut rng)
            .into_iter()
            .chain(jobs(p, 1, &mut rng))
        {
            let stalls = Stalls::random(&mut rng);
            let (wt, act, want) = job.streams(p);
            let mut rtl = lockstep::Rtl::new(d);
            let r = run(&mut rtl, &wt, &act, want.len(), stalls, None, 2_000_000)
                .unwrap_or_else(|e| panic!("design {d}: {e}"));
            assert_eq!(r.beats, want, "design {d} raw={}", job.raw);
            let (model, _) = run_job(p, &job, stalls, None, 2_000_000).unwrap();
            assert_eq!(r.cycles, model.cycles, "design {d} raw={}", job.raw);
            runs += 1;
        }
    }
    assert_eq!(runs, lockstep::designs().len() * 12);
}
