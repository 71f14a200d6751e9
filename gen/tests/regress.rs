//! `qforge regress`: a regression split into shards and merged gives the unsharded JUnit file
//! byte for byte; every simulator (model, Verilator, Icarus, lockstep) passes on random designs
//! of both kinds; a failing case is reported in the JUnit file and the exit code; bad flags
//! and incomplete merges are errors; the soak moves its beats with nothing lost.

mod common;

use common::qforge;
use serde_json::Value;

fn ok(args: &[&str], dir: &std::path::Path) -> String {
    let (ok, stdout, err) = qforge(args, dir);
    assert!(ok, "{args:?}: {stdout}\n{err}");
    stdout
}

#[test]
fn shards_merge_to_the_unsharded_run_on_every_simulator() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let base = [
        "regress",
        "--designs",
        "3",
        "--jobs",
        "0",
        "--seed",
        "7",
        "--sims",
        "model,verilator,icarus,lockstep",
        "--work",
        "w",
    ];
    let mut full = base.to_vec();
    full.extend(["--junit", "full.xml", "--json"]);
    let j: Value = serde_json::from_str(&ok(&full, d)).unwrap();
    // 3 designs (bit-serial, LUT, bit-serial) × (4 + 5 jobs) × 4 simulators.
    assert_eq!(j["tests"], 3 * 9 * 4, "{j}");
    assert_eq!(j["failures"], 0, "{j}");
    let mut shards = Vec::new();
    for i in 1..=2 {
        let (s, f) = (format!("{i}/2"), format!("s{i}.xml"));
        let mut a = base.to_vec();
        a.extend(["--shard", &s, "--junit", &f]);
        ok(&a, d);
        shards.push(f);
    }
    ok(
        &[
            "regress",
            "--merge",
            &shards[1],
            &shards[0],
            "--junit",
            "merged.xml",
        ],
        d,
    );
    let (whole, merged) = (
        std::fs::read_to_string(d.join("full.xml")).unwrap(),
        std::fs::read_to_string(d.join("merged.xml")).unwrap(),
    );
    assert_eq!(merged, whole, "merged shards differ from the unsharded run");
    for sim in ["model", "verilator", "icarus", "lockstep"] {
        assert!(
            whole.contains(&format!("job-08 {sim}\"/>")),
            "{sim}: {whole}"
        );
    }
    // A missing shard is refused.
    let (okm, _, err) = qforge(&["regress", "--merge", &shards[0], "--junit", "m2.xml"], d);
    assert!(!okm && err.contains("in no file"), "{err}");
    assert!(!d.join("m2.xml").exists());
}

#[test]
fn a_failing_case_is_in_the_junit_file_and_the_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A 5-cycle budget: every job times out on the model, so every case fails.
    let (okr, stdout, err) = qforge(
        &[
            "regress",
            "--designs",
            "1",
            "--jobs",
            "0",
            "--sims",
            "model",
            "--max-cycles",
            "5",
            "--junit",
            "f.xml",
        ],
        d,
    );
    assert!(!okr, "{stdout}");
    assert!(err.contains("9 of 9 regression cases failed"), "{err}");
    let x = std::fs::read_to_string(d.join("f.xml")).unwrap();
    assert!(
        x.contains("failures=\"9\"") && x.contains("<failure message=\"cycle model:"),
        "{x}"
    );
    // `--only` reproduces one design's suite exactly.
    let (_, _, _) = qforge(
        &[
            "regress",
            "--designs",
            "3",
            "--jobs",
            "0",
            "--sims",
            "model",
            "--junit",
            "a.xml",
        ],
        d,
    );
    ok(
        &[
            "regress",
            "--designs",
            "3",
            "--jobs",
            "0",
            "--sims",
            "model",
            "--only",
            "1",
            "--junit",
            "b.xml",
        ],
        d,
    );
    let (a, b) = (
        std::fs::read_to_string(d.join("a.xml")).unwrap(),
        std::fs::read_to_string(d.join("b.xml")).unwrap(),
    );
    let suite = |x: &str| {
        let i = x.find("<testsuite name=\"design-0001\"").unwrap();
        let j = x[i..].find("</testsuite>").unwrap() + i;
        x[i..j].to_string()
    };
    assert_eq!(suite(&a), suite(&b));
}

#[test]
fn bad_flags_are_errors_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (args, needle) in [
        (vec!["regress", "--shard", "0/4"], "--shard"),
        (vec!["regress", "--shard", "5/4"], "--shard"),
        (vec!["regress", "--shard", "x"], "--shard"),
        (vec!["regress", "--sims", "model,spice"], "--sims"),
        (vec!["regress", "--kinds", "analog"], "--kinds"),
        (vec!["regress", "--designs", "0"], "--designs"),
        (vec!["regress", "--designs", "2", "--only", "2"], "--only"),
        (
            vec!["regress", "--merge", "nope.xml", "--junit", "o.xml"],
            "--merge",
        ),
        (vec!["regress", "--soak", "--beats", "0"], "--beats"),
    ] {
        let (okr, _, err) = qforge(&args, d);
        assert!(!okr, "{args:?} succeeded");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn the_soak_moves_every_stream_with_nothing_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(
        &["regress", "--soak", "--beats", "20000", "--json"],
        tmp.path(),
    );
    let j: Value = serde_json::from_str(&out).unwrap();
    let designs = j["designs"].as_array().unwrap();
    assert_eq!(designs.len(), 2);
    for r in designs {
        for k in ["wt_beats", "act_beats", "out_beats"] {
            assert!(r[k].as_u64().unwrap() >= 20_000, "{k}: {r}");
        }
    }
}
