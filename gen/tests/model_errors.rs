//! Bad input to the model commands (`qforge run | report --model`): an error naming the flag,
//! node or field, exit code ≠ 0, and the user's earlier output files untouched.

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, qforge};

/// Copy a fixture into `dir` and let `edit` change its manifest text.
fn edited(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let src = fixture(name);
    let dst = dir.join(format!("{name}_edited"));
    std::fs::create_dir_all(&dst).unwrap();
    for f in ["model.safetensors", "input.npy"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(src.join("model.json")).unwrap();
    let new = edit(text.clone());
    assert_ne!(new, text, "the edit must change the manifest");
    std::fs::write(dst.join("model.json"), new).unwrap();
    dst
}

/// Run `args`; it must fail with every one of `needles` in stderr and leave `keep` as it was.
fn fails(args: &[&str], dir: &Path, needles: &[&str], keep: &Path) {
    std::fs::write(keep, b"earlier output").unwrap();
    let (ok, _, err) = qforge(args, dir);
    assert!(!ok, "{args:?} succeeded");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr {err:?} lacks {n:?}");
    }
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert_eq!(
        std::fs::read(keep).unwrap(),
        b"earlier output",
        "{args:?} touched the earlier output"
    );
}

#[test]
fn bad_models_inputs_and_flags_are_errors_that_name_them() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let keep = d.join("y.npy");
    let y = keep.to_string_lossy().to_string();
    let fx = fixture("n2uq_w2a2");
    let m = fx.to_string_lossy().to_string();
    let x = fx.join("input.npy").to_string_lossy().to_string();
    let run = |model: &str, input: &str, extra: &[&str], needles: &[&str]| {
        let mut a = vec!["run", "--model", model, "--input", input, "--output", &y];
        a.extend_from_slice(extra);
        fails(&a, d, needles, &keep);
    };
    // A model that is not there.
    run("no/such/model", &x, &[], &["--model", "no/such/model"]);
    // An input of the wrong shape: the model's own input file of another model is fine, a
    // vector is not.
    let bad_x = d.join("x.npy");
    std::fs::write(
        &bad_x,
        quant::npy::encode_float(quant::npy::Dtype::F32, &[2, 64], &[0.0; 128]),
    )
    .unwrap();
    let bx = bad_x.to_string_lossy().to_string();
    run(&m, &bx, &[], &["--input", "[2, 64]", "[1, 8, 8]"]);
    // A NaN in the input.
    let mut nan = vec![1.0; 64];
    nan[5] = f64::NAN;
    std::fs::write(
        &bad_x,
        quant::npy::encode_float(quant::npy::Dtype::F64, &[1, 1, 8, 8], &nan),
    )
    .unwrap();
    run(&m, &bx, &[], &["--input", "5"]);
    // Not an .npy at all.
    std::fs::write(&bad_x, b"not numpy").unwrap();
    run(&m, &bx, &[], &["--input"]);
    // An unknown op, with the suggestion.
    let e = edited(d, "n2uq_w2a2", |t| {
        t.replacen("\"maxpool\"", "\"MaxPool\"", 1)
    });
    run(&e.to_string_lossy(), &x, &[], &["\"MaxPool\"", "maxpool"]);
    // An unknown field (near miss).
    let e = edited(d, "n2uq_w2a2", |t| t.replacen("\"stride\"", "\"stide\"", 1));
    run(&e.to_string_lossy(), &x, &[], &["stide", "stride"]);
    // A misnamed tensor.
    let e = edited(d, "n2uq_w2a2", |t| {
        t.replacen("\"conv1.weight\"", "\"conv1.wieght\"", 1)
    });
    run(&e.to_string_lossy(), &x, &[], &["conv1.wieght"]);
    // Non-uniform levels forced onto the bit-serial engine.
    let lcq = fixture("lcq_w2a2").to_string_lossy().to_string();
    let lx = fixture("lcq_w2a2")
        .join("input.npy")
        .to_string_lossy()
        .to_string();
    run(
        &lcq,
        &lx,
        &["--engine", "bitserial"],
        &["--engine", "non-uniform"],
    );
    // Flags.
    run(&m, &x, &["--engine", "gpu"], &["--engine", "gpu"]);
    run(&m, &x, &["--array", "8x8"], &["--array"]);
    run(&m, &x, &["--clock-mhz", "0"], &["--clock-mhz"]);
    run(&m, &x, &["--clock-mhz", "1e300"], &["--clock-mhz"]);
    // An array the model's jobs do not fit (a LUT word over 4096 bits).
    run(&lcq, &lx, &["--array", "4x4x4096"], &["dk"]);
    // The output's directory is missing: nothing is written, nothing is run.
    let (ok, _, err) = qforge(
        &[
            "run",
            "--model",
            &m,
            "--input",
            &x,
            "--output",
            "missing/dir/y.npy",
        ],
        d,
    );
    assert!(!ok && err.contains("--output"), "{err}");
    // Reports on a bad model name the flag too; flags that describe a --network conflict.
    let (ok, _, err) = qforge(&["report", "time", "--model", "no/such/model"], d);
    assert!(!ok && err.contains("--model"), "{err}");
    let (ok, _, err) = qforge(&["report", "time", "--model", &m, "--bits", "2/2"], d);
    assert!(!ok && err.contains("--bits"), "{err}");
    // compare: the model's own shapes under every configuration.
    let (ok, out, err) = qforge(&["report", "compare", "--model", &m, "--json"], d);
    assert!(ok, "{err}");
    assert!(
        out.contains("binary 1/1") && out.contains("LCQ 2/2"),
        "{out}"
    );
}

#[test]
fn a_good_run_writes_the_output_and_json_names_where_nodes_ran() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let fx = fixture("resnet_n2uq_w2a2");
    let y = d.join("y.npy");
    let dump = d.join("streams");
    let (ok, out, err) = qforge(
        &[
            "run",
            "--model",
            &fx.to_string_lossy(),
            "--input",
            &fx.join("input.npy").to_string_lossy(),
            "--output",
            &y.to_string_lossy(),
            "--json",
            "--dump-streams",
            &dump.to_string_lossy(),
        ],
        d,
    );
    assert!(ok, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ran = |name: &str| {
        j["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("node {name} missing"))["ran"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(ran("stem"), "engine");
    assert!(ran("add").starts_with("host"));
    assert!(ran("fc").contains("raw"));
    // The residual block's second conv feeds the add: raw accumulators.
    assert!(ran("conv_b").contains("raw"));
    let layers = j["layers"].as_array().unwrap();
    let sum: u64 = layers.iter().map(|l| l["cycles"].as_u64().unwrap()).sum();
    assert_eq!(j["cycles"].as_u64().unwrap(), sum);
    // report time --model gives the same cycles.
    let (ok, rt, err) = qforge(
        &["report", "time", "--model", &fx.to_string_lossy(), "--json"],
        d,
    );
    assert!(ok, "{err}");
    let rt: serde_json::Value = serde_json::from_str(&rt).unwrap();
    assert_eq!(rt["cycles"], j["cycles"]);
    assert_eq!(rt["layers"], j["layers"]);
    // Output shape: the batch and 10 logits.
    let yv = quant::npy::read_float(&y).unwrap();
    assert_eq!(yv.shape, vec![64, 10]);
    // Streams: every job's files and their description, sizes consistent.
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dump.join("streams.json")).unwrap()).unwrap();
    let jobs = s["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), layers.len());
    for job in jobs {
        for (k, w) in [("wt", "wt"), ("act", "act"), ("out", "out")] {
            let f = dump.join(job[k]["file"].as_str().unwrap());
            let len = std::fs::metadata(&f).unwrap().len();
            let beats = job[k]["beats"].as_u64().unwrap();
            let per = s["beat_bytes"][w].as_u64().unwrap();
            assert_eq!(len, beats * per, "{}", f.display());
            let t: u64 = job[k]["transfers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .sum();
            assert_eq!(t, beats);
        }
    }
}
