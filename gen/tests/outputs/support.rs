//! Helpers of the output tests: run the `qforge` binary (or `QFORGE_BIN`) with temporaries
//! under the test directory; list files and qforge debris.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

pub fn bin() -> PathBuf {
    std::env::var_os("QFORGE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_qforge").into())
}

/// `qforge args` in `dir`, temporaries under `dir/tmp`.
pub fn cmd(args: &[&str], dir: &Path) -> Command {
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut c = Command::new(bin());
    c.args(args).current_dir(dir).env("TMPDIR", &tmp);
    c
}

pub fn run(args: &[&str], dir: &Path) -> Output {
    cmd(args, dir).output().unwrap()
}

pub fn ok(args: &[&str], dir: &Path) {
    let o = run(args, dir);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into()
}

/// Every regular file under `root` (relative path, content), sorted.
pub fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let t = std::fs::symlink_metadata(&p).unwrap().file_type();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() {
                v.push((
                    p.strip_prefix(root).unwrap().into(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    v.sort();
    v
}

pub fn names(root: &Path) -> Vec<String> {
    files(root)
        .into_iter()
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect()
}

/// Names containing `.qforge-` or starting `qforge-tmp-` anywhere under `root`.
pub fn debris(root: &Path) -> Vec<String> {
    let mut v = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let n = e.file_name().to_string_lossy().into_owned();
            if n.contains(".qforge-tmp-")
                || n.contains(".qforge-bak-")
                || n.starts_with("qforge-tmp-")
            {
                v.push(e.path().display().to_string());
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    v
}

pub fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples")
        .join(name)
        .display()
        .to_string()
}

/// The PID of a process that has exited.
pub fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

pub fn signal(child: &Child, sig: &str) {
    let s = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(s.success());
}

/// Wait until a `*.qforge-tmp-*` file exists under `root` (the commit is staged).
pub fn wait_for_temporaries(child: &mut Child, root: &Path) {
    let t0 = Instant::now();
    loop {
        if root.exists() && debris(root).iter().any(|d| d.contains(".qforge-tmp-")) {
            return;
        }
        if let Some(s) = child.try_wait().unwrap() {
            panic!("qforge ended ({s}) before its commit was seen staged");
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("no staged commit under {} within 60 s", root.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
