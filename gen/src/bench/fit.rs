//! `qforge bench --fit`: synthesize whole engines at the resource model's design points
//! (`crate::fit::POINTS`), fit its coefficients and report its error, in-sample and
//! leave-one-out; optionally write the measurements as CSV.

use crate::console::outln;
use anyhow::{anyhow, Result};

/// Synthesize, fit and print; write the CSV to `csv` when given.
pub(super) fn fit_cmd(csv: Option<&std::path::Path>) -> Result<()> {
    use crate::fit::{fit_kind, point_params, Measured, CSV_HEADER, FIT_LIMITS, POINTS};
    outln!("## resource model fit: whole engines, Yosys synth_xilinx -family xcup\n");
    outln!(
        "| kind | Dm x Dn x Dk | W/A | P | LUTs | LUT-RAM sites | FFs | BRAM36 | model BRAM36 |"
    );
    outln!("|---|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for pt in POINTS {
        let p = point_params(pt, FIT_LIMITS);
        p.validate().map_err(|e| anyhow!("{pt:?}: {e}"))?;
        let dir = crate::output::temp_dir()?;
        let r = testbench::synth::synth(dir.path(), &hdl::engine::modules(&p), p.top_name(), "")
            .map_err(|e| anyhow!("{pt:?}: {e}"))?;
        outln!(
            "| {} | {}x{}x{} | {}/{} | {} | {} | {} | {} | {} | {} |",
            if pt.0 { "lut" } else { "bitserial" },
            p.dm,
            p.dn,
            p.dk,
            p.w_bits,
            p.a_bits,
            p.prod_bits(),
            r.luts(),
            r.lutram_sites,
            r.ffs,
            crate::resources::Resources::from(&r).bram36,
            crate::resources::bram36(&p)
        );
        rows.push(Measured {
            p,
            luts: r.luts(),
            lutram_sites: r.lutram_sites,
            ffs: r.ffs,
        });
    }
    if let Some(path) = csv {
        let text: String = std::iter::once(CSV_HEADER.to_string())
            .chain(rows.iter().map(Measured::csv_row))
            .map(|l| l + "\n")
            .collect();
        let mut outs = crate::output::Outputs::default();
        outs.add("--fit-csv", path, text.into_bytes())?;
        outs.commit()?;
    }
    for (lut, name) in [(false, "bitserial"), (true, "lut")] {
        let (luts, ffs) = fit_kind(&rows, lut);
        for (what, (c, e)) in [("LUT", luts), ("FF", ffs)] {
            outln!(
                "\n{name} {what}: coefficients {:?}\n  in-sample error: mean {:.1}%, max {:.1}%; leave-one-out: mean {:.1}%, max {:.1}% ({} points)",
                c.iter().map(|v| (v * 1e6).round() / 1e6).collect::<Vec<_>>(),
                e.mean,
                e.max,
                e.loo_mean,
                e.loo_max,
                rows.iter().filter(|m| m.p.is_lut() == lut).count()
            );
        }
    }
    Ok(())
}
