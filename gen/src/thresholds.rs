//! Padding a layer's folded thresholds to the engine's count with entries no accumulator
//! passes (below the accumulator's range for descending channels, above it otherwise), and
//! moving thresholds from a layer's true accumulator to the engine's (binary inputs, whose
//! engine multiplies indices: `crate::lower::ActOffset`).

use quant::accum::AccBound;
use quant::fold::{ChannelThresholds, Direction};

/// Pad each channel of `thresholds` to `want` entries with never-passed values for
/// accumulators within `bound`.
pub fn pad(
    thresholds: Vec<ChannelThresholds>,
    bound: &AccBound,
    want: usize,
) -> Vec<ChannelThresholds> {
    let (lo, hi) = (bound.lo as i64 - 1, bound.hi as i64 + 1);
    thresholds
        .into_iter()
        .map(|mut t| {
            let never = if t.direction == Direction::Descending {
                lo
            } else {
                hi
            };
            t.t.resize(want, never);
            t
        })
        .collect()
}

/// Move the thresholds of one channel from the true accumulator `acc = mul·acc_e + off` to
/// the engine's accumulator `acc_e` (`mul > 0`), exactly, then saturate them against
/// `engine` (the engine-domain accumulator's range): Ascending `acc >= t` ⇔
/// `acc_e >= ceil((t − off)/mul)`, Descending `acc <= t` ⇔ `acc_e <= floor((t − off)/mul)`.
///
/// Exact for every engine accumulator whose true accumulator lies within the bound the
/// thresholds were saturated against (the true range holds every reachable true value).
pub fn to_engine_domain(
    t: ChannelThresholds,
    mul: i64,
    off: i64,
    engine: &AccBound,
) -> ChannelThresholds {
    let (mul, off) = (mul as i128, off as i128);
    let (lo, hi) = (engine.lo - 1, engine.hi + 1);
    let t2 =
        t.t.iter()
            .map(|&v| {
                let x = v as i128 - off;
                let e = match t.direction {
                    Direction::Ascending => -(-x).div_euclid(mul),
                    Direction::Descending => x.div_euclid(mul),
                };
                e.clamp(lo, hi) as i64
            })
            .collect();
    ChannelThresholds {
        direction: t.direction,
        t: t2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quant::accum::LevelRange;

    /// Every engine accumulator gets the index its true accumulator gets, for every threshold
    /// position in (and past) the true range, both directions, binary and a wider offset.
    #[test]
    fn engine_domain_thresholds_are_exact() {
        for (mul, base) in [(2i64, -1i64), (3, -2)] {
            let k = 5u64;
            let w = LevelRange::new(-2, 3);
            let true_b = AccBound::new(k, w, LevelRange::new(base, base + mul)).unwrap();
            let eng_b = AccBound::new(k, w, LevelRange::new(0, 1)).unwrap();
            for sum_w in -10..=15i64 {
                let off = base * sum_w;
                for dir in [Direction::Ascending, Direction::Descending] {
                    for t0 in true_b.lo as i64 - 1..=true_b.hi as i64 + 1 {
                        let ct = ChannelThresholds {
                            direction: dir,
                            t: vec![t0],
                        };
                        let e = to_engine_domain(ct.clone(), mul, off, &eng_b);
                        assert!((eng_b.lo - 1..=eng_b.hi + 1).contains(&(e.t[0] as i128)));
                        for acc_e in eng_b.lo as i64..=eng_b.hi as i64 {
                            let acc = mul * acc_e + off;
                            if !true_b.contains(acc as i128) {
                                continue;
                            }
                            assert_eq!(
                                e.index(acc_e),
                                ct.index(acc),
                                "mul {mul} off {off} {dir:?} t {t0} acc_e {acc_e}"
                            );
                        }
                    }
                }
            }
        }
    }
}
