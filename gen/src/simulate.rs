//! `qforge simulate`: run the design's layer on the cycle-accurate model, check it against the
//! golden reference, report cycles and simulation speed, optionally write a VCD.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use sim::engine::{Engine, State};
use sim::harness::{run, run_traced, Stalls};
use sim::vcd::{Signal, VcdWriter};

use crate::console::outln;
use crate::design::DesignCfg;

/// Arguments of `qforge simulate`.
#[derive(clap::Args)]
pub struct Args {
    /// Design config (TOML); the built-in default when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Write a waveform of the top-level ports and controller state.
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Percent of cycles each source offers a beat and the sink is ready (100 = no stalls).
    #[arg(long, default_value_t = 100)]
    stall_pct: u32,
}

fn bits(v: bool) -> Vec<u64> {
    vec![v as u64]
}

/// Run the command.
pub fn run_cmd(args: &Args) -> Result<()> {
    if args.stall_pct == 0 || args.stall_pct > 100 {
        bail!("--stall-pct: must be in 1..=100, got {}", args.stall_pct);
    }
    let d = DesignCfg::load(args.config.as_deref())?.resolve()?;
    let p = d.params;
    let (wt, act, want) = d.job.streams(&p);
    let stalls = Stalls {
        wt_pct: args.stall_pct,
        act_pct: args.stall_pct,
        out_pct: args.stall_pct,
        seed: 1,
    };
    let t0 = Instant::now();
    let mut e = Engine::new(p);
    let mut vcd = None;
    let r = match &args.vcd {
        None => run(&mut e, &wt, &act, want.len(), stalls, None, u64::MAX),
        Some(path) => {
            // Checked before the run; the waveform is buffered and committed at the end.
            crate::output::Outputs::default().add("--vcd", path, Vec::new())?;
            let sig = |n: &str, w: u32| Signal {
                name: n.into(),
                width: w,
            };
            let signals = vec![
                sig("rst", 1),
                sig("state_q", 3),
                sig("s_axis_wt_tdata", p.wt_stream_width()),
                sig("s_axis_wt_tvalid", 1),
                sig("s_axis_wt_tready", 1),
                sig("s_axis_wt_tlast", 1),
                sig("s_axis_act_tdata", p.act_stream_width()),
                sig("s_axis_act_tvalid", 1),
                sig("s_axis_act_tready", 1),
                sig("s_axis_act_tlast", 1),
                sig("m_axis_out_tdata", p.out_stream_width()),
                sig("m_axis_out_tvalid", 1),
                sig("m_axis_out_tready", 1),
                sig("m_axis_out_tlast", 1),
            ];
            let mut w = VcdWriter::new(Vec::new(), p.top_name(), signals)?;
            let mut err = None;
            let r = run_traced(
                &mut e,
                &wt,
                &act,
                want.len(),
                stalls,
                None,
                u64::MAX,
                &mut |t, i, o, s: Option<State>| {
                    let mut out = o.out_data.clone();
                    out.resize(p.out_stream_width().div_ceil(64) as usize, 0);
                    let vals = vec![
                        bits(false),
                        vec![s.map_or(0, |s| s as u64)],
                        i.wt.data.to_vec(),
                        bits(i.wt.valid),
                        bits(o.wt_ready),
                        bits(i.wt.last),
                        i.act.data.to_vec(),
                        bits(i.act.valid),
                        bits(o.act_ready),
                        bits(i.act.last),
                        out,
                        bits(o.out_valid),
                        bits(i.out_ready),
                        bits(o.out_last),
                    ];
                    if let Err(x) = w.cycle(t, &vals) {
                        err.get_or_insert(x);
                    }
                },
            );
            if let Some(x) = err {
                return Err(x).with_context(|| format!("--vcd: writing {}", path.display()));
            }
            vcd = Some((path, w.finish()?));
            r
        }
    }
    .map_err(|e| anyhow!("cycle model: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let ok = r.beats == want && e.protocol_errors.is_empty();
    if let Some((path, bytes)) = vcd {
        // Written also when the model disagrees with golden: the waveform is for debugging.
        let mut outs = crate::output::Outputs::default();
        outs.add("--vcd", path, bytes)?;
        outs.commit()?;
    }
    if args.json {
        outln!(
            "{}",
            serde_json::json!({
                "cycles": r.cycles, "beats": r.beats.len(), "matches_golden": ok,
                "seconds": secs, "cycles_per_second": r.cycles as f64 / secs,
                "m": d.job.m, "k": d.job.k, "n": d.job.n, "dm": p.dm, "dn": p.dn, "dk": p.dk,
            })
        );
    } else {
        outln!(
            "simulated {} cycles ({} output beats) in {:.3} s: {:.2} M cycles/s",
            r.cycles,
            r.beats.len(),
            secs,
            r.cycles as f64 / secs / 1e6
        );
        outln!(
            "outputs {} the golden reference",
            if ok { "match" } else { "DO NOT match" }
        );
    }
    if !ok {
        bail!(
            "the cycle model disagrees with the golden reference: {:?}",
            e.protocol_errors
        );
    }
    Ok(())
}
