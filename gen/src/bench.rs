//! `qforge bench`: the measurements issue notes quote, reproducibly.
//!
//! (a) Simulated cycles per second of the Rust cycle model and of Verilator on the same
//!     workload: the design's layer, no stalls. The model reuses one engine (each run starts
//!     with a reset); Verilator's figure is the wall time of the generated testbench binary
//!     (process start and `$readmemh` included, build excluded), best of 3.
//! (b) Yosys `synth_xilinx -family xcup` of one DPU (AND-popcount tree + accumulator) at
//!     several Dk: LUTs, LUTs per binary op (`2·Dk` per DPU per cycle), flip-flops, carry
//!     cells, and LUT levels between flops from the mapped netlist.
//! (c) Yosys of one LUT-multiplier PE (`Q` lanes) at 2, 3 and 4 bits: LUTs, LUT-RAM sites,
//!     BRAM per MAC lane, for QN-style small integer levels (products of `2b − 1` bits) and
//!     LCQ 8-bit outer levels (15-bit products); beside one bit-serial DPU at the same bits
//!     (per MAC per cycle: a `Dk`-bit DPU retires `Dk / (W·A)` MACs per cycle) and beside the
//!     FINN-R LUT model `Q·(2⌈(W+A)/6⌉−1)·(W+A) + (W+A)(2Q−1) + acc` per PE of Q lanes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Result};
use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};
use sim::engine::Engine;
use sim::harness::{run, Stalls};
use testbench::bench::{Bench, Simulator};

use crate::design::DesignCfg;

/// Arguments of `qforge bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Design config for (a); the built-in default when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Dk values for the DPU synthesis (b).
    #[arg(long, value_delimiter = ',', default_value = "64,128,256,512")]
    dk: Vec<u32>,
    /// Skip (a), the simulation speed comparison.
    #[arg(long)]
    no_sim: bool,
    /// Skip (b), the bit-serial DPU synthesis.
    #[arg(long)]
    no_synth: bool,
    /// Bit widths (W = A) for (c), the LUT PE synthesis.
    #[arg(long, value_delimiter = ',', default_value = "2,3,4")]
    lut_bits: Vec<u32>,
    /// Lanes Q of the LUT PE in (c).
    #[arg(long, default_value_t = 64)]
    lanes: u32,
    /// Skip (c).
    #[arg(long)]
    no_lut: bool,
    /// Instead of (a)–(c): synthesize whole engines at the resource model's design points,
    /// fit its coefficients and report its error (in-sample and leave-one-out).
    #[arg(long)]
    fit: bool,
}

/// The resource model's design points: (kind LUT?, Dm, Dn, Dk, W, A, product bits).
const FIT_POINTS: [(bool, u32, u32, u32, u32, u32, u32); 24] = [
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

/// Engine parameters of a fit point (limits: M ≤ 64, K ≤ 576, N ≤ 16).
pub fn fit_params(pt: (bool, u32, u32, u32, u32, u32, u32)) -> EngineParams {
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
        max_m: 64,
        max_k: 576,
        max_n: 16,
    }
}

fn fit_cmd() -> Result<()> {
    use crate::resources::{features, least_squares, table_sites};
    println!("## resource model fit: whole engines, Yosys synth_xilinx -family xcup\n");
    println!(
        "| kind | Dm x Dn x Dk | W/A | P | LUTs | LUT-RAM sites | FFs | BRAM36 | model BRAM36 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut rows: Vec<(bool, EngineParams, f64, f64)> = Vec::new();
    for pt in FIT_POINTS {
        let p = fit_params(pt);
        p.validate().map_err(|e| anyhow!("{pt:?}: {e}"))?;
        let dir = tempfile::tempdir()?;
        let r = testbench::synth::synth(dir.path(), &hdl::engine::modules(&p), p.top_name(), "")
            .map_err(|e| anyhow!("{pt:?}: {e}"))?;
        let bram = (r.bram36 as f64) + (r.bram18 as f64) / 2.0;
        println!(
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
            bram,
            crate::resources::bram36(&p)
        );
        // Table LUT-RAM is counted exactly by the model; fit the rest.
        let tables = if p.is_lut() {
            (p.dm * p.dn * p.dk) as f64 * table_sites(&p)
        } else {
            0.0
        };
        let luts = (r.luts() + r.lutram_sites) as f64 - tables;
        rows.push((pt.0, p, luts, r.ffs as f64));
    }
    for (kind, name) in [(false, "bitserial"), (true, "lut")] {
        let sel: Vec<&(bool, EngineParams, f64, f64)> =
            rows.iter().filter(|r| r.0 == kind).collect();
        let x: Vec<Vec<f64>> = sel.iter().map(|r| features(&r.1)).collect();
        for (what, idx) in [("LUT", 2usize), ("FF", 3)] {
            let y: Vec<f64> = sel
                .iter()
                .map(|r| if idx == 2 { r.2 } else { r.3 })
                .collect();
            let c = least_squares(&x, &y);
            let err = |pred: f64, want: f64| (pred - want) / want * 100.0;
            let ins: Vec<f64> = x
                .iter()
                .zip(&y)
                .map(|(f, &w)| err(f.iter().zip(&c).map(|(a, b)| a * b).sum(), w))
                .collect();
            let loo: Vec<f64> = (0..x.len())
                .map(|i| {
                    let xs: Vec<Vec<f64>> = (0..x.len())
                        .filter(|&j| j != i)
                        .map(|j| x[j].clone())
                        .collect();
                    let ys: Vec<f64> = (0..y.len()).filter(|&j| j != i).map(|j| y[j]).collect();
                    let ci = least_squares(&xs, &ys);
                    err(x[i].iter().zip(&ci).map(|(a, b)| a * b).sum(), y[i])
                })
                .collect();
            let max = |v: &[f64]| v.iter().fold(0.0f64, |m, e| m.max(e.abs()));
            let mean = |v: &[f64]| v.iter().map(|e| e.abs()).sum::<f64>() / v.len() as f64;
            println!(
                "\n{name} {what}: coefficients {:?}\n  in-sample error: mean {:.1}%, max {:.1}%; leave-one-out: mean {:.1}%, max {:.1}% ({} points)",
                c.iter().map(|v| (v * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
                mean(&ins),
                max(&ins),
                mean(&loo),
                max(&loo),
                x.len()
            );
        }
    }
    Ok(())
}

/// Weight/activation bits of every (c) design, and the K they are sized for.
const LUT_MAX_K: u32 = 4608;

fn lut_pe_params(bits: u32, lanes: u32, prod_bits: u32) -> EngineParams {
    EngineParams {
        kind: Kind::Lut { prod_bits },
        dm: 1,
        dn: 1,
        dk: lanes,
        w_bits: bits,
        a_bits: bits,
        out_bits: 2,
        w_enc: WeightEnc::SignMag,
        a_enc: ActEnc::Unsigned,
        max_m: 256,
        max_k: LUT_MAX_K,
        max_n: 196,
    }
}

/// The FINN-R LUT model of a PE with `q` lanes of `w`×`a` bits and an `acc`-bit accumulator.
pub fn finn_r_luts(q: u32, w: u32, a: u32, acc: u32) -> f64 {
    let wa = (w + a) as f64;
    let q = q as f64;
    q * (2.0 * ((w + a) as f64 / 6.0).ceil() - 1.0) * wa + wa * (2.0 * q - 1.0) + acc as f64
}

fn lut_table(args: &Args) -> Result<()> {
    let q = args.lanes;
    println!(
        "## (c) LUT-multiplier PE, {q} lanes, Yosys synth_xilinx -family xcup (K <= {LUT_MAX_K})\n"
    );
    println!("| W=A | levels | product bits | LUTs | LUT-RAM sites | BRAM36 | FFs | LUT levels | (LUT + LUT-RAM) / lane | FINN-R model / lane | ratio | bit-serial DPU (Dk 256) per MAC/cycle |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &b in &args.lut_bits {
        // The bit-serial reference at the same bits: signed weights, unsigned activations.
        let bs = EngineParams {
            kind: Kind::BitSerial,
            dm: 1,
            dn: 1,
            dk: 256,
            w_bits: b,
            a_bits: b,
            out_bits: 2,
            w_enc: WeightEnc::Signed,
            a_enc: ActEnc::Unsigned,
            max_m: 256,
            max_k: LUT_MAX_K,
            max_n: 196,
        };
        let dir = tempfile::tempdir()?;
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
            let p = lut_pe_params(b, q, pb);
            p.validate().map_err(|e| anyhow!("W{b}A{b}: {e}"))?;
            let dir = tempfile::tempdir()?;
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
            println!(
                "| {b} | {levels} | {pb} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                r.luts(),
                r.lutram_sites,
                r.bram36 + r.bram18,
                r.ffs,
                r.lut_levels,
                per_lane,
                finn,
                per_lane / finn,
                bs_per_mac
            );
        }
    }
    Ok(())
}

/// Run the command.
pub fn run_cmd(args: &Args) -> Result<()> {
    if args.fit {
        return fit_cmd();
    }
    if !args.no_sim {
        let d = DesignCfg::load(args.config.as_deref())?.resolve()?;
        let p = d.params;
        let (wt, act, want) = (
            d.job.wt_stream(&p),
            d.job.act_stream(&p),
            d.job.expected(&p),
        );
        let mut e = Engine::new(p);
        let mut cycles = 0u64;
        let t0 = Instant::now();
        let mut runs = 0;
        while runs < 3 || t0.elapsed().as_secs_f64() < 2.0 {
            let r = run(&mut e, &wt, &act, want.len(), Stalls::NONE, None, u64::MAX)
                .map_err(|e| anyhow!(e))?;
            if r.beats != want {
                return Err(anyhow!("cycle model disagrees with golden"));
            }
            cycles += r.cycles;
            runs += 1;
        }
        let model_rate = cycles as f64 / t0.elapsed().as_secs_f64();
        let per_run = cycles / runs;
        let dir = tempfile::tempdir()?;
        let t_build = Instant::now();
        let bench = Bench::build(&p, dir.path(), Simulator::Verilator).map_err(|e| anyhow!(e))?;
        let build_s = t_build.elapsed().as_secs_f64();
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let c = bench
                .run_job(&d.job, Stalls::NONE, None)
                .map_err(|e| anyhow!(e))?;
            best = best.min(t.elapsed().as_secs_f64());
            if c != per_run {
                return Err(anyhow!("Verilator took {c} cycles, the model {per_run}"));
            }
        }
        let v_rate = per_run as f64 / best;
        println!(
            "## (a) simulation speed, {} x {} x {} array, layer M={} K={} N={}: {} cycles\n",
            p.dm, p.dn, p.dk, d.job.m, d.job.k, d.job.n, per_run
        );
        println!("| simulator | cycles/s | run time | notes |\n|---|---|---|---|");
        println!(
            "| Rust cycle model | {:.0} | {:.1} ms | mean of {runs} runs |",
            model_rate,
            per_run as f64 / model_rate * 1e3
        );
        println!("| Verilator 5 (--binary --timing -O2) | {:.0} | {:.1} ms | best of 3; build {:.0} s excluded |", v_rate, best * 1e3, build_s);
        println!("\nmodel / Verilator: {:.1}x\n", model_rate / v_rate);
    }
    if !args.no_lut {
        lut_table(args)?;
    }
    if !args.no_synth {
        println!("## (b) one DPU, Yosys synth_xilinx -family xcup (W2A2 unsigned planes, 17-bit accumulator)\n");
        println!("| Dk | LUTs | LUT/binop | FFs | CARRY | LUT levels |\n|---|---|---|---|---|---|");
        for &dk in &args.dk {
            let p = EngineParams {
                kind: hdl::params::Kind::BitSerial,
                dm: 1,
                dn: 1,
                dk,
                w_bits: 2,
                a_bits: 2,
                out_bits: 2,
                w_enc: WeightEnc::Unsigned,
                a_enc: ActEnc::Unsigned,
                max_m: 256,
                max_k: 4608,
                max_n: 196,
            };
            let dir = tempfile::tempdir()?;
            let mods = vec![p.popcount().module(), hdl::dpu::module(&p)];
            let r = testbench::synth::synth(dir.path(), &mods, "dpu", "")
                .map_err(|e| anyhow!("Dk {dk}: {e}"))?;
            println!(
                "| {dk} | {} | {:.3} | {} | {} | {} |",
                r.luts(),
                r.luts() as f64 / (2 * dk) as f64,
                r.ffs,
                r.carry,
                r.lut_levels
            );
        }
    }
    Ok(())
}
