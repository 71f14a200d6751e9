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
//! (d) `--resnet18 [--json]`: the whole catalog ResNet-18 at W2A2 with seeded synthetic
//!     weights (`crate::synthnet`), one 224×224 sample, on the cycle model on the default
//!     8×8×256 array and on the largest square bit-serial array with Dk = 256 whose modelled
//!     LUTs fit the budget (`netreport::largest_square`, as `report compare`): wall seconds of
//!     lowering and of simulation, cycles, cycles/s, whether the cycles equal `sim::timing`
//!     and `report time --bits 2/2 --first-last-bits 2` (per layer, with the cause of any
//!     difference); then one layer (`--rtl-layer`) on the model and on Verilator (`DynRtl`:
//!     build and run time).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Result};
use hdl::params::{ActEnc, EngineParams, WeightEnc};
use sim::engine::Engine;
use sim::harness::{run, Stalls};
use testbench::bench::{Bench, Simulator};

use crate::design::DesignCfg;
use crate::fit::point_params;

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
    /// With `--fit`: also write the measurements as CSV (the format of
    /// `docs/data/resource_fit.csv`).
    #[arg(long)]
    fit_csv: Option<PathBuf>,
    /// Instead of (a)–(c): (d) the whole catalog ResNet-18, W2A2, seeded synthetic weights,
    /// one 224×224 sample, on the cycle model on the default array and on the largest
    /// bit-serial array within the LUT budget; and one layer on Verilator.
    #[arg(long)]
    resnet18: bool,
    /// With `--resnet18`: seed of the synthetic weights and input.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// With `--resnet18`: share of the xcvu9p's LUTs the large array may use.
    #[arg(long, default_value_t = 0.7)]
    budget: f64,
    /// With `--resnet18`: the layer timed on Verilator against the model (`none` skips it).
    #[arg(long, default_value = "layer3.1.conv1")]
    rtl_layer: String,
    /// With `--resnet18`: print JSON.
    #[arg(long)]
    json: bool,
}

/// One ResNet-18 run of (d).
struct NetRun {
    array: (u32, u32, u32),
    luts_model: f64,
    lower_s: f64,
    sim_s: f64,
    cycles: u64,
    layers: Vec<(String, u64, bool)>,
    closed_ok: bool,
    /// Per layer: the `report time` cycles and, where they differ, the cause.
    report: Vec<(u64, Option<String>)>,
    dump: Vec<crate::exec::JobStreams>,
}

fn resnet18_run(
    net: &crate::network::Network,
    synth: &crate::synthnet::SynthNet,
    policy: &crate::policy::Policy,
    luts_model: f64,
    keep_streams: bool,
) -> Result<NetRun> {
    use crate::lower::{ArrayCfg, EngineChoice, Plan};
    let array = (policy.dm, policy.dn, policy.dk);
    let cfg = ArrayCfg {
        kind: EngineChoice::BitSerial,
        array: Some(array),
        clock_mhz: policy.clock_mhz,
    };
    let t = Instant::now();
    let plan = Plan::new(synth.model.clone(), &cfg)?;
    let lower_s = t.elapsed().as_secs_f64();
    let mut dump = keep_streams.then(Vec::new);
    let t = Instant::now();
    let batch = crate::run::run_batch(&plan, &[synth.sample()], None, dump.as_mut())?;
    let sim_s = t.elapsed().as_secs_f64();
    let cycles = &batch.samples[0].layer_cycles;
    let closed_ok = crate::run::timing(&plan) == *cycles;
    let rows = crate::netreport::time(net, policy);
    let mut report = Vec::new();
    for (l, &c) in plan.layers.iter().zip(cycles) {
        let Some((i, r)) = net
            .compute_layers()
            .into_iter()
            .zip(&rows)
            .find(|(i, _)| net.layers[*i].name == l.name)
        else {
            report.push((0, Some("not in report time".into())));
            continue;
        };
        let cause = (r.cycles != c).then(|| {
            let g = net.layers[i].gemm().expect("compute layer");
            let e = policy
                .engine_for(&g, policy.role(net, i))
                .expect("quantized at 2 bits");
            let raw = l.out_q.is_none();
            let as_run = g.groups as u64 * sim::timing::job_cycles(&e, g.m, g.k, g.n, raw);
            format!(
                "differs: the run's mode is {} and report time's is {} ({as_run} cycles in the run's mode on the report's engine)",
                if raw { "raw" } else { "codes" },
                if r.raw { "raw" } else { "codes" }
            )
        });
        report.push((r.cycles, cause));
    }
    Ok(NetRun {
        array,
        luts_model,
        lower_s,
        sim_s,
        cycles: cycles.iter().sum(),
        layers: plan
            .layers
            .iter()
            .zip(cycles)
            .map(|(l, &c)| (l.name.clone(), c, l.out_q.is_none()))
            .collect(),
        closed_ok,
        report,
        dump: dump.unwrap_or_default(),
    })
}

fn resnet18_cmd(args: &Args) -> Result<()> {
    use crate::policy::{EngineKind, Policy};
    use serde_json::json;
    let net = crate::catalog::get("resnet18").expect("built-in");
    let t = Instant::now();
    let synth = crate::synthnet::build(&net, 2, 2, args.seed)?;
    let build_s = t.elapsed().as_secs_f64();
    let base = Policy {
        w_bits: 2,
        a_bits: 2,
        first_last_bits: 2,
        engine: EngineKind::BitSerial,
        dm: 8,
        dn: 8,
        dk: 256,
        clock_mhz: 300.0,
        prod_bits: 15,
    };
    let luts = |p: &Policy| crate::resources::model(&crate::netreport::engine_of(&net, p)).luts;
    let (big, big_r) = crate::netreport::largest_square(&net, &base, args.budget)
        .ok_or_else(|| anyhow!("--budget: even a 1x1 array exceeds it"))?;
    let runs = vec![
        resnet18_run(&net, &synth, &base, luts(&base), args.rtl_layer != "none")?,
        resnet18_run(&net, &synth, &big, big_r.luts, false)?,
    ];
    // One layer on Verilator against the model, on the default array.
    let rtl = if args.rtl_layer == "none" {
        None
    } else {
        let d = &runs[0];
        let js = d
            .dump
            .iter()
            .find(|j| j.layer == args.rtl_layer)
            .ok_or_else(|| {
                anyhow!(
                    "--rtl-layer: {:?} is not a layer of resnet18",
                    args.rtl_layer
                )
            })?;
        let plan = crate::lower::Plan::new(
            synth.model.clone(),
            &crate::lower::ArrayCfg {
                kind: crate::lower::EngineChoice::BitSerial,
                array: Some(d.array),
                clock_mhz: 300.0,
            },
        )?;
        let p = plan.params;
        let layer = plan
            .layers
            .iter()
            .find(|l| l.name == args.rtl_layer)
            .expect("found above");
        let (m, k, n) = layer.geom.mkn();
        let mut e = Engine::new(p);
        let t = Instant::now();
        let rm = run(
            &mut e,
            &js.wt,
            &js.act,
            js.out.len(),
            Stalls::NONE,
            None,
            u64::MAX,
        )
        .map_err(|e| anyhow!(e))?;
        let model_s = t.elapsed().as_secs_f64();
        let dir = tempfile::tempdir()?;
        let t = Instant::now();
        let mut r = testbench::dynrtl::DynRtl::build(&p, dir.path())
            .map_err(|e| anyhow!("Verilator: {e}"))?;
        let build_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let rv = run(
            &mut r,
            &js.wt,
            &js.act,
            js.out.len(),
            Stalls::NONE,
            None,
            u64::MAX,
        )
        .map_err(|e| anyhow!(e))?;
        let run_s = t.elapsed().as_secs_f64();
        if rv.beats != js.out || rm.beats != js.out || rv.cycles != rm.cycles {
            return Err(anyhow!(
                "{}: Verilator ({} cycles) and the model ({} cycles) disagree with each other or with golden",
                args.rtl_layer, rv.cycles, rm.cycles
            ));
        }
        Some((
            args.rtl_layer.clone(),
            (m, k, n),
            rm.cycles,
            model_s,
            build_s,
            run_s,
        ))
    };
    if args.json {
        let v: Vec<_> = runs
            .iter()
            .map(|r| {
                json!({
                    "array": format!("{}x{}x{}", r.array.0, r.array.1, r.array.2),
                    "luts_model": r.luts_model,
                    "lower_s": r.lower_s, "simulate_s": r.sim_s,
                    "cycles": r.cycles, "cycles_per_s": r.cycles as f64 / r.sim_s,
                    "cycles_equal_sim_timing": r.closed_ok,
                    "report_time_cycles": r.report.iter().map(|x| x.0).sum::<u64>(),
                    "layers": r.layers.iter().zip(&r.report).map(|((n, c, raw), (rc, why))| json!({
                        "name": n, "cycles": c, "mode": if *raw { "raw" } else { "codes" },
                        "report_time_cycles": rc, "differs_because": why,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let rtl_v = rtl.as_ref().map(|(name, (m, k, n), c, ms, bs, rs)| {
            json!({
                "layer": name, "m": m, "k": k, "n": n, "cycles": c,
                "model_s": ms, "verilator_build_s": bs, "verilator_run_s": rs,
                "model_cycles_per_s": *c as f64 / ms, "verilator_cycles_per_s": *c as f64 / rs,
            })
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "network": "resnet18", "bits": "2/2", "seed": args.seed, "budget": args.budget,
                "build_s": build_s, "notes": synth.notes, "runs": v, "verilator_layer": rtl_v,
            }))?
        );
        return Ok(());
    }
    println!("## (d) whole ResNet-18 W2A2 (seeded synthetic weights, seed {}), one 224x224 sample, cycle model
", args.seed);
    println!(
        "Build (synthetic weights, BatchNorm calibration run): {build_s:.2} s.
"
    );
    println!("| array | LUTs (model) | lower s | simulate s | cycles | cycles/s | = sim::timing | = report time (layers) |
|---|---|---|---|---|---|---|---|");
    for r in &runs {
        let same = r.report.iter().filter(|x| x.1.is_none()).count();
        println!(
            "| {}x{}x{} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {} | {same} of {} (report total {}) |",
            r.array.0,
            r.array.1,
            r.array.2,
            r.luts_model,
            r.lower_s,
            r.sim_s,
            r.cycles,
            r.cycles as f64 / r.sim_s,
            if r.closed_ok { "yes" } else { "NO" },
            r.report.len(),
            r.report.iter().map(|x| x.0).sum::<u64>()
        );
    }
    for r in &runs {
        let diffs: Vec<String> = r
            .layers
            .iter()
            .zip(&r.report)
            .filter_map(|((n, c, _), (rc, why))| {
                why.as_ref().map(|w| format!("{n} {c} vs {rc}: {w}"))
            })
            .collect();
        if !diffs.is_empty() {
            println!(
                "
{}x{}x{}: layers whose cycles differ from `report time --bits 2/2 --first-last-bits 2`:",
                r.array.0, r.array.1, r.array.2
            );
            for d in diffs {
                println!("- {d}");
            }
        }
    }
    if let Some((name, (m, k, n), c, ms, bs, rs)) = &rtl {
        println!(
            "
## one layer on Verilator, {name} (M={m} K={k} N={n}, default array): {c} cycles
"
        );
        println!(
            "| simulator | build s | run s | cycles/s |
|---|---|---|---|"
        );
        println!("| Rust cycle model | - | {ms:.3} | {:.0} |", *c as f64 / ms);
        println!(
            "| Verilator (DynRtl) | {bs:.1} | {rs:.3} | {:.0} |",
            *c as f64 / rs
        );
        println!(
            "
model / Verilator (run): {:.1}x",
            rs / ms
        );
    }
    Ok(())
}

fn fit_cmd(csv: Option<&std::path::Path>) -> Result<()> {
    use crate::fit::{fit_kind, point_params, Measured, CSV_HEADER, FIT_LIMITS, POINTS};
    println!("## resource model fit: whole engines, Yosys synth_xilinx -family xcup\n");
    println!(
        "| kind | Dm x Dn x Dk | W/A | P | LUTs | LUT-RAM sites | FFs | BRAM36 | model BRAM36 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for pt in POINTS {
        let p = point_params(pt, FIT_LIMITS);
        p.validate().map_err(|e| anyhow!("{pt:?}: {e}"))?;
        let dir = tempfile::tempdir()?;
        let r = testbench::synth::synth(dir.path(), &hdl::engine::modules(&p), p.top_name(), "")
            .map_err(|e| anyhow!("{pt:?}: {e}"))?;
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
        std::fs::write(path, text)
            .map_err(|e| anyhow!("--fit-csv: cannot write {}: {e}", path.display()))?;
    }
    for (lut, name) in [(false, "bitserial"), (true, "lut")] {
        let (luts, ffs) = fit_kind(&rows, lut);
        for (what, (c, e)) in [("LUT", luts), ("FF", ffs)] {
            println!(
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

/// Job limits (M, K, N) every (c) design is sized for.
const LUT_LIMITS: (u32, u32, u32) = (256, 4608, 196);

/// The FINN-R LUT model of a PE with `q` lanes of `w`×`a` bits and an `acc`-bit accumulator.
pub fn finn_r_luts(q: u32, w: u32, a: u32, acc: u32) -> f64 {
    let wa = (w + a) as f64;
    let q = q as f64;
    q * (2.0 * ((w + a) as f64 / 6.0).ceil() - 1.0) * wa + wa * (2.0 * q - 1.0) + acc as f64
}

fn lut_table(args: &Args) -> Result<()> {
    let q = args.lanes;
    println!(
        "## (c) LUT-multiplier PE, {q} lanes, Yosys synth_xilinx -family xcup (K <= {})\n",
        LUT_LIMITS.1
    );
    println!("| W=A | levels | product bits | LUTs | LUT-RAM sites | BRAM36 | FFs | LUT levels | (LUT + LUT-RAM) / lane | FINN-R model / lane | ratio | bit-serial DPU (Dk 256) per MAC/cycle |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &b in &args.lut_bits {
        // The bit-serial reference at the same bits: signed weights, unsigned activations.
        let bs = point_params((false, 1, 1, 256, b, b, 0), LUT_LIMITS);
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
            let p = point_params((true, 1, 1, q, b, b, pb), LUT_LIMITS);
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
        return fit_cmd(args.fit_csv.as_deref());
    }
    if args.resnet18 {
        return resnet18_cmd(args);
    }
    if !args.no_sim {
        let d = DesignCfg::load(args.config.as_deref())?.resolve()?;
        let p = d.params;
        let (wt, act, want) = d.job.streams(&p);
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
