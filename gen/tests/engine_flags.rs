//! The one engine description (issue 11, item 2; `gen/src/engine_spec`), through the `qforge`
//! binary: the same bad engine flag gets the same error naming the flag in every subcommand
//! that takes it (`run` with `--model` and `--network`, `report memory | time | resources |
//! compare` with and without `--model`, `generate --model`, `verify --model`); a design
//! config's `[engine]` fields get the same message naming the field (`generate`, `simulate`,
//! `verify`, `report --config`); a flag a subcommand has no use for is refused by clap; the
//! defaults are the same everywhere.

mod common;

use std::path::Path;

use common::{fixture, qforge};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `args` fails with every needle in stderr and writes no `o`.
fn fails(args: &[&str], dir: &Path, needles: &[&str]) -> String {
    let (ok, out, err) = qforge(args, dir);
    assert!(!ok, "{args:?} succeeded:\n{out}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}:\n{err}");
    }
    assert!(!dir.join("o").exists(), "{args:?} wrote output");
    err
}

const TINY: &str = r#"{"name": "tiny", "layers": [
  {"name": "conv1", "op": "conv", "in_channels": 3, "out_channels": 4, "kernel": [3, 3],
   "stride": 1, "padding": 1, "in_hw": [4, 4]},
  {"name": "conv2", "op": "conv", "in_channels": 4, "out_channels": 8, "kernel": [3, 3],
   "stride": 1, "padding": 1, "in_hw": [4, 4]},
  {"name": "fc", "op": "fc", "in_features": 128, "out_features": 10}]}"#;

/// Every command line that takes the engine flags, without them.
fn takers(d: &Path) -> Vec<Vec<String>> {
    let m = s(&fixture("n2uq_w2a2"));
    let x = s(&fixture("n2uq_w2a2").join("input.npy"));
    std::fs::write(d.join("tiny.json"), TINY).unwrap();
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut all = vec![
        v(&["run", "--model", &m, "--input", &x]),
        v(&["run", "--network", "tiny.json"]),
        v(&["generate", "--model", &m, "--out", "o"]),
        v(&["verify", "--model", &m]),
    ];
    for r in ["memory", "time", "resources"] {
        all.push(v(&["report", r, "--network", "tiny.json"]));
        all.push(v(&["report", r, "--model", &m]));
    }
    all
}

#[test]
fn the_same_bad_flag_gets_the_same_error_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad: [(&[&str], &str); 6] = [
        (&["--array", "65x1x1"], "qforge: error: --array: dm: must be in 1..=64, got 65"),
        (&["--array", "8x0x8"], "qforge: error: --array: dn: must be in 1..=64, got 0"),
        (&["--array", "8x8x2000"], "qforge: error: --array: dk: must be in 1..=1024, got 2000"),
        (
            &["--array", "8x8"],
            "qforge: error: --array: expected DmxDnxDk such as 8x8x256, got \"8x8\"",
        ),
        (&["--clock-mhz", "0"], "qforge: error: --clock-mhz: must be in (0, 2000] MHz, got 0"),
        (
            &["--engine", "gpu"],
            "error: invalid value 'gpu' for '--engine <KIND>'\n  [possible values: auto, bitserial, lut]",
        ),
    ];
    for (flag, want) in bad {
        for base in takers(d) {
            let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
            args.extend(flag);
            // The same message, from its first character (clap's usage line that follows
            // names the subcommand).
            let err = fails(&args, d, &[want]);
            assert!(err.starts_with(want), "{args:?}: {err}");
        }
    }
    // `report compare` takes the clock (its sweep sets the rest): the same message.
    for m in [None, Some(s(&fixture("n2uq_w2a2")))] {
        let mut args = vec!["report", "compare", "--clock-mhz", "0"];
        if let Some(m) = &m {
            args.extend(["--model", m]);
        }
        fails(&args, d, &["--clock-mhz: must be in (0, 2000] MHz, got 0"]);
    }
}

#[test]
fn config_fields_get_the_flags_message_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (toml, want) in [
        ("dm = 65", "engine.dm: must be in 1..=64, got 65"),
        ("dn = 0", "engine.dn: must be in 1..=64, got 0"),
        ("dk = 2000", "engine.dk: must be in 1..=1024, got 2000"),
        (
            "clock_mhz = 0.0",
            "engine.clock_mhz: must be in (0, 2000] MHz, got 0",
        ),
        (
            "kind = \"gpu\"",
            "engine.kind: invalid value \"gpu\" [possible values: auto, bitserial, lut]",
        ),
    ] {
        std::fs::write(d.join("c.toml"), format!("[engine]\n{toml}\n")).unwrap();
        let cmds: [&[&str]; 6] = [
            &["generate", "--config", "c.toml", "--out", "o"],
            &["simulate", "--config", "c.toml"],
            &["verify", "--config", "c.toml"],
            &["report", "memory", "--config", "c.toml"],
            &["report", "time", "--config", "c.toml"],
            &["report", "resources", "--config", "c.toml"],
        ];
        for args in cmds {
            fails(args, d, &[&format!("qforge: error: {want}")]);
        }
    }
}

#[test]
fn flags_a_subcommand_does_not_use_are_refused_by_clap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = s(&fixture("n2uq_w2a2"));
    let x = s(&fixture("n2uq_w2a2").join("input.npy"));
    std::fs::write(d.join("c.toml"), "[engine]\ndm = 2\n").unwrap();
    const LEVELS: &str = "a model's levels fix the LUT product width";
    const SWEEP: &str = "report compare sweeps its own configurations";
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        // The model's levels fix the product width.
        (
            vec!["run", "--model", &m, "--input", &x, "--prod-bits", "8"],
            &["'--prod-bits <BITS>'", LEVELS],
        ),
        (
            vec!["run", "--network", "lenet5", "--prod-bits", "8"],
            &["'--prod-bits <BITS>'", LEVELS],
        ),
        (
            vec!["generate", "--model", &m, "--out", "o", "--prod-bits", "8"],
            &["'--prod-bits <BITS>'", LEVELS],
        ),
        (
            vec!["verify", "--model", &m, "--prod-bits", "8"],
            &["'--prod-bits <BITS>'", LEVELS],
        ),
        (
            vec!["report", "time", "--model", &m, "--prod-bits", "8"],
            &["'--model <MODEL>' cannot be used with '--prod-bits <BITS>'"],
        ),
        // compare sweeps its own engines.
        (
            vec!["report", "compare", "--engine", "lut"],
            &["'--engine <KIND>'", SWEEP],
        ),
        (
            vec!["report", "compare", "--array", "8x8x256"],
            &["'--array <DMxDNxDK>'", SWEEP],
        ),
        (
            vec!["report", "compare", "--prod-bits", "8"],
            &["'--prod-bits <BITS>'", SWEEP],
        ),
        (
            vec!["report", "compare", "--bits", "2/2"],
            &["'--bits <W/A>'", SWEEP],
        ),
        (
            vec!["report", "compare", "--config", "c.toml"],
            &["'--config <CONFIG>'", SWEEP],
        ),
        (
            vec!["report", "compare", "--model", &m, "--array", "8x8x256"],
            &["'--array <DMxDNxDK>'", SWEEP],
        ),
        // A design config sets its engine itself.
        (
            vec!["generate", "--out", "o", "--engine", "lut"],
            &["--model <MODEL>"],
        ),
        (vec!["verify", "--array", "2x2x32"], &["--model <MODEL>"]),
        (
            vec![
                "generate",
                "--config",
                "c.toml",
                "--out",
                "o",
                "--clock-mhz",
                "100",
            ],
            &["'--config <CONFIG>' cannot be used with '--clock-mhz <MHZ>'"],
        ),
        (
            vec!["verify", "--config", "c.toml", "--array", "2x2x32"],
            &["'--config <CONFIG>' cannot be used with '--array <DMxDNxDK>'"],
        ),
        (
            vec!["report", "memory", "--config", "c.toml", "--engine", "lut"],
            &["'--config <CONFIG>' cannot be used with '--engine <KIND>'"],
        ),
        (
            vec!["report", "time", "--config", "c.toml", "--bits", "2/2"],
            &["'--config <CONFIG>' cannot be used with '--bits <W/A>'"],
        ),
        (
            vec!["simulate", "--array", "2x2x32"],
            &["unexpected argument '--array'"],
        ),
    ];
    for (args, needles) in cases {
        let err = fails(&args, d, needles);
        assert!(err.starts_with("error: "), "{args:?}: not clap's: {err}");
    }
    // Refused flags are not in the help of the subcommand that refuses them.
    let (ok, help, _) = qforge(&["report", "compare", "--help"], d);
    assert!(
        ok && help.contains("--clock-mhz") && !help.contains("--array"),
        "{help}"
    );
    let (ok, help, _) = qforge(&["run", "--help"], d);
    assert!(
        ok && help.contains("--array") && !help.contains("--prod-bits"),
        "{help}"
    );
}

#[test]
fn the_defaults_are_the_same_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.json"), TINY).unwrap();
    let json = |args: &[&str]| -> serde_json::Value {
        let (ok, out, err) = qforge(args, d);
        assert!(ok, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap()
    };
    for (engine, array) in [("bitserial", "8x8x256"), ("lut", "4x4x32")] {
        // A network of shapes on the engine asked for.
        let v = json(&[
            "report",
            "time",
            "--network",
            "tiny.json",
            "--engine",
            engine,
            "--json",
        ]);
        assert_eq!(
            (v["array"].as_str(), v["clock_mhz"].as_f64()),
            (Some(array), Some(300.0))
        );
        // A model (auto picks bit-serial for N2UQ, LUT for LCQ), and the same on `run`.
        let fx = if engine == "lut" {
            "lcq_w2a2"
        } else {
            "n2uq_w2a2"
        };
        let m = s(&fixture(fx));
        let x = s(&fixture(fx).join("input.npy"));
        let r = json(&["report", "time", "--model", &m, "--json"]);
        let run = json(&["run", "--model", &m, "--input", &x, "--json"]);
        for v in [&r["engine"], &run["engine"]] {
            assert_eq!(v["kind"], engine, "{fx}");
            assert_eq!(v["array"], array, "{fx}");
            assert_eq!(v["clock_mhz"], 300.0, "{fx}");
        }
    }
    // `auto` is accepted everywhere; a network of shapes has uniform codes: bit-serial.
    let v = json(&[
        "report",
        "time",
        "--network",
        "tiny.json",
        "--engine",
        "auto",
        "--json",
    ]);
    assert_eq!(v["engine"], "bitserial");
}

#[test]
fn target_flag_reaches_the_model_engine_and_is_refused_where_engine_is() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = s(&fixture("n2uq_w2a2"));
    let (ok, out, err) = qforge(
        &["generate", "--model", &m, "--out", "x", "--target", "xcup"],
        d,
    );
    assert!(ok, "{out}{err}");
    for want in [
        "rtl/and_popcount_xcup.sv",
        "tb/cells_sim.v",
        "tb/cells_sim.vlt",
    ] {
        assert!(d.join("x").join(want).is_file(), "missing {want}");
    }
    assert!(!d.join("x/rtl/and_popcount.sv").exists());
    let script = std::fs::read_to_string(d.join("x/tb/run_verilator.sh")).unwrap();
    assert!(
        script.contains("cells_sim.vlt cells_sim.v ../rtl/"),
        "{script}"
    );
    let script = std::fs::read_to_string(d.join("x/tb/run_icarus.sh")).unwrap();
    assert!(
        script.contains(" cells_sim.v ../rtl/") && !script.contains(".vlt"),
        "{script}"
    );
    // The default stays generic.
    let (ok, out, err) = qforge(&["generate", "--model", &m, "--out", "g"], d);
    assert!(ok, "{out}{err}");
    assert!(d.join("g/rtl/and_popcount.sv").is_file() && !d.join("g/tb/cells_sim.v").exists());
    fails(
        &["generate", "--out", "o", "--target", "xcup"],
        d,
        &["--target", "--model"],
    );
    fails(
        &["generate", "--out", "o", "--target", "gpu", "--model", &m],
        d,
        &["invalid value 'gpu'", "[possible values: generic, xcup]"],
    );
}
