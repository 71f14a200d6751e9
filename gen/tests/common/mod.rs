//! Shared by the CLI tests: run the `qforge` binary; find the model fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Run `qforge args` in `dir`: (success, stdout, stderr).
pub fn qforge(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qforge"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The model fixtures directory (`testbench/fixtures/models`).
#[allow(dead_code)]
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures/models")
}

/// Model fixture `name`.
#[allow(dead_code)]
pub fn fixture(name: &str) -> PathBuf {
    fixtures_root().join(name)
}

/// Every model fixture (a directory with a `model.json`), sorted; at least one.
#[allow(dead_code)]
pub fn fixtures() -> Vec<PathBuf> {
    let root = fixtures_root();
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.json").is_file())
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no model fixtures under {}", root.display());
    v
}

/// Run `qforge args` in `dir` and measure it: (success, stdout, stderr, peak resident bytes
/// of that process alone, from `wait4`).
#[allow(dead_code)]
#[allow(clippy::zombie_processes)]
pub fn qforge_rss(args: &[&str], dir: &Path) -> (bool, String, String, u64) {
    use std::io::Read as _;
    use std::os::unix::process::ExitStatusExt as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_qforge"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).unwrap();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).unwrap();
        s
    });
    let mut status = 0;
    // The child is reaped by wait4 here (std's `wait` would reap it without its rusage).
    // SAFETY: wait4 on our own child's pid, writing into zeroed locals.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4");
    let ok = std::process::ExitStatus::from_raw(status).success();
    (
        ok,
        String::from_utf8_lossy(&t_out.join().unwrap()).into(),
        String::from_utf8_lossy(&t_err.join().unwrap()).into(),
        ru.ru_maxrss as u64 * 1024,
    )
}

/// Every file below `dir`: (path relative to `dir`, bytes), sorted by path.
#[allow(dead_code)]
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, v: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, v);
            } else {
                v.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|f| {
            (
                f.strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(&f).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A small design config (2×3 DPUs of 32 bits, a 6-channel 4×4 layer).
#[allow(dead_code)]
pub const SMALL: &str = "[engine]\ndm = 2\ndn = 3\ndk = 32\n[layer]\nchannels = 6\nhw = 4\n";
