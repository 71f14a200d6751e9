//! `qforge bench --json`: (a)–(c) as one JSON object with the documented field names
//! (docs/reports.md), the same measurements as the Markdown tables, nothing else on stdout.

mod common;

use common::qforge;
use serde_json::Value;

fn json(args: &[&str], dir: &std::path::Path) -> Value {
    let (ok, out, err) = qforge(args, dir);
    assert!(ok, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{out}"))
}

#[test]
fn bench_json_reports_the_speed_and_dpu_figures() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("small.toml"),
        "[engine]\ndm = 2\ndn = 2\ndk = 16\n[layer]\nchannels = 8\nhw = 4\n",
    )
    .unwrap();
    let v = json(
        &[
            "bench",
            "--config",
            "small.toml",
            "--no-lut",
            "--dk",
            "8",
            "--json",
        ],
        t.path(),
    );
    let s = &v["speed"];
    assert_eq!(s["array"]["dk"], 16);
    let cycles = s["cycles_per_job"].as_u64().unwrap();
    assert!(cycles > 0);
    for k in ["model", "verilator_testbench", "verilator_fastest"] {
        let r = s[k]["cycles_per_s"].as_f64().unwrap();
        assert!(r.is_finite() && r > 0.0, "{k}: {r}");
    }
    let ratio = s["model_over_verilator_fastest"].as_f64().unwrap();
    let want = s["model"]["cycles_per_s"].as_f64().unwrap()
        / s["verilator_fastest"]["cycles_per_s"].as_f64().unwrap();
    assert!((ratio - want).abs() <= 1e-9 * want, "{ratio} vs {want}");
    let d = &v["dpu"][0];
    assert_eq!(d["dk"], 8);
    let luts = d["luts"].as_u64().unwrap();
    assert!(luts > 0);
    assert_eq!(d["luts_per_binop"].as_f64().unwrap(), luts as f64 / 16.0);
    assert!(v.get("lut_pe").is_none(), "--no-lut still ran (c)");
}

#[test]
fn bench_fit_refuses_json() {
    let t = tempfile::tempdir().unwrap();
    let (ok, out, err) = qforge(&["bench", "--fit", "--json"], t.path());
    assert!(!ok, "{out}");
    assert!(err.contains("--json: not available with --fit"), "{err}");
    assert_eq!(out, "", "nothing on stdout");
}
