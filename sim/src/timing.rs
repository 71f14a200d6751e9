//! Cycle count of a whole job without stalls, from the controller's schedule in
//! [`crate::engine`]: header, product table (LUT engines), weights, thresholds (code mode
//! only), the activations loaded beside them into two buffers, then per n-tile (once its
//! buffer is full) per m-tile its compute steps, back to back with the next tile's. A
//! finished tile's accumulators go to a free result bank when its last step has reached
//! them (DPU latency + 2 cycles after its issue); its emission (issue register, then the
//! `out_bits`-stage threshold pipeline in code mode or the single raw output register in raw
//! mode, + one beat per row) starts then, or queued after the previous tile's, and runs
//! beside the next tiles' compute. Only tiles shorter than an emission wait (a per-tile
//! recurrence, not a product). Equal to the cycle model's count for
//! every design and shape (tested against full simulation); reports use it for layers too
//! large to simulate quickly.

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
    let lat = p.dpu_latency() as u64;
    let steps = kc * wpl * apl;
    // From the snapshot edge to the tile's last beat: the issue register, then `out_bits`
    // search stages or the one raw output register, then one beat per row.
    let emit_fixed = if raw { 2 } else { p.out_bits as u64 + 1 };
    // Per tile: `start`, its first cycle in ST_COMPUTE. Its first step waits while the
    // previous tile is pending and the one before it is queued in the second result bank
    // (until the cycle after that one's emission starts, `q_free2`); its last step waits for
    // the pending slot (the cycle after the previous tile's snapshot, `after_snap`) and is
    // not in the first cycle; its snapshot waits for a free bank (`q_free`: the cycle after
    // the queued previous tile's emission starts); its emission starts at the snapshot, or,
    // queued, at the edge of the previous tile's last beat (`last_beat`).
    let (mut start, mut last_beat) = (load + 1, 0);
    let (mut q_free, mut q_free2, mut after_snap) = (0, 0, 0);
    // The activation loader, beside the states: from the cycle after the header (cycle 2),
    // n-tile `t` loads into buffer `t mod 2` once the previous tile is loaded and n-tile
    // `t − 2` has issued its last step (`released[t mod 2]`, the cycle that buffer is free).
    let (mut ld_end, mut released) = (2, [0u64; 2]);
    let mut n0 = 0;
    let mut t = 0;
    while n0 < n {
        let nv = dn.min(n - n0);
        let ld_start = (ld_end + 1).max(released[t % 2]);
        ld_end = ld_start + nv * kc * apl - 1;
        // The n-tile computes the cycle after it is started, or, when its buffer is not full
        // then, two cycles after its last word (the flag, then ST_WAIT_A).
        start = start.max(ld_end + 2);
        let mut m0 = 0;
        while m0 < m {
            let rv = dm.min(m - m0);
            let first = start.max(q_free2);
            let last = if steps == 1 {
                first.max(start + 1)
            } else {
                first + steps - 1
            }
            .max(after_snap);
            // The last step's term reaches the accumulators one edge before the snapshot.
            let snap = (last + lat + 2).max(q_free);
            let emit = snap.max(last_beat);
            last_beat = emit + emit_fixed + rv;
            let queued_free = if emit > snap { emit + 1 } else { 0 };
            (q_free2, q_free, after_snap) = (q_free, queued_free, snap + 1);
            start = last + 1;
            m0 += dm;
        }
        // The n-tile's last step frees its buffer for the loader from the next cycle.
        released[t % 2] = start;
        n0 += dn;
        t += 1;
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
