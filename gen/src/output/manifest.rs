//! The manifest of an output directory (`--out DIR`, `--dump-streams DIR`):
//! `.qforge-manifest.json` lists, relative to the directory, the files qforge wrote there. A
//! re-run replaces that set (removing the earlier run's files it does not write again) and never
//! touches other files; a non-empty directory without a manifest is refused unless `--force`.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The manifest's file name.
pub const NAME: &str = ".qforge-manifest.json";

/// The files an earlier run listed in `root`'s manifest; `None` when there is no manifest.
/// Refuses a non-empty directory without one unless `force`.
pub fn previous(flag: &str, root: &Path, force: bool) -> Result<Option<Vec<PathBuf>>> {
    match std::fs::metadata(root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("{flag}: cannot inspect {}", root.display()))
        }
        Ok(m) if !m.is_dir() => bail!("{flag}: {} is not a directory", root.display()),
        Ok(_) => {}
    }
    // A run killed mid-swap is rolled back first, so the manifest read is the one on disk.
    super::cleanup::sweep_dir(root);
    let path = root.join(NAME);
    match std::fs::read(&path) {
        Ok(bytes) => match parse(&bytes) {
            Some(files) => Ok(Some(files)),
            None if force => Ok(None),
            None => bail!(
                "{flag}: {} is not a qforge manifest; pass --force to write into {} anyway \
                 (files qforge does not write are kept)",
                path.display(),
                root.display()
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let nonempty = std::fs::read_dir(root)
                .with_context(|| format!("{flag}: cannot list {}", root.display()))?
                .next()
                .is_some();
            if nonempty && !force {
                bail!(
                    "{flag}: {} is not empty and has no qforge manifest ({NAME}); pass --force \
                     to write into it (files qforge does not write are kept)",
                    root.display()
                );
            }
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("{flag}: cannot read {}", path.display())),
    }
}

/// The relative paths of a manifest, each a plain relative path (no `..`, not absolute).
fn parse(bytes: &[u8]) -> Option<Vec<PathBuf>> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let files = v.get("files")?.as_array()?;
    files
        .iter()
        .map(|f| {
            let p = PathBuf::from(f.as_str()?);
            p.components()
                .all(|c| matches!(c, Component::Normal(_)))
                .then_some(p)
        })
        .collect()
}

/// The manifest listing `files` (relative paths, in order).
pub fn render(files: &[PathBuf]) -> Vec<u8> {
    let list: Vec<String> = files
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    let v = serde_json::json!({
        "generator": format!("qforge {}", env!("CARGO_PKG_VERSION")),
        "note": "files qforge wrote here; a re-run replaces them and removes those it no longer writes",
        "files": list,
    });
    (serde_json::to_string_pretty(&v).unwrap_or_default() + "\n").into_bytes()
}

/// The files of `previous` that the new set `now` does not contain and that are still regular
/// files under `root` (anything else was changed by the user and is left alone).
pub fn stale(root: &Path, previous: &[PathBuf], now: &[PathBuf]) -> Vec<PathBuf> {
    previous
        .iter()
        .filter(|p| !now.contains(p) && p.as_os_str() != NAME)
        .map(|p| root.join(p))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file()))
        .collect()
}
