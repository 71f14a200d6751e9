//! `qforge regress`: random engine designs × jobs × simulators with recorded seeds, sharded
//! for CI matrices and job arrays, results as JUnit XML (`junit.rs`); and `--soak`, a long
//! model-vs-RTL lockstep run under random stalls (`soak.rs`).
//!
//! Design `d` of a regression with seed `S` is built from its own generator
//! (`ChaCha8Rng::seed_from_u64(design_seed(S, d))`), so any shard, or `--only d`, reproduces
//! exactly the same design, jobs and stalls. Design `d` alternates kinds (bit-serial, LUT) as
//! `--kinds` lists them. Per design: the edge-case jobs and `--jobs` random ones
//! (`sim::random::jobs`), then the raw-mode jobs (`sim::random::raw_jobs`); job `j` runs
//! without stalls when `j % 3 == 0`, else under random stalls. Per job and simulator one test
//! case:
//! - `model`: the cycle model's output beats equal the golden `Job::expected`; without stalls
//!   its cycles equal `sim::timing::job_cycles`;
//! - `verilator` / `icarus`: the generated self-checking testbench passes (every output beat
//!   against the golden vectors) with the model's cycle count;
//! - `lockstep`: model and Verilated RTL (`testbench::dynrtl`) stepped together, every output
//!   compared every cycle (`sim::harness::lockstep_beats`).
//!
//! `--shard i/n` runs the designs with `d % n == i − 1`; `--merge` joins shard files into the
//! file of the unsharded run, byte for byte (`docs/regress.md`).

mod junit;
mod soak;

use std::path::PathBuf;

use crate::console::outln;
use anyhow::{anyhow, bail, Result};
use hdl::params::EngineParams;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::harness::{run_job, Stalls};
use sim::job::Job;
use testbench::bench::{Bench, Simulator};

use crate::output::Outputs;
use junit::{Case, Header, Suite};

/// Arguments of `qforge regress`.
#[derive(clap::Args)]
pub struct Args {
    /// Designs in the regression.
    #[arg(long, default_value_t = 8)]
    designs: usize,
    /// Random jobs per design, beyond the edge cases (each also as a raw-mode job).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Seed of the regression (every design's seed derives from it).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulators, comma-separated: model, verilator, icarus, lockstep.
    #[arg(long, default_value = "model,verilator,lockstep")]
    sims: String,
    /// Engine kinds the designs alternate over, comma-separated: bitserial, lut.
    #[arg(long, default_value = "bitserial,lut")]
    kinds: String,
    /// Run shard `i` of `n` (1-based): the designs with `d % n == i − 1`.
    #[arg(long)]
    shard: Option<String>,
    /// Run design `d` only (reproduce one suite of a regression).
    #[arg(long)]
    only: Option<usize>,
    /// Cycle budget per job (a hang is a failure, not a wait).
    #[arg(long, default_value_t = testbench::bench::MAX_CYCLES)]
    max_cycles: u64,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Build directory for the simulators (default: a temporary directory). Verilated
    /// libraries for `lockstep` are cached here by design.
    #[arg(long)]
    work: Option<PathBuf>,
    /// Instead: merge these shard JUnit files into `--junit`.
    #[arg(long, num_args = 1.., conflicts_with_all = ["shard", "only", "soak"])]
    merge: Vec<PathBuf>,
    /// Instead: the soak, model and Verilated RTL in lockstep under random stalls until every
    /// stream moved `--beats` beats.
    #[arg(long)]
    soak: bool,
    /// `--soak`: beats per stream.
    #[arg(long, default_value_t = 1_000_000)]
    beats: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A simulator of the regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sim {
    Model,
    Verilator,
    Icarus,
    Lockstep,
}

impl Sim {
    fn name(self) -> &'static str {
        match self {
            Sim::Model => "model",
            Sim::Verilator => "verilator",
            Sim::Icarus => "icarus",
            Sim::Lockstep => "lockstep",
        }
    }
}

fn list<T>(flag: &str, v: &str, parse: impl Fn(&str) -> Option<T>, all: &str) -> Result<Vec<T>> {
    let out: Vec<T> = v
        .split(',')
        .map(|s| parse(s.trim()).ok_or_else(|| anyhow!("{flag}: {s:?} is not one of {all}")))
        .collect::<Result<_>>()?;
    if out.is_empty() {
        bail!("{flag}: empty");
    }
    Ok(out)
}

/// The seed of design `d` of a regression seeded `seed`.
pub fn design_seed(seed: u64, d: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(d as u64)
}

fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let bad = || anyhow!("--shard: {s:?} is not i/n with 1 <= i <= n");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Design `d`: its parameters and jobs (edge cases, random, raw), from its own seed.
fn design(seed: u64, d: usize, lut: bool, jobs: usize) -> (EngineParams, Vec<Job>, ChaCha8Rng) {
    let mut rng = ChaCha8Rng::seed_from_u64(design_seed(seed, d));
    let p = if lut {
        sim::random::lut_design(&mut rng)
    } else {
        sim::random::design(&mut rng)
    };
    let mut all = sim::random::jobs(&p, jobs, &mut rng);
    all.extend(sim::random::raw_jobs(&p, jobs, &mut rng));
    (p, all, rng)
}

/// `qforge regress`.
pub fn run_cmd(a: &Args) -> Result<()> {
    if !a.merge.is_empty() {
        let junit = a
            .junit
            .as_ref()
            .ok_or_else(|| anyhow!("--merge: needs --junit OUT.xml"))?;
        let files = a
            .merge
            .iter()
            .map(|p| {
                std::fs::read_to_string(p)
                    .map(|t| (p.display().to_string(), t))
                    .map_err(|e| anyhow!("--merge {}: {e}", p.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        let merged = junit::merge(&files)?;
        let mut o = Outputs::default();
        o.add("--junit", junit, merged.into_bytes())?;
        return o.commit();
    }
    if a.soak {
        return soak::soak(a.seed, a.beats, a.json);
    }
    let sims = list(
        "--sims",
        &a.sims,
        |s| match s {
            "model" => Some(Sim::Model),
            "verilator" => Some(Sim::Verilator),
            "icarus" => Some(Sim::Icarus),
            "lockstep" => Some(Sim::Lockstep),
            _ => None,
        },
        "model, verilator, icarus, lockstep",
    )?;
    let kinds = list(
        "--kinds",
        &a.kinds,
        // The names of `--engine` (`crate::engine_spec`); a regression has no `auto`.
        |s| match clap::ValueEnum::from_str(s, false).ok()? {
            crate::engine_spec::EngineChoice::BitSerial => Some(false),
            crate::engine_spec::EngineChoice::Lut => Some(true),
            crate::engine_spec::EngineChoice::Auto => None,
        },
        "bitserial, lut",
    )?;
    if a.designs == 0 || a.designs > 100_000 {
        bail!("--designs: must be in 1..=100000, got {}", a.designs);
    }
    if a.jobs > 1000 {
        bail!("--jobs: must be at most 1000, got {}", a.jobs);
    }
    let (si, sn) = a
        .shard
        .as_deref()
        .map(parse_shard)
        .transpose()?
        .unwrap_or((1, 1));
    if let Some(d) = a.only {
        if d >= a.designs {
            bail!("--only: design {d} is not among the {} designs", a.designs);
        }
    }
    let header = Header {
        name: format!(
            "qforge regress seed={} designs={} jobs={} sims={} kinds={} max_cycles={}",
            a.seed,
            a.designs,
            a.jobs,
            sims.iter().map(|s| s.name()).collect::<Vec<_>>().join(","),
            a.kinds,
            a.max_cycles
        ),
        designs: a.designs,
    };
    let tmp = crate::output::temp_dir()?;
    let work = a.work.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&work).map_err(|e| anyhow!("--work {}: {e}", work.display()))?;
    // The simulators run in subdirectories: give them an absolute path.
    let work = work
        .canonicalize()
        .map_err(|e| anyhow!("--work {}: {e}", work.display()))?;
    let mut suites = Vec::new();
    let picked: Vec<usize> = (0..a.designs)
        .filter(|d| d % sn == si - 1 && (a.only.is_none() || a.only == Some(*d)))
        .collect();
    for &d in &picked {
        let lut = kinds[d % kinds.len()];
        suites.push(run_design(
            a.seed,
            d,
            lut,
            a.jobs,
            &sims,
            a.max_cycles,
            &work,
        )?);
    }
    let (tests, fails): (usize, usize) = suites.iter().fold((0, 0), |(t, f), s| {
        (
            t + s.cases.len(),
            f + s.cases.iter().filter(|c| c.failure.is_some()).count(),
        )
    });
    if let Some(j) = &a.junit {
        let mut o = Outputs::default();
        o.add("--junit", j, junit::write(&header, &suites).into_bytes())?;
        o.commit()?;
    }
    if a.json {
        let failed: Vec<_> = suites
            .iter()
            .flat_map(|s| {
                s.cases.iter().filter_map(move |c| {
                    c.failure.as_ref().map(
                        |f| serde_json::json!({"design": s.design, "case": c.name, "failure": f}),
                    )
                })
            })
            .collect();
        let v = serde_json::json!({
            "regression": header.name, "shard": format!("{si}/{sn}"),
            "designs": picked, "tests": tests, "failures": fails, "failed": failed,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        outln!(
            "# {} (shard {si}/{sn}): {} designs, {tests} cases, {fails} failed",
            header.name,
            picked.len()
        );
        for s in &suites {
            for c in s.cases.iter().filter(|c| c.failure.is_some()) {
                outln!(
                    "FAIL design-{:04} {}: {}",
                    s.design,
                    c.name,
                    c.failure.as_deref().unwrap_or("")
                );
            }
        }
    }
    if fails > 0 {
        bail!("{fails} of {tests} regression cases failed (reproduce one design with --only D)");
    }
    Ok(())
}

/// Every job of design `d` on every simulator.
fn run_design(
    seed: u64,
    d: usize,
    lut: bool,
    jobs: usize,
    sims: &[Sim],
    max_cycles: u64,
    work: &std::path::Path,
) -> Result<Suite> {
    let (p, all, mut rng) = design(seed, d, lut, jobs);
    let stalls: Vec<Stalls> = (0..all.len())
        .map(|j| {
            if j % 3 == 0 {
                Stalls::NONE
            } else {
                Stalls::random(&mut rng)
            }
        })
        .collect();
    let dir = work.join(format!("design-{d:04}"));
    let mut cases = Vec::new();
    let mut benches: Vec<(Sim, Result<Bench, String>)> = Vec::new();
    for &s in sims {
        let sim = match s {
            Sim::Verilator => Simulator::Verilator,
            Sim::Icarus => Simulator::Icarus,
            _ => continue,
        };
        let bd = dir.join(s.name());
        std::fs::create_dir_all(&bd).map_err(|e| anyhow!("--work {}: {e}", bd.display()))?;
        benches.push((s, Bench::build(&p, &bd, sim)));
    }
    let mut rtl = if sims.contains(&Sim::Lockstep) {
        Some(testbench::dynrtl::DynRtl::build(&p, &work.join("dynrtl")))
    } else {
        None
    };
    for (j, job) in all.iter().enumerate() {
        let st = stalls[j];
        let model = run_job(&p, job, st, None, max_cycles);
        for &s in sims {
            let name = format!("job-{j:02} {}", s.name());
            let failure = match (s, &model) {
                (_, Err(e)) if s == Sim::Model => Some(format!("cycle model: {e}")),
                (Sim::Model, Ok((r, _))) => {
                    let want = job.expected(&p);
                    let timing = sim::timing::job_cycles(&p, job.m, job.k, job.n, job.raw);
                    if r.beats != want {
                        let i = r.beats.iter().zip(&want).position(|(a, b)| a != b);
                        Some(format!(
                            "output differs from the golden reference at beat {i:?} ({} vs {} beats)",
                            r.beats.len(),
                            want.len()
                        ))
                    } else if st == Stalls::NONE && r.cycles != timing {
                        Some(format!("{} cycles, sim::timing says {timing}", r.cycles))
                    } else {
                        None
                    }
                }
                (_, Err(_)) => Some("the cycle model failed on this job (see its case)".into()),
                (Sim::Verilator | Sim::Icarus, Ok((r, _))) => {
                    match &benches.iter().find(|b| b.0 == s).expect("built above").1 {
                        Err(e) => Some(format!("build: {e}")),
                        Ok(b) => match b.run_job(job, st, None) {
                            Err(e) => Some(e),
                            Ok(c) if c != r.cycles => {
                                Some(format!("{c} cycles, the model {}", r.cycles))
                            }
                            Ok(_) => None,
                        },
                    }
                }
                (Sim::Lockstep, Ok(_)) => match rtl.as_mut().expect("built above") {
                    Err(e) => Some(format!("build: {e}")),
                    Ok(rtl) => {
                        let mut m = sim::engine::Engine::new(p);
                        sim::harness::lockstep_beats(&mut m, rtl, job, st, true, max_cycles).err()
                    }
                },
            };
            cases.push(Case { name, failure });
        }
    }
    let kind = if lut { "lut" } else { "bitserial" };
    let props = vec![
        ("design_seed".to_string(), design_seed(seed, d).to_string()),
        ("kind".to_string(), kind.to_string()),
        ("params".to_string(), format!("{p:?}")),
        ("jobs".to_string(), all.len().to_string()),
    ];
    Ok(Suite {
        design: d,
        props,
        cases,
    })
}
