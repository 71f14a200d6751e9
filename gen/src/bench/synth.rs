//! (b) and (c) of `qforge bench`: Yosys `synth_xilinx -family xcup` of one bit-serial DPU at
//! several Dk, and of one LUT-multiplier PE at several bit widths beside the bit-serial DPU at
//! the same bits and the FINN-R LUT model.

use anyhow::{anyhow, Result};
use serde_json::{json, Value};

use super::Args;
use crate::console::outln;
use crate::fit::point_params;

/// Job limits (M, K, N) every (c) design is sized for.
const LUT_LIMITS: (u32, u32, u32) = (256, 4608, 196);

/// The FINN-R LUT model of a PE with `q` lanes of `w`×`a` bits and an `acc`-bit accumulator.
pub fn finn_r_luts(q: u32, w: u32, a: u32, acc: u32) -> f64 {
    let wa = (w + a) as f64;
    let q = q as f64;
    q * (2.0 * ((w + a) as f64 / 6.0).ceil() - 1.0) * wa + wa * (2.0 * q - 1.0) + acc as f64
}

/// (c): one LUT PE per bit width of `--lut-bits`; prints the table (Markdown unless
/// `--json`) and returns its rows as JSON.
pub(super) fn lut_table(args: &Args) -> Result<Value> {
    let q = args.lanes;
    let md = !args.json;
    if md {
        outln!(
            "## (c) LUT-multiplier PE, {q} lanes, Yosys synth_xilinx -family xcup (K <= {})\n",
            LUT_LIMITS.1
        );
        outln!("| W=A | levels | product bits | LUTs | LUT-RAM sites | BRAM36 | FFs | LUT levels | (LUT + LUT-RAM) / lane | FINN-R model / lane | ratio | bit-serial DPU (Dk 256) per MAC/cycle |");
        outln!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    }
    let mut rows = Vec::new();
    for &b in &args.lut_bits {
        // The bit-serial reference at the same bits: signed weights, unsigned activations.
        let bs = point_params((false, 1, 1, 256, b, b, 0), LUT_LIMITS);
        let dir = crate::output::temp_dir()?;
        let r = testbench::synth::synth(
            dir.path(),
            &[bs.popcount().module(), hdl::dpu::module(&bs)],
            "dpu",
            "",
        )
        .map_err(|e| anyhow!("bit-serial W{b}A{b}: {e}"))?;
        let bs_per_mac = r.luts() as f64 / (256.0 / (b * b) as f64);
        // QN-style integer levels: magnitudes < 2^(b−1), activations < 2^b.
        let small = hdl::popcount::ubits(((1u64 << (b - 1)) - 1) * ((1u64 << b) - 1));
        for (levels, pb) in [("small integer (QN)", small), ("LCQ b'=8", 15)] {
            let p = point_params((true, 1, 1, q, b, b, pb), LUT_LIMITS);
            p.validate().map_err(|e| anyhow!("W{b}A{b}: {e}"))?;
            let dir = crate::output::temp_dir()?;
            let r = testbench::synth::synth(
                dir.path(),
                &[
                    p.popcount().module(),
                    p.adder_tree().module(),
                    hdl::lut_pe::module(&p),
                ],
                "lut_pe",
                "",
            )
            .map_err(|e| anyhow!("LUT PE W{b}A{b}: {e}"))?;
            let per_lane = (r.luts() + r.lutram_sites) as f64 / q as f64;
            let finn = finn_r_luts(q, b, b, p.acc_width()) / q as f64;
            if md {
                outln!(
                    "| {b} | {levels} | {pb} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                    r.luts(),
                    r.lutram_sites,
                    r.bram36 + r.bram18,
                    r.ffs,
                    r.lut_levels(),
                    per_lane,
                    finn,
                    per_lane / finn,
                    bs_per_mac
                );
            }
            rows.push(json!({
                "bits": b, "levels": levels, "lanes": q, "product_bits": pb,
                "luts": r.luts(), "lutram_sites": r.lutram_sites,
                "bram36": r.bram36, "bram18": r.bram18, "ffs": r.ffs,
                "lut_levels": r.lut_levels(), "luts_per_lane": per_lane,
                "finn_r_luts_per_lane": finn, "ratio_to_finn_r": per_lane / finn,
                "bitserial_dpu_luts_per_mac_per_cycle": bs_per_mac,
            }));
        }
    }
    Ok(Value::Array(rows))
}

/// (b): one DPU per Dk of `--dk`; prints the table (Markdown unless `--json`) and returns
/// its rows as JSON.
pub(super) fn dpu_table(args: &Args) -> Result<Value> {
    let md = !args.json;
    if md {
        outln!("## (b) one DPU, Yosys synth_xilinx -family xcup (W2A2 unsigned planes, 17-bit accumulator)\n");
        outln!("| Dk | LUTs | LUT/binop | FFs | CARRY | LUT levels |\n|---|---|---|---|---|---|");
    }
    let mut rows = Vec::new();
    for &dk in &args.dk {
        let p = super::compressor::dpu_params(dk);
        let dir = crate::output::temp_dir()?;
        let mods = vec![p.popcount().module(), hdl::dpu::module(&p)];
        let r = testbench::synth::synth(dir.path(), &mods, "dpu", "")
            .map_err(|e| anyhow!("Dk {dk}: {e}"))?;
        let per_binop = r.luts() as f64 / (2 * dk) as f64;
        if md {
            outln!(
                "| {dk} | {} | {:.3} | {} | {} | {} |",
                r.luts(),
                per_binop,
                r.ffs,
                r.carry,
                r.lut_levels()
            );
        }
        rows.push(json!({
            "dk": dk, "compressor": "generic", "luts": r.luts(), "luts_per_binop": per_binop,
            "ffs": r.ffs, "carry": r.carry, "lut_levels": r.lut_levels(),
        }));
    }
    Ok(Value::Array(rows))
}
