//! The one set of engine ranges every subcommand checks its flags and config fields against,
//! before any work: the clock (`--clock-mhz`, `engine.clock_mhz`), the array (`--array`,
//! `engine.dm/dn/dk`) and the LUT product width (`--prod-bits`). The array and product
//! ranges are `hdl::params::EngineParams::validate`'s (tested to agree); the clock's upper
//! bound keeps the XDC period (`1000 / MHz` ns, written to 3 decimals) at 0.5 ns or more.
//! Also the memory bound of a design (`crate::design`), a network (`run --network`) and a
//! model file (`--model`, [`model_bytes`]): refused before it is built or loaded.

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

/// Bytes per initializer element of loading a QONNX model and lowering it (`--model M.onnx`,
/// `qforge import`), beyond the file itself: the decoded tensor, its f64 constant, the model's
/// f64 tensor, the quantized codes and the engine's encoded copy. Measured 43 bytes per
/// element (peak RSS 792 MB for a 4096 × 4096 float32 MatMul, 67 MB file; 202 MB at
/// 2048 × 2048: slope 11.7 bytes per file byte), rounded up.
pub const ONNX_BYTES_PER_ELEMENT: u64 = 48;

/// Bytes per tensor element of loading a native model (`--model model.json`) beyond its
/// safetensors file: the f64 tensors, the quantized codes and the engine's copy. Measured 24
/// bytes per element (peak RSS 530 MB for a 4096 × 4096 F64 tensor, 134 MB file; 137 MB at
/// 2048 × 2048), rounded up.
pub const NATIVE_BYTES_PER_ELEMENT: u64 = 28;

/// Fixed part of a model load's estimate (the program, the graph, small tensors).
pub const MODEL_BASE_BYTES: u64 = 64 << 20;

/// Estimated peak memory of loading a model: its files (`file_bytes`, held while decoded,
/// the manifest counted 16 times for its parsed JSON) plus `per_element` bytes for each of
/// its `elements` weights and constants, plus [`MODEL_BASE_BYTES`].
pub fn model_bytes(file_bytes: u64, elements: u64, per_element: u64) -> u64 {
    file_bytes
        .saturating_add(elements.saturating_mul(per_element))
        .saturating_add(MODEL_BASE_BYTES)
}

/// Refuse a model load estimated above [`MAX_BUILD_BYTES`]; `what` names the files and the
/// counts the estimate came from.
pub fn check_model_bytes(what: &str, need: u64) -> Result<()> {
    if need > MAX_BUILD_BYTES {
        bail!(
            "{what}: loading it needs an estimated {:.1} GiB, above the {} GiB bound \
             (qforge holds every weight in f64 with its codes while it imports and lowers a \
             model; about {} M weights fit). Split the model, or check that the file is the one \
             you meant",
            need as f64 / (1u64 << 30) as f64,
            MAX_BUILD_BYTES >> 30,
            (MAX_BUILD_BYTES - MODEL_BASE_BYTES) / ONNX_BYTES_PER_ELEMENT / 1_000_000
        );
    }
    Ok(())
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
            target: hdl::params::Target::Generic,
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
