//! All-or-nothing, restorable output: every file a command writes (RTL, testbenches, reports,
//! JSON, `.npy`, VCD, SVG, stream dumps) is queued in an [`Outputs`] and written by one staged
//! [`Outputs::commit`] (`commit`): all files are written and fsynced beside their targets, then
//! swapped in; on any failure the previous files are back exactly as they were and the
//! directories the commit created are gone. Targets that are directories, symbolic links,
//! FIFOs, sockets or devices are refused. Output directories ([`Outputs::dir`]) carry a
//! manifest (`manifest`) so a re-run replaces exactly the earlier run's files. Temporaries
//! are cleaned on SIGINT/SIGTERM/SIGHUP and swept after a kill (`cleanup`).

mod cleanup;
mod commit;
mod journal;
mod manifest;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

pub use cleanup::{install, temp_dir, TempDir};
use commit::Entry;

/// Files to write together.
#[derive(Default)]
pub struct Outputs {
    files: Vec<Entry>,
    dirs: Vec<DirSet>,
}

/// An output directory with a manifest.
struct DirSet {
    root: PathBuf,
    flag: String,
    previous: Option<Vec<PathBuf>>,
    files: Vec<PathBuf>,
}

/// An output directory of an [`Outputs`] (from [`Outputs::dir`]).
#[derive(Clone, Copy)]
pub struct Dir(usize);

impl Outputs {
    /// Queue `bytes` for `path`; `flag` names the option that chose it (for errors). Its
    /// directory must exist.
    pub fn add(&mut self, flag: &str, path: &Path, bytes: Vec<u8>) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                bail!("{flag}: directory {} does not exist", dir.display());
            }
        }
        self.push(flag, path, bytes, false, None)
    }

    /// Queue `bytes` for `path`, creating its directory `dir` (and missing parents) if needed.
    pub fn add_creating(
        &mut self,
        flag: &str,
        dir: &Path,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<()> {
        if dir.exists() && !dir.is_dir() {
            bail!("{flag}: {} is not a directory", dir.display());
        }
        self.push(flag, &dir.join(name), bytes, false, Some(dir.to_path_buf()))
    }

    /// Declare output directory `root` (created if missing), written with a manifest: the files
    /// queued with [`Outputs::add_to`] replace those of the run that wrote its manifest. A
    /// non-empty directory without a manifest is refused unless `force`.
    pub fn dir(&mut self, flag: &str, root: &Path, force: bool) -> Result<Dir> {
        let previous = manifest::previous(flag, root, force)?;
        self.dirs.push(DirSet {
            root: root.to_path_buf(),
            flag: flag.to_string(),
            previous,
            files: Vec::new(),
        });
        Ok(Dir(self.dirs.len() - 1))
    }

    /// Queue `bytes` for `rel` (a relative path) in output directory `dir`.
    pub fn add_to(&mut self, dir: Dir, rel: &Path, bytes: Vec<u8>, executable: bool) -> Result<()> {
        let set = &mut self.dirs[dir.0];
        if rel.as_os_str() == manifest::NAME {
            bail!("{}: {} is qforge's manifest", set.flag, rel.display());
        }
        set.files.push(rel.to_path_buf());
        let (flag, root) = (set.flag.clone(), set.root.clone());
        self.push(
            &flag,
            &root.join(rel),
            bytes,
            executable,
            Some(root.clone()),
        )
    }

    fn push(
        &mut self,
        flag: &str,
        path: &Path,
        bytes: Vec<u8>,
        executable: bool,
        root: Option<PathBuf>,
    ) -> Result<()> {
        if self.files.iter().any(|e| e.path == path) {
            bail!(
                "{flag}: {} is already the destination of another output",
                path.display()
            );
        }
        commit::check_target(flag, path)?;
        self.files.push(Entry {
            path: path.to_path_buf(),
            flag: flag.to_string(),
            bytes,
            executable,
            root,
        });
        Ok(())
    }

    /// Write every queued file, or none (the previous files stay as they were).
    pub fn commit(mut self) -> Result<()> {
        let mut stale = Vec::new();
        for set in std::mem::take(&mut self.dirs) {
            if let Some(prev) = &set.previous {
                stale.extend(manifest::stale(&set.root, prev, &set.files));
            }
            self.files.push(Entry {
                path: set.root.join(manifest::NAME),
                flag: set.flag.clone(),
                bytes: manifest::render(&set.files),
                executable: false,
                root: Some(set.root.clone()),
            });
        }
        commit::commit(&self.files, &stale)
    }
}
