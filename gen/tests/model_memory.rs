//! The memory a `--model` load needs is estimated before the model is read
//! (`engine_limits::model_bytes`): a model over the 4 GiB bound is refused quickly, with an
//! error that names the file and the counts, and writes nothing; and the estimate is an upper
//! bound of the peak memory actually measured on a real load (ONNX and native).

mod common;

use std::path::Path;
use std::time::Instant;

use common::qforge;
use onnx::build::{dim, node, quant, tensor_f32, value_info};
use onnx::proto::{tensor_proto::DataLocation, GraphProto, StringStringEntryProto};
use prost::Message;

/// `x[1,k] → Quant(4-bit) → MatMul(Quant(W[k,n], 2-bit)) → Relu → y[1,n]`; `external`:
/// W's data in `w.bin` (not written) instead of in the file.
fn matmul(k: i64, n: i64, external: bool) -> Vec<u8> {
    let s = |nm: &str, v: f32| tensor_f32(nm, &[], &[v], false);
    let mut w = if external {
        tensor_f32("w", &[k, n], &[], true)
    } else {
        let v: Vec<f32> = (0..k * n).map(|i| ((i % 13) as f32 - 6.0) * 0.1).collect();
        tensor_f32("w", &[k, n], &v, true)
    };
    if external {
        w.raw_data = None;
        w.data_location = Some(DataLocation::External as i32);
        w.external_data = vec![StringStringEntryProto {
            key: Some("location".into()),
            value: Some("w.bin".into()),
        }];
    }
    let g = GraphProto {
        name: Some("big".into()),
        node: vec![
            quant("Quant_0", ["x", "s0", "zero", "b4"], "xq", true, false),
            quant("Quant_1", ["w", "s1", "zero", "b2"], "wq", true, true),
            node("MatMul_0", "MatMul", "", &["xq", "wq"], &["mm"], vec![]),
            node("Relu_0", "Relu", "", &["mm"], &["y"], vec![]),
        ],
        initializer: vec![
            w,
            s("s0", 0.25),
            s("s1", 0.3),
            s("zero", 0.0),
            s("b4", 4.0),
            s("b2", 2.0),
        ],
        input: vec![value_info("x", &[dim(1), dim(k)])],
        output: vec![value_info("y", &[dim(1), dim(n)])],
        ..Default::default()
    };
    onnx::build::model(g, 9, 20).encode_to_vec()
}

fn refused(args: &[&str], dir: &Path, names: &[&str]) {
    let t = Instant::now();
    let (ok, _, err) = qforge(args, dir);
    let secs = t.elapsed().as_secs_f64();
    assert!(!ok, "{args:?} must be refused");
    assert!(
        err.contains("loading it needs an estimated") && err.contains("above the 4 GiB bound"),
        "{args:?}: {err}"
    );
    for n in names {
        assert!(
            err.contains(n),
            "{args:?}: the error must name {n:?}: {err}"
        );
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(secs < 10.0, "{args:?}: refused only after {secs:.1} s");
}

#[test]
fn an_onnx_model_over_the_bound_is_refused_before_its_tensors_are_read() {
    let t = tempfile::tempdir().unwrap();
    // 40000 × 40000 float weights in external data that does not even exist: the count alone
    // (1.6e9 elements, ~72 GiB) refuses it, before the external file is opened.
    std::fs::write(t.path().join("big.onnx"), matmul(40000, 40000, true)).unwrap();
    std::fs::write(t.path().join("x.npy"), b"not read").unwrap();
    let names = ["big.onnx", "1600000005 initializer elements"];
    refused(
        &["report", "memory", "--model", "big.onnx"],
        t.path(),
        &names,
    );
    refused(&["report", "time", "--model", "big.onnx"], t.path(), &names);
    refused(
        &["run", "--model", "big.onnx", "--input", "x.npy"],
        t.path(),
        &names,
    );
    refused(
        &["import", "big.onnx", "--out", "imported"],
        t.path(),
        &names,
    );
    assert!(
        !t.path().join("imported").exists(),
        "a refused import wrote"
    );
    refused(
        &["generate", "--model", "big.onnx", "--out", "gen"],
        t.path(),
        &names,
    );
    assert!(!t.path().join("gen").exists(), "a refused generate wrote");
}

#[test]
fn a_native_model_over_the_bound_is_refused_from_its_tensor_header() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("small.onnx"), matmul(8, 4, false)).unwrap();
    let (ok, _, err) = qforge(&["import", "small.onnx", "--out", "m"], t.path());
    assert!(ok, "{err}");
    // The same manifest over a safetensors file whose header claims 40000 × 40000 F32 and
    // whose data is a hole (a sparse file: nothing is written or read).
    let header = br#"{"w":{"dtype":"F32","shape":[40000,40000],"data_offsets":[0,6400000000]}}"#;
    let mut pad = header.to_vec();
    while (8 + pad.len()) % 8 != 0 {
        pad.push(b' ');
    }
    let mut bytes = (pad.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&pad);
    let f = t.path().join("m/model.safetensors");
    std::fs::write(&f, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&f).unwrap();
    file.set_len(bytes.len() as u64 + 6_400_000_000).unwrap();
    drop(file);
    let names = ["model.json", "1600000000 elements"];
    refused(&["report", "memory", "--model", "m"], t.path(), &names);
    refused(
        &["report", "memory", "--model", "m/model.json"],
        t.path(),
        &names,
    );
}

#[test]
fn the_estimate_bounds_the_measured_peak_of_a_real_load() {
    let t = tempfile::tempdir().unwrap();
    let (k, n) = (2048u64, 2048u64);
    let bytes = matmul(k as i64, n as i64, false);
    let file = bytes.len() as u64;
    std::fs::write(t.path().join("mid.onnx"), bytes).unwrap();
    // The documented estimate: file + 48 B per initializer element + 64 MiB (ONNX); file +
    // 28 B per element + 64 MiB (native; the manifest counted 16 times).
    let elements = k * n + 5;
    let onnx_estimate = file + 48 * elements + (64 << 20);
    let (ok, _, err, onnx_peak) =
        common::qforge_rss(&["report", "memory", "--model", "mid.onnx"], t.path());
    assert!(ok, "{err}");
    assert!(
        onnx_peak <= onnx_estimate,
        "ONNX load: peak {onnx_peak} B above the estimate {onnx_estimate} B"
    );
    let (ok, _, err) = qforge(&["import", "mid.onnx", "--out", "m"], t.path());
    assert!(ok, "{err}");
    let tlen = std::fs::metadata(t.path().join("m/model.safetensors"))
        .unwrap()
        .len();
    let mlen = std::fs::metadata(t.path().join("m/model.json"))
        .unwrap()
        .len();
    let native_estimate = 16 * mlen + tlen + 28 * elements + (64 << 20);
    let (ok, _, err, native_peak) =
        common::qforge_rss(&["report", "memory", "--model", "m"], t.path());
    assert!(ok, "{err}");
    assert!(
        native_peak <= native_estimate,
        "native load: peak {native_peak} B above the estimate {native_estimate} B"
    );
    eprintln!(
        "ONNX {k}x{n}: peak {:.0} MB, estimate {:.0} MB; native: peak {:.0} MB, estimate {:.0} MB",
        onnx_peak as f64 / 1e6,
        onnx_estimate as f64 / 1e6,
        native_peak as f64 / 1e6,
        native_estimate as f64 / 1e6,
    );
}
