//! Model and RTL stepped together on every lockstep design: edge-case and random jobs with
//! random stalls, every output compared every cycle.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::harness::Stalls;
use sim::random::jobs;

#[test]
fn model_and_rtl_agree_every_cycle() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut cycles = 0;
    for (d, p) in lockstep::designs().iter().enumerate() {
        for (j, job) in jobs(p, 6, &mut rng).into_iter().enumerate() {
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
