//! (d) of `qforge bench --resnet18 [--json]`: the whole catalog ResNet-18 at W2A2 with seeded
//! synthetic weights (`crate::synthnet`), one 224×224 sample, on the cycle model on the default
//! 8×8×256 array and on the largest square bit-serial array within the LUT budget
//! (`netreport::largest_square`): lowering and simulation time, cycles, agreement with
//! `sim::timing` and `report time`; then one layer (`--rtl-layer`) on the model and Verilator.

use std::time::Instant;

use anyhow::{anyhow, Result};
use sim::engine::Engine;
use sim::harness::{run, Stalls};

use super::Args;
use crate::console::outln;

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
        target: hdl::params::Target::Generic,
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

/// Run (d) and print its tables, or JSON with `--json`.
pub(super) fn resnet18_cmd(args: &Args) -> Result<()> {
    use crate::policy::{EngineKind, Policy};
    use serde_json::json;
    let net = crate::catalog::get("resnet18").expect("built-in");
    let t = Instant::now();
    let synth = crate::synthnet::build(&net, 2, 2, args.seed)?;
    let build_s = t.elapsed().as_secs_f64();
    // The engine flags' defaults (`crate::engine_spec`).
    let (dm, dn, dk) = crate::engine_spec::BITSERIAL_ARRAY;
    let base = Policy {
        w_bits: 2,
        a_bits: 2,
        first_last_bits: 2,
        engine: EngineKind::BitSerial,
        dm,
        dn,
        dk,
        clock_mhz: crate::engine_spec::CLOCK_MHZ,
        prod_bits: crate::engine_spec::NETWORK_PROD_BITS,
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
                clock_mhz: base.clock_mhz,
                target: hdl::params::Target::Generic,
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
        let dir = crate::output::temp_dir()?;
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
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "network": "resnet18", "bits": "2/2", "seed": args.seed, "budget": args.budget,
                "build_s": build_s, "notes": synth.notes, "runs": v, "verilator_layer": rtl_v,
            }))?
        );
        return Ok(());
    }
    outln!("## (d) whole ResNet-18 W2A2 (seeded synthetic weights, seed {}), one 224x224 sample, cycle model
", args.seed);
    outln!(
        "Build (synthetic weights, BatchNorm calibration run): {build_s:.2} s.
"
    );
    outln!("| array | LUTs (model) | lower s | simulate s | cycles | cycles/s | = sim::timing | = report time (layers) |
|---|---|---|---|---|---|---|---|");
    for r in &runs {
        let same = r.report.iter().filter(|x| x.1.is_none()).count();
        outln!(
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
            outln!(
                "
{}x{}x{}: layers whose cycles differ from `report time --bits 2/2 --first-last-bits 2`:",
                r.array.0,
                r.array.1,
                r.array.2
            );
            for d in diffs {
                outln!("- {d}");
            }
        }
    }
    if let Some((name, (m, k, n), c, ms, bs, rs)) = &rtl {
        outln!(
            "
## one layer on Verilator, {name} (M={m} K={k} N={n}, default array): {c} cycles
"
        );
        outln!(
            "| simulator | build s | run s | cycles/s |
|---|---|---|---|"
        );
        outln!("| Rust cycle model | - | {ms:.3} | {:.0} |", *c as f64 / ms);
        outln!(
            "| Verilator (DynRtl) | {bs:.1} | {rs:.3} | {:.0} |",
            *c as f64 / rs
        );
        outln!(
            "
model / Verilator (run): {:.1}x",
            rs / ms
        );
    }
    Ok(())
}
