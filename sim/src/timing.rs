//! Cycle count of a whole job without stalls, from the controller's schedule in
//! [`crate::engine`]: header, product table (LUT engines), weights, thresholds (code mode
//! only), then per n-tile the activations and per m-tile compute (issue, then the PE drain
//! until the accumulators go to the result registers). Each tile's emission (issue register,
//! then the `out_bits`-stage threshold pipeline in code mode or the single raw output register
//! in raw mode, + one beat per row) runs from the result registers beside the next tile's
//! activation load and compute; a tile waits for the result registers only when the previous
//! tile's emission is longer than its own compute. Equal to the cycle model's count for every
//! design and shape (tested against full simulation); reports use it for layers too large to
//! simulate quickly.

use hdl::params::EngineParams;

/// Cycles of a job as the harness counts them (from the first cycle after reset to the last
/// output beat, inclusive), streams always valid and the output always ready; `raw` is the
/// job's mode (no thresholds to load, no search pipeline).
pub fn job_cycles(p: &EngineParams, m: u32, k: u32, n: u32, raw: bool) -> u64 {
    let (m, n) = (m as u64, n as u64);
    let kc = k.div_ceil(p.dk) as u64;
    let (wpl, apl) = (p.w_planes() as u64, p.a_planes() as u64);
    let table = if p.is_lut() {
        p.table_depth() as u64
    } else {
        0
    };
    // The harness's (and testbench's) registered sources offer their first beat one cycle
    // after the run starts; then the header takes one cycle.
    let thresholds = if raw {
        0
    } else {
        m * (1 + p.thresholds() as u64)
    };
    let load = 2 + table + m * kc * wpl + thresholds;
    let (dm, dn) = (p.dm as u64, p.dn as u64);
    // Cycles in ST_COMPUTE up to and including the snapshot cycle, when the result
    // registers are free: the steps, then the PE pipeline and one cycle until the
    // accumulators hold the last step, then the snapshot.
    let compute = kc * wpl * apl + p.dpu_latency() as u64 + 2;
    // Cycles from the snapshot edge to the tile's last beat: the issue register, then
    // `out_bits` search stages or the one raw output register, then one beat per row.
    let emit_fixed = if raw { 2 } else { p.out_bits as u64 + 1 };
    // `t`: the last cycle so far (the snapshot cycle of the latest tile, or the last cycle
    // of a load); `free`: the first cycle whose edge may take a snapshot (the previous
    // tile's last beat was accepted the cycle before).
    let (mut t, mut free, mut last_beat) = (load, 0, 0);
    let mut n0 = 0;
    while n0 < n {
        let nv = dn.min(n - n0);
        t += nv * kc * apl;
        let mut m0 = 0;
        while m0 < m {
            let rv = dm.min(m - m0);
            t = (t + compute).max(free);
            last_beat = t + emit_fixed + rv;
            free = last_beat + 1;
            m0 += dm;
        }
        n0 += dn;
    }
    last_beat
}

/// Compute-array utilization of a job: `M·K·N` MACs over `cycles` at the array's peak
/// (`Dm·Dn·Dk / (w_planes·a_planes)` MACs per cycle).
pub fn utilization(p: &EngineParams, m: u32, k: u32, n: u32, cycles: u64) -> f64 {
    let macs = m as f64 * k as f64 * n as f64;
    let peak = (p.dm * p.dn * p.dk) as f64 / (p.w_planes() * p.a_planes()) as f64;
    macs / (peak * cycles as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{run_job, Stalls};
    use crate::random::{design, job, lut_design, raw_job, Data};
    use rand::{Rng, SeedableRng};

    #[test]
    fn closed_form_equals_the_cycle_model() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for i in 0..300 {
            let p = if i % 2 == 0 {
                design(&mut rng)
            } else {
                lut_design(&mut rng)
            };
            let (m, k, n) = (
                rng.gen_range(1..=p.max_m),
                rng.gen_range(1..=p.max_k),
                rng.gen_range(1..=p.max_n),
            );
            let raw = i % 4 >= 2;
            let j = if raw {
                raw_job(&p, Data::Random, m, k, n, &mut rng)
            } else {
                job(&p, Data::Random, m, k, n, &mut rng)
            };
            let (r, _) = run_job(&p, &j, Stalls::NONE, None, 100_000_000).unwrap();
            assert_eq!(
                job_cycles(&p, m, k, n, raw),
                r.cycles,
                "{p:?} m={m} k={k} n={n} raw={raw}"
            );
        }
    }
}
