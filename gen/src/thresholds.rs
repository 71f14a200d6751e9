//! Padding a layer's folded thresholds to the engine's count with entries no accumulator
//! passes (below the accumulator's range for descending channels, above it otherwise).

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
