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
