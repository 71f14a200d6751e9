//! The size limits of a network file, checked in 64-bit arithmetic before any report runs:
//! every GEMM dimension (M, K, N, groups) below 2^32, at most 2^48 parameters and 2^52
//! multiply-accumulates in the whole network (so every byte, bit and cycle count downstream
//! fits in 64 bits). A size that overflows is an error naming the layer and the field.

use anyhow::{bail, Result};

use super::{Layer, Network, Op};

/// Largest GEMM dimension (M, K, N, groups) of one layer.
pub const MAX_DIM: u64 = u32::MAX as u64;
/// Largest number of parameters of a network.
pub const MAX_PARAMS: u64 = 1 << 48;
/// Largest number of multiply-accumulates (M·K·N·groups summed) of a network.
pub const MAX_MACS: u64 = 1 << 52;

/// `[M, K, N, groups]` of a conv or fc layer in checked 64-bit arithmetic, or an error naming
/// the field whose product overflows [`MAX_DIM`]; `None` for other ops.
pub fn gemm_dims(l: &Layer) -> Option<Result<[u64; 4], String>> {
    let dim = |field: &str, what: &str, v: Option<u64>| -> Result<u64, String> {
        v.filter(|&x| x <= MAX_DIM).ok_or_else(|| {
            format!("{field}: GEMM {what} exceeds {MAX_DIM} (2^32 - 1); the layer is too large")
        })
    };
    Some(match &l.op {
        Op::Conv(c) => (|| {
            let g = c.groups as u64;
            let m = dim(
                "out_channels",
                "M = out_channels/groups",
                Some(c.out_channels as u64 / g),
            )?;
            let k = dim(
                "kernel",
                "K = in_channels/groups·kh·kw",
                (c.in_channels as u64 / g)
                    .checked_mul(c.kernel[0] as u64)
                    .and_then(|x| x.checked_mul(c.kernel[1] as u64)),
            )?;
            let [oh, ow] = c.out_hw();
            let n = dim(
                "in_hw",
                "N = out_h·out_w",
                (oh as u64).checked_mul(ow as u64),
            )?;
            Ok([m, k, n, g])
        })(),
        Op::Fc {
            in_features,
            out_features,
            ..
        } => Ok([*out_features as u64, *in_features as u64, 1, 1]),
        _ => return None,
    })
}

/// Check every layer against the limits; errors name the layer and field.
pub fn check(net: &Network) -> Result<()> {
    let (mut params, mut macs) = (0u64, 0u64);
    for (i, l) in net.layers.iter().enumerate() {
        let at = format!("layers[{i}] ({})", l.name);
        let (p, m) = match gemm_dims(l) {
            None => match l.op {
                Op::BatchNorm { channels } => (2 * channels as u64, 0),
                _ => (0, 0),
            },
            Some(Err(e)) => bail!("{at}.{e}"),
            // Each factor is below 2^32: the products fit in u128.
            Some(Ok([m, k, n, g])) => {
                let mkg = m as u128 * k as u128 * g as u128;
                (
                    u64::try_from(mkg + l.biases() as u128).unwrap_or(u64::MAX),
                    u64::try_from(mkg.saturating_mul(n as u128)).unwrap_or(u64::MAX),
                )
            }
        };
        params = params.saturating_add(p);
        macs = macs.saturating_add(m);
        if params > MAX_PARAMS {
            bail!("{at}: the network's parameters exceed {MAX_PARAMS} (2^48) here");
        }
        if macs > MAX_MACS {
            bail!("{at}: the network's multiply-accumulates exceed {MAX_MACS} (2^52) here");
        }
    }
    Ok(())
}
