//! `qforge generate | simulate | verify` on a small design: deterministic output, clean
//! errors, a VCD, and the RTL passing under Verilator.

use std::path::Path;
use std::process::Command;

mod common;
use common::{qforge, tree, SMALL};

#[test]
fn generate_is_byte_identical_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    for out in ["a", "b"] {
        let (ok, stdout, err) = qforge(&["generate", "--config", "small.toml", "--out", out], d);
        assert!(ok, "{err}");
        assert!(stdout.contains("cycles (layer, no stalls)"), "{stdout}");
    }
    let (a, b) = (tree(&d.join("a")), tree(&d.join("b")));
    assert_eq!(a, b, "two generations differ");
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "rtl/bitserial_engine.sv",
        "rtl/dpu.sv",
        "rtl/and_popcount.sv",
        "rtl/threshold_unit.sv",
        "tb/tb_engine.sv",
        "tb/exp.hex",
        "constraints/bitserial_engine.xdc",
        "report.md",
        "tb/run_verilator.sh",
    ] {
        assert!(names.contains(&want), "missing {want} in {names:?}");
    }
    let xdc = String::from_utf8(
        a.iter()
            .find(|(n, _)| n.ends_with(".xdc"))
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(
        xdc.contains("create_clock -name clk -period 3.333")
            && xdc.contains("set_input_delay -clock clk 0.000 [get_ports rst]")
            && !xdc.contains("set_false_path"),
        "{xdc}"
    );
    // The generated run script works as shipped.
    let out = Command::new("bash")
        .arg(d.join("a/tb/run_verilator.sh"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("PASS cycles="),
        "{text}"
    );
}

#[test]
fn bad_configs_name_the_field_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (cfg, needle) in [
        ("[engine]\ndm = 0\n", "dm"),
        ("[engine]\ndk = 5000\n", "dk"),
        ("[engine]\ndmm = 2\n", "dmm"),
        ("[engine]\nkind = \"fpga\"\n", "engine.kind"),
        (
            "[engine]\nkind = \"bitserial\"\n[layer]\nmethod = \"lcq\"\n",
            "engine.kind",
        ),
        ("[layer]\nmethod = \"qn\"\n", "layer.w_levels"),
        ("[layer]\nmethod = \"dorefa\"\n", "layer.method"),
        (
            "[layer]\nmethod = \"dorefa\"\n",
            "\"uniform\", \"binary\", \"ternary\"",
        ),
        ("[layer]\nmethod = \"binary\"\nw_bits = 2\n", "layer.w_bits"),
        (
            "[layer]\nmethod = \"uniform\"\nw_bits = 1\n",
            "layer.w_bits",
        ),
        (
            "[layer]\nmethod = \"uniform\"\nw_bits = 1\nsigned_weights = true\n",
            "layer.w_bits",
        ),
        (
            "[layer]\nmethod = \"ternary\"\nw_bits = 3\n",
            "layer.w_bits",
        ),
        (
            "[layer]\nmethod = \"uniform\"\nw_bits = 9\n",
            "layer.w_bits",
        ),
        (
            "[layer]\nmethod = \"n2uq\"\nsigned_weights = false\n",
            "layer.signed_weights",
        ),
        (
            "[layer]\nmethod = \"ternary\"\nw_levels = [-1, 0, 1]\n",
            "layer.w_levels",
        ),
        (
            "[layer]\nmethod = \"lcq\"\nw_levels = [-1, 0, 1]\n",
            "layer.w_levels",
        ),
        ("[layer]\nw_bits = 9\n", "layer.w_bits"),
        ("[engine]\nmax_k = 10\n", "does not fit"),
        ("[engine]\nclock_mhz = -1.0\n", "clock_mhz"),
        ("not toml [", "--config"),
    ] {
        std::fs::write(d.join("bad.toml"), cfg).unwrap();
        let (ok, _, err) = qforge(&["generate", "--config", "bad.toml", "--out", "out"], d);
        assert!(!ok && err.contains(needle), "{cfg:?}: {err}");
        assert!(!d.join("out").exists(), "{cfg:?} left output behind");
    }
}

#[test]
fn simulate_writes_a_vcd_and_verify_passes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    let (ok, out, err) = qforge(
        &[
            "simulate",
            "--config",
            "small.toml",
            "--vcd",
            "w.vcd",
            "--json",
            "--stall-pct",
            "60",
        ],
        d,
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["matches_golden"], true);
    let vcd = std::fs::read_to_string(d.join("w.vcd")).unwrap();
    assert!(
        vcd.contains("$scope module bitserial_engine")
            && vcd.contains("m_axis_out_tvalid")
            && vcd.contains("state_q")
    );
    let (ok, out, err) = qforge(
        &["verify", "--config", "small.toml", "--simulator", "both"],
        d,
    );
    assert!(ok, "{out}{err}");
    assert_eq!(out.matches("PASS").count(), 4, "{out}");
}

#[test]
fn the_documented_config_is_the_default() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (ok, doc, err) = qforge(
        &[
            "simulate",
            "--json",
            "--config",
            root.join("docs/design.toml").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(ok, "{err}");
    let (ok, default, err) = qforge(&["simulate", "--json"], dir.path());
    assert!(ok, "{err}");
    let cycles =
        |s: &str| serde_json::from_str::<serde_json::Value>(s.trim()).unwrap()["cycles"].clone();
    assert_eq!(cycles(&doc), cycles(&default));
}

#[test]
fn lut_examples_simulate_and_verify_under_verilator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut seen = 0;
    for name in [
        "lcq_w2a2",
        "lcq_w3a3",
        "lcq_w4a4",
        "qn_ternary",
        "qn_pow2_4",
        "qn_pow2_2",
    ] {
        let cfg = root.join(format!("docs/examples/{name}.toml"));
        let cfg = cfg.to_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (ok, out, err) = qforge(
            &["simulate", "--config", cfg, "--json", "--vcd", "w.vcd"],
            d,
        );
        assert!(ok, "{name}: {err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["matches_golden"], true, "{name}");
        let vcd = std::fs::read_to_string(d.join("w.vcd")).unwrap();
        assert!(vcd.contains("$scope module lut_engine"), "{name}");
        let (ok, out, err) = qforge(&["generate", "--config", cfg, "--out", "out"], d);
        assert!(ok && out.contains("LUT-multiplier"), "{name}: {out}{err}");
        assert!(d.join("out/rtl/lut_pe.sv").exists(), "{name}");
        let (ok, out, err) = qforge(&["verify", "--config", cfg, "--simulator", "verilator"], d);
        assert!(ok, "{name}: {out}{err}");
        assert_eq!(out.matches("PASS").count(), 2, "{name}: {out}");
        seen += 1;
    }
    assert_eq!(seen, 6);
}

/// A small layer of `method` (`extra` are further `[layer]` lines) on a small array.
fn baseline(kind: &str, method: &str, extra: &str) -> String {
    format!(
        "[engine]\nkind = \"{kind}\"\ndm = 2\ndn = 3\ndk = 32\n[layer]\nmethod = \"{method}\"\nchannels = 16\nhw = 4\n{extra}"
    )
}

fn simulate_matches_golden(cfg: &str, d: &Path, module: &str) -> u64 {
    std::fs::write(d.join("c.toml"), cfg).unwrap();
    let (ok, out, err) = qforge(
        &["simulate", "--config", "c.toml", "--json", "--vcd", "w.vcd"],
        d,
    );
    assert!(ok, "{cfg}: {err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["matches_golden"], true, "{cfg}");
    let vcd = std::fs::read_to_string(d.join("w.vcd")).unwrap();
    assert!(vcd.contains(&format!("$scope module {module}")), "{cfg}");
    v["cycles"].as_u64().unwrap()
}

#[test]
fn baseline_examples_simulate_and_verify_under_verilator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut seen = 0;
    for (name, enc) in [
        ("uniform_w4a4", "W4 two's-complement x A4 unsigned"),
        ("binary_w1a2", "W1 offset (2c - L) x A2 unsigned"),
        ("ternary_w2a2", "W2 two's-complement x A2 unsigned"),
    ] {
        let cfg = root.join(format!("docs/examples/{name}.toml"));
        let cfg = cfg.to_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (ok, out, err) = qforge(
            &["simulate", "--config", cfg, "--json", "--vcd", "w.vcd"],
            d,
        );
        assert!(ok, "{name}: {err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["matches_golden"], true, "{name}");
        let vcd = std::fs::read_to_string(d.join("w.vcd")).unwrap();
        assert!(vcd.contains("$scope module bitserial_engine"), "{name}");
        let (ok, out, err) = qforge(&["generate", "--config", cfg, "--out", "out"], d);
        assert!(ok && out.contains(enc), "{name}: {out}{err}");
        assert!(d.join("out/rtl/dpu.sv").exists(), "{name}");
        let (ok, out, err) = qforge(&["verify", "--config", cfg, "--simulator", "verilator"], d);
        assert!(ok, "{name}: {out}{err}");
        assert_eq!(out.matches("PASS").count(), 2, "{name}: {out}");
        seen += 1;
    }
    assert_eq!(seen, 3);
}

#[test]
fn baseline_methods_on_small_designs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Every baseline, unsigned uniform weights (1 and 3 bits) and default w_bits, on the
    // bit-serial engine; fewer weight / activation planes take fewer cycles.
    let mut cycles = Vec::new();
    for (method, extra) in [
        ("uniform", "w_bits = 4\na_bits = 4\n"),
        (
            "uniform",
            "w_bits = 3\na_bits = 2\nsigned_weights = false\n",
        ),
        (
            "uniform",
            "w_bits = 1\na_bits = 2\nsigned_weights = false\n",
        ),
        ("uniform", ""),
        ("binary", "a_bits = 2\n"),
        ("ternary", "a_bits = 2\n"),
        ("ternary", "a_bits = 3\n"),
    ] {
        for kind in ["auto", "bitserial"] {
            let c = simulate_matches_golden(&baseline(kind, method, extra), d, "bitserial_engine");
            cycles.push((method, extra, c));
        }
    }
    let of = |m: &str, e: &str| cycles.iter().find(|c| c.0 == m && c.1 == e).unwrap().2;
    assert!(of("binary", "a_bits = 2\n") < of("ternary", "a_bits = 2\n"));
    assert!(of("ternary", "a_bits = 2\n") < of("uniform", "w_bits = 4\na_bits = 4\n"));
    // The LUT engine takes them too (sign-magnitude codes over the integer levels).
    for (method, extra) in [
        ("uniform", "w_bits = 3\na_bits = 2\n"),
        ("binary", ""),
        ("ternary", ""),
    ] {
        simulate_matches_golden(&baseline("lut", method, extra), d, "lut_engine");
    }
    // RTL: ternary on a tiny design under both simulators, binary on the LUT engine under
    // Verilator.
    let tiny =
        "[engine]\ndm = 2\ndn = 3\ndk = 32\n[layer]\nmethod = \"ternary\"\nchannels = 6\nhw = 4\n";
    std::fs::write(d.join("tiny.toml"), tiny).unwrap();
    let (ok, out, err) = qforge(
        &["verify", "--config", "tiny.toml", "--simulator", "both"],
        d,
    );
    assert!(ok, "{out}{err}");
    assert_eq!(out.matches("PASS").count(), 4, "{out}");
    std::fs::write(d.join("lut.toml"), baseline("lut", "binary", "")).unwrap();
    let (ok, out, err) = qforge(
        &["verify", "--config", "lut.toml", "--simulator", "verilator"],
        d,
    );
    assert!(ok, "{out}{err}");
    assert_eq!(out.matches("PASS").count(), 2, "{out}");
}
