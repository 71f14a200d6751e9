//! A closed stdout ends quietly with status 141; a full one is an error with status 1.

use std::process::{Command, Output, Stdio};

use crate::support::*;

/// Run with stdout a pipe that has no reader: the write end of the stdin pipe of a `true`
/// that has already exited, so every write fails with EPIPE (no race with a reader).
fn closed_stdout(args: &[&str]) -> Output {
    let t = tempfile::tempdir().unwrap();
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let pipe = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    cmd(args, t.path())
        .stdout(pipe)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly_with_status_141() {
    for args in [
        &["simulate", "--json"][..],
        &["network", "show", "resnet18"][..],
    ] {
        let o = closed_stdout(args);
        assert_eq!(o.status.code(), Some(141), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}

#[test]
fn a_full_stdout_is_an_error_with_status_1() {
    let t = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = cmd(&["report", "memory", "--json"], t.path())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.starts_with("qforge: error: stdout: ") && !e.contains("panicked"),
        "{e}"
    );
}

/// A pipe whose reader has exited: every write fails with EPIPE.
fn dead_pipe() -> std::process::ChildStdin {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let pipe = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    pipe
}

#[test]
fn an_error_on_a_closed_or_full_stderr_exits_1_without_a_panic() {
    let t = tempfile::tempdir().unwrap();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    // A bad flag value fails in qforge itself (not in clap), so the error message is written
    // by `main` to the broken stderr: exit 1 either way, never the panic status 101.
    let args = ["report", "memory", "--clock-mhz", "0"];
    let closed = cmd(&args, t.path()).stderr(dead_pipe()).output().unwrap();
    assert_eq!(closed.status.code(), Some(1));
    let on_full = cmd(&args, t.path()).stderr(full()).output().unwrap();
    assert_eq!(on_full.status.code(), Some(1));
    // And a full stdout with a closed stderr: the stdout error cannot be told, still exit 1.
    let both = cmd(&["report", "memory", "--json"], t.path())
        .stdout(full())
        .stderr(dead_pipe())
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(1));
}
