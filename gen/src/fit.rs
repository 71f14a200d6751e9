//! Fitting the resource model (`crate::resources`) to Yosys: the design points, the
//! measurements as CSV (`docs/data/resource_fit.csv`, written by `qforge bench --fit
//! --fit-csv FILE`), and the least-squares fit with its in-sample and leave-one-out errors.

use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};

use crate::resources::{features, table_sites_total};

/// A design point: (LUT engine?, Dm, Dn, Dk, W, A, product bits).
pub type Point = (bool, u32, u32, u32, u32, u32, u32);

/// The resource model's design points.
pub const POINTS: [Point; 24] = [
    (false, 1, 1, 64, 2, 2, 0),
    (false, 2, 2, 64, 2, 2, 0),
    (false, 2, 2, 128, 2, 2, 0),
    (false, 4, 2, 64, 1, 1, 0),
    (false, 2, 4, 128, 3, 3, 0),
    (false, 4, 4, 64, 2, 2, 0),
    (false, 1, 1, 256, 4, 4, 0),
    (false, 2, 2, 256, 2, 2, 0),
    (false, 1, 2, 32, 2, 2, 0),
    (false, 3, 1, 96, 2, 2, 0),
    (false, 2, 3, 64, 4, 4, 0),
    (false, 1, 1, 512, 1, 1, 0),
    (true, 1, 1, 16, 2, 2, 15),
    (true, 2, 2, 16, 2, 2, 15),
    (true, 2, 2, 32, 3, 3, 15),
    (true, 4, 2, 16, 2, 2, 5),
    (true, 2, 4, 16, 3, 3, 5),
    (true, 4, 4, 16, 2, 2, 2),
    (true, 1, 1, 64, 4, 4, 7),
    (true, 2, 2, 32, 4, 4, 15),
    (true, 1, 2, 8, 2, 2, 4),
    (true, 3, 1, 16, 3, 3, 15),
    (true, 2, 2, 16, 4, 4, 7),
    (true, 1, 1, 32, 2, 3, 10),
];

/// Job limits (M, K, N) of the fit points: small, so memories stay small.
pub const FIT_LIMITS: (u32, u32, u32) = (64, 576, 16);

/// Engine parameters of a design point with job limits `(max_m, max_k, max_n)`: sign-magnitude
/// weights on the LUT engine; two's complement (±1 offset at one bit) on the bit-serial one;
/// unsigned activations; 2-bit outputs.
pub fn point_params(pt: Point, (max_m, max_k, max_n): (u32, u32, u32)) -> EngineParams {
    let (lut, dm, dn, dk, w, a, pb) = pt;
    EngineParams {
        kind: if lut {
            Kind::Lut { prod_bits: pb }
        } else {
            Kind::BitSerial
        },
        dm,
        dn,
        dk,
        w_bits: w,
        a_bits: a,
        out_bits: 2,
        w_enc: if lut {
            WeightEnc::SignMag
        } else if w == 1 {
            WeightEnc::Offset
        } else {
            WeightEnc::Signed
        },
        a_enc: ActEnc::Unsigned,
        max_m,
        max_k,
        max_n,
        target: hdl::params::Target::Generic,
    }
}

/// One synthesized design point.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The engine.
    pub p: EngineParams,
    /// Logic LUTs.
    pub luts: u64,
    /// LUT-RAM sites.
    pub lutram_sites: u64,
    /// Flip-flops.
    pub ffs: u64,
}

/// The CSV header.
pub const CSV_HEADER: &str = "kind,dm,dn,dk,w_bits,a_bits,prod_bits,luts,lutram_sites,ffs";

impl Measured {
    /// What the LUT model fits: logic + LUT-RAM sites, less the tables it counts exactly.
    pub fn fit_luts(&self) -> f64 {
        (self.luts + self.lutram_sites) as f64 - table_sites_total(&self.p)
    }

    /// One CSV row.
    pub fn csv_row(&self) -> String {
        let p = &self.p;
        format!(
            "{},{},{},{},{},{},{},{},{},{}",
            if p.is_lut() { "lut" } else { "bitserial" },
            p.dm,
            p.dn,
            p.dk,
            p.w_bits,
            p.a_bits,
            p.prod_bits(),
            self.luts,
            self.lutram_sites,
            self.ffs
        )
    }

    /// Parse a measurements CSV (with header); errors name the line. (The committed CSV is
    /// read by the test that checks the model's constants.)
    #[cfg(test)]
    pub fn parse_csv(text: &str) -> Result<Vec<Measured>, String> {
        text.lines()
            .enumerate()
            .skip(1)
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let f: Vec<&str> = l.split(',').collect();
                let n = |j: usize| {
                    f.get(j)
                        .and_then(|v| v.trim().parse::<u32>().ok())
                        .ok_or_else(|| format!("line {}: field {} is not a number", i + 1, j + 1))
                };
                let pt = (f[0] == "lut", n(1)?, n(2)?, n(3)?, n(4)?, n(5)?, n(6)?);
                Ok(Measured {
                    p: point_params(pt, FIT_LIMITS),
                    luts: n(7)? as u64,
                    lutram_sites: n(8)? as u64,
                    ffs: n(9)? as u64,
                })
            })
            .collect()
    }
}

/// Least-squares fit `y ≈ X·c` (normal equations, Gaussian elimination with pivoting).
pub fn least_squares(x: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let n = x[0].len();
    let mut a = vec![vec![0.0; n + 1]; n];
    for (row, &yy) in x.iter().zip(y) {
        for i in 0..n {
            for j in 0..n {
                a[i][j] += row[i] * row[j];
            }
            a[i][n] += row[i] * yy;
        }
    }
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        let d = a[col][col];
        if d.abs() < 1e-12 {
            continue;
        }
        a[col].iter_mut().skip(col).for_each(|v| *v /= d);
        let pivot = a[col].clone();
        for (i, row) in a.iter_mut().enumerate() {
            if i != col {
                let f = row[col];
                for (v, pv) in row.iter_mut().zip(&pivot).skip(col) {
                    *v -= f * pv;
                }
            }
        }
    }
    (0..n).map(|i| a[i][n]).collect()
}

/// Mean and largest absolute percent error of a fit, in-sample and leave-one-out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Errors {
    /// In-sample mean.
    pub mean: f64,
    /// In-sample max.
    pub max: f64,
    /// Leave-one-out mean.
    pub loo_mean: f64,
    /// Leave-one-out max.
    pub loo_max: f64,
}

/// Fit `y ≈ X·c` and measure its error.
pub fn fit(x: &[Vec<f64>], y: &[f64]) -> (Vec<f64>, Errors) {
    let pct = |c: &[f64], i: usize| {
        let pred: f64 = x[i].iter().zip(c).map(|(a, b)| a * b).sum();
        ((pred - y[i]) / y[i] * 100.0).abs()
    };
    let c = least_squares(x, y);
    let ins: Vec<f64> = (0..y.len()).map(|i| pct(&c, i)).collect();
    let loo: Vec<f64> = (0..y.len())
        .map(|i| {
            let keep = |j: &usize| *j != i;
            let xs: Vec<Vec<f64>> = (0..x.len()).filter(keep).map(|j| x[j].clone()).collect();
            let ys: Vec<f64> = (0..y.len()).filter(keep).map(|j| y[j]).collect();
            pct(&least_squares(&xs, &ys), i)
        })
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let max = |v: &[f64]| v.iter().fold(0.0f64, |m, &e| m.max(e));
    (
        c,
        Errors {
            mean: mean(&ins),
            max: max(&ins),
            loo_mean: mean(&loo),
            loo_max: max(&loo),
        },
    )
}

/// LUT and flip-flop fits of one engine kind: ((coefficients, errors) for LUTs, for FFs).
pub type KindFit = ((Vec<f64>, Errors), (Vec<f64>, Errors));

/// Fit the LUT and flip-flop coefficients of one engine kind.
pub fn fit_kind(points: &[Measured], lut: bool) -> KindFit {
    let sel: Vec<&Measured> = points.iter().filter(|m| m.p.is_lut() == lut).collect();
    let x: Vec<Vec<f64>> = sel.iter().map(|m| features(&m.p)).collect();
    let luts: Vec<f64> = sel.iter().map(|m| m.fit_luts()).collect();
    let ffs: Vec<f64> = sel.iter().map(|m| m.ffs as f64).collect();
    (fit(&x, &luts), fit(&x, &ffs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{BITSERIAL_FF, BITSERIAL_LUT, LUT_FF, LUT_LUT};

    #[test]
    fn constants_are_the_fit_of_the_committed_measurements() {
        let m = Measured::parse_csv(include_str!("../../docs/data/resource_fit.csv")).unwrap();
        assert_eq!(m.len(), POINTS.len());
        for (i, pt) in POINTS.iter().enumerate() {
            assert_eq!(
                m[i].p,
                point_params(*pt, FIT_LIMITS),
                "row {i} is design point {i}"
            );
        }
        for (lut, cl, cf) in [
            (false, BITSERIAL_LUT, BITSERIAL_FF),
            (true, LUT_LUT, LUT_FF),
        ] {
            assert!(m.iter().filter(|r| r.p.is_lut() == lut).count() >= 6);
            let ((fl, _), (ff, _)) = fit_kind(&m, lut);
            for (got, want) in fl.iter().zip(cl).chain(ff.iter().zip(cf)) {
                assert!(
                    (got - want).abs() <= 1e-3 * want.abs().max(1.0),
                    "lut={lut}: fit {fl:?} / {ff:?}"
                );
            }
        }
    }

    #[test]
    fn least_squares_recovers_a_plane() {
        let x: Vec<Vec<f64>> = (0..8)
            .map(|i| vec![1.0, i as f64, (i * i) as f64 % 5.0])
            .collect();
        let y: Vec<f64> = x.iter().map(|r| 3.0 + 2.0 * r[1] - 0.5 * r[2]).collect();
        let c = least_squares(&x, &y);
        for (got, want) in c.iter().zip([3.0, 2.0, -0.5]) {
            assert!((got - want).abs() < 1e-9, "{c:?}");
        }
    }

    #[test]
    fn csv_round_trips() {
        let m = Measured {
            p: point_params(POINTS[14], FIT_LIMITS),
            luts: 10,
            lutram_sites: 20,
            ffs: 30,
        };
        let text = format!("{CSV_HEADER}\n{}\n", m.csv_row());
        assert_eq!(Measured::parse_csv(&text).unwrap(), vec![m]);
        assert!(Measured::parse_csv(&format!("{CSV_HEADER}\nlut,1,x\n"))
            .unwrap_err()
            .contains("line 2"));
    }
}
