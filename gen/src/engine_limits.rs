//! The one set of engine ranges every subcommand checks its flags and config fields against,
//! before any work: the clock (`--clock-mhz`, `engine.clock_mhz`), the array (`--array`,
//! `engine.dm/dn/dk`) and the LUT product width (`--prod-bits`). The array and product
//! ranges are `hdl::params::EngineParams::validate`'s (tested to agree); the clock's upper
//! bound keeps the XDC period (`1000 / MHz` ns, written to 3 decimals) at 0.5 ns or more.
//! Also the memory bound of a design (`crate::design`): refused before it is built.

use anyhow::{bail, Result};

/// Highest clock in MHz (XDC period 0.500 ns).
pub const CLOCK_MHZ_MAX: f64 = 2000.0;
/// Array rows and columns.
pub const DM_DN: (u32, u32) = (1, 64);
/// Bits per DPU per cycle, or lanes per LUT PE.
pub const DK: (u32, u32) = (1, 1024);
/// LUT product-table entry bits.
pub const PROD_BITS: (u32, u32) = (1, 32);
/// Most memory a design or a `run --network` model may need (bytes, estimated before it is
/// built: [`design_bytes`], [`network_bytes`]).
pub const MAX_BUILD_BYTES: u64 = 4 << 30;

/// Check a clock in MHz: in (0, [`CLOCK_MHZ_MAX`]]; `what` names the flag or field.
pub fn clock(what: &str, mhz: f64) -> Result<()> {
    if !(mhz.is_finite() && mhz > 0.0 && mhz <= CLOCK_MHZ_MAX) {
        bail!("{what}: must be in (0, {CLOCK_MHZ_MAX}] MHz, got {mhz}");
    }
    Ok(())
}

fn range(what: &str, v: u32, (lo, hi): (u32, u32)) -> Result<()> {
    if !(lo..=hi).contains(&v) {
        bail!("{what}: must be in {lo}..={hi}, got {v}");
    }
    Ok(())
}

/// Check an array `Dm × Dn × Dk`; `names` are the flag's or fields' names for each.
pub fn array(names: [&str; 3], (dm, dn, dk): (u32, u32, u32)) -> Result<()> {
    range(names[0], dm, DM_DN)?;
    range(names[1], dn, DM_DN)?;
    range(names[2], dk, DK)
}

/// Check a product-table width.
pub fn prod_bits(what: &str, p: u32) -> Result<()> {
    range(what, p, PROD_BITS)
}

/// Estimated peak memory of building and checking a design's synthetic layer of GEMM
/// `m × k × n` (float, integer and code copies of the weights and of the im2col
/// activations; measured: about 26 bytes per weight and 16 per activation element).
pub fn design_bytes(m: u64, k: u64, n: u64) -> u64 {
    (32 * m * k + 24 * k * n).saturating_add(16 << 20)
}

/// Estimated peak memory of building a network with seeded weights and calibrating it
/// (`crate::synthnet`): weights in float, integer and code form, every tensor's calibration
/// values, and the largest layer's im2col (measured on ResNet-18 and MobileNet-V2: about 37
/// bytes per parameter and 20 per activation; the estimate rounds up).
pub fn network_bytes(net: &crate::network::Network) -> u64 {
    let (mut params, mut outs, mut im2col) = (0u64, 0u64, 0u64);
    for l in &net.layers {
        params = params.saturating_add(l.params());
        if let Some(g) = l.gemm() {
            let (m, k, n, gr) = (g.m as u64, g.k as u64, g.n as u64, g.groups as u64);
            outs = outs.saturating_add(m.saturating_mul(n).saturating_mul(gr));
            im2col = im2col.max(k.saturating_mul(n));
        }
    }
    48u64
        .saturating_mul(params)
        .saturating_add(32u64.saturating_mul(outs))
        .saturating_add(32u64.saturating_mul(im2col))
        .saturating_add(64 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};

    fn params(dm: u32, dn: u32, dk: u32, prod_bits: u32) -> EngineParams {
        EngineParams {
            kind: Kind::Lut { prod_bits },
            dm,
            dn,
            dk,
            w_bits: 2,
            a_bits: 2,
            out_bits: 2,
            w_enc: WeightEnc::SignMag,
            a_enc: ActEnc::Unsigned,
            max_m: 1,
            max_k: 1,
            max_n: 1,
        }
    }

    #[test]
    fn the_ranges_are_the_engines() {
        let ok = |dm, dn, dk, p| params(dm, dn, dk, p).validate().is_ok();
        let ours = |dm, dn, dk, p| {
            array(["dm", "dn", "dk"], (dm, dn, dk)).is_ok() && prod_bits("p", p).is_ok()
        };
        for (dm, dn, dk, p) in [
            (1, 1, 1, 1),
            (64, 64, 1024, 32),
            (0, 1, 1, 1),
            (65, 1, 1, 1),
            (1, 65, 1, 1),
            (1, 1, 1025, 1),
            (1, 1, 1, 0),
            (1, 1, 1, 33),
        ] {
            assert_eq!(ours(dm, dn, dk, p), ok(dm, dn, dk, p), "{dm} {dn} {dk} {p}");
        }
    }

    #[test]
    fn the_catalog_fits_the_build_bound() {
        for name in crate::catalog::NAMES {
            let b = network_bytes(&crate::catalog::get(name).unwrap());
            assert!(b < MAX_BUILD_BYTES, "{name}: {b}");
        }
    }

    #[test]
    fn clock_bounds() {
        assert!(clock("c", 2000.0).is_ok());
        for bad in [0.0, -1.0, 2000.5, 1e300, f64::NAN, f64::INFINITY] {
            let e = clock("--clock-mhz", bad).unwrap_err().to_string();
            assert!(e.starts_with("--clock-mhz: must be in (0, 2000]"), "{e}");
        }
    }
}
