//! All-or-nothing output: every file of a command is written to a temporary name beside its
//! destination and renamed into place only when all of them were written, so a failure never
//! leaves partial output behind.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Files to write together.
#[derive(Default)]
pub struct Outputs {
    files: Vec<(PathBuf, String, Vec<u8>)>,
}

impl Outputs {
    /// Queue `bytes` for `path`; `flag` names the option that chose it (for errors).
    pub fn add(&mut self, flag: &str, path: &Path, bytes: Vec<u8>) -> Result<()> {
        if self.files.iter().any(|(p, _, _)| p == path) {
            bail!(
                "{flag}: {} is already the destination of another output",
                path.display()
            );
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                bail!("{flag}: directory {} does not exist", dir.display());
            }
        }
        self.files
            .push((path.to_path_buf(), flag.to_string(), bytes));
        Ok(())
    }

    /// Write every queued file, or none.
    pub fn commit(self) -> Result<()> {
        let tmp = |p: &Path| {
            let mut name = p.file_name().unwrap_or_default().to_os_string();
            name.push(format!(".qforge-tmp-{}", std::process::id()));
            p.with_file_name(name)
        };
        let mut written: Vec<PathBuf> = Vec::new();
        let result = (|| -> Result<()> {
            for (path, flag, bytes) in &self.files {
                let t = tmp(path);
                written.push(t.clone());
                std::fs::write(&t, bytes)
                    .with_context(|| format!("{flag}: cannot write {}", path.display()))?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            for t in written {
                let _ = std::fs::remove_file(t);
            }
            return Err(e);
        }
        let mut renamed: Vec<&Path> = Vec::new();
        for (path, flag, _) in &self.files {
            if let Err(e) = std::fs::rename(tmp(path), path) {
                for p in renamed {
                    let _ = std::fs::remove_file(p);
                }
                for (p, _, _) in &self.files {
                    let _ = std::fs::remove_file(tmp(p));
                }
                return Err(e).with_context(|| format!("{flag}: cannot create {}", path.display()));
            }
            renamed.push(path);
        }
        Ok(())
    }
}
