//! Signals: SIGTERM/SIGINT during a commit remove its temporaries (and the directories it
//! created) and keep the previous files; a SIGKILL's debris is swept by the next run.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

#[test]
fn sigterm_during_generate_removes_its_temporaries_and_directories() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut child = cmd(&["generate", "--out", "g/new"], d)
        .env("QFORGE_TEST_HOLD_COMMIT", "30000")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_temporaries(&mut child, &d.join("g"));
    signal(&child, "-TERM");
    let s = child.wait().unwrap();
    assert_eq!(s.code(), Some(143), "{s}");
    assert!(!d.join("g").exists(), "{:?}", debris(d));
    assert!(debris(d).is_empty(), "{:?}", debris(d));
}

#[test]
fn a_killed_generate_leaves_debris_that_the_next_run_sweeps() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(&["generate", "--out", "g"], d);
    let before = files(&d.join("g"));
    let mut child = cmd(&["generate", "--out", "g"], d)
        .env("QFORGE_TEST_HOLD_COMMIT", "30000")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_temporaries(&mut child, &d.join("g"));
    signal(&child, "-KILL");
    child.wait().unwrap();
    let pid = dead_pid();
    std::fs::create_dir(d.join(format!("tmp/qforge-tmp-{pid}-abc"))).unwrap();
    std::fs::write(d.join(format!("g/rtl/dpu.sv.qforge-tmp-{pid}")), "x").unwrap();
    ok(&["generate", "--out", "g"], d);
    assert!(debris(d).is_empty(), "{:?}", debris(d));
    assert_eq!(files(&d.join("g")), before);
}

#[test]
fn sigterm_during_verify_removes_its_temporary_directory() {
    assert!(
        Command::new("verilator").arg("--version").output().is_ok(),
        "this test needs Verilator (scripts/test.sh installs it)"
    );
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut child = cmd(&["verify"], d).stdout(Stdio::null()).spawn().unwrap();
    let t0 = Instant::now();
    while std::fs::read_dir(d.join("tmp")).unwrap().count() == 0 {
        assert!(child.try_wait().unwrap().is_none(), "verify ended first");
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no temporary directory"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-TERM");
    let s = child.wait().unwrap();
    assert_eq!(s.code(), Some(143), "{s}");
    std::thread::sleep(Duration::from_millis(500));
    let left: Vec<_> = std::fs::read_dir(d.join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn sigint_during_generate_keeps_the_previous_design() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(&["generate", "--out", "g"], d);
    let before = files(&d.join("g"));
    let lut = example("lcq_w2a2.toml");
    let mut child = cmd(&["generate", "--config", &lut, "--out", "g"], d)
        .env("QFORGE_TEST_HOLD_COMMIT", "30000")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_temporaries(&mut child, &d.join("g"));
    signal(&child, "-INT");
    let s = child.wait().unwrap();
    assert_eq!(s.code(), Some(130), "{s}");
    assert!(debris(d).is_empty(), "{:?}", debris(d));
    assert_eq!(files(&d.join("g")), before);
}
