//! Debris control: every temporary file, backup and temporary directory qforge creates is
//! registered here while it exists. SIGINT, SIGTERM and SIGHUP are taken by a watcher thread
//! ([`install`]), which passes the signal on to child processes (simulator builds), removes
//! the registered temporaries, puts registered backups back and exits with 128 + the signal
//! number. Temporaries carry the PID in their name
//! (`NAME.qforge-tmp-PID`, `NAME.qforge-bak-PID`, `qforge-tmp-PID-*` directories), so a run
//! killed by SIGKILL leaves names that the next run sweeps ([`sweep_dir`], [`sweep_temp_root`])
//! once their PID is no longer alive.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What a signal must undo. It serves one commit at a time (the CLI commits from one thread).
#[derive(Default)]
pub struct Registry {
    /// Temporary files (removed).
    pub files: Vec<PathBuf>,
    /// Temporary directories (removed recursively).
    pub dirs: Vec<PathBuf>,
    /// Directories created by a commit in progress (removed when empty, last first).
    pub created: Vec<PathBuf>,
    /// (backup, target): the target's previous content, renamed aside by a commit in
    /// progress; restored over the target.
    pub backups: Vec<(PathBuf, PathBuf)>,
    /// Targets a commit in progress installed with no previous file (removed).
    pub installed: Vec<PathBuf>,
    /// The journal copies of the commit in progress (removed after the rest is undone).
    pub journals: Vec<PathBuf>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// The registry, locked (a poisoned lock is still usable: the lists stay consistent).
pub fn lock() -> RegistryGuard {
    RegistryGuard(REGISTRY.lock().unwrap_or_else(|e| e.into_inner()))
}

/// A locked [`Registry`].
pub struct RegistryGuard(MutexGuard<'static, Option<Registry>>);

impl RegistryGuard {
    /// The registry.
    pub fn get(&mut self) -> &mut Registry {
        self.0.get_or_insert_with(Registry::default)
    }
}

/// Remove `p` from `v` (the last equal entry).
pub fn forget(v: &mut Vec<PathBuf>, p: &Path) {
    if let Some(i) = v.iter().rposition(|x| x == p) {
        v.remove(i);
    }
}

/// Undo everything registered: what a signal leaves to clean.
pub fn undo(r: &mut Registry) {
    undo_commit(r);
    for p in r.dirs.drain(..) {
        let _ = std::fs::remove_dir_all(p);
    }
}

/// Undo the commit in progress: remove new files and temporaries, put backups back, remove
/// the directories it created.
pub fn undo_commit(r: &mut Registry) {
    for p in r.installed.drain(..).rev() {
        let _ = std::fs::remove_file(p);
    }
    for (bak, target) in r.backups.drain(..).rev() {
        let _ = std::fs::rename(bak, target);
    }
    for p in r.files.drain(..) {
        let _ = std::fs::remove_file(p);
    }
    // The journals before the directories: a created directory may hold a copy.
    super::journal::remove(&r.journals);
    r.journals.clear();
    for p in r.created.drain(..).rev() {
        let _ = std::fs::remove_dir(p);
    }
}

/// Take SIGINT, SIGTERM and SIGHUP on a watcher thread: clean up, exit 128 + signal. Call
/// first in `main`, before any other thread exists (the mask is inherited by threads; child
/// processes get an empty mask from `std::process::Command`).
#[cfg(unix)]
pub fn install() {
    // SAFETY: plain libc calls on a local, initialized sigset; no handler runs in signal
    // context (the signals are blocked and taken synchronously by sigwait).
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        let watcher = move || loop {
            let mut sig: libc::c_int = 0;
            if libc::sigwait(&set, &mut sig) == 0 {
                signal_descendants(sig);
                let mut g = lock();
                undo(g.get());
                std::process::exit(128 + sig);
            }
        };
        if std::thread::Builder::new()
            .name("qforge-signals".into())
            .spawn(watcher)
            .is_err()
        {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

/// Pass `sig` on to every descendant process (a simulator build or run), found through the
/// parent ids of `/proc/*/stat` (Linux; elsewhere the children are left to the terminal's
/// process group).
#[cfg(unix)]
fn signal_descendants(sig: libc::c_int) {
    let mut parent: Vec<(u32, u32)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // `pid (comm) state ppid ...`; comm may contain spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pp) = ppid {
                parent.push((pid, pp));
            }
        }
    }
    let mut tree = vec![std::process::id()];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parent.iter().filter(|&&(_, pp)| pp == p).map(|&(c, _)| c));
        i += 1;
    }
    for &c in &tree[1..] {
        if let Ok(p) = libc::pid_t::try_from(c) {
            // SAFETY: sends a signal to a process id read from /proc; no memory is involved.
            unsafe { libc::kill(p, sig) };
        }
    }
}

/// No signal handling off Unix.
#[cfg(not(unix))]
pub fn install() {}

/// Whether process `pid` is alive.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(p) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks for existence and permission.
        let r = unsafe { libc::kill(p, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// `name` split as (`NAME`, kind, PID) when it is `NAME.qforge-KIND-PID`.
pub fn parse(name: &OsStr) -> Option<(&str, &str, u32)> {
    let s = name.to_str()?;
    let (base, rest) = s.rsplit_once(".qforge-")?;
    let (kind, pid) = rest.split_once('-')?;
    if !matches!(kind, "tmp" | "bak") || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((base, kind, pid.parse().ok()?))
}

/// Roll back the swaps that dead qforge runs' journals in `dir` describe
/// (`super::journal`), then remove the temporaries dead runs left in `dir`; a backup whose
/// target is missing is put back (the run died between moving it aside and finishing), one
/// whose target exists is removed (the run died after its commit point).
pub fn sweep_dir(dir: &Path) {
    // First the journals of dead runs: their swaps are rolled back as a whole.
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(pid) = name.to_str().and_then(super::journal::pid_of) else {
                continue;
            };
            if !alive(pid) {
                super::journal::roll_back(&e.path());
            }
        }
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some((base, kind, pid)) = parse(&name) else {
            continue;
        };
        if alive(pid) {
            continue;
        }
        let path = e.path();
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        if kind == "bak" {
            let target = dir.join(base);
            if std::fs::symlink_metadata(&target).is_err() {
                let _ = std::fs::rename(&path, &target);
                continue;
            }
        }
        if is_file {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Remove `qforge-tmp-PID-*` directories of dead runs from the system temporary directory.
pub fn sweep_temp_root() {
    let root = std::env::temp_dir();
    let Ok(rd) = std::fs::read_dir(&root) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|s| s.strip_prefix("qforge-tmp-")) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !alive(pid) && e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A temporary directory `qforge-tmp-PID-*`, registered for signal cleanup and removed when
/// dropped.
pub struct TempDir(Option<tempfile::TempDir>);

impl TempDir {
    /// Its path.
    pub fn path(&self) -> &Path {
        self.0.as_ref().map(|t| t.path()).unwrap_or(Path::new(""))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            let p = t.path().to_path_buf();
            let mut g = lock();
            drop(t);
            forget(&mut g.get().dirs, &p);
        }
    }
}

/// A new temporary directory (sweeping those of dead runs first).
pub fn temp_dir() -> std::io::Result<TempDir> {
    sweep_temp_root();
    let mut g = lock();
    let t = tempfile::Builder::new()
        .prefix(&format!("qforge-tmp-{}-", std::process::id()))
        .tempdir()?;
    g.get().dirs.push(t.path().to_path_buf());
    Ok(TempDir(Some(t)))
}
