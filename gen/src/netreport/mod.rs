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
//!
//! One renderer per file: `memory`, `time`, `hardware` (resources), `compare`; this module
//! holds the shared flags, the network and policy loading and the command dispatch.

mod compare;
mod hardware;
mod memory;
#[cfg(test)]
mod tests;
mod time;

use crate::console::{out, outln};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use crate::catalog;
use crate::engine_spec::{EngineFlags, EngineSpec};
use crate::network::{Network, Op};
use crate::policy::{EngineKind, Policy, Role};

/// Common flags.
#[derive(clap::Args, Clone)]
pub struct Common {
    /// A built-in network (`qforge network list`) or a network JSON file.
    #[arg(long, default_value = "resnet18")]
    pub network: String,
    /// Weight/activation bits of the quantized layers, `W/A`. Default: 2/2.
    #[arg(long, value_name = "W/A")]
    pub bits: Option<String>,
    /// Precision of the first conv and the last layer (32 = float).
    #[arg(long, default_value_t = 8)]
    pub first_last_bits: u32,
    /// Engine flags (`crate::engine_spec`); the quantized layers' engine.
    #[command(flatten)]
    pub engine: EngineFlags,
    /// Take the engine kind, array, bits, product width and clock from a design config
    /// (instead of those flags: not with them).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A trained model (`docs/model.md`) instead of `--network`: the report covers its own
    /// layers on the engine `qforge run --model` uses.
    #[arg(long, conflicts_with_all = ["network", "bits", "config"])]
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

/// The policy from the common flags, or (`--config`) from a design config; the engine through
/// `crate::engine_spec` (a network of shapes has uniform codes: `auto` is bit-serial).
pub fn policy(c: &Common) -> Result<Policy> {
    let p = match &c.config {
        None => {
            let spec = EngineSpec::from_flags(&c.engine)?;
            let (w_bits, a_bits) = Policy::parse_bits(c.bits.as_deref().unwrap_or("2/2"))?;
            let lut = spec.network_lut();
            let (dm, dn, dk) = spec.array(lut);
            Policy {
                w_bits,
                a_bits,
                first_last_bits: c.first_last_bits,
                engine: if lut {
                    EngineKind::Lut
                } else {
                    EngineKind::BitSerial
                },
                dm,
                dn,
                dk,
                clock_mhz: spec.clock_mhz,
                prod_bits: spec.network_prod_bits(),
            }
        }
        Some(path) => {
            let d = crate::design::DesignCfg::read(path)?.resolve()?;
            let e = d.params;
            Policy {
                w_bits: e.w_bits,
                a_bits: e.a_bits,
                first_last_bits: c.first_last_bits,
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
                    crate::engine_spec::NETWORK_PROD_BITS
                },
            }
        }
    };
    p.validate()?;
    Ok(p)
}

/// The engine the policy describes, sized for the network's largest layer.
pub fn engine_of(net: &Network, p: &Policy) -> hdl::params::EngineParams {
    let (mut mm, mut mk, mut mn) = (1, 1, 1);
    let ends = net.compute_ends();
    for i in net.compute_layers() {
        if Policy::role_in(ends, i) == Role::Quantized {
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
            outln!("| network | layers | conv/fc | parameters |\n|---|---|---|---|");
            for name in catalog::NAMES {
                let n = catalog::get(name).unwrap();
                let params: u64 = n.layers.iter().map(|l| l.params()).sum();
                outln!(
                    "| {name} | {} | {} | {params} |",
                    n.layers.len(),
                    n.compute_layers().len()
                );
            }
        }
        NetworkCmd::Show { name } => {
            let n = load_network(name)?;
            outln!("# {}\n", n.name);
            outln!("| # | layer | op | shape | GEMM M x K x N (groups) | parameters |\n|---|---|---|---|---|---|");
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
                outln!(
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
        out!("{out}");
        return Ok(());
    }
    // Every flag before any work (a network file may be large).
    let p = policy(common)?;
    let net = load_network(&common.network)?;
    let out = match c {
        ReportCmd::Memory(c) => memory_out(&net, &p, c)?,
        ReportCmd::Time(c) => time_out(&net, &p, c)?,
        ReportCmd::Resources { common, synth } => resources_out(&net, &p, common, *synth)?,
        ReportCmd::Compare { common, budget } => compare_out(&net, common, *budget)?,
    };
    out!("{out}");
    Ok(())
}

pub use compare::compare_out;
pub use compare::largest_square;
use hardware::resources_out;
pub use hardware::resources_text;
use memory::memory_out;
pub use time::time;
use time::time_out;
