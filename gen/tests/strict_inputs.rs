//! Strict, checked inputs (issue 11, item 2), through the `qforge` binary: network files with
//! unknown ops or fields, layers that do not connect or sizes that overflow are errors naming
//! the layer; every engine flag has one range in every subcommand; limits are checked before
//! any work; `verify --work` takes relative paths; reports are linear in the layers.

mod common;

use std::path::Path;

use common::qforge;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// `args` fails (exit code 1) with every needle in stderr.
fn fails(args: &[&str], dir: &Path, needles: &[&str]) {
    let (ok, out, err) = qforge(args, dir);
    assert!(!ok, "{args:?} succeeded:\n{out}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}:\n{err}");
    }
}

/// Peak memory of a run refused before any work: the program and its parsed inputs only.
const REFUSED_RSS: u64 = 64 << 20;

/// [`fails`], and the refusal came before the work: the process never held more than
/// [`REFUSED_RSS`] (measured with `wait4`, not a wall-clock bound).
fn fails_before_work(args: &[&str], dir: &Path, needles: &[&str]) {
    let (ok, out, err, rss) = common::qforge_rss(args, dir);
    assert!(!ok, "{args:?} succeeded:\n{out}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}:\n{err}");
    }
    assert!(
        rss < REFUSED_RSS,
        "{args:?}: refused only after using {} MB",
        rss >> 20
    );
}

const FC: &str = r#"{"name": "fc", "op": "fc", "in_features": 8, "out_features": 2}"#;

#[test]
fn network_files_with_unknown_ops_fields_or_gaps_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let conv = |extra: &str| {
        format!(
            r#"{{"name": "c", "op": "conv", "in_channels": 3, "out_channels": 8, "kernel": [3, 3], "in_hw": [3, 3]{extra}}}"#
        )
    };
    let cases = [
        (
            format!(r#"{{"name": "c", "op": "Conv", "in_channels": 3}}, {FC}"#),
            vec!["layers[0] (c).op", "unknown op \"Conv\"", "did you mean \"conv\""],
        ),
        (
            format!(r#"{{"name": "g", "op": "Gemm"}}, {FC}"#),
            vec!["layers[0] (g).op", "unknown op \"Gemm\""],
        ),
        (
            format!("{}, {FC}", conv(r#", "stide": 2"#)),
            vec!["layers[0] (c)", "unknown field \"stide\"", "did you mean \"stride\""],
        ),
        (
            format!("{}, {FC}", conv(r#", "dilation": 2"#)),
            vec!["layers[0] (c)", "unknown field \"dilation\""],
        ),
        (
            format!(
                "{}, {}",
                conv(""),
                FC.replace("\"in_features\": 8", "\"in_features\": 7")
            ),
            vec!["layers[1] (fc): its input [7] does not connect", "layers[0] (c)"],
        ),
        (
            r#"{"name": "huge", "op": "conv", "in_channels": 16777216, "out_channels": 1, "kernel": [23, 23], "in_hw": [23, 23]}, {"name": "fc", "op": "fc", "in_features": 1, "out_features": 1}"#.to_string(),
            vec!["layers[0] (huge).kernel: GEMM K", "exceeds 4294967295"],
        ),
    ];
    for (i, (layers, needles)) in cases.iter().enumerate() {
        let f = write(
            d,
            &format!("n{i}.json"),
            &format!(r#"{{"name": "t", "layers": [{layers}]}}"#),
        );
        for args in [
            vec!["network", "show", f.as_str()],
            vec!["report", "memory", "--network", &f],
            vec!["report", "time", "--network", &f],
            vec!["report", "resources", "--network", &f],
            vec!["report", "compare", "--network", &f],
        ] {
            fails(&args, d, needles);
        }
    }
}

#[test]
fn reports_are_linear_in_the_layers() {
    // 100,000 convs: the reports took 17 s (memory) and over 2 minutes (compare, at 20,000
    // layers) when each layer's role rescanned the whole list; now well under a second each.
    // Checked as a growth rate, not a wall-clock bound: 10× the layers must cost well under
    // the 100× of a quadratic report (a linear one costs about 10×; the process start makes
    // it less). Each size is timed as the best of 3 runs, to damp a noisy machine.
    let dir = tempfile::tempdir().unwrap();
    let net = |n: usize| {
        let mut layers: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"name": "c{i}", "op": "conv", "in_channels": 8, "out_channels": 8, "kernel": [1, 1], "in_hw": [4, 4]}}"#
                )
            })
            .collect();
        layers.push(r#"{"name": "fc", "op": "fc", "in_features": 128, "out_features": 10}"#.into());
        write(
            dir.path(),
            &format!("deep{n}.json"),
            &format!(r#"{{"name": "deep", "layers": [{}]}}"#, layers.join(",")),
        )
    };
    let (small, large) = (net(10_000), net(100_000));
    for report in ["memory", "time", "compare"] {
        let best = |f: &str| {
            (0..3)
                .map(|_| {
                    let t = std::time::Instant::now();
                    let (ok, _, err) = qforge(&["report", report, "--network", f], dir.path());
                    assert!(ok, "{report}: {err}");
                    t.elapsed().as_secs_f64()
                })
                .fold(f64::INFINITY, f64::min)
        };
        let (ts, tl) = (best(&small), best(&large));
        assert!(
            tl < 30.0 * ts.max(0.005),
            "report {report}: 10,000 layers {ts:.3} s, 100,000 layers {tl:.3} s: not linear"
        );
    }
}

#[test]
fn engine_flags_have_one_range_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // --prod-bits: `report memory` took 4294967295, `report resources` refused it.
    // `report compare` sweeps its own engines: it refuses --engine, --array, --prod-bits and
    // --bits (it used to check and then ignore them; `engine_flags.rs`).
    fails(
        &["report", "compare", "--clock-mhz", "1e300"],
        d,
        &["--clock-mhz: must be in (0, 2000]"],
    );
    for r in ["memory", "time", "resources"] {
        for v in ["0", "33", "4294967295"] {
            fails(
                &["report", r, "--engine", "lut", "--prod-bits", v],
                d,
                &["--prod-bits: must be in 1..=32"],
            );
        }
        fails(
            &["report", r, "--clock-mhz", "1e300"],
            d,
            &["--clock-mhz: must be in (0, 2000]"],
        );
        fails(
            &["report", r, "--array", "65x8x256"],
            d,
            &["--array: dm: must be in 1..=64, got 65"],
        );
        fails(
            &["report", r, "--engine", "lut", "--bits", "8/8"],
            d,
            &["--bits (LUT engine): w_bits: must be in 2..=5, got 8"],
        );
    }
    for cmd in ["run", "generate"] {
        let mut args = vec![cmd, "--network", "resnet18", "--clock-mhz", "1e300"];
        if cmd == "generate" {
            args = vec![
                cmd,
                "--model",
                "m.json",
                "--out",
                "o",
                "--clock-mhz",
                "1e300",
            ];
        }
        fails(&args, d, &["--clock-mhz: must be in (0, 2000]"]);
    }
    fails(
        &["run", "--network", "resnet18", "--array", "8x8x2000"],
        d,
        &["--array: dk: must be in 1..=1024, got 2000"],
    );
    // A design config's clock: 1e300 MHz used to write `-period 0.000` into the XDC.
    let cfg = write(d, "fast.toml", "[engine]\nclock_mhz = 1e300\n");
    fails(
        &["generate", "--config", &cfg, "--out", "o"],
        d,
        &["engine.clock_mhz: must be in (0, 2000]"],
    );
    assert!(!d.join("o").exists(), "nothing written");
    let ok = write(d, "ok.toml", "[engine]\nclock_mhz = 2000\n");
    let (good, _, err) = qforge(&["generate", "--config", &ok, "--out", "o2"], d);
    assert!(good, "{err}");
    let xdc = std::fs::read_to_string(d.join("o2/constraints/bitserial_engine.xdc")).unwrap();
    assert!(xdc.contains("-period 0.500"), "{xdc}");
}

#[test]
fn design_limits_are_checked_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (toml, needle) in [
        // Over the array limits: refused after building a 1024-channel layer (~1 GB, 3 s).
        (
            "[engine]\ndm = 65\n[layer]\nchannels = 1024\nhw = 64\n",
            "engine.dm: must be in 1..=64, got 65",
        ),
        (
            "[engine]\nmax_n = 100\n[layer]\nchannels = 1024\nhw = 64\n",
            "engine.max_n: the layer does not fit the engine: its GEMM needs 4096",
        ),
        // The largest layer the ranges allow: ~230 GB; refused with what to change.
        (
            "[layer]\nchannels = 4096\nhw = 512\n",
            "GiB bound; lower layer.channels or layer.hw",
        ),
    ] {
        let cfg = write(d, "d.toml", toml);
        for cmd in ["generate", "simulate", "verify"] {
            let mut args = vec![cmd, "--config", &cfg];
            if cmd == "generate" {
                args.extend(["--out", "o"]);
            }
            fails_before_work(&args, d, &[needle]);
        }
    }
}

#[test]
fn verify_work_takes_a_relative_path() {
    // It failed with "Cannot find file containing module: rel/verilator/...": the simulator
    // ran inside the build directory and resolved the relative path again.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = write(
        d,
        "small.toml",
        "[engine]\ndm = 2\ndn = 2\ndk = 32\n[layer]\nchannels = 8\nhw = 3\n",
    );
    let (ok, out, err) = qforge(&["verify", "--config", &cfg, "--work", "rel/build"], d);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("PASS Verilator"), "{out}");
    assert!(d.join("rel/build/verilator").is_dir());
}

#[test]
fn a_pool_before_a_flattening_fc_connects_in_run_too() {
    // AlexNet's shape: conv → maxpool 3x3/2 → fc over the pooled map. The check accepts it,
    // and `run --network` used to give the fc a separate input and drop the convs.
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "alex.json",
        r#"{"name": "alexish", "layers": [
          {"name": "c", "op": "conv", "in_channels": 3, "out_channels": 4, "kernel": [3, 3],
           "padding": 1, "in_hw": [7, 7]},
          {"name": "p", "op": "maxpool"},
          {"name": "fc", "op": "fc", "in_features": 36, "out_features": 3}]}"#,
    );
    let (ok, out, err) = qforge(&["run", "--network", &f, "--json"], dir.path());
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let notes = v["network"]["notes"].to_string();
    assert!(!notes.contains("separate seeded input"), "{notes}");
    assert!(notes.contains("p 3x3/2 pad 0"), "{notes}");
    let layers: Vec<&str> = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["c", "fc"]);
}

#[test]
fn run_network_refuses_what_would_not_fit_in_memory() {
    // Within the file limits (2^24 features), but 1.3·10^8 weights (about 6 GiB) to build.
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "wide.json",
        r#"{"name": "wide", "layers": [
          {"name": "fc1", "op": "fc", "in_features": 16777216, "out_features": 8},
          {"name": "fc2", "op": "fc", "in_features": 8, "out_features": 2}]}"#,
    );
    fails_before_work(
        &["run", "--network", &f],
        dir.path(),
        &["--network", "GiB bound; use a network with fewer channels"],
    );
    // The same network 10^6 times smaller runs.
    let net = write(
        dir.path(),
        "ok.json",
        &std::fs::read_to_string(dir.path().join("wide.json"))
            .unwrap()
            .replace("16777216", "16"),
    );
    let (ok, _, err) = qforge(&["run", "--network", &net], dir.path());
    assert!(ok, "{err}");
}
