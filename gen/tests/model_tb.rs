//! `qforge generate --model` / `verify --model`: the whole-network testbench of every model
//! fixture (`testbench/fixtures/models/*`) on a small 2x2x32 array passes under Verilator as
//! shipped (`tb/run_verilator.sh`) with the same per-layer and total cycles as
//! `qforge run --json`; one fixture also under Icarus and `verilator -Wall` clean; generation
//! is byte-identical; bad flags are errors naming the flag that write nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{fixture, fixtures, qforge, tree};
use serde_json::Value;

const ARRAY: &str = "2x2x32";

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Run a generated script: (success, output).
fn script(path: &Path) -> (bool, String) {
    let out = Command::new("bash").arg(path).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// (per-job (layer, cycles), total) from the testbench's output.
fn parse(out: &str) -> (Vec<(String, u64)>, u64) {
    let mut jobs = Vec::new();
    let mut total = None;
    for l in out.lines() {
        if let Some(r) = l.strip_prefix("JOB ") {
            let f: Vec<&str> = r.split_whitespace().collect();
            assert_eq!(f[0].parse::<usize>().unwrap(), jobs.len(), "{out}");
            let c = f[2].strip_prefix("cycles=").unwrap().parse().unwrap();
            jobs.push((f[1].to_string(), c));
        } else if let Some(r) = l.strip_prefix("PASS jobs=") {
            let (n, c) = r.split_once(" cycles=").unwrap();
            assert_eq!(n.parse::<usize>().unwrap(), jobs.len(), "{out}");
            total = Some(c.trim().parse().unwrap());
        }
    }
    (
        jobs,
        total.unwrap_or_else(|| panic!("no PASS line:\n{out}")),
    )
}

fn generate(fx: &Path, input: bool, out: &Path, dir: &Path) {
    let (fxs, inp, outs) = (s(fx), s(&fx.join("input.npy")), s(out));
    let mut args = vec![
        "generate", "--model", &fxs, "--array", ARRAY, "--out", &outs,
    ];
    if input {
        args.extend(["--input", &inp]);
    }
    let (ok, stdout, err) = qforge(&args, dir);
    assert!(ok, "{}: generate failed: {err}", fx.display());
    assert!(stdout.contains("## Where each node runs"), "{stdout}");
}

#[test]
fn every_fixture_passes_its_network_testbench_under_verilator_with_the_model_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut summary = Vec::new();
    for fx in fixtures() {
        let name = fx.file_name().unwrap().to_string_lossy().to_string();
        let out = d.join(&name);
        let t0 = Instant::now();
        generate(&fx, true, &out, d);
        let gen_s = t0.elapsed().as_secs_f64();
        for f in [
            "tb/tb_network.sv",
            "tb/wt.hex",
            "tb/act.hex",
            "tb/exp.hex",
            "tb/jobs.hex",
            "tb/run_icarus.sh",
            "report.md",
        ] {
            assert!(out.join(f).is_file(), "{name}: missing {f}");
        }
        assert!(
            std::fs::read_dir(out.join("constraints"))
                .unwrap()
                .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "xdc")),
            "{name}: no XDC"
        );
        let t1 = Instant::now();
        let (ok, text) = script(&out.join("tb/run_verilator.sh"));
        let sim_s = t1.elapsed().as_secs_f64();
        assert!(ok, "{name}: run_verilator.sh failed:\n{text}");
        assert!(
            !text.contains("%Warning"),
            "{name}: Verilator warnings:\n{text}"
        );
        let (jobs, total) = parse(&text);
        // The cycle model on the same array: every sample has sample 0's schedule.
        let (fxs, inp) = (s(&fx), s(&fx.join("input.npy")));
        let (ok, stdout, err) = qforge(
            &[
                "run", "--model", &fxs, "--input", &inp, "--array", ARRAY, "--json",
            ],
            d,
        );
        assert!(ok, "{name}: run failed: {err}");
        let j: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(total, j["cycles"].as_u64().unwrap(), "{name}: total cycles");
        let layers = j["layers"].as_array().unwrap();
        for l in layers {
            let lname = l["name"].as_str().unwrap();
            let rtl: u64 = jobs
                .iter()
                .filter(|(n, _)| n == lname)
                .map(|(_, c)| c)
                .sum();
            assert_eq!(rtl, l["cycles"].as_u64().unwrap(), "{name}: layer {lname}");
            let groups = l["groups"].as_u64().unwrap() as usize;
            assert_eq!(
                jobs.iter().filter(|(n, _)| n == lname).count(),
                groups,
                "{name}: jobs of {lname}"
            );
        }
        assert_eq!(
            jobs.len(),
            layers
                .iter()
                .map(|l| l["groups"].as_u64().unwrap() as usize)
                .sum::<usize>()
        );
        summary.push(format!(
            "{name}: PASS jobs={} cycles={total} (generate {gen_s:.1} s, verilator build+run {sim_s:.1} s)",
            jobs.len()
        ));
    }
    eprintln!("{}", summary.join("\n"));
}

#[test]
fn n2uq_w2a2_passes_under_icarus_and_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fx = fixture("n2uq_w2a2");
    let out = d.join("g");
    generate(&fx, true, &out, d);
    let t0 = Instant::now();
    let (ok, text) = script(&out.join("tb/run_icarus.sh"));
    let secs = t0.elapsed().as_secs_f64();
    assert!(ok, "run_icarus.sh failed:\n{text}");
    let (jobs, total) = parse(&text);
    let (fxs, inp) = (s(&fx), s(&fx.join("input.npy")));
    let (ok, stdout, err) = qforge(
        &[
            "run", "--model", &fxs, "--input", &inp, "--array", ARRAY, "--json",
        ],
        d,
    );
    assert!(ok, "{err}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(total, j["cycles"].as_u64().unwrap());
    assert_eq!(jobs.len(), 3);
    eprintln!("n2uq_w2a2 under Icarus: PASS cycles={total} in {secs:.1} s");
    // The testbench is -Wall clean without waivers (the RTL is, by its own tests).
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.join("rtl"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.push(out.join("tb/tb_network.sv"));
    let lint = Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "--timing",
            "--top-module",
            "tb_network",
        ])
        .args(&files)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&lint.stdout).to_string() + &String::from_utf8_lossy(&lint.stderr);
    assert!(
        lint.status.success() && !text.contains("%Warning"),
        "verilator -Wall on tb_network.sv:\n{text}"
    );
}

#[test]
fn generate_model_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fx = fixture("n2uq_w2a2");
    for input in [true, false] {
        let (a, b) = (d.join(format!("a{input}")), d.join(format!("b{input}")));
        generate(&fx, input, &a, d);
        generate(&fx, input, &b, d);
        assert_eq!(tree(&a), tree(&b), "two generations differ (input {input})");
    }
    // The synthetic sample is a different sample from the file's: different activations.
    assert_ne!(
        std::fs::read(d.join("atrue/tb/act.hex")).unwrap(),
        std::fs::read(d.join("afalse/tb/act.hex")).unwrap()
    );
    let report = std::fs::read_to_string(d.join("afalse/report.md")).unwrap();
    assert!(report.contains("synthetic sample"), "{report}");
}

#[test]
fn verify_model_passes() {
    let dir = tempfile::tempdir().unwrap();
    let fx = s(&fixture("n2uq_w2a2"));
    let (ok, stdout, err) = qforge(&["verify", "--model", &fx, "--array", ARRAY], dir.path());
    assert!(ok, "{stdout}\n{err}");
    assert!(stdout.lines().any(|l| l.trim() == "PASS"), "{stdout}");
    for l in ["conv1", "conv2", "fc"] {
        assert!(stdout.contains(&format!("| {l} | 1 |")), "{stdout}");
    }
}

#[test]
fn bad_model_flags_name_the_flag_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fx = s(&fixture("n2uq_w2a2"));
    let wrong_input = s(&fixture("n2uq_w2a2").join("model.json"));
    std::fs::write(d.join("small.toml"), "[engine]\ndm = 2\n").unwrap();
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec![
                "generate",
                "--model",
                &fx,
                "--config",
                "small.toml",
                "--out",
                "o",
            ],
            &["--model", "--config"],
        ),
        (
            vec!["generate", "--model", "no_such_model", "--out", "o"],
            &["--model"],
        ),
        (
            vec!["generate", "--input", &wrong_input, "--out", "o"],
            &["--input", "--model"],
        ),
        (
            vec![
                "generate",
                "--model",
                &fx,
                "--input",
                &wrong_input,
                "--out",
                "o",
            ],
            &["--input"],
        ),
        (
            vec!["generate", "--model", &fx, "--array", "2x2", "--out", "o"],
            &["--array"],
        ),
        (
            vec!["generate", "--model", &fx, "--engine", "fpga", "--out", "o"],
            &["--engine"],
        ),
        (
            vec![
                "generate",
                "--config",
                "small.toml",
                "--array",
                "2x2x32",
                "--out",
                "o",
            ],
            &["--array"],
        ),
        (
            vec!["verify", "--model", &fx, "--config", "small.toml"],
            &["--model", "--config"],
        ),
        (vec!["verify", "--model", "no_such_model"], &["--model"]),
    ];
    for (args, needles) in cases {
        let (ok, _, err) = qforge(&args, d);
        assert!(!ok, "{args:?} succeeded");
        for n in needles {
            assert!(err.contains(n), "{args:?}: error does not name {n}: {err}");
        }
        assert!(!d.join("o").exists(), "{args:?} wrote output");
    }
}
