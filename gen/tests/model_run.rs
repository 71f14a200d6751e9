//! Trained models of every method (`testbench/fixtures/models/*`, made by
//! `scripts/make_fixtures.py`) run whole on one engine: `qforge run` equals the independent
//! float reference (`reference.npy`, a numpy forward pass) on every sample with no quantizer
//! decision within rounding distance of a threshold, predicts the same class on every sample,
//! and `--rtl` (Verilator) gives identical outputs with identical cycle counts.

mod common;

use std::path::Path;

use common::{fixtures, qforge};
use serde_json::Value;

fn argmax(v: &[f64]) -> usize {
    let mut b = 0;
    for i in 1..v.len() {
        if v[i] > v[b] {
            b = i;
        }
    }
    b
}

/// Run one fixture (on `array`, or the default); returns (outputs, shape, json).
fn run(fx: &Path, rtl: bool, array: Option<&str>, dir: &Path) -> (Vec<f64>, Vec<usize>, Value) {
    let name = fx.file_name().unwrap().to_string_lossy().to_string();
    let out = dir.join(format!("{name}_{rtl}_{}.npy", array.unwrap_or("default")));
    let (fxs, inp, outs) = (
        fx.to_string_lossy().to_string(),
        fx.join("input.npy").to_string_lossy().to_string(),
        out.to_string_lossy().to_string(),
    );
    let mut args = vec![
        "run", "--model", &fxs, "--input", &inp, "--output", &outs, "--json",
    ];
    if rtl {
        args.push("--rtl");
    }
    if let Some(a) = array {
        args.extend(["--array", a]);
    }
    let (ok, stdout, stderr) = qforge(&args, dir);
    assert!(ok, "{name}: qforge run failed: {stderr}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    let y = quant::npy::read_float(&out).unwrap();
    (y.data, y.shape, j)
}

/// The array of the RTL comparisons.
const SMALL: &str = "4x4x64";

#[test]
fn the_default_array_on_rtl() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixtures()
        .into_iter()
        .find(|f| f.ends_with("resnet_n2uq_w2a2"))
        .expect("the ResNet fixture");
    let (y, _, j) = run(&fx, false, None, dir.path());
    let (yr, _, jr) = run(&fx, true, None, dir.path());
    assert_eq!(y, yr, "--rtl outputs differ from the cycle model");
    assert_eq!(j["cycles"], jr["cycles"]);
    assert_eq!(j["layers"], jr["layers"]);
    assert_eq!(jr["simulator"], "verilator");
}

#[test]
fn every_fixture_matches_its_reference_on_model_and_rtl() {
    let dir = tempfile::tempdir().unwrap();
    let mut summary = Vec::new();
    for fx in fixtures() {
        let name = fx.file_name().unwrap().to_string_lossy().to_string();
        let (y, shape, j) = run(&fx, false, None, dir.path());
        let r = quant::npy::read_float(&fx.join("reference.npy")).unwrap();
        assert_eq!(shape, r.shape, "{name}: output shape");
        let (b, c) = (shape[0], shape[1]);
        let near: Vec<u64> = j["near_threshold"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let scale = r.data.iter().fold(0f64, |a, &v| a.max(v.abs()));
        let mut exact = 0;
        for s in 0..b {
            let (ys, rs) = (&y[s * c..(s + 1) * c], &r.data[s * c..(s + 1) * c]);
            assert_eq!(argmax(ys), argmax(rs), "{name} sample {s}: predicted class");
            if near[s] == 0 {
                let d = ys
                    .iter()
                    .zip(rs)
                    .fold(0f64, |a, (x, y)| a.max((x - y).abs()));
                // Float64 summation order only: the engine's accumulators are exact.
                assert!(
                    d <= 1e-9 * scale,
                    "{name} sample {s}: max |run - reference| = {d} (scale {scale})"
                );
                exact += 1;
            }
        }
        // The RTL: the same outputs bit for bit, the same cycles. On a 4x4x64 array (a quick
        // Verilator build); `the_default_array_on_rtl` covers the default array.
        let (ys, _, js) = run(&fx, false, Some(SMALL), dir.path());
        let (yr, _, jr) = run(&fx, true, Some(SMALL), dir.path());
        assert_eq!(ys, y, "{name}: the array changed the outputs");
        assert_eq!(ys, yr, "{name}: --rtl outputs differ from the cycle model");
        assert_eq!(js["cycles"], jr["cycles"], "{name}: cycles");
        assert_eq!(js["layers"], jr["layers"], "{name}: per-layer cycles");
        summary.push(format!(
            "{name}: {exact}/{b} samples exact, {} near a threshold, {} cycles/sample",
            b - exact,
            j["cycles"]
        ));
    }
    eprintln!("{}", summary.join("\n"));
}
