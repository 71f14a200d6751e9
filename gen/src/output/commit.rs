//! The staged commit behind [`super::Outputs::commit`]: check every target, create missing
//! directories, write and fsync every file to `NAME.qforge-tmp-PID` beside its target, then
//! (holding the cleanup registry, so a signal waits for a consistent state) move each existing
//! target aside to `NAME.qforge-bak-PID` and rename the new file in. Any failure puts every
//! backup back, removes the new files, the temporaries and the directories the commit created;
//! success deletes the backups. A journal written before the first rename (`super::journal`)
//! lets the next run undo a swap that a SIGKILL or a crash cut short.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::cleanup::{self, forget};
use super::journal;

/// One file of a commit.
pub struct Entry {
    /// Destination.
    pub path: PathBuf,
    /// The option that chose it (for errors).
    pub flag: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// Mode 0755 instead of 0644 (Unix) for a new file; a replaced file keeps its mode
    /// (with `x` added where it has `r`).
    pub executable: bool,
    /// The output directory the file belongs to: its missing directories (and this one's
    /// missing ancestors) are created.
    pub root: Option<PathBuf>,
}

/// `path` with `.qforge-KIND-PID` appended to its file name.
pub fn sibling(path: &Path, kind: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".qforge-{kind}-{}", std::process::id()));
    path.with_file_name(name)
}

/// Refuse a target that is not a regular file (or missing): a directory, a symbolic link, a
/// FIFO, a socket or a device would be replaced or written through.
pub fn check_target(flag: &str, path: &Path) -> Result<()> {
    let md = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e).with_context(|| format!("{flag}: cannot inspect {}", path.display()))
        }
    };
    let t = md.file_type();
    let what = if t.is_file() {
        return Ok(());
    } else if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link (give the path it points to)"
    } else {
        special(&t)
    };
    bail!(
        "{flag}: {} is {what}; refusing to replace it with a regular file",
        path.display()
    )
}

#[cfg(unix)]
fn special(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special(_: &std::fs::FileType) -> &'static str {
    "not a regular file"
}

#[cfg(test)]
thread_local! {
    /// Tests: fail the swap's rename number N (0-based).
    pub static FAIL_RENAME_AT: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
    /// Tests: abort the process (as SIGKILL would end it, with no cleanup) at the swap's
    /// rename number N.
    pub static CRASH_AT: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

/// A rename of the swap (fails on purpose in tests).
fn rename(from: &Path, to: &Path, _n: &mut usize) -> std::io::Result<()> {
    #[cfg(test)]
    {
        let at = FAIL_RENAME_AT.with(|c| c.get());
        if *_n == at {
            return Err(std::io::Error::other("injected failure"));
        }
        if *_n == CRASH_AT.with(|c| c.get()) {
            std::process::abort();
        }
        *_n += 1;
    }
    std::fs::rename(from, to)
}

/// Create `dir` and its missing ancestors; record each created one in the registry.
fn make_dirs(flag: &str, dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    let mut d = dir;
    while std::fs::metadata(d).is_err() {
        missing.push(d.to_path_buf());
        match d.parent() {
            Some(p) if !p.as_os_str().is_empty() => d = p,
            _ => break,
        }
    }
    for m in missing.into_iter().rev() {
        let mut g = cleanup::lock();
        std::fs::create_dir(&m)
            .with_context(|| format!("{flag}: cannot create {}", m.display()))?;
        g.get().created.push(m);
    }
    if !dir.is_dir() {
        bail!("{flag}: {} is not a directory", dir.display());
    }
    Ok(())
}

/// Write `e` to its temporary and fsync it. The file is created and registered under the
/// registry lock, so a signal never misses it; the content is written without the lock.
fn write_temp(e: &Entry, tmp: &Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(if e.executable { 0o755 } else { 0o644 });
    }
    let mut f = {
        let mut g = cleanup::lock();
        let _ = std::fs::remove_file(tmp);
        let f = o.open(tmp)?;
        g.get().files.push(tmp.to_path_buf());
        f
    };
    if let Some(perm) = kept_permissions(e) {
        f.set_permissions(perm)?;
    }
    f.write_all(&e.bytes)?;
    f.sync_all()
}

/// The permissions a replaced file keeps: the previous file's mode (a user's `chmod 600` on
/// a report survives a re-run); an executable entry also gets `x` wherever the old mode has
/// `r`. `None` for a new file (0644 or 0755, less the umask).
fn kept_permissions(e: &Entry) -> Option<std::fs::Permissions> {
    let md = std::fs::symlink_metadata(&e.path).ok()?;
    if !md.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut mode = md.permissions().mode() & 0o7777;
        if e.executable {
            mode |= (mode & 0o444) >> 2;
        }
        Some(std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        Some(md.permissions())
    }
}

/// Commit `files`, removing `stale` (regular files of an earlier run) in the same swap.
pub fn commit(files: &[Entry], stale: &[PathBuf]) -> Result<()> {
    for e in files {
        check_target(&e.flag, &e.path)?;
    }
    let mut parents: Vec<PathBuf> = Vec::new();
    for e in files {
        let dir = match e.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d.to_path_buf(),
            None => PathBuf::from("."),
        };
        if !parents.contains(&dir) {
            cleanup::sweep_dir(&dir);
            parents.push(dir);
        }
    }
    let result = stage_and_swap(files, stale);
    let mut g = cleanup::lock();
    let r = g.get();
    if result.is_err() {
        cleanup::undo_commit(r);
        return result;
    }
    // The commit point: with the journals gone, a kill leaves the new set standing.
    journal::remove(&r.journals);
    r.journals.clear();
    let backups: Vec<PathBuf> = r.backups.drain(..).map(|(b, _)| b).collect();
    r.installed.clear();
    r.created.clear();
    drop(g);
    for b in backups {
        let _ = std::fs::remove_file(b);
    }
    for p in &parents {
        if let Ok(f) = std::fs::File::open(p) {
            let _ = f.sync_all();
        }
    }
    for s in stale {
        if let Some(d) = s.parent() {
            let _ = std::fs::remove_dir(d);
        }
    }
    Ok(())
}

/// Create directories, write temporaries, swap. State to undo stays in the registry.
fn stage_and_swap(files: &[Entry], stale: &[PathBuf]) -> Result<()> {
    for e in files {
        if let (Some(_), Some(dir)) = (&e.root, e.path.parent()) {
            make_dirs(&e.flag, dir)?;
        } else if let Some(dir) = e.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                bail!("{}: directory {} does not exist", e.flag, dir.display());
            }
        }
    }
    for e in files {
        let tmp = sibling(&e.path, "tmp");
        write_temp(e, &tmp)
            .with_context(|| format!("{}: cannot write {}", e.flag, tmp.display()))?;
    }
    hold_for_tests();
    let mut g = cleanup::lock();
    let r = g.get();
    let j = plan(files, stale, &r.created);
    r.journals.extend(j.copies.iter().cloned());
    journal::write(&j).context("cannot write the commit journal")?;
    let mut n = 0;
    for s in stale {
        let bak = sibling(s, "bak");
        rename(s, &bak, &mut n)
            .with_context(|| format!("cannot move the stale {} aside", s.display()))?;
        r.backups.push((bak, s.clone()));
    }
    for e in files {
        let tmp = sibling(&e.path, "tmp");
        let what = |w: &str| format!("{}: cannot {w} {}", e.flag, e.path.display());
        if std::fs::symlink_metadata(&e.path).is_ok() {
            let bak = sibling(&e.path, "bak");
            rename(&e.path, &bak, &mut n).with_context(|| what("move aside"))?;
            r.backups.push((bak, e.path.clone()));
        } else {
            r.installed.push(e.path.clone());
        }
        rename(&tmp, &e.path, &mut n).with_context(|| what("create"))?;
        forget(&mut r.files, &tmp);
    }
    Ok(())
}

/// The journal of the swap [`stage_and_swap`] is about to do, with a copy in each directory
/// it writes to.
fn plan(files: &[Entry], stale: &[PathBuf], created: &[PathBuf]) -> journal::Journal {
    let abs = |p: &Path| journal::absolute(p);
    let mut steps = Vec::new();
    for s in stale {
        steps.push(journal::Step {
            target: abs(s),
            backup: Some(abs(&sibling(s, "bak"))),
            temp: None,
        });
    }
    let mut copies: Vec<PathBuf> = Vec::new();
    for e in files {
        let had = std::fs::symlink_metadata(&e.path).is_ok();
        steps.push(journal::Step {
            target: abs(&e.path),
            backup: had.then(|| abs(&sibling(&e.path, "bak"))),
            temp: Some(abs(&sibling(&e.path, "tmp"))),
        });
        let dir = match e.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d,
            None => Path::new("."),
        };
        let c = abs(&dir.join(journal::name(std::process::id())));
        if !copies.contains(&c) {
            copies.push(c);
        }
    }
    journal::Journal {
        steps,
        created: created.iter().map(|p| abs(p)).collect(),
        copies,
    }
}

/// Tests only: `QFORGE_TEST_HOLD_COMMIT=MS` sleeps between writing the temporaries and the
/// swap, so a test can signal a commit in progress. Compiled into debug builds only (the
/// integration tests' binary); a release build (`cargo install`, `--release`) has no hook.
#[cfg(not(debug_assertions))]
fn hold_for_tests() {}

/// See the release version above.
#[cfg(debug_assertions)]
fn hold_for_tests() {
    if let Some(ms) = std::env::var_os("QFORGE_TEST_HOLD_COMMIT")
        .and_then(|v| v.to_str().and_then(|s| s.parse::<u64>().ok()))
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
