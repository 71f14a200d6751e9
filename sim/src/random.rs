//! Random engine designs and jobs for cross-checks: edge cases first (all-zero codes, all-max
//! codes, K = 1, K not a multiple of Dk, thresholds out of range, descending channels), then
//! uniform random data, at sizes that are not multiples of the array; raw-mode jobs (no
//! thresholds, accumulators out) with every corner of the level ranges at the largest K, so
//! the accumulator reaches both extremes.

use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};
use quant::accum::LevelRange;
use quant::fold::{ChannelThresholds, Direction};
use rand::Rng;

use crate::job::{Job, LutLevels};

/// Kinds of data a job can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// Every code 0.
    Zeros,
    /// Every code all ones.
    AllMax,
    /// Uniform random codes.
    Random,
    /// Every weight code the largest (`w_max`) or smallest weight level, every activation code
    /// the largest (`a_max`) or smallest activation level (LUT engines: the largest magnitude
    /// with a positive or negative sign, the top or zero activation code, levels all at their
    /// largest); at K = `max_k` the four corners give the accumulator's extremes.
    Corner {
        /// Weights at their largest level (else their smallest).
        w_max: bool,
        /// Activations at their largest level (else their smallest).
        a_max: bool,
    },
}

/// The weight and activation codes of a [`Data::Corner`].
fn corner_codes(p: &EngineParams, w_max: bool, a_max: bool) -> (u32, u32) {
    if p.is_lut() {
        let mag = (1u32 << (p.w_bits - 1)) - 1;
        let w = if w_max {
            mag
        } else {
            mag | 1 << (p.w_bits - 1)
        };
        let a = if a_max { p.a_nonzero() } else { 0 };
        return (w, a);
    }
    let (wr, ar) = (p.w_range(), p.a_range());
    let w = p.w_code(if w_max { wr.hi } else { wr.lo }).unwrap();
    let a = p.a_code(if a_max { ar.hi } else { ar.lo }).unwrap();
    (w, a)
}

/// A random design with small limits (so jobs span several tiles).
pub fn design(rng: &mut impl Rng) -> EngineParams {
    let w_enc = [WeightEnc::Unsigned, WeightEnc::Signed, WeightEnc::Offset][rng.gen_range(0..3)];
    let a_enc = [ActEnc::Unsigned, ActEnc::Signed][rng.gen_range(0..2)];
    let min_w = if w_enc == WeightEnc::Signed { 2 } else { 1 };
    let min_a = if a_enc == ActEnc::Signed { 2 } else { 1 };
    EngineParams {
        kind: hdl::params::Kind::BitSerial,
        dm: rng.gen_range(1..=4),
        dn: rng.gen_range(1..=4),
        dk: [1, 3, 8, 13, 32, 64, 70][rng.gen_range(0..7)],
        w_bits: rng.gen_range(min_w..=4),
        a_bits: rng.gen_range(min_a..=4),
        out_bits: rng.gen_range(1..=3),
        w_enc,
        a_enc,
        max_m: rng.gen_range(1..=12),
        max_k: rng.gen_range(1..=200),
        max_n: rng.gen_range(1..=12),
        target: hdl::params::Target::Generic,
    }
}

/// A random LUT-multiplier design with small limits.
pub fn lut_design(rng: &mut impl Rng) -> EngineParams {
    EngineParams {
        kind: Kind::Lut {
            prod_bits: rng.gen_range(2..=16),
        },
        dm: rng.gen_range(1..=3),
        dn: rng.gen_range(1..=3),
        dk: [1, 2, 3, 8, 13, 32][rng.gen_range(0..6)],
        w_bits: rng.gen_range(2..=4),
        a_bits: rng.gen_range(1..=4),
        out_bits: rng.gen_range(1..=3),
        w_enc: WeightEnc::SignMag,
        a_enc: ActEnc::Unsigned,
        max_m: rng.gen_range(1..=10),
        max_k: rng.gen_range(1..=150),
        max_n: rng.gen_range(1..=10),
        target: hdl::params::Target::Generic,
    }
}

/// Random integer levels for a LUT design whose products fit its table entries; `max`
/// makes every level the largest the entries allow (an edge case).
pub fn lut_levels(p: &EngineParams, max: bool, rng: &mut impl Rng) -> LutLevels {
    let pb = p.prod_bits();
    let w_top = (1u64 << pb.div_ceil(2)) - 1;
    let mut w_mag: Vec<u64> = (0..p.w_mags())
        .map(|_| if max { w_top } else { rng.gen_range(0..=w_top) })
        .collect();
    w_mag.sort();
    let biggest = (*w_mag.iter().max().unwrap()).max(1);
    let a_top = ((1u64 << pb) - 1) / biggest;
    let mut a_level: Vec<u64> = (0..p.a_nonzero())
        .map(|_| if max { a_top } else { rng.gen_range(0..=a_top) })
        .collect();
    a_level.sort();
    LutLevels { w_mag, a_level }
}

/// The ranges of a job's integer levels, for thresholds that fall inside its real range.
fn level_ranges(p: &EngineParams, levels: Option<&LutLevels>) -> (LevelRange, LevelRange) {
    match levels {
        Some(l) => {
            let w = *l.w_mag.iter().max().unwrap_or(&0) as i64;
            let a = *l.a_level.iter().max().unwrap_or(&0) as i64;
            (LevelRange::new(-w, w), LevelRange::new(0, a))
        }
        None => (p.w_range(), p.a_range()),
    }
}

/// Thresholds for one channel: sorted in its direction, some far outside the range.
pub fn thresholds(p: &EngineParams, k: u32, rng: &mut impl Rng) -> ChannelThresholds {
    thresholds_in(p, k, p.w_range(), p.a_range(), rng)
}

/// Thresholds for one channel of a job whose levels lie in `w` and `a`.
pub fn thresholds_in(
    p: &EngineParams,
    k: u32,
    w: LevelRange,
    a: LevelRange,
    rng: &mut impl Rng,
) -> ChannelThresholds {
    let b = quant::accum::AccBound::new(k as u64, w, a).unwrap();
    let (lo, hi) = (b.lo as i64, b.hi as i64);
    let mut t: Vec<i64> = (0..p.thresholds())
        .map(|_| match rng.gen_range(0..10) {
            0 => lo - 1,
            1 => hi + 1,
            // Most thresholds near the middle of the observed range, so codes vary.
            _ => rng.gen_range((lo / 4).min(-1)..=(hi / 4).max(1)),
        })
        .collect();
    t.sort();
    let direction = if rng.gen_bool(0.25) {
        Direction::Descending
    } else {
        Direction::Ascending
    };
    if direction == Direction::Descending {
        t.reverse();
    }
    ChannelThresholds { direction, t }
}

/// A job within the design's limits.
pub fn job(p: &EngineParams, data: Data, m: u32, k: u32, n: u32, rng: &mut impl Rng) -> Job {
    let corner = match data {
        Data::Corner { w_max, a_max } => Some(corner_codes(p, w_max, a_max)),
        _ => None,
    };
    let code = |bits: u32, weight: bool, rng: &mut dyn rand::RngCore| match data {
        Data::Zeros => 0,
        Data::AllMax => (1u32 << bits) - 1,
        Data::Random => rng.gen_range(0..1u32 << bits),
        Data::Corner { .. } => {
            let (w, a) = corner.unwrap();
            if weight {
                w
            } else {
                a
            }
        }
    };
    let w_codes = (0..m * k).map(|_| code(p.w_bits, true, rng)).collect();
    let a_codes = (0..k * n).map(|_| code(p.a_bits, false, rng)).collect();
    let max_levels = matches!(data, Data::AllMax | Data::Corner { .. });
    let levels = p.is_lut().then(|| lut_levels(p, max_levels, rng));
    let (wr, ar) = level_ranges(p, levels.as_ref());
    let thresholds = (0..m).map(|_| thresholds_in(p, k, wr, ar, rng)).collect();
    Job {
        m,
        k,
        n,
        w_codes,
        a_codes,
        thresholds,
        levels,
        raw: false,
    }
}

/// A raw-mode job (no thresholds; the engine returns accumulators) within the limits.
pub fn raw_job(p: &EngineParams, data: Data, m: u32, k: u32, n: u32, rng: &mut impl Rng) -> Job {
    let mut j = job(p, data, m, k, n, rng);
    j.thresholds.clear();
    j.raw = true;
    j
}

/// The raw-mode jobs for one design: the four level corners at the largest M, K and N (both
/// accumulator extremes), K = 1, then `random` random sizes and data.
pub fn raw_jobs(p: &EngineParams, random: usize, rng: &mut impl Rng) -> Vec<Job> {
    let (mm, mk, mn) = (p.max_m, p.max_k, p.max_n);
    let mut out: Vec<Job> = [(true, true), (false, true), (true, false), (false, false)]
        .into_iter()
        .map(|(w_max, a_max)| raw_job(p, Data::Corner { w_max, a_max }, mm, mk, mn, rng))
        .collect();
    out.push(raw_job(p, Data::Random, mm, 1, mn, rng));
    for _ in 0..random {
        let (m, k, n) = (
            rng.gen_range(1..=mm),
            rng.gen_range(1..=mk),
            rng.gen_range(1..=mn),
        );
        out.push(raw_job(p, Data::Random, m, k, n, rng));
    }
    out
}

/// The jobs for one design: the edge cases, then random sizes and data.
pub fn jobs(p: &EngineParams, random: usize, rng: &mut impl Rng) -> Vec<Job> {
    let (mm, mk, mn) = (p.max_m, p.max_k, p.max_n);
    let mut out = vec![
        job(p, Data::Zeros, mm, mk, mn, rng),
        job(p, Data::AllMax, mm, mk, mn, rng),
        job(p, Data::Random, mm, 1, mn, rng),
        job(p, Data::Random, 1, mk, 1, rng),
    ];
    for _ in 0..random {
        let (m, k, n) = (
            rng.gen_range(1..=mm),
            rng.gen_range(1..=mk),
            rng.gen_range(1..=mn),
        );
        out.push(job(p, Data::Random, m, k, n, rng));
    }
    out
}
