//! Outputs that are all-or-nothing and restorable, driven through the `qforge` binary: a
//! failed commit keeps the previous files, output directories carry a manifest, temporaries
//! do not outlive a signal or a kill, special files are refused, and a closed or full stdout
//! is not a panic. `QFORGE_BIN` runs the tests against another build (e.g. an older one).

#[path = "outputs/signals.rs"]
mod signals;
#[path = "outputs/stdout.rs"]
mod stdout;
#[path = "outputs/support.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use support::*;

#[test]
fn a_failed_generate_keeps_every_file_of_the_previous_design() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(&["generate", "--out", "g"], d);
    let before = files(&d.join("g"));
    assert!(before.len() >= 14, "{before:?}");
    std::fs::remove_file(d.join("g/report.md")).unwrap();
    std::fs::create_dir(d.join("g/report.md")).unwrap();
    std::fs::write(d.join("g/report.md/keep"), "mine").unwrap();
    let o = run(&["generate", "--out", "g"], d);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--out") && stderr(&o).contains("report.md"),
        "{}",
        stderr(&o)
    );
    let mut want: Vec<_> = before
        .into_iter()
        .filter(|(p, _)| p != Path::new("report.md"))
        .collect();
    want.push(("report.md/keep".into(), b"mine".to_vec()));
    want.sort();
    assert_eq!(files(&d.join("g")), want);
    assert!(debris(d).is_empty(), "{:?}", debris(d));
}

#[test]
fn a_failed_quantize_keeps_the_existing_codes() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let x = quant::npy::encode_float(quant::npy::Dtype::F64, &[4], &[-1.0, -0.2, 0.3, 1.0]);
    std::fs::write(d.join("x.npy"), x).unwrap();
    std::fs::write(d.join("s.json"), r#"{"method": "binary"}"#).unwrap();
    std::fs::write(d.join("codes.npy"), "previous codes").unwrap();
    std::fs::create_dir(d.join("vals")).unwrap();
    let args = [
        "quantize",
        "--spec",
        "s.json",
        "--input",
        "x.npy",
        "--codes",
        "codes.npy",
        "--values",
        "vals",
    ];
    let o = run(&args, d);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--values") && stderr(&o).contains("vals"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(d.join("codes.npy")).unwrap(),
        b"previous codes"
    );
    assert!(d.join("vals").is_dir());
}

#[test]
fn a_rerun_replaces_the_previous_design_and_keeps_the_users_files() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(&["generate", "--out", "g"], d);
    let first = names(&d.join("g"));
    std::fs::write(d.join("g/notes.txt"), "mine").unwrap();
    std::fs::write(d.join("g/rtl/mine.sv"), "module mine; endmodule\n").unwrap();
    let lut = example("lcq_w2a2.toml");
    ok(&["generate", "--config", &lut, "--out", "g"], d);
    ok(&["generate", "--config", &lut, "--out", "fresh"], d);
    let mut want = names(&d.join("fresh"));
    want.extend(["notes.txt".to_string(), "rtl/mine.sv".to_string()]);
    want.sort();
    assert_eq!(names(&d.join("g")), want, "first design: {first:?}");
    let xdcs = std::fs::read_dir(d.join("g/constraints")).unwrap().count();
    assert_eq!(xdcs, 1, "one XDC");
    assert_eq!(std::fs::read(d.join("g/notes.txt")).unwrap(), b"mine");
}

#[test]
fn a_non_empty_directory_without_a_manifest_needs_force() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir(d.join("g")).unwrap();
    std::fs::write(d.join("g/notes.txt"), "mine").unwrap();
    let o = run(&["generate", "--out", "g"], d);
    assert!(!o.status.success(), "wrote into a foreign directory");
    assert!(
        stderr(&o).contains("--out") && stderr(&o).contains("--force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(names(&d.join("g")), ["notes.txt"]);
    ok(&["generate", "--out", "g", "--force"], d);
    assert!(d.join("g/report.md").is_file());
    assert_eq!(std::fs::read(d.join("g/notes.txt")).unwrap(), b"mine");
}

#[test]
fn a_failed_generate_leaves_no_empty_directories() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("g/report.md")).unwrap();
    std::fs::write(d.join("g/report.md/keep"), "mine").unwrap();
    let o = run(&["generate", "--out", "g"], d);
    assert!(!o.status.success());
    let left: Vec<_> = std::fs::read_dir(d.join("g"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["report.md"]);
}

/// The VCD is staged and renamed in, never written in place: a second name (hard link) of the
/// previous file still holds the previous waveform, so an error or a kill part-way through the
/// run cannot leave a truncated VCD under the target's name.
#[test]
fn simulate_vcd_is_staged_not_written_in_place() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("w.vcd"), "previous waveform\n").unwrap();
    std::fs::hard_link(d.join("w.vcd"), d.join("second_name")).unwrap();
    ok(&["simulate", "--vcd", "w.vcd"], d);
    assert_eq!(
        std::fs::read(d.join("second_name")).unwrap(),
        b"previous waveform\n"
    );
    let vcd = std::fs::read_to_string(d.join("w.vcd")).unwrap();
    assert!(
        vcd.starts_with("$") && vcd.contains("$enddefinitions"),
        "{}",
        &vcd[..80]
    );
    assert!(debris(d).is_empty(), "{:?}", debris(d));
}

#[cfg(unix)]
#[test]
fn symlink_and_fifo_outputs_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let x = quant::npy::encode_float(quant::npy::Dtype::F64, &[2], &[-1.0, 1.0]);
    std::fs::write(d.join("x.npy"), x).unwrap();
    std::fs::write(d.join("s.json"), r#"{"method": "binary"}"#).unwrap();
    std::fs::write(d.join("target.npy"), "theirs").unwrap();
    std::os::unix::fs::symlink("target.npy", d.join("link.npy")).unwrap();
    assert!(Command::new("mkfifo")
        .arg(d.join("fifo"))
        .status()
        .unwrap()
        .success());
    let q = |flag: &str, path: &str| {
        let mut a = vec!["quantize", "--spec", "s.json", "--input", "x.npy"];
        if flag == "--codes" {
            a.extend(["--codes", path]);
        } else {
            a.extend(["--codes", "c.npy", flag, path]);
        }
        run(&a, d)
    };
    for (flag, path, what) in [
        ("--codes", "link.npy", "symbolic link"),
        ("--values", "fifo", "FIFO"),
    ] {
        let o = q(flag, path);
        assert!(!o.status.success(), "{flag} {path} replaced");
        let e = stderr(&o);
        assert!(
            e.contains(flag) && e.contains(path) && e.contains(what),
            "{e}"
        );
    }
    let t = std::fs::symlink_metadata(d.join("link.npy"))
        .unwrap()
        .file_type();
    assert!(t.is_symlink());
    assert_eq!(std::fs::read(d.join("target.npy")).unwrap(), b"theirs");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(d.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(!d.join("c.npy").exists());
}

#[test]
fn import_out_is_a_manifest_directory() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let onnx = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testbench/fixtures/qonnx/mlp_w2a2_bn/mlp_w2a2_bn_legacy.onnx")
        .display()
        .to_string();
    std::fs::create_dir(d.join("exported")).unwrap();
    std::fs::write(d.join("exported/model.json"), "the exporter's").unwrap();
    let o = run(&["import", &onnx, "--out", "exported"], d);
    assert!(!o.status.success(), "replaced a foreign model.json");
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("exported/model.json")).unwrap(),
        b"the exporter's"
    );
    ok(&["import", &onnx, "--out", "m"], d);
    ok(&["import", &onnx, "--out", "m"], d);
    let want = [".qforge-manifest.json", "model.json", "model.safetensors"];
    assert_eq!(names(&d.join("m")), want);
}

#[test]
fn a_redump_of_streams_replaces_the_previous_dump() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let fx = |m: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testbench/fixtures/models")
            .join(m)
            .display()
            .to_string()
    };
    let dump = |m: &str, dir: &str| {
        let (model, input) = (fx(m), format!("{}/input.npy", fx(m)));
        ok(
            &[
                "run",
                "--model",
                &model,
                "--input",
                &input,
                "--dump-streams",
                dir,
            ],
            d,
        );
    };
    dump("resnet_n2uq_w2a2", "s");
    std::fs::write(d.join("s/mine.txt"), "mine").unwrap();
    dump("n2uq_w2a2", "s");
    dump("n2uq_w2a2", "fresh");
    let mut want = names(&d.join("fresh"));
    want.push("mine.txt".into());
    want.sort();
    assert_eq!(names(&d.join("s")), want);
    std::fs::create_dir(d.join("foreign")).unwrap();
    std::fs::write(d.join("foreign/x"), "x").unwrap();
    let (model, input) = (fx("n2uq_w2a2"), format!("{}/input.npy", fx("n2uq_w2a2")));
    let o = run(
        &[
            "run",
            "--model",
            &model,
            "--input",
            &input,
            "--dump-streams",
            "foreign",
        ],
        d,
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--dump-streams") && stderr(&o).contains("--force"),
        "{}",
        stderr(&o)
    );
    ok(
        &[
            "run",
            "--model",
            &model,
            "--input",
            &input,
            "--dump-streams",
            "foreign",
            "--force",
        ],
        d,
    );
}
