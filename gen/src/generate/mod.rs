//! `qforge generate`: RTL, testbench, vectors, run scripts, VU9P XDC and a short report for a
//! design (`--config`, one synthetic layer) or for a whole model (`--model`: the engine the
//! model runs on and the whole-network testbench `testbench::nettb` with one sample's
//! vectors), all written or none. The same inputs always give byte-identical files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use hdl::naming::check_prefix;
use sim::engine::Engine;
use sim::harness::Stalls;
use testbench::nettb::{NetJob, Network};
use testbench::tb::{testbench_prefixed, write_vectors, Capacity};

use crate::console::{out, outln};
use crate::design::{Design, DesignCfg};
use crate::engine_spec::EngineFlags;
use crate::exec::SampleRun;
use crate::lower::{Place, Plan};
use crate::output::Outputs;
use crate::report;

mod scripts;
use scripts::{net_script, rtl_files, script, top_name, vendor_files};
pub use scripts::{xdc, xdc_for, Files};

/// Arguments of `qforge generate`.
#[derive(clap::Args)]
pub struct Args {
    /// Design config (TOML, see docs/design.md); the built-in default when neither this nor
    /// `--model` is given.
    #[arg(long, conflicts_with = "model")]
    config: Option<PathBuf>,
    /// A model (`model.json` or its directory, docs/model.md): the engine it runs on and a
    /// whole-network testbench.
    #[arg(long)]
    model: Option<PathBuf>,
    /// `--model`: input batch (.npy); the testbench runs its sample 0. Default: a seeded
    /// synthetic sample (see docs/model.md).
    #[arg(long, requires = "model")]
    input: Option<PathBuf>,
    /// Output directory (created if missing). A re-run replaces the files the previous run
    /// listed in its manifest (`.qforge-manifest.json`) and keeps any others.
    #[arg(long)]
    out: PathBuf,
    /// Write into a non-empty `--out` directory that has no qforge manifest (its other files
    /// are kept).
    #[arg(long)]
    force: bool,
    /// Prefix every emitted module name with IDENT (`a_` gives `a_dpu`, `a_bitserial_engine`,
    /// ...), the testbench's too, so two designs can share one project (docs/design.md). An
    /// ASCII letter or `_`, then letters, digits or `_`. Overrides a design config's
    /// `output.prefix`. Default: none (the plain names).
    #[arg(long, value_name = "IDENT")]
    prefix: Option<String>,
    /// Engine flags (`--model` only: a design config sets its engine in `[engine]`).
    #[command(flatten)]
    engine: EngineFlags,
}

/// Every file of a design, its module names carrying `prefix` (`""`: none): (relative
/// path, bytes).
pub fn files(d: &Design, prefix: &str) -> Result<Files> {
    let p = &d.params;
    let (mut out, rtl_list) = rtl_files(p, prefix)?;
    let tb = format!("{prefix}{}", testbench::tb::TOP);
    let (vendor, v_pre, i_pre) = vendor_files(p)?;
    out.extend(vendor);
    out.push((
        format!("tb/{tb}.sv").into(),
        testbench_prefixed(p, prefix, Capacity::of(p), testbench::bench::MAX_CYCLES).into_bytes(),
    ));
    let tmp = crate::output::temp_dir()?;
    let args = write_vectors(tmp.path(), p, &d.job, Stalls::NONE, None)?;
    for f in ["wt.hex", "act.hex", "exp.hex"] {
        out.push((Path::new("tb").join(f), std::fs::read(tmp.path().join(f))?));
    }
    out.push((
        "tb/plusargs.txt".into(),
        (args.join(" ") + "\n").into_bytes(),
    ));
    out.push((
        "tb/run_verilator.sh".into(),
        script("verilator", &(v_pre + &rtl_list.join(" ")), &tb).into_bytes(),
    ));
    out.push((
        "tb/run_icarus.sh".into(),
        script("icarus", &(i_pre + &rtl_list.join(" ")), &tb).into_bytes(),
    ));
    out.push((
        format!("constraints/{}.xdc", top_name(p, prefix)).into(),
        xdc(d, prefix).into_bytes(),
    ));
    out.push(("report.md".into(), report::markdown(d)?.into_bytes()));
    Ok(out)
}

/// The upper end of the synthetic input: the largest value of the quantizer that reads the
/// graph input directly, or 1 when none does (or its largest value is not positive).
pub fn synthetic_max(plan: &Plan) -> f64 {
    let input = &plan.model.inputs[0].name;
    plan.model
        .nodes
        .iter()
        .find(|n| matches!(n.op, model::Op::Quant { .. }) && n.inputs.first() == Some(input))
        .and_then(|n| plan.quant_index.get(&n.name))
        .map(|&qi| {
            let q = plan.quants[qi].as_ref();
            (0..q.num_levels())
                .map(|i| q.value(i))
                .fold(f64::MIN, f64::max)
        })
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(1.0)
}

/// A deterministic synthetic sample of the model's input shape: element `i` is
/// `(x_i >> 8) / (2^24 − 1) · max` (uniform in `[0, max]`, [`synthetic_max`]) with `x_i` the
/// `i+1`-th step of xorshift32 from seed 1.
pub fn synthetic_input(plan: &Plan) -> Vec<f64> {
    let n: usize = plan.model.inputs[0].shape.iter().product();
    let max = synthetic_max(plan);
    let mut x = 1u32;
    (0..n)
        .map(|_| {
            x = sim::harness::xorshift32(x);
            (x >> 8) as f64 / ((1u32 << 24) - 1) as f64 * max
        })
        .collect()
}

/// Run sample `x` on the cycle model and collect every job (streams, golden output beats,
/// the model's cycles) for the whole-network testbench. Checks the per-layer cycles against
/// `sim::timing`.
pub fn model_network(plan: &Plan, x: &[f64]) -> Result<(Network, SampleRun)> {
    let mut engine = Engine::new(plan.params);
    let mut dump = Vec::new();
    let r = plan.run_sample(&mut engine, x, Some(&mut dump))?;
    let layers: Vec<String> = plan.layers.iter().map(|l| l.name.clone()).collect();
    let mut per_layer = vec![0u64; layers.len()];
    let mut jobs = Vec::new();
    for j in dump {
        let li = layers
            .iter()
            .position(|l| *l == j.layer)
            .ok_or_else(|| anyhow!("job of unknown layer {:?} (a bug)", j.layer))?;
        per_layer[li] += j.cycles;
        jobs.push(NetJob {
            layer: li,
            wt: j.wt,
            act: j.act,
            out: j.out,
            cycles: j.cycles,
        });
    }
    let closed = crate::run::timing(plan);
    if per_layer != r.layer_cycles || per_layer != closed {
        bail!(
            "job cycles {per_layer:?}, layer cycles {:?} and sim::timing's {closed:?} differ (a bug)",
            r.layer_cycles
        );
    }
    let net = Network {
        name: plan.model.name.clone(),
        layers,
        jobs,
    };
    net.validate().map_err(|e| anyhow!("{e}"))?;
    Ok((net, r))
}

/// Sample 0 of `--input`, or the synthetic sample; and a sentence saying which.
pub fn model_sample(plan: &Plan, input: Option<&Path>) -> Result<(Vec<f64>, String)> {
    Ok(match input {
        Some(path) => {
            let samples = crate::run::read_input(plan, path)?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            (
                samples
                    .into_iter()
                    .next()
                    .expect("read_input rejects an empty batch"),
                format!("sample 0 of `{name}`"),
            )
        }
        None => (
            synthetic_input(plan),
            format!(
                "a synthetic sample (no `--input`): xorshift32 from seed 1, uniform in [0, {}]",
                synthetic_max(plan)
            ),
        ),
    })
}

/// The report of a model's engine, its modules named with `prefix`.
fn model_report(plan: &Plan, net: &Network, sample: &str, prefix: &str) -> Result<String> {
    let p = &plan.params;
    let mut s = String::new();
    writeln!(s, "# qforge model report: {}\n", plan.model.name)?;
    writeln!(
        s,
        "Engine `{}`: {} {}x{}x{}, weights {} bits ({:?}), activations {} bits ({:?}), output {} bits, \
         max M x K x N {} x {} x {}, {}accumulators {} bits, at {} MHz on xcvu9p-flga2104-2L-e.\n",
        top_name(p, prefix),
        if p.is_lut() { "LUT-multiplier engine" } else { "bit-serial engine" },
        p.dm,
        p.dn,
        p.dk,
        p.w_bits,
        p.w_enc,
        p.a_bits,
        p.a_enc,
        p.out_bits,
        p.max_m,
        p.max_k,
        p.max_n,
        if p.is_lut() {
            format!("products {} bits, ", p.prod_bits())
        } else {
            String::new()
        },
        p.acc_width(),
        plan.clock_mhz
    )?;
    writeln!(
        s,
        "Stream widths: weights/thresholds {}, activations {}, output {} bits.\n",
        p.wt_stream_width(),
        p.act_stream_width(),
        p.out_stream_width()
    )?;
    writeln!(s, "## Engine layers (cycle model, one sample)\n")?;
    s += &crate::run::layer_table(plan, &crate::run::timing(plan))?;
    writeln!(
        s,
        "\n## Where each node runs\n\n| node | op | runs on |\n|---|---|---|"
    )?;
    for n in &plan.model.nodes {
        let place = &plan.places[&n.name];
        writeln!(s, "| {} | {} | {} |", n.name, n.op.name(), place.label())?;
    }
    let jobs = plan
        .places
        .values()
        .filter_map(|pl| match pl {
            Place::Engine { jobs, .. } => Some(*jobs),
            _ => None,
        })
        .sum::<usize>();
    let (w, a, o) = net.totals();
    writeln!(
        s,
        "\n## Testbench\n\n`tb/{prefix}{}.sv` runs all {jobs} jobs on one engine instance, back to back, each \
         after a one-cycle reset, with {sample}: {w} weight/threshold, {a} activation and {o} \
         output beats. Every output beat is compared with the golden integer reference and every \
         job's cycle count with the cycle model's; `tb/run_verilator.sh` or `tb/run_icarus.sh` \
         prints `JOB <i> <layer> cycles=<n>` per job and `PASS jobs={jobs} cycles={}`.",
        testbench::nettb::TOP,
        net.jobs.iter().map(|j| j.cycles).sum::<u64>()
    )?;
    Ok(s)
}

/// Every file of a model's engine and whole-network testbench, module names carrying
/// `prefix` (`""`: none): (relative path, bytes), and the report.
pub fn model_files(plan: &Plan, input: Option<&Path>, prefix: &str) -> Result<(Files, String)> {
    let (x, sample) = model_sample(plan, input)?;
    let (net, _) = model_network(plan, &x)?;
    let p = &plan.params;
    let (mut out, rtl_list) = rtl_files(p, prefix)?;
    let tb = format!("{prefix}{}", testbench::nettb::TOP);
    let (vendor, v_pre, i_pre) = vendor_files(p)?;
    out.extend(vendor);
    out.push((
        format!("tb/{tb}.sv").into(),
        testbench::nettb::testbench_prefixed(p, prefix, &net, testbench::bench::MAX_CYCLES)
            .into_bytes(),
    ));
    for (name, text) in testbench::nettb::vectors(p, &net) {
        out.push((Path::new("tb").join(name), text.into_bytes()));
    }
    for (sim, pre) in [("verilator", &v_pre), ("icarus", &i_pre)] {
        out.push((
            format!("tb/run_{sim}.sh").into(),
            net_script(sim, &(pre.clone() + &rtl_list.join(" ")), &tb).into_bytes(),
        ));
    }
    out.push((
        format!("constraints/{}.xdc", top_name(p, prefix)).into(),
        xdc_for(&top_name(p, prefix), plan.clock_mhz).into_bytes(),
    ));
    let report = model_report(plan, &net, &sample, prefix)?;
    out.push(("report.md".into(), report.clone().into_bytes()));
    Ok((out, report))
}

/// Run the command.
pub fn run(args: &Args) -> Result<()> {
    // A bad prefix is refused before any work, so nothing is written.
    if let Some(prefix) = &args.prefix {
        check_prefix(prefix).map_err(|e| anyhow!("--prefix {prefix:?}: {e}"))?;
    }
    let (files, report) = match &args.model {
        Some(m) => {
            let plan = crate::run::plan(m, &args.engine)?;
            let prefix = args.prefix.as_deref().unwrap_or("");
            model_files(&plan, args.input.as_deref(), prefix)?
        }
        None => {
            let design = DesignCfg::load(args.config.as_deref())?.resolve()?;
            let prefix = args
                .prefix
                .as_deref()
                .or(design.cfg.output.prefix.as_deref())
                .unwrap_or("");
            (files(&design, prefix)?, report::markdown(&design)?)
        }
    };
    let mut outs = Outputs::default();
    let dir = outs.dir("--out", &args.out, args.force)?;
    for (rel, bytes) in files {
        let executable = rel.extension().is_some_and(|e| e == "sh");
        outs.add_to(dir, &rel, bytes, executable)?;
    }
    outs.commit()?;
    out!("{report}");
    outln!("\nwrote {}", args.out.display());
    Ok(())
}
