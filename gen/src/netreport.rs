//! `qforge report memory | time | resources | compare` and `qforge network list | show`:
//! network-level reports for a precision policy and an engine, as Markdown, JSON, CSV or SVG.
//!
//! - memory: bytes of quantized weights (`w_bits` each), the first conv and last layer
//!   (weights and bias at `first_last_bits`, 32 = float), other biases (32-bit), BatchNorm
//!   (scale and shift, 32-bit floats) and, on the LUT engine, each quantized layer's product
//!   table (the entries the engine stores, at whole bytes of its product width). Exact.
//! - time: per compute layer its GEMM (per group), cycles from `sim::timing::job_cycles` (the
//!   cycle model's schedule in closed form; equal to full simulation, tested), latency at the
//!   clock; totals, ms and frames/s.
//! - resources: the engine's LUT/FF/BRAM from the fitted model (`crate::resources`), or from
//!   Yosys on the generated RTL with `--synth`, against the xcvu9p.
//! - compare: for each configuration, the largest engine (square array, fixed Dk) whose
//!   modelled LUTs fit the budget, its network time and model memory, as ratios to binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::catalog;
use crate::network::{Network, Op};
use crate::policy::{EngineKind, Policy, Role};
use crate::resources::{self, Resources};

/// Common flags.
#[derive(clap::Args, Clone)]
pub struct Common {
    /// A built-in network (`qforge network list`) or a network JSON file.
    #[arg(long, default_value = "resnet18")]
    pub network: String,
    /// Weight/activation bits of the quantized layers, `W/A`.
    #[arg(long, default_value = "2/2")]
    pub bits: String,
    /// Engine of the quantized layers: `bitserial` (default) or `lut` (LCQ / QN levels); with
    /// `--model` also `auto` (the default there: the engine `qforge run` picks).
    #[arg(long)]
    pub engine: Option<String>,
    /// Precision of the first conv and the last layer (32 = float).
    #[arg(long, default_value_t = 8)]
    pub first_last_bits: u32,
    /// Array `DmxDnxDk` (Dk: bits per DPU, or lanes per LUT PE); default 8x8x256 (with
    /// `--model` on the LUT engine: 4x4x32).
    #[arg(long)]
    pub array: Option<String>,
    /// Clock in MHz.
    #[arg(long, default_value_t = 300.0)]
    pub clock_mhz: f64,
    /// Product-table entry bits of the LUT engine (LCQ at b' = 8: 15).
    #[arg(long, default_value_t = 15)]
    pub prod_bits: u32,
    /// Take the engine kind, array, bits, product width and clock from a design config
    /// (overrides those flags).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A trained model (`docs/model.md`) instead of `--network`: the report covers its own
    /// layers on the engine `qforge run --model` uses.
    #[arg(long, conflicts_with_all = ["network", "bits", "config", "prod_bits"])]
    pub model: Option<PathBuf>,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
    /// Print CSV instead of Markdown.
    #[arg(long)]
    pub csv: bool,
    /// Also write SVG plots into this directory.
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

impl Common {
    /// The engine name (`bitserial` by default).
    pub fn engine_name(&self) -> &str {
        self.engine.as_deref().unwrap_or("bitserial")
    }
    /// The array (`8x8x256` by default).
    pub fn array_str(&self) -> &str {
        self.array.as_deref().unwrap_or("8x8x256")
    }
}

/// `qforge report ...`.
#[derive(clap::Subcommand)]
pub enum ReportCmd {
    /// Model memory: quantized weights, first/last layers, BatchNorm, product tables.
    Memory(Common),
    /// Cycles and latency per layer and for the network.
    Time(Common),
    /// LUT/FF/BRAM of the engine against the xcvu9p.
    Resources {
        #[command(flatten)]
        common: Common,
        /// Run Yosys on the generated RTL instead of the fitted model.
        #[arg(long)]
        synth: bool,
    },
    /// The largest engine of each configuration within a LUT budget: time and memory.
    Compare {
        #[command(flatten)]
        common: Common,
        /// Share of the xcvu9p's LUTs the engine may use.
        #[arg(long, default_value_t = 0.7)]
        budget: f64,
    },
}

/// `qforge network ...`.
#[derive(clap::Subcommand)]
pub enum NetworkCmd {
    /// The built-in networks.
    List,
    /// A network's layers (built-in name or JSON file).
    Show {
        /// Name or file.
        name: String,
    },
}

/// Load a network by catalog name or file path.
pub fn load_network(name: &str) -> Result<Network> {
    if let Some(n) = catalog::get(name) {
        return Ok(n);
    }
    let path = Path::new(name);
    if !path.exists() {
        bail!(
            "--network: {name:?} is neither a built-in network ({}) nor a file",
            catalog::NAMES.join(", ")
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--network: cannot read {name}"))?;
    Network::from_json(&text).map_err(|e| anyhow!("--network {name}: {e}"))
}

/// The policy from the common flags.
pub fn policy(c: &Common) -> Result<Policy> {
    let (w_bits, a_bits) = Policy::parse_bits(&c.bits)?;
    let (dm, dn, dk) = Policy::parse_array(c.array_str())?;
    let engine = match c.engine_name() {
        "bitserial" => EngineKind::BitSerial,
        "lut" => EngineKind::Lut,
        other => bail!("--engine: {other:?} is not \"bitserial\" or \"lut\""),
    };
    let p = Policy {
        w_bits,
        a_bits,
        first_last_bits: c.first_last_bits,
        engine,
        dm,
        dn,
        dk,
        clock_mhz: c.clock_mhz,
        prod_bits: c.prod_bits,
    };
    let p = match &c.config {
        None => p,
        Some(path) => {
            let d = crate::design::DesignCfg::read(path)?.resolve()?;
            let e = d.params;
            Policy {
                w_bits: e.w_bits,
                a_bits: e.a_bits,
                engine: if e.is_lut() {
                    EngineKind::Lut
                } else {
                    EngineKind::BitSerial
                },
                dm: e.dm,
                dn: e.dn,
                dk: e.dk,
                clock_mhz: d.cfg.engine.clock_mhz,
                prod_bits: if e.is_lut() {
                    e.prod_bits()
                } else {
                    p.prod_bits
                },
                ..p
            }
        }
    };
    p.validate()?;
    Ok(p)
}

/// One row of the memory report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemRow {
    /// Layer name.
    pub name: String,
    /// Quantized or first/last weight bytes (incl. their bias at that precision).
    pub weight_bytes: u64,
    /// 32-bit bias of quantized layers.
    pub bias_bytes: u64,
    /// BatchNorm bytes.
    pub batchnorm_bytes: u64,
    /// Product-table bytes (LUT engine).
    pub lut_bytes: u64,
}

impl MemRow {
    /// All bytes.
    pub fn total(&self) -> u64 {
        self.weight_bytes + self.bias_bytes + self.batchnorm_bytes + self.lut_bytes
    }
}

/// Product-table bytes of one quantized layer on the LUT engine.
pub fn table_bytes(p: &Policy) -> u64 {
    let entries = hdl::params::lut_table_entries(p.w_bits, p.a_bits) as u64;
    entries * p.prod_bits.div_ceil(8) as u64
}

/// The memory report's rows (layers that hold parameters).
pub fn memory(net: &Network, p: &Policy) -> Vec<MemRow> {
    let mut rows = Vec::new();
    for (i, l) in net.layers.iter().enumerate() {
        let mut r = MemRow {
            name: l.name.clone(),
            ..Default::default()
        };
        match &l.op {
            Op::BatchNorm { channels } => r.batchnorm_bytes = 2 * 4 * *channels as u64,
            Op::Conv(_) | Op::Fc { .. } => match p.role(net, i) {
                Role::First | Role::Last => {
                    r.weight_bytes =
                        ((l.weights() + l.biases()) * p.first_last_bits as u64).div_ceil(8)
                }
                Role::Quantized => {
                    r.weight_bytes = (l.weights() * p.w_bits as u64).div_ceil(8);
                    r.bias_bytes = 4 * l.biases();
                    if p.engine == EngineKind::Lut {
                        r.lut_bytes = table_bytes(p);
                    }
                }
            },
            Op::Other(_) => continue,
        }
        rows.push(r);
    }
    rows
}

/// One row of the time report.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeRow {
    /// Layer name.
    pub name: String,
    /// GEMM M, K, N per group and the number of groups.
    pub gemm: (u32, u32, u32, u32),
    /// `bitserial`, `lut` or `float (host)`.
    pub on: &'static str,
    /// W/A bits it runs at.
    pub bits: (u32, u32),
    /// Cycles (0 when not on the engine).
    pub cycles: u64,
    /// Whether the layer returns raw accumulators (the last layer, convs feeding a residual
    /// `add`), as `qforge run --network` runs it, rather than thresholded codes.
    pub raw: bool,
}

/// The time report's rows.
pub fn time(net: &Network, p: &Policy) -> Vec<TimeRow> {
    let mut rows = Vec::new();
    let raw_of = crate::synthnet::raw_layers(net);
    for i in net.compute_layers() {
        let raw = raw_of[i];
        let l = &net.layers[i];
        let g = l.gemm().expect("compute layer");
        let role = p.role(net, i);
        let (on, bits, cycles) = match p.engine_for(&g, role) {
            None => ("float (host)", (32, 32), 0),
            Some(e) => (
                if e.is_lut() { "lut" } else { "bitserial" },
                (e.w_bits, e.a_bits),
                g.groups as u64 * sim::timing::job_cycles(&e, g.m, g.k, g.n, raw),
            ),
        };
        rows.push(TimeRow {
            name: l.name.clone(),
            gemm: (g.m, g.k, g.n, g.groups),
            on,
            bits,
            cycles,
            raw,
        });
    }
    rows
}

/// The engine the policy describes, sized for the network's largest layer.
pub fn engine_of(net: &Network, p: &Policy) -> hdl::params::EngineParams {
    let (mut mm, mut mk, mut mn) = (1, 1, 1);
    for i in net.compute_layers() {
        if p.role(net, i) == Role::Quantized {
            let g = net.layers[i].gemm().unwrap();
            (mm, mk, mn) = (mm.max(g.m), mk.max(g.k), mn.max(g.n));
        }
    }
    let g = crate::network::Gemm {
        m: mm.min(1 << 16),
        k: mk,
        n: mn.min(1 << 20),
        groups: 1,
    };
    p.engine_for(&g, Role::Quantized)
        .expect("quantized layers run on the engine")
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// Run `qforge network ...`.
pub fn network_cmd(c: &NetworkCmd) -> Result<()> {
    match c {
        NetworkCmd::List => {
            println!("| network | layers | conv/fc | parameters |\n|---|---|---|---|");
            for name in catalog::NAMES {
                let n = catalog::get(name).unwrap();
                let params: u64 = n.layers.iter().map(|l| l.params()).sum();
                println!(
                    "| {name} | {} | {} | {params} |",
                    n.layers.len(),
                    n.compute_layers().len()
                );
            }
        }
        NetworkCmd::Show { name } => {
            let n = load_network(name)?;
            println!("# {}\n", n.name);
            println!("| # | layer | op | shape | GEMM M x K x N (groups) | parameters |\n|---|---|---|---|---|---|");
            for (i, l) in n.layers.iter().enumerate() {
                let (op, shape) = match &l.op {
                    Op::Conv(c) => (
                        "conv".to_string(),
                        format!(
                            "{}->{} k{}x{} s{} p{} g{} in {}x{}",
                            c.in_channels,
                            c.out_channels,
                            c.kernel[0],
                            c.kernel[1],
                            c.stride,
                            c.padding,
                            c.groups,
                            c.in_hw[0],
                            c.in_hw[1]
                        ),
                    ),
                    Op::Fc {
                        in_features,
                        out_features,
                        ..
                    } => ("fc".into(), format!("{in_features}->{out_features}")),
                    Op::BatchNorm { channels } => ("batchnorm".into(), format!("{channels}")),
                    Op::Other(o) => (o.clone(), String::new()),
                };
                let g = l.gemm().map_or(String::new(), |g| {
                    format!("{} x {} x {} ({})", g.m, g.k, g.n, g.groups)
                });
                println!(
                    "| {i} | {} | {op} | {shape} | {g} | {} |",
                    l.name,
                    l.params()
                );
            }
        }
    }
    Ok(())
}

/// Run `qforge report ...`.
pub fn report_cmd(c: &ReportCmd) -> Result<()> {
    let common = match c {
        ReportCmd::Memory(c) | ReportCmd::Time(c) => c,
        ReportCmd::Resources { common, .. } | ReportCmd::Compare { common, .. } => common,
    };
    if common.json && common.csv {
        bail!("--json and --csv: choose one");
    }
    if let Some(m) = &common.model {
        let out = crate::modelreport::report(c, m)?;
        print!("{out}");
        return Ok(());
    }
    let net = load_network(&common.network)?;
    let p = policy(common)?;
    let out = match c {
        ReportCmd::Memory(c) => memory_out(&net, &p, c)?,
        ReportCmd::Time(c) => time_out(&net, &p, c)?,
        ReportCmd::Resources { common, synth } => resources_out(&net, &p, common, *synth)?,
        ReportCmd::Compare { common, budget } => compare_out(&net, common, *budget)?,
    };
    print!("{out}");
    Ok(())
}

fn memory_out(net: &Network, p: &Policy, c: &Common) -> Result<String> {
    let rows = memory(net, p);
    let sum = |f: fn(&MemRow) -> u64| rows.iter().map(f).sum::<u64>();
    let (w, b, bn, lut) = (
        sum(|r| r.weight_bytes),
        sum(|r| r.bias_bytes),
        sum(|r| r.batchnorm_bytes),
        sum(|r| r.lut_bytes),
    );
    let total = w + b + bn + lut;
    if let Some(dir) = &c.svg {
        let bars: Vec<(String, f64)> = vec![
            ("weights".into(), mib(w)),
            ("bias".into(), mib(b)),
            ("batchnorm".into(), mib(bn)),
            ("product tables".into(), mib(lut)),
        ];
        crate::svg::write(
            dir,
            "memory.svg",
            &format!("{}: model memory (MiB)", net.name),
            &bars,
        )?;
    }
    if c.json {
        let layers: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({"name": r.name, "total_bytes": r.total(), "total_bytes_without_lut": r.total() - r.lut_bytes,
                       "lut_bytes": r.lut_bytes, "weight_bytes": r.weight_bytes + r.bias_bytes, "batchnorm_bytes": r.batchnorm_bytes})
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&json!({
            "network": net.name, "bits": c.bits, "engine": c.engine_name(), "first_last_bits": p.first_last_bits,
            "total_bytes": total, "total_bytes_without_lut": total - lut, "lut_bytes": lut,
            "weight_bytes": w + b, "batchnorm_bytes": bn, "layers": layers,
        }))? + "\n");
    }
    if c.csv {
        let mut s =
            String::from("layer,weight_bytes,bias_bytes,batchnorm_bytes,lut_bytes,total_bytes\n");
        for r in &rows {
            writeln!(
                s,
                "{},{},{},{},{},{}",
                r.name,
                r.weight_bytes,
                r.bias_bytes,
                r.batchnorm_bytes,
                r.lut_bytes,
                r.total()
            )?;
        }
        writeln!(s, "total,{w},{b},{bn},{lut},{total}")?;
        return Ok(s);
    }
    let mut s = String::new();
    writeln!(
        s,
        "# {}: model memory, W{}/A{} on {}, first/last at {} bits\n",
        net.name,
        p.w_bits,
        p.a_bits,
        c.engine_name(),
        p.first_last_bits
    )?;
    writeln!(s, "| part | bytes | MiB |\n|---|---|---|")?;
    for (n, v) in [
        ("quantized + first/last weights", w),
        ("32-bit bias of quantized layers", b),
        ("BatchNorm (2 x fp32 per channel)", bn),
        ("product tables", lut),
    ] {
        writeln!(s, "| {n} | {v} | {:.3} |", mib(v))?;
    }
    writeln!(s, "| **total** | {total} | {:.3} |", mib(total))?;
    writeln!(
        s,
        "| total without tables | {} | {:.3} |",
        total - lut,
        mib(total - lut)
    )?;
    writeln!(
        s,
        "\nExact (counted from the layer shapes; no model). Per layer: `--json` or `--csv`."
    )?;
    Ok(s)
}

fn time_out(net: &Network, p: &Policy, c: &Common) -> Result<String> {
    let rows = time(net, p);
    let cycles: u64 = rows.iter().map(|r| r.cycles).sum();
    let ms = cycles as f64 / (p.clock_mhz * 1e3);
    if let Some(dir) = &c.svg {
        let bars: Vec<(String, f64)> = rows
            .iter()
            .map(|r| (r.name.clone(), r.cycles as f64))
            .collect();
        crate::svg::write(
            dir,
            "time.svg",
            &format!("{}: cycles per layer", net.name),
            &bars,
        )?;
    }
    if c.json {
        let layers: Vec<Value> = rows
            .iter()
            .map(|r| json!({"name": r.name, "m": r.gemm.0, "k": r.gemm.1, "n": r.gemm.2, "groups": r.gemm.3,
                            "on": r.on, "w_bits": r.bits.0, "a_bits": r.bits.1, "cycles": r.cycles,
                            "mode": if r.raw { "raw" } else { "codes" },
                            "us": r.cycles as f64 / p.clock_mhz}))
            .collect();
        return Ok(serde_json::to_string_pretty(&json!({
            "network": net.name, "array": c.array_str(), "engine": c.engine_name(), "clock_mhz": p.clock_mhz,
            "cycles": cycles, "ms": ms, "fps": 1e3 / ms, "layers": layers,
        }))? + "\n");
    }
    if c.csv {
        let mut s = String::from("layer,m,k,n,groups,on,w_bits,a_bits,cycles\n");
        for r in &rows {
            writeln!(
                s,
                "{},{},{},{},{},{},{},{},{}",
                r.name, r.gemm.0, r.gemm.1, r.gemm.2, r.gemm.3, r.on, r.bits.0, r.bits.1, r.cycles
            )?;
        }
        return Ok(s);
    }
    let mut s = String::new();
    writeln!(
        s,
        "# {}: time on a {} {} engine at {} MHz (W{}/A{}, first/last {} bits)\n",
        net.name,
        c.array_str(),
        c.engine_name(),
        p.clock_mhz,
        p.w_bits,
        p.a_bits,
        p.first_last_bits
    )?;
    writeln!(
        s,
        "| layer | M x K x N (groups) | on | bits | cycles | us |\n|---|---|---|---|---|---|"
    )?;
    for r in &rows {
        writeln!(
            s,
            "| {} | {} x {} x {} ({}) | {} | {}/{} | {} | {:.1} |",
            r.name,
            r.gemm.0,
            r.gemm.1,
            r.gemm.2,
            r.gemm.3,
            r.on,
            r.bits.0,
            r.bits.1,
            r.cycles,
            r.cycles as f64 / p.clock_mhz
        )?;
    }
    writeln!(
        s,
        "\nTotal: {cycles} cycles, {ms:.3} ms, {:.1} frames/s (batch 1, layers back to back).",
        1e3 / ms
    )?;
    writeln!(s, "Cycles: the cycle model's schedule in closed form (`sim::timing`), equal to full simulation (tested); no stalls, loads not overlapped with compute.")?;
    Ok(s)
}

fn resources_out(net: &Network, p: &Policy, c: &Common, synth: bool) -> Result<String> {
    let e = engine_of(net, p);
    e.validate().map_err(|m| anyhow!("--array/--bits: {m}"))?;
    resources_text(&e, c, synth)
}

/// The resources report of engine `e` (fitted model, or Yosys with `synth`).
pub fn resources_text(e: &hdl::params::EngineParams, c: &Common, synth: bool) -> Result<String> {
    let e = *e;
    let (r, source) = if synth {
        let dir = tempfile::tempdir()?;
        let s = testbench::synth::synth(dir.path(), &hdl::engine::modules(&e), e.top_name(), "")
            .map_err(|m| anyhow!("yosys: {m}"))?;
        (
            Resources::from(&s),
            format!(
                "Yosys synth_xilinx -family xcup, {} LUT levels between flops",
                s.lut_levels
            ),
        )
    } else {
        (
            resources::model(&e),
            "fitted model (qforge bench --fit; error in the issue note)".to_string(),
        )
    };
    let rows = [
        ("LUT (logic + LUT-RAM)", r.luts, resources::VU9P_LUTS),
        ("FF", r.ffs, resources::VU9P_FFS),
        ("DSP48E2", r.dsp, resources::VU9P_DSPS),
        ("BRAM36", r.bram36, resources::VU9P_BRAM36),
        ("URAM", r.uram, resources::VU9P_URAM),
    ];
    if c.json {
        let v: Value = rows
            .iter()
            .map(|(n, v, cap)| {
                (
                    n.to_string(),
                    json!({"used": v, "available": cap, "utilization": v / *cap as f64}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
        return Ok(serde_json::to_string_pretty(
            &json!({"engine": e.top_name(), "array": c.array_str(), "source": source, "resources": v}),
        )? + "\n");
    }
    if c.csv {
        let mut s = String::from("resource,used,available,utilization\n");
        for (n, v, cap) in rows {
            writeln!(s, "{n},{v:.0},{cap},{:.4}", v / cap as f64)?;
        }
        return Ok(s);
    }
    let mut s = String::new();
    writeln!(
        s,
        "# {} {} x {} x {} (W{}/A{}, limits M {} K {} N {}) on xcvu9p\n",
        e.top_name(),
        e.dm,
        e.dn,
        e.dk,
        e.w_bits,
        e.a_bits,
        e.max_m,
        e.max_k,
        e.max_n
    )?;
    writeln!(
        s,
        "| resource | used | xcvu9p | utilization |\n|---|---|---|---|"
    )?;
    for (n, v, cap) in rows {
        writeln!(
            s,
            "| {n} | {v:.0} | {cap} | {:.2}% |",
            100.0 * v / cap as f64
        )?;
    }
    writeln!(s, "\nSource: {source}. BRAM from the memory shapes.")?;
    Ok(s)
}

/// The largest square array (`Dm = Dn` up to 512, `p`'s Dk, bits and engine) whose modelled
/// LUTs (`crate::resources::model` of [`engine_of`]) fit `budget` of the xcvu9p's, with its
/// resources; `None` when even 1×1 does not fit. `report compare` and `bench --resnet18`.
pub fn largest_square(net: &Network, p: &Policy, budget: f64) -> Option<(Policy, Resources)> {
    let cap = budget * resources::VU9P_LUTS as f64;
    let mut best = None;
    for d in 1..=512u32 {
        let q = Policy {
            dm: d,
            dn: d,
            ..p.clone()
        };
        let r = resources::model(&engine_of(net, &q));
        if r.luts > cap {
            break;
        }
        best = Some((q, r));
    }
    best
}

/// One configuration of the comparison.
struct Config {
    name: &'static str,
    engine: EngineKind,
    bits: (u32, u32),
    prod_bits: u32,
    dk: u32,
}

pub fn compare_out(net: &Network, c: &Common, budget: f64) -> Result<String> {
    if !(budget > 0.0 && budget <= 1.0) {
        bail!("--budget: must be in (0, 1], got {budget}");
    }
    let base = policy(c)?;
    let configs = [
        Config {
            name: "binary 1/1",
            engine: EngineKind::BitSerial,
            bits: (1, 1),
            prod_bits: 0,
            dk: 256,
        },
        Config {
            name: "ternary / uniform 2/2",
            engine: EngineKind::BitSerial,
            bits: (2, 2),
            prod_bits: 0,
            dk: 256,
        },
        Config {
            name: "uniform 3/3",
            engine: EngineKind::BitSerial,
            bits: (3, 3),
            prod_bits: 0,
            dk: 256,
        },
        Config {
            name: "uniform 4/4",
            engine: EngineKind::BitSerial,
            bits: (4, 4),
            prod_bits: 0,
            dk: 256,
        },
        Config {
            name: "LCQ 2/2 (b'=8)",
            engine: EngineKind::Lut,
            bits: (2, 2),
            prod_bits: 15,
            dk: 32,
        },
        Config {
            name: "LCQ 4/4 (b'=8)",
            engine: EngineKind::Lut,
            bits: (4, 4),
            prod_bits: 15,
            dk: 32,
        },
        Config {
            name: "QN 3/2 {0,±1,±2,±4}",
            engine: EngineKind::Lut,
            bits: (3, 2),
            prod_bits: 4,
            dk: 32,
        },
    ];
    let mut rows = Vec::new();
    for cfg in &configs {
        let p = Policy {
            w_bits: cfg.bits.0,
            a_bits: cfg.bits.1,
            engine: cfg.engine,
            dk: cfg.dk,
            prod_bits: cfg.prod_bits,
            ..base.clone()
        };
        let (p, r) = largest_square(net, &p, budget)
            .ok_or_else(|| anyhow!("{}: even a 1x1 array exceeds the budget", cfg.name))?;
        let cycles: u64 = time(net, &p).iter().map(|t| t.cycles).sum();
        let mem: u64 = memory(net, &p).iter().map(|m| m.total()).sum();
        rows.push((cfg.name, p, r, cycles, mem));
    }
    // Baselines from a DSP cost model (documented in docs/reports.md): 8-bit, 2 MACs per
    // DSP48E2 per cycle (INT8 packing), and float32, 1 MAC per 3 DSPs per cycle; all 6,840
    // DSPs at the clock, ideal utilization.
    let macs: f64 = net
        .compute_layers()
        .iter()
        .map(|&i| {
            let g = net.layers[i].gemm().unwrap();
            g.m as f64 * g.k as f64 * g.n as f64 * g.groups as f64
        })
        .sum();
    let params: u64 = net
        .compute_layers()
        .iter()
        .map(|&i| net.layers[i].weights() + net.layers[i].biases())
        .sum();
    let bn: u64 = net
        .layers
        .iter()
        .map(|l| {
            if let Op::BatchNorm { channels } = l.op {
                8 * channels as u64
            } else {
                0
            }
        })
        .sum();
    let dsp = resources::VU9P_DSPS as f64;
    let int8_cycles = (macs / (2.0 * dsp)).ceil() as u64;
    let fp32_cycles = (macs / (dsp / 3.0)).ceil() as u64;
    let (bin_cycles, bin_mem) = (rows[0].3 as f64, rows[0].4 as f64);
    if rows[0].3 == 0 {
        bail!(
            "--network {}: no layer runs on the engine (only first/last layers, at 32 bits)",
            net.name
        );
    }
    if let Some(dir) = &c.svg {
        let mut bars: Vec<(String, f64)> = rows
            .iter()
            .map(|r| (r.0.to_string(), r.3 as f64 / bin_cycles))
            .collect();
        bars.push(("int8 (DSP model)".into(), int8_cycles as f64 / bin_cycles));
        bars.push((
            "float32 (DSP model)".into(),
            fp32_cycles as f64 / bin_cycles,
        ));
        crate::svg::write(
            dir,
            "compare.svg",
            &format!("{}: time relative to binary", net.name),
            &bars,
        )?;
    }
    let mut s = String::new();
    if c.json {
        let v: Vec<Value> = rows.iter().map(|(n, p, r, cy, mem)| json!({"config": n, "array": format!("{}x{}x{}", p.dm, p.dn, p.dk),
            "luts": r.luts, "cycles": cy, "ms": *cy as f64 / (p.clock_mhz * 1e3), "memory_bytes": mem,
            "time_vs_binary": *cy as f64 / bin_cycles, "space_vs_binary": *mem as f64 / bin_mem})).collect();
        return Ok(serde_json::to_string_pretty(
            &json!({"network": net.name, "budget": budget, "configs": v,
            "int8_dsp_model": {"cycles": int8_cycles, "memory_bytes": params, "time_vs_binary": int8_cycles as f64 / bin_cycles},
            "float32_dsp_model": {"cycles": fp32_cycles, "memory_bytes": 4 * params + bn, "time_vs_binary": fp32_cycles as f64 / bin_cycles}}),
        )? + "\n");
    }
    if c.csv {
        writeln!(
            s,
            "config,array,luts_model,cycles,memory_bytes,time_vs_binary,space_vs_binary"
        )?;
        for (n, p, r, cy, mem) in &rows {
            writeln!(
                s,
                "{n},{}x{}x{},{:.0},{cy},{mem},{:.4},{:.4}",
                p.dm,
                p.dn,
                p.dk,
                r.luts,
                *cy as f64 / bin_cycles,
                *mem as f64 / bin_mem
            )?;
        }
        writeln!(
            s,
            "int8 (DSP model),-,-,{int8_cycles},{},{:.4},{:.4}",
            params + bn,
            int8_cycles as f64 / bin_cycles,
            (params + bn) as f64 / bin_mem
        )?;
        writeln!(
            s,
            "float32 (DSP model),-,-,{fp32_cycles},{},{:.4},{:.4}",
            4 * params + bn,
            fp32_cycles as f64 / bin_cycles,
            (4 * params + bn) as f64 / bin_mem
        )?;
        return Ok(s);
    }
    writeln!(s, "# {}: largest engine per configuration within {:.0}% of the xcvu9p's LUTs (model), {} MHz\n", net.name, budget * 100.0, base.clock_mhz)?;
    writeln!(s, "| configuration | engine | array | LUTs (model) | cycles | ms | memory MiB | time / binary | space / binary |\n|---|---|---|---|---|---|---|---|---|")?;
    for (n, p, r, cy, mem) in &rows {
        writeln!(
            s,
            "| {n} | {} | {}x{}x{} | {:.0} | {cy} | {:.3} | {:.2} | {:.2} | {:.2} |",
            if p.engine == EngineKind::Lut {
                "lut"
            } else {
                "bitserial"
            },
            p.dm,
            p.dn,
            p.dk,
            r.luts,
            *cy as f64 / (p.clock_mhz * 1e3),
            mib(*mem),
            *cy as f64 / bin_cycles,
            *mem as f64 / bin_mem
        )?;
    }
    writeln!(s, "| int8 (DSP model) | 6,840 DSP48E2, 2 MAC/DSP/cycle | - | - | {int8_cycles} | {:.3} | {:.2} | {:.2} | {:.2} |",
        int8_cycles as f64 / (base.clock_mhz * 1e3), mib(params + bn), int8_cycles as f64 / bin_cycles, (params + bn) as f64 / bin_mem)?;
    writeln!(s, "| float32 (DSP model) | 6,840 DSP48E2, 1 MAC/3 DSP/cycle | - | - | {fp32_cycles} | {:.3} | {:.2} | {:.2} | {:.2} |",
        fp32_cycles as f64 / (base.clock_mhz * 1e3), mib(4 * params + bn), fp32_cycles as f64 / bin_cycles, (4 * params + bn) as f64 / bin_mem)?;
    writeln!(s, "\nQuantization Networks Table 7 (their ratios to binary): ternary 1.4x time / 2x space; full precision 45x / 32x.")?;
    writeln!(s, "Time: cycle model schedule (`sim::timing`), first/last layers at {} bits on a bit-serial engine of the same array. Space: `report memory`.", base.first_last_bits)?;
    let bs = &rows[0];
    let tops = 2.0 * (bs.1.dm * bs.1.dn * bs.1.dk) as f64 * base.clock_mhz * 1e6 / 1e12;
    writeln!(s, "Projected peak binary throughput of the largest binary engine ({}x{}x{}): {:.0} TOPS (2 ops per bit-lane per cycle).", bs.1.dm, bs.1.dn, bs.1.dk, tops)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Gemm;
    use rand::SeedableRng;
    use sim::harness::{run_job, Stalls};

    const TINY: &str = r#"{"name": "tiny", "layers": [
      {"name": "conv1", "op": "conv", "in_channels": 3, "out_channels": 4, "kernel": [3, 3],
       "stride": 1, "padding": 1, "in_hw": [4, 4]},
      {"name": "bn1", "op": "batchnorm", "channels": 4},
      {"name": "conv2", "op": "conv", "in_channels": 4, "out_channels": 8, "kernel": [3, 3],
       "stride": 2, "padding": 1, "groups": 2, "bias": true, "in_hw": [4, 4]},
      {"name": "relu", "op": "relu"},
      {"name": "fc", "op": "fc", "in_features": 32, "out_features": 10, "bias": true}]}"#;

    fn pol(engine: EngineKind) -> Policy {
        Policy {
            w_bits: 2,
            a_bits: 2,
            first_last_bits: 8,
            engine,
            dm: 2,
            dn: 2,
            dk: 16,
            clock_mhz: 100.0,
            prod_bits: 15,
        }
    }

    #[test]
    fn memory_by_hand() {
        let net = Network::from_json(TINY).unwrap();
        // conv1 (first, 8 bit): 3·4·9 = 108 weights → 108 B. bn1: 4 channels × 2 × 4 B = 32.
        // conv2 (quantized, W2): 8 × (4/2 · 9) = 144 weights → 36 B, bias 8 × 4 B = 32.
        // fc (last, 8 bit): 320 weights + 10 bias → 330 B. LUT W2A2: 3 products × 2 B = 6.
        let rows = memory(&net, &pol(EngineKind::BitSerial));
        let bytes: Vec<u64> = rows.iter().map(|r| r.total()).collect();
        assert_eq!(bytes, vec![108, 32, 68, 330]);
        let lut = memory(&net, &pol(EngineKind::Lut));
        assert_eq!(lut.iter().map(|r| r.lut_bytes).sum::<u64>(), 6);
        assert_eq!(lut.iter().map(|r| r.total()).sum::<u64>(), 538 + 6);
        let mut f = pol(EngineKind::BitSerial);
        f.first_last_bits = 32;
        assert_eq!(memory(&net, &f)[0].weight_bytes, 108 * 4);
    }

    #[test]
    fn time_by_hand() {
        let net = Network::from_json(TINY).unwrap();
        let rows = time(&net, &pol(EngineKind::BitSerial));
        // conv2 per group: M = 4, K = 18, N = 4 on 2x2x16, W2A2, 2-bit outputs: KC = 2;
        // loads 2 + 4·2·2 + 4·(1 + 3) = 34; compute 2·2·2 + 4 (popcount 3 + term 1) = 12 per
        // m-tile, emission 2 + 1 + rows; 2 m-tiles, 2 n-tiles of 2 columns (8 activation
        // words each): 34 + 2·(8 + 2·(12 + 3) + 4) = 118; two groups: 236.
        assert_eq!(rows[1].gemm, (4, 18, 4, 2));
        assert_eq!(rows[1].cycles, 236);
        assert_eq!(rows[0].bits, (8, 8));
        let mut f = pol(EngineKind::BitSerial);
        f.first_last_bits = 32;
        assert_eq!(time(&net, &f)[2].on, "float (host)");
    }

    #[test]
    fn time_equals_full_simulation_on_resnet18_layers() {
        let net = catalog::get("resnet18").unwrap();
        let p = Policy {
            dm: 8,
            dn: 8,
            dk: 256,
            ..pol(EngineKind::BitSerial)
        };
        let rows = time(&net, &p);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let compute = net.compute_layers();
        // A 3×3 conv, a strided 1×1 downsample, the 8-bit first conv and the 8-bit fc.
        for name in ["layer3.1.conv2", "layer2.0.downsample.0", "conv1", "fc"] {
            let at = rows.iter().position(|r| r.name == name).unwrap();
            let (m, k, n, groups) = rows[at].gemm;
            let g = Gemm { m, k, n, groups };
            let e = p.engine_for(&g, p.role(&net, compute[at])).unwrap();
            let data = sim::random::Data::Random;
            let job = if rows[at].raw {
                sim::random::raw_job(&e, data, m, k, n, &mut rng)
            } else {
                sim::random::job(&e, data, m, k, n, &mut rng)
            };
            let (r, _) = run_job(&e, &job, Stalls::NONE, None, u64::MAX).unwrap();
            assert_eq!(r.cycles * groups as u64, rows[at].cycles, "{name}");
        }
        // The last layer and the convs feeding a residual add return raw accumulators.
        let raw: Vec<&str> = rows
            .iter()
            .filter(|r| r.raw)
            .map(|r| r.name.as_str())
            .collect();
        assert!(
            raw.contains(&"fc") && raw.contains(&"layer3.1.conv2"),
            "{raw:?}"
        );
        assert!(raw.contains(&"layer2.0.downsample.0") && !raw.contains(&"layer3.1.conv1"));
        // And a LUT-engine layer of MobileNet-V2 (depthwise: one GEMM per group).
        let mb = catalog::get("mobilenet_v2").unwrap();
        let lp = Policy {
            dm: 4,
            dn: 4,
            dk: 32,
            w_bits: 3,
            a_bits: 3,
            ..pol(EngineKind::Lut)
        };
        let rows = time(&mb, &lp);
        let mc = mb.compute_layers();
        for name in ["features.2.dw", "features.2.project"] {
            let at = rows.iter().position(|r| r.name == name).unwrap();
            let (m, k, n, groups) = rows[at].gemm;
            let g = Gemm { m, k, n, groups };
            let e = lp.engine_for(&g, lp.role(&mb, mc[at])).unwrap();
            let job = sim::random::job(&e, sim::random::Data::Random, m, k, n, &mut rng);
            let (r, _) = run_job(&e, &job, Stalls::NONE, None, u64::MAX).unwrap();
            assert_eq!(r.cycles * groups as u64, rows[at].cycles, "{name}");
        }
    }

    #[test]
    fn lcq_table_s1_checks() {
        // LCQ supplementary Table S1: LUT bytes exactly, totals to the printed two decimals
        // (MiB, truncated) for ResNet-18 and ResNet-34.
        for (net, bits, total, diff) in [
            ("resnet18", 2, 3.19, 114),
            ("resnet18", 3, 4.52, 798),
            ("resnet18", 4, 5.85, 3990),
            ("resnet34", 2, 5.63, 210),
            ("resnet34", 3, 8.16, 1470),
            ("resnet34", 4, 10.70, 7350),
            ("resnet50", 2, 0.0, 312),
            ("resnet50", 3, 0.0, 2184),
            ("resnet50", 4, 0.0, 10920),
        ] {
            let n = catalog::get(net).unwrap();
            let p = Policy {
                w_bits: bits,
                a_bits: bits,
                ..pol(EngineKind::Lut)
            };
            let rows = memory(&n, &p);
            let lut: u64 = rows.iter().map(|r| r.lut_bytes).sum();
            assert_eq!(lut, diff, "{net} {bits}/{bits}");
            if total > 0.0 {
                let t: u64 = rows.iter().map(|r| r.total()).sum();
                let mib = (mib(t) * 100.0).floor() / 100.0;
                assert!(
                    (mib - total).abs() < 0.005,
                    "{net} {bits}: {mib} vs {total}"
                );
            }
        }
    }
}
