//! Every committed QONNX fixture (the Brevitas-trained ones from both exporters, and the
//! hand-built op fixtures of `scripts/make_qonnx_op_fixtures.py`) imports, and qforge's float64
//! evaluator of the imported model reproduces the qonnx executor's outputs: max abs difference
//! within 1e-4 of the largest output magnitude and the same argmax on every sample.

use std::path::PathBuf;

const FIXTURES: [&str; 3] = ["mlp_w2a2_bn", "mlp_bipolar", "cnn_w4_perchannel"];
const OP_FIXTURES: [&str; 3] = ["ops_cnn", "ops_trunc", "ops_bipolar_conv"];

fn dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testbench/fixtures/qonnx")
        .join(name)
}

/// (onnx file, input, reference) of every fixture.
fn cases() -> Vec<(String, PathBuf, PathBuf, PathBuf)> {
    let mut v = Vec::new();
    for name in FIXTURES {
        for exp in ["dynamo", "legacy"] {
            let d = dir(name);
            v.push((
                format!("{name} {exp}"),
                d.join(format!("{name}_{exp}.onnx")),
                d.join("input.npy"),
                d.join(format!("reference_{exp}.npy")),
            ));
        }
    }
    for name in OP_FIXTURES {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../testbench/fixtures/qonnx_ops")
            .join(name);
        v.push((
            name.to_string(),
            d.join(format!("{name}.onnx")),
            d.join("input.npy"),
            d.join("reference.npy"),
        ));
    }
    v
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

#[test]
fn fixtures_import_and_match_the_executor_in_float() {
    for (tag, file, input, reference) in cases() {
        {
            let m = onnx::import::import(&file).unwrap_or_else(|e| panic!("{tag}: {e}"));
            let x = quant::npy::read_float(&input).unwrap();
            let r = quant::npy::read_float(&reference).unwrap();
            let n = x.shape[0];
            let per = x.data.len() / n;
            let outs = r.data.len() / n;
            let big = r.data.iter().fold(0f64, |a, &b| a.max(b.abs()));
            let mut worst = 0f64;
            for s in 0..n {
                let run = model::float::run(&m, &x.data[s * per..(s + 1) * per]).unwrap();
                let y = &run.outputs(&m)[0].data;
                let want = &r.data[s * outs..(s + 1) * outs];
                for (a, b) in y.iter().zip(want) {
                    worst = worst.max((a - b).abs());
                }
                assert_eq!(argmax(y), argmax(want), "{tag} sample {s}");
            }
            eprintln!("{tag}: max |diff| {worst:.3e}, largest |output| {big:.3}");
            assert!(worst <= 1e-4 * big, "{tag}: {worst} > 1e-4 * {big}");
        }
    }
}
