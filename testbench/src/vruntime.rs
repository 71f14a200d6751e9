//! Verilator testbench builds that compile Verilator's runtime library once.
//!
//! `verilator --binary` compiles `verilated.cpp`, `verilated_threads.cpp` and
//! `verilated_timing.cpp` into every build directory: on a small engine design that is
//! about 9 of its 13 CPU-seconds, the same object code each time. [`build`] runs the same
//! steps as `--binary` (`--cc --exe --main --timing`, then the generated makefile) but,
//! before `make`, copies those objects from a cache keyed by everything that decides them:
//! the Verilator version and install, the makefile variables their compile rule reads
//! (`VM_TIMING`, `VM_TRACE`, `VM_COVERAGE`, `VM_SC`, `VM_USER_CFLAGS`, …, and the list of
//! runtime objects), and the `CXX`/`CXXFLAGS`/`CPPFLAGS`/`OPT_GLOBAL` environment. The
//! makefile rebuilds a runtime object only when it is older than the generated `V<top>.mk`;
//! copies are newer, so `make` links them. The cache lives in the system temporary directory
//! (`qforge-verilator-runtime/<key>/`), filled by the first build of each key through a
//! rename, so concurrent builds never see a partial entry. If a build that used cached
//! objects fails, it is retried with the runtime compiled afresh, so a bad entry costs time,
//! never a wrong result.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::Found;
use crate::verilator::run;

/// The makefile variables (of `V<top>.mk` and `V<top>_classes.mk`) that decide how the
/// runtime objects are compiled, and which they are.
const KEY_VARS: &[&str] = &[
    "VERILATOR_ROOT",
    "VM_SC",
    "VM_PROFC",
    "VM_USER_CFLAGS",
    "VM_C11",
    "VM_TIMING",
    "VM_COVERAGE",
    "VM_TRACE",
    "VM_TRACE_VCD",
    "VM_TRACE_FST",
    "VM_GLOBAL_FAST",
    "VM_GLOBAL_SLOW",
];

/// Environment variables `make` passes to the compiler.
const KEY_ENV: &[&str] = &["CXX", "CXXFLAGS", "CPPFLAGS", "OPT_GLOBAL", "OBJCACHE"];

/// A built testbench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The executable.
    pub exe: PathBuf,
    /// The runtime objects came from the cache (and were not compiled).
    pub reused_runtime: bool,
    /// The cache entry of this build's key.
    pub cache_entry: PathBuf,
}

/// Build testbench `top` from `files` (paths relative to `dir` or absolute) in
/// `dir/obj_tb` with extra Verilator `flags`.
pub fn build(
    v: &Found,
    dir: &Path,
    files: &[PathBuf],
    top: &str,
    flags: &[&str],
) -> Result<Built, String> {
    run(
        Command::new(&v.command)
            .current_dir(dir)
            .args(["--cc", "--exe", "--main", "--timing", "-O2"])
            .args(flags)
            .args(["--top-module", top, "--Mdir", "obj_tb", "-o", top])
            .args(files),
        "verilator --cc --exe --main --timing",
    )?;
    let mdir = dir.join("obj_tb");
    let vars = make_vars(&mdir, top)?;
    let objs: Vec<String> = ["VM_GLOBAL_FAST", "VM_GLOBAL_SLOW"]
        .iter()
        .flat_map(|k| {
            vars.iter()
                .filter(move |(n, _)| n == k)
                .flat_map(|(_, v)| v.split_whitespace().map(|o| format!("{o}.o")))
        })
        .collect();
    let entry = cache_root().join(key(v, &vars));
    let reused = !objs.is_empty() && entry.is_dir() && copy_all(&entry, &mdir, &objs).is_ok();
    let reused_runtime = match make(&mdir, top) {
        Ok(()) => {
            if !reused && !objs.is_empty() {
                // A failure to fill the cache only costs the next build time.
                let _ = store(&mdir, &entry, &objs);
            }
            reused
        }
        Err(e) if !reused => return Err(e),
        Err(_) => {
            // The entry did not link: compile the runtime afresh and replace the entry.
            for o in &objs {
                let _ = std::fs::remove_file(mdir.join(o));
            }
            make(&mdir, top)?;
            let _ = std::fs::remove_dir_all(&entry);
            let _ = store(&mdir, &entry, &objs);
            false
        }
    };
    Ok(Built {
        exe: mdir.join(top),
        reused_runtime,
        cache_entry: entry,
    })
}

fn make(mdir: &Path, top: &str) -> Result<(), String> {
    run(
        Command::new("make")
            .arg("-C")
            .arg(mdir)
            .args(["-f", &format!("V{top}.mk"), "-j", "2"]),
        "verilator --binary (make)",
    )
    .map(|_| ())
}

/// The [`KEY_VARS`] assignments of the generated makefiles, continuation lines joined.
fn make_vars(mdir: &Path, top: &str) -> Result<Vec<(String, String)>, String> {
    let mut vars = Vec::new();
    for f in [format!("V{top}.mk"), format!("V{top}_classes.mk")] {
        let path = mdir.join(&f);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("verilator --binary: {}: {e}", path.display()))?;
        let joined = text.replace("\\\n", " ");
        for line in joined.lines() {
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            let name = name.trim_end_matches(['+', '?', ':']).trim();
            if KEY_VARS.contains(&name) {
                vars.push((
                    name.to_string(),
                    value.split_whitespace().collect::<Vec<_>>().join(" "),
                ));
            }
        }
    }
    Ok(vars)
}

fn key(v: &Found, vars: &[(String, String)]) -> String {
    let mut h = DefaultHasher::new();
    v.command.hash(&mut h);
    v.version.hash(&mut h);
    vars.hash(&mut h);
    for k in KEY_ENV {
        std::env::var(k).ok().hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

fn cache_root() -> PathBuf {
    std::env::temp_dir().join("qforge-verilator-runtime")
}

fn copy_all(from: &Path, to: &Path, objs: &[String]) -> std::io::Result<()> {
    for o in objs {
        // A copy's modification time is now: newer than the makefile just generated.
        std::fs::copy(from.join(o), to.join(o))?;
    }
    Ok(())
}

/// Copy the build's runtime objects into a fresh directory beside `entry`, then rename it
/// to `entry` (which fails harmlessly when another build got there first).
fn store(mdir: &Path, entry: &Path, objs: &[String]) -> std::io::Result<()> {
    let root = entry.parent().expect("cache entries have a parent");
    std::fs::create_dir_all(root)?;
    let tmp = tempfile::tempdir_in(root)?;
    copy_all(mdir, tmp.path(), objs)?;
    let tmp = tmp.keep();
    if std::fs::rename(&tmp, entry).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}
