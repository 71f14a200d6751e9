//! Initialisation helpers: parameters a user derives from a float tensor before training or
//! to try a design. Quantization Networks: `beta = 1.25·max|Y|/max|x|`, `alpha = 1/beta`,
//! biases at the midpoints of sorted 1-D k-means centres of `beta·x` (binary weights use
//! `b = 0`, as the paper says). The baselines: uniform max-abs calibration, binary with the
//! XNOR-Net scale `mean|x|`, ternary with the TWN threshold `0.7·mean|x|` ([`uniform_init`],
//! [`binary_init`], [`ternary_init`]). N2UQ and LCQ defaults live with their specs
//! ([`crate::n2uq::N2uqActSpec::init`], [`crate::lcq::LcqActSpec::init`],
//! [`crate::lcq::LcqWeightSpec::init`]).

use crate::error::{Error, Result};
use crate::qn::QnSpec;
use crate::staircase::Compare;
use crate::uniform::{Binary, BinarySpec, Ternary, TernarySpec, Uniform, UniformSpec};

fn no_scale() -> Error {
    Error::new("input", "all elements are zero; no scale can be derived")
}

/// A `bits`-bit uniform quantizer (zero point 0) calibrated by max-abs: the largest `|x|`
/// maps to the largest code, `2^(bits−1) − 1` when `signed` (at least 1, so 1-bit signed
/// codes are `{−1, 0}`), `2^bits − 1` when not.
pub fn uniform_init(bits: u32, signed: bool, data: &[f64]) -> Result<UniformSpec> {
    let max = data.iter().map(|x| x.abs()).fold(0.0, f64::max);
    if !max.is_finite() {
        return Err(Error::new("input", "elements must be finite"));
    }
    if max == 0.0 {
        return Err(no_scale());
    }
    let qmax = if signed {
        (1i64 << (bits.clamp(2, 8) - 1)) - 1
    } else {
        (1i64 << bits.clamp(1, 8)) - 1
    };
    let spec = UniformSpec {
        bits,
        signed,
        scale: (max / qmax as f64).into(),
        zero_point: 0,
        narrow: false,
        rounding: Default::default(),
    };
    Uniform::new(&spec)?;
    Ok(spec)
}

/// A binary quantizer with the XNOR-Net scale `mean|x|`.
pub fn binary_init(data: &[f64]) -> Result<BinarySpec> {
    let scale = data.iter().map(|x| x.abs()).sum::<f64>() / data.len().max(1) as f64;
    if scale == 0.0 {
        return Err(no_scale());
    }
    let spec = BinarySpec { scale };
    Binary::new(&spec)?;
    Ok(spec)
}

/// A ternary quantizer as in Ternary Weight Networks: threshold `Δ = 0.7·mean|x|`, scale the
/// mean of the `|x|` above `Δ`.
pub fn ternary_init(data: &[f64]) -> Result<TernarySpec> {
    let threshold = 0.7 * data.iter().map(|x| x.abs()).sum::<f64>() / data.len().max(1) as f64;
    let above: Vec<f64> = data
        .iter()
        .map(|x| x.abs())
        .filter(|&a| a > threshold)
        .collect();
    if above.is_empty() {
        return Err(no_scale());
    }
    let spec = TernarySpec {
        threshold,
        scale: above.iter().sum::<f64>() / above.len() as f64,
    };
    Ternary::new(&spec)?;
    Ok(spec)
}

/// Initial Quantization Networks parameters for level set `levels` from tensor `data`.
pub fn qn_init(levels: &[i64], data: &[f64], offset: bool) -> Result<QnSpec> {
    if levels.len() < 2 {
        return Err(Error::new("levels", "needs at least 2 levels"));
    }
    let max_y = levels.iter().map(|l| l.unsigned_abs()).max().unwrap_or(0) as f64;
    let max_x = data.iter().map(|x| x.abs()).fold(0.0, f64::max);
    if !(max_x > 0.0 && max_x.is_finite()) {
        return Err(Error::new(
            "input",
            "needs at least one finite non-zero element",
        ));
    }
    if max_y == 0.0 {
        return Err(Error::new("levels", "needs a non-zero level"));
    }
    let beta = 1.25 * max_y / max_x;
    let biases = if offset && levels.len() == 2 {
        vec![0.0]
    } else {
        let scaled: Vec<f64> = data.iter().map(|x| beta * x).collect();
        let centres = kmeans_1d(&scaled, levels.len())?;
        centres.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
    };
    let spec = QnSpec {
        levels: levels.to_vec(),
        biases,
        alpha: 1.0 / beta,
        beta,
        offset,
        compare: Compare::Gt,
    };
    crate::qn::Qn::new(&spec)?;
    Ok(spec)
}

/// Sorted centres of a deterministic 1-D k-means (Lloyd's algorithm from quantile starts,
/// exact assignment by sorted boundaries, at most 300 iterations).
pub fn kmeans_1d(data: &[f64], k: usize) -> Result<Vec<f64>> {
    let mut xs: Vec<f64> = data.to_vec();
    if let Some(i) = xs.iter().position(|x| !x.is_finite()) {
        return Err(Error::new(
            format!("input[{i}]"),
            "must be finite for k-means",
        ));
    }
    xs.sort_by(f64::total_cmp);
    let mut distinct = xs.clone();
    distinct.dedup();
    if distinct.len() < k {
        return Err(Error::new(
            "input",
            format!(
                "k-means into {k} clusters needs at least {k} distinct values, got {}",
                distinct.len()
            ),
        ));
    }
    // Start from the centres of k equal-count slices of the distinct values.
    let mut centres: Vec<f64> = (0..k)
        .map(|c| distinct[(2 * c + 1) * distinct.len() / (2 * k)])
        .collect();
    let prefix: Vec<f64> = std::iter::once(0.0)
        .chain(xs.iter().scan(0.0, |s, &x| {
            *s += x;
            Some(*s)
        }))
        .collect();
    for _ in 0..300 {
        // Boundary b between centre c and c+1; points below go left.
        let mut next = Vec::with_capacity(k);
        let mut lo = 0;
        for c in 0..k {
            let hi = if c + 1 == k {
                xs.len()
            } else {
                let b = (centres[c] + centres[c + 1]) / 2.0;
                xs.partition_point(|&x| x < b)
            };
            let hi = hi.max(lo);
            next.push(if hi > lo {
                (prefix[hi] - prefix[lo]) / (hi - lo) as f64
            } else {
                centres[c]
            });
            lo = hi;
        }
        next.sort_by(f64::total_cmp);
        if next == centres {
            break;
        }
        centres = next;
    }
    centres.dedup();
    if centres.len() < k {
        return Err(Error::new(
            "input",
            format!("k-means collapsed to {} distinct centres", centres.len()),
        ));
    }
    Ok(centres)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmeans_finds_separated_clusters() {
        let data = [-5.1, -4.9, -5.0, 0.1, -0.1, 0.0, 4.9, 5.0, 5.1];
        let c = kmeans_1d(&data, 3).unwrap();
        assert!(
            (c[0] + 5.0).abs() < 1e-12 && c[1].abs() < 1e-12 && (c[2] - 5.0).abs() < 1e-12,
            "{c:?}"
        );
    }

    #[test]
    fn qn_init_uses_paper_formulas() {
        let w = [-2.0, -1.9, 0.0, 0.05, 2.0, 1.9];
        let s = qn_init(&[-1, 0, 1], &w, true).unwrap();
        assert_eq!(s.beta, 1.25 * 1.0 / 2.0);
        assert_eq!(s.alpha, 1.0 / s.beta);
        // beta = 0.625; beta·w = [-1.25, -1.1875, 0, 0.03125, 1.25, 1.1875]; centres
        // -1.21875, 0.015625, 1.21875 -> midpoints.
        assert!((s.biases[0] - (-1.21875 + 0.015625) / 2.0).abs() < 1e-12);
        assert!((s.biases[1] - (0.015625 + 1.21875) / 2.0).abs() < 1e-12);
        assert_eq!(qn_init(&[-1, 1], &w, true).unwrap().biases, vec![0.0]);
        assert!(qn_init(&[-1, 0, 1], &[1.0, 1.0, 2.0], true).is_err());
    }
}
