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
