//! `qforge generate | verify` with `engine.target = "xcup"`: the LUT6_2 + CARRY8 compressor
//! in the RTL, Yosys's cell models beside the testbench, both run scripts and both simulators
//! passing, and a bad target naming the field.

use std::process::Command;

mod common;
use common::{qforge, tree, SMALL};

#[test]
fn xcup_target_generates_runs_and_verifies_under_both_simulators() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = SMALL.replace("[engine]\n", "[engine]\ntarget = \"xcup\"\n");
    std::fs::write(d.join("xcup.toml"), cfg).unwrap();
    let (ok, _, err) = qforge(&["generate", "--config", "xcup.toml", "--out", "out"], d);
    assert!(ok, "{err}");
    let out = d.join("out");
    let names: Vec<String> = tree(&out).into_iter().map(|(n, _)| n).collect();
    for want in [
        "rtl/and_popcount_xcup.sv",
        "tb/cells_sim.v",
        "tb/cells_sim.vlt",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "missing {want} in {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n == "rtl/and_popcount.sv"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("rtl/cells_sim")),
        "{names:?}"
    );
    let dpu = std::fs::read_to_string(out.join("rtl/dpu.sv")).unwrap();
    assert!(dpu.contains("and_popcount_xcup u_popcount"), "{dpu}");
    let array = std::fs::read_to_string(out.join("rtl/pe_array.sv")).unwrap();
    assert!(
        array.contains("and_popcount_xcup u_a_count"),
        "offset weights: {array}"
    );
    for sim in ["verilator", "icarus"] {
        let run = Command::new("bash")
            .arg(out.join(format!("tb/run_{sim}.sh")))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&run.stdout).to_string()
            + &String::from_utf8_lossy(&run.stderr);
        assert!(
            run.status.success() && text.contains("PASS cycles="),
            "{sim}: {text}"
        );
    }
    let (ok, out, err) = qforge(
        &["verify", "--config", "xcup.toml", "--simulator", "both"],
        d,
    );
    assert!(ok, "{out}{err}");
    assert_eq!(out.matches("PASS").count(), 4, "{out}");
    // A bad target names the field.
    std::fs::write(d.join("bad.toml"), "[engine]\ntarget = \"xc7\"\n").unwrap();
    let (ok, _, err) = qforge(&["simulate", "--config", "bad.toml"], d);
    assert!(
        !ok && err.contains("engine.target: invalid value \"xc7\""),
        "{err}"
    );
}
