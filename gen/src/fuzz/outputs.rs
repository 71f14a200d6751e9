//! The `outputs` fuzz target: the one output path every command writes through
//! (`crate::output::Outputs`), in-process on a scratch tree. Each case builds a random tree of
//! files, directories, symlinks and FIFOs, queues 1–4 outputs over it (some onto those
//! entries, some into missing directories), then interferes between queueing and commit the
//! way a user or a second process can (a target turned into a directory, a symlink or a
//! FIFO; a parent directory removed). Invariants, any of which failing is a defect (reported
//! like a panic):
//! - a successful commit leaves every target holding exactly its new bytes;
//! - a failed `add` or `commit` leaves the tree exactly as it was before the call;
//! - no `.qforge-tmp-` / `.qforge-bak-` debris remains either way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::Rng;

use crate::output::Outputs;

const NAMES: [&str; 6] = [
    "a.txt",
    "b.npy",
    "sub/c.json",
    "sub/d.v",
    "e",
    "deep/er/f.md",
];

/// What a path is, with the content of regular files and symlink targets.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
    Fifo,
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Node>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let ft = m.file_type();
            if ft.is_symlink() {
                out.insert(rel, Node::Link(std::fs::read_link(&p).unwrap_or_default()));
            } else if ft.is_dir() {
                out.insert(rel, Node::Dir);
                walk(root, &p, out);
            } else if ft.is_file() {
                out.insert(rel, Node::File(std::fs::read(&p).unwrap_or_default()));
            } else {
                out.insert(rel, Node::Fifo);
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(root, root, &mut m);
    m
}

fn debris(snap: &BTreeMap<PathBuf, Node>) -> Option<&PathBuf> {
    snap.keys().find(|p| {
        let s = p.to_string_lossy();
        s.contains(".qforge-tmp-") || s.contains(".qforge-bak-")
    })
}

fn make(root: &Path, rel: &str, kind: u8, rng: &mut impl Rng) {
    let p = root.join(rel);
    if let Some(d) = p.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let _ = match kind {
        0 => std::fs::write(&p, format!("old {rel} {}", rng.gen::<u16>())),
        1 => std::fs::create_dir_all(p.join("inner")),
        2 => std::os::unix::fs::symlink(root.join("a.txt"), &p),
        _ => mkfifo(&p),
    };
}

fn mkfifo(p: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o644) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn remove(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            let _ = std::fs::remove_dir_all(p);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(p);
        }
        Err(_) => {}
    }
}

/// One case; `Err` describes a broken invariant.
pub fn case(rng: &mut impl Rng) -> Result<bool, String> {
    let tmp = tempfile::tempdir().map_err(|e| format!("scratch dir: {e}"))?;
    let root = tmp.path();
    for name in NAMES {
        if rng.gen_bool(0.5) {
            make(root, name, [0u8, 0, 0, 1, 2, 3][rng.gen_range(0..6)], rng);
        }
    }
    let mut out = Outputs::default();
    let mut queued: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for _ in 0..rng.gen_range(1..=4) {
        let rel = NAMES[rng.gen_range(0..NAMES.len())];
        let p = root.join(rel);
        let bytes = format!("new {rel} {}", rng.gen::<u32>()).into_bytes();
        let before = snapshot(root);
        let r = if rng.gen_bool(0.3) {
            let dir = p.parent().unwrap_or(root);
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.add_creating("--fuzz", dir, &name, bytes.clone())
        } else {
            out.add("--fuzz", &p, bytes.clone())
        };
        match r {
            Ok(()) => queued.push((p, bytes)),
            Err(_) => {
                if snapshot(root) != before {
                    return Err(format!("a refused add of {rel} changed the tree"));
                }
            }
        }
    }
    // Interference between queueing and commit.
    if !queued.is_empty() && rng.gen_bool(0.4) {
        let (p, _) = &queued[rng.gen_range(0..queued.len())];
        match rng.gen_range(0..4) {
            0 => {
                remove(p);
                let _ = std::fs::create_dir_all(p.join("x"));
            }
            1 => {
                remove(p);
                let _ = std::os::unix::fs::symlink("/dev/null", p);
            }
            2 => {
                remove(p);
                let _ = mkfifo(p);
            }
            _ => {
                if let Some(d) = p.parent().filter(|d| *d != root) {
                    remove(d);
                    let _ = std::fs::write(d, "a file where a directory was");
                }
            }
        }
    }
    let before = snapshot(root);
    let r = out.commit();
    let after = snapshot(root);
    if let Some(d) = debris(&after) {
        return Err(format!("debris left: {}", d.display()));
    }
    match r {
        Ok(()) => {
            for (p, bytes) in &queued {
                let rel = p.strip_prefix(root).unwrap_or(p).to_path_buf();
                if after.get(&rel) != Some(&Node::File(bytes.clone())) {
                    return Err(format!(
                        "commit succeeded but {} is {:?}",
                        rel.display(),
                        after.get(&rel)
                    ));
                }
            }
            Ok(true)
        }
        Err(e) => {
            if after != before {
                let changed: Vec<_> = before
                    .keys()
                    .chain(after.keys())
                    .filter(|k| before.get(*k) != after.get(*k))
                    .take(3)
                    .collect();
                return Err(format!("a failed commit ({e}) changed {changed:?}"));
            }
            Ok(false)
        }
    }
}
