//! How a layer's levels map onto the LUT-multiplier engine, shared by the design flow
//! (`design`) and the model lowering (`lower`): weights become sign-magnitude codes over the
//! layer's distinct non-zero magnitudes, activations keep their indices (index 0 must be the
//! zero level), and the product table holds the magnitudes times the non-zero activation
//! levels, padded with zeros to the engine's table.

use hdl::params::EngineParams;
use hdl::popcount::ubits;
use quant::scalar::ScalarQuantizer;
use sim::job::LutLevels;

/// Distinct non-zero weight magnitudes of a layer's quantizers, sorted.
pub fn magnitudes(weight_q: &[Box<dyn ScalarQuantizer>]) -> Vec<u64> {
    let mut m: Vec<u64> = weight_q
        .iter()
        .flat_map(|q| (0..q.num_levels()).map(|i| q.level(i).unsigned_abs()))
        .filter(|&v| v != 0)
        .collect();
    m.sort_unstable();
    m.dedup();
    m
}

/// Weight code width for `mags`: a sign bit and the magnitude index (0 = the zero level).
pub fn weight_bits(mags: &[u64]) -> u32 {
    1 + ubits(mags.len() as u64)
}

/// Whether activation levels `a` (by index) suit the LUT engine: all `>= 0`, index 0 at 0.
pub fn act_levels_ok(a: &[i64]) -> bool {
    a[0] == 0 && a.iter().all(|&v| v >= 0)
}

/// Activation code width for levels `a`: the largest index.
pub fn act_bits(a: &[i64]) -> u32 {
    ubits(a.len() as u64 - 1)
}

/// The largest product the table stores: the largest magnitude times the largest level.
pub fn max_product(mags: &[u64], a: &[i64]) -> u64 {
    mags.last().unwrap() * *a.iter().max().unwrap() as u64
}

/// Sign-magnitude code of weight level `v` over `mags` in `w_bits`-bit codes.
pub fn weight_code(mags: &[u64], w_bits: u32, v: i64) -> u32 {
    let j = mags
        .binary_search(&v.unsigned_abs())
        .map_or(0, |i| i as u32 + 1);
    if v < 0 {
        (1 << (w_bits - 1)) | j
    } else {
        j
    }
}

/// The job's table levels on engine `e`: magnitudes and non-zero activation levels, each
/// padded with zeros (indices past the layer's own are never used: their products are 0).
pub fn lut_levels(mags: &[u64], a: &[i64], e: &EngineParams) -> LutLevels {
    let mut a_level: Vec<u64> = a[1..].iter().map(|&v| v as u64).collect();
    a_level.resize(e.a_nonzero() as usize, 0);
    let mut w_mag = mags.to_vec();
    w_mag.resize(e.w_mags() as usize, 0);
    LutLevels { w_mag, a_level }
}
