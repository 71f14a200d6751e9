//! `qforge generate --prefix` (and `[output] prefix`): two different designs, a bit-serial
//! and a LUT engine, generated with prefixes `a_` and `b_` lint together under one top that
//! instantiates both (`verilator --lint-only -Wall`, every `.sv` of both output directories);
//! without prefixes the same combination fails on duplicate modules, so the check can fail.
//! The prefixed run scripts build and pass; a bad prefix names the flag (or the config field)
//! and leaves an earlier output untouched.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::qforge;

const BITSERIAL: &str =
    "[engine]\nkind = \"bitserial\"\ndm = 2\ndn = 2\ndk = 32\n[layer]\nchannels = 6\nhw = 3\n";
const LUT: &str = "[engine]\nkind = \"lut\"\ndm = 2\ndn = 2\ndk = 8\n[layer]\nmethod = \"lcq\"\nchannels = 6\nhw = 3\n";

fn sv_files(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for sub in ["rtl", "tb"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "sv" || x == "v") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// `localparam int NAME = <n>;` of a generated testbench.
fn localparam(tb: &str, name: &str) -> u32 {
    let key = format!("localparam int {name} = ");
    tb.lines()
        .find_map(|l| l.trim().strip_prefix(&key))
        .and_then(|v| v.trim_end_matches(';').parse().ok())
        .unwrap_or_else(|| panic!("no {name} in the testbench"))
}

/// A top `name` with both engines' ports as its own, instantiating `{prefix}<top>` of each output
/// directory `(dir, prefix, top)`.
fn dual_top(name: &str, engines: &[(&Path, &str, &str)]) -> String {
    let mut ports = vec![
        "    input  wire clk".to_string(),
        "    input  wire rst".into(),
    ];
    let mut body = String::new();
    for (i, (dir, prefix, top)) in engines.iter().enumerate() {
        let tb = std::fs::read_to_string(dir.join(format!("tb/{prefix}tb_engine.sv"))).unwrap();
        let (wtw, acw, ow) = (
            localparam(&tb, "WTW"),
            localparam(&tb, "ACW"),
            localparam(&tb, "OW"),
        );
        let e = format!("e{i}_");
        for (dir, name, w) in [
            ("input ", "s_axis_wt_tdata", wtw),
            ("input ", "s_axis_wt_tvalid", 1),
            ("output", "s_axis_wt_tready", 1),
            ("input ", "s_axis_wt_tlast", 1),
            ("input ", "s_axis_act_tdata", acw),
            ("input ", "s_axis_act_tvalid", 1),
            ("output", "s_axis_act_tready", 1),
            ("input ", "s_axis_act_tlast", 1),
            ("output", "m_axis_out_tdata", ow),
            ("output", "m_axis_out_tvalid", 1),
            ("input ", "m_axis_out_tready", 1),
            ("output", "m_axis_out_tlast", 1),
        ] {
            let range = if w > 1 {
                format!("[{}:0] ", w - 1)
            } else {
                String::new()
            };
            ports.push(format!("    {dir} wire {range}{e}{name}"));
        }
        body += &format!("    {prefix}{top} u_{i} (\n        .clk(clk),\n        .rst(rst)");
        for name in [
            "s_axis_wt_tdata",
            "s_axis_wt_tvalid",
            "s_axis_wt_tready",
            "s_axis_wt_tlast",
            "s_axis_act_tdata",
            "s_axis_act_tvalid",
            "s_axis_act_tready",
            "s_axis_act_tlast",
            "m_axis_out_tdata",
            "m_axis_out_tvalid",
            "m_axis_out_tready",
            "m_axis_out_tlast",
        ] {
            body += &format!(",\n        .{name}({e}{name})");
        }
        body += "\n    );\n";
    }
    format!(
        "`default_nettype none\n`timescale 1ns / 1ps\n\nmodule {name} (\n{}\n);\n{body}endmodule\n\n`resetall\n",
        ports.join(",\n")
    )
}

/// `verilator --lint-only -Wall` on both directories' files and a dual top: (ok, output).
fn lint_together(d: &Path, engines: &[(&Path, &str, &str)], name: &str) -> (bool, String) {
    let top = d.join(format!("{name}.sv"));
    std::fs::write(&top, dual_top(name, engines)).unwrap();
    let mut files: Vec<PathBuf> = engines.iter().flat_map(|(dir, ..)| sv_files(dir)).collect();
    files.push(top);
    let out = Command::new("verilator")
        .args(["--lint-only", "-Wall", "--timing", "--top-module", name])
        .args(&files)
        .current_dir(d)
        .output()
        .expect("verilator");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success() && !text.contains("%Warning"), text)
}

fn run_script(path: &Path) -> (bool, String) {
    let out = Command::new("bash").arg(path).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success() && text.contains("PASS cycles="), text)
}

#[test]
fn two_prefixed_designs_share_one_build_and_unprefixed_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("bs.toml"), BITSERIAL).unwrap();
    // The LUT design's prefix comes from its config, the bit-serial one's from the flag.
    std::fs::write(
        d.join("lut_b.toml"),
        format!("{LUT}[output]\nprefix = \"b_\"\n"),
    )
    .unwrap();
    std::fs::write(d.join("lut.toml"), LUT).unwrap();
    for args in [
        &[
            "generate", "--config", "bs.toml", "--prefix", "a_", "--out", "a",
        ][..],
        &["generate", "--config", "lut_b.toml", "--out", "b"],
        &["generate", "--config", "bs.toml", "--out", "a0"],
        &["generate", "--config", "lut.toml", "--out", "b0"],
    ] {
        let (ok, _, err) = qforge(args, d);
        assert!(ok, "{args:?}: {err}");
    }
    let (a, b) = (d.join("a"), d.join("b"));
    for (dir, want) in [
        (&a, "rtl/a_bitserial_engine.sv"),
        (&a, "rtl/a_and_popcount.sv"),
        (&a, "rtl/a_dpu.sv"),
        (&a, "tb/a_tb_engine.sv"),
        (&a, "constraints/a_bitserial_engine.xdc"),
        (&b, "rtl/b_lut_engine.sv"),
        (&b, "rtl/b_lut_pe.sv"),
        (&b, "rtl/b_threshold_unit.sv"),
        (&b, "tb/b_tb_engine.sv"),
    ] {
        assert!(dir.join(want).is_file(), "missing {want}");
    }
    let top_a = std::fs::read_to_string(a.join("rtl/a_bitserial_engine.sv")).unwrap();
    assert!(top_a.contains("module a_bitserial_engine") && top_a.contains("a_pe_array u_array"));
    let array_a = std::fs::read_to_string(a.join("rtl/a_pe_array.sv")).unwrap();
    assert!(array_a.contains("module a_pe_array") && array_a.contains("a_dpu u_dpu"));
    let script = std::fs::read_to_string(a.join("tb/run_verilator.sh")).unwrap();
    assert!(
        script.contains("--top-module a_tb_engine") && script.contains("../rtl/a_dpu.sv"),
        "{script}"
    );
    assert!(!script.contains("-Wno-"), "{script}");

    let (ok, text) = lint_together(
        d,
        &[(&a, "a_", "bitserial_engine"), (&b, "b_", "lut_engine")],
        "top_prefixed",
    );
    assert!(ok, "prefixed designs do not lint together:\n{text}");
    let (ok, text) = lint_together(
        d,
        &[
            (&d.join("a0"), "", "bitserial_engine"),
            (&d.join("b0"), "", "lut_engine"),
        ],
        "top_plain",
    );
    assert!(!ok, "unprefixed designs linted together:\n{text}");
    assert!(
        text.contains("MODDUP") || text.contains("Duplicate"),
        "expected a duplicate-module error:\n{text}"
    );

    // The prefixed testbenches pass as shipped (Verilator with -Wall, and Icarus).
    let (ok, text) = run_script(&b.join("tb/run_verilator.sh"));
    assert!(ok, "b/tb/run_verilator.sh:\n{text}");
    let (ok, text) = run_script(&a.join("tb/run_icarus.sh"));
    assert!(ok, "a/tb/run_icarus.sh:\n{text}");
}

#[test]
fn bad_prefixes_name_the_flag_or_field_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("bs.toml"), BITSERIAL).unwrap();
    let (ok, _, err) = qforge(&["generate", "--config", "bs.toml", "--out", "o"], d);
    assert!(ok, "{err}");
    let before = std::fs::read(d.join("o/rtl/bitserial_engine.sv")).unwrap();
    let listing = |p: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(p.join("rtl"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let files_before = listing(&d.join("o"));
    for (bad, needle) in [
        ("1a_", "starts with '1'"),
        ("a-b", "'-'"),
        ("a$", "'$'"),
        ("", "empty"),
    ] {
        let (ok, _, err) = qforge(
            &[
                "generate", "--config", "bs.toml", "--prefix", bad, "--out", "o",
            ],
            d,
        );
        assert!(!ok, "--prefix {bad:?} accepted");
        assert!(
            err.contains("--prefix") && err.contains(needle),
            "{bad:?}: {err}"
        );
        std::fs::write(
            d.join("badcfg.toml"),
            format!("{BITSERIAL}[output]\nprefix = {bad:?}\n"),
        )
        .unwrap();
        let (ok, _, err) = qforge(&["generate", "--config", "badcfg.toml", "--out", "o"], d);
        assert!(!ok, "output.prefix {bad:?} accepted");
        assert!(
            err.contains("output.prefix") && err.contains(needle),
            "{bad:?}: {err}"
        );
    }
    assert_eq!(
        std::fs::read(d.join("o/rtl/bitserial_engine.sv")).unwrap(),
        before
    );
    assert_eq!(listing(&d.join("o")), files_before);
    // A --model run refuses it the same way, before reading the model.
    let (ok, _, err) = qforge(
        &[
            "generate",
            "--model",
            "nonexistent",
            "--prefix",
            "9",
            "--out",
            "m",
        ],
        d,
    );
    assert!(!ok && err.contains("--prefix"), "{err}");
    assert!(!d.join("m").exists());
}

#[test]
fn model_output_is_prefixed_and_its_network_testbench_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fx = common::fixture("n2uq_w2a2").display().to_string();
    let (ok, stdout, err) = qforge(
        &[
            "generate", "--model", &fx, "--array", "2x2x32", "--prefix", "m_", "--out", "g",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert!(
        stdout.contains("Engine `m_bitserial_engine`") && stdout.contains("`tb/m_tb_network.sv`"),
        "{stdout}"
    );
    let g = d.join("g");
    for want in [
        "rtl/m_bitserial_engine.sv",
        "rtl/m_dpu.sv",
        "tb/m_tb_network.sv",
        "constraints/m_bitserial_engine.xdc",
    ] {
        assert!(g.join(want).is_file(), "missing {want}");
    }
    let script = std::fs::read_to_string(g.join("tb/run_verilator.sh")).unwrap();
    assert!(script.contains("--top-module m_tb_network"), "{script}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(g.join("rtl"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.push(g.join("tb/m_tb_network.sv"));
    let out = Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "--timing",
            "--top-module",
            "m_tb_network",
        ])
        .args(&files)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !text.contains("%Warning"),
        "verilator -Wall on m_tb_network.sv:\n{text}"
    );
}
