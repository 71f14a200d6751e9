//! The commit journal: what makes a commit all-or-nothing even under SIGKILL or a power cut.
//!
//! Before the first rename of a swap, [`write()`] puts `.qforge-journal-PID` (JSON, fsynced)
//! into every directory the commit writes to, each copy listing the whole swap: every target
//! with its backup (`NAME.qforge-bak-PID`, when a previous file is moved aside) and its
//! temporary (`NAME.qforge-tmp-PID`), the directories the commit created, and the paths of
//! all the copies. Removing the copies is the commit point: a run that dies before it has
//! its journal found by the next commit into any of those directories
//! ([`super::cleanup::sweep_dir`]), and [`roll_back`] puts the previous set back exactly: each
//! backup over its target, each target that had no previous file (its temporary already
//! renamed in) removed, each temporary and created directory removed. A run that dies after
//! it leaves only backups whose targets exist, which the sweep deletes (the new set stands).
//! A journal that does not parse was cut short while being written, before any rename: it is
//! deleted and nothing else is touched.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name of the journal of process `pid`.
pub fn name(pid: u32) -> String {
    format!(".qforge-journal-{pid}")
}

/// The PID of a journal file name, if it is one.
pub fn pid_of(file_name: &str) -> Option<u32> {
    let p = file_name.strip_prefix(".qforge-journal-")?;
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

/// One renamed path of a swap.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Step {
    /// The target (absolute).
    pub target: PathBuf,
    /// Where its previous file is moved aside; `None` when it had none.
    pub backup: Option<PathBuf>,
    /// The new content's temporary; `None` for a stale file that is only removed.
    pub temp: Option<PathBuf>,
}

/// A whole swap.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Journal {
    /// The renames, in order.
    pub steps: Vec<Step>,
    /// Directories the commit created (removed when empty on roll-back, last first).
    pub created: Vec<PathBuf>,
    /// Every copy of this journal.
    pub copies: Vec<PathBuf>,
}

/// `p` made absolute against the working directory (so a journal names the same files
/// whatever directory the next run starts in).
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Write and fsync every copy of `j` (its `copies`), syncing each directory.
pub fn write(j: &Journal) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(j).map_err(std::io::Error::other)?;
    for c in &j.copies {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(c)?;
        f.write_all(&text)?;
        f.sync_all()?;
        if let Some(d) = c.parent() {
            sync_dir(d);
        }
    }
    Ok(())
}

/// Remove every copy of `j` (the commit point), syncing each directory.
pub fn remove(copies: &[PathBuf]) {
    for c in copies {
        let _ = std::fs::remove_file(c);
        if let Some(d) = c.parent() {
            sync_dir(d);
        }
    }
}

fn sync_dir(d: &Path) {
    if let Ok(f) = std::fs::File::open(d) {
        let _ = f.sync_all();
    }
}

/// Undo the swap of a dead run whose journal is `path` (see the module doc).
pub fn roll_back(path: &Path) {
    let j: Journal = match std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        Some(j) => j,
        None => {
            let _ = std::fs::remove_file(path);
            return;
        }
    };
    for s in j.steps.iter().rev() {
        let temp_left = s
            .temp
            .as_ref()
            .is_some_and(|t| std::fs::symlink_metadata(t).is_ok());
        match &s.backup {
            Some(b) if std::fs::symlink_metadata(b).is_ok() => {
                let _ = std::fs::rename(b, &s.target);
            }
            Some(_) => {}
            // A new file whose temporary is gone was renamed in: remove it.
            None if !temp_left && s.temp.is_some() => {
                let _ = std::fs::remove_file(&s.target);
            }
            None => {}
        }
        if let Some(t) = &s.temp {
            let _ = std::fs::remove_file(t);
        }
    }
    let mut copies = j.copies.clone();
    if !copies.iter().any(|c| c == path) {
        copies.push(path.to_path_buf());
    }
    remove(&copies);
    for d in j.created.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
}
