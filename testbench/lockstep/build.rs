//! Verilate each lockstep design (`verilator --cc`), write a small `extern "C"` shim that
//! steps it one clock with given port values, and compile both into this crate with `cc`.
//! Fails loudly when Verilator is missing: `scripts/test.sh --install` installs it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

include!("src/designs.rs");

fn ctype(w: u32) -> &'static str {
    match w {
        0..=8 => "CData",
        9..=16 => "SData",
        17..=32 => "IData",
        33..=64 => "QData",
        _ => "WIDE",
    }
}

/// C statements copying `words` (u64 array) into port `name` of width `w`.
fn set_port(name: &str, w: u32, words: &str) -> String {
    match ctype(w) {
        "WIDE" => format!("for (int i = 0; i < {n}; ++i) t->{name}[i] = (uint32_t)({words}[i / 2] >> (32 * (i % 2)));\n", n = w.div_ceil(32)),
        ty => format!("t->{name} = ({ty})({words}[0]);\n"),
    }
}

fn get_port(name: &str, w: u32, words: &str) -> String {
    match ctype(w) {
        "WIDE" => format!("for (int i = 0; i < {n}; ++i) {words}[i] = 0; for (int i = 0; i < {m}; ++i) {words}[i / 2] |= (uint64_t)t->{name}[i] << (32 * (i % 2));\n", n = w.div_ceil(64), m = w.div_ceil(32)),
        _ => format!("{words}[0] = (uint64_t)t->{name};\n"),
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/designs.rs");
    println!("cargo:rerun-if-changed=../../hdl/src");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let verilator = std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".into());
    let root = Command::new(&verilator)
        .arg("--getenv")
        .arg("VERILATOR_ROOT")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "lockstep needs Verilator >= 5 ({verilator}: {e}); run scripts/test.sh --install"
            )
        });
    let root = PathBuf::from(String::from_utf8_lossy(&root.stdout).trim().to_string());
    let inc = root.join("include");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .opt_level(1)
        .warnings(false)
        .include(&inc)
        .include(inc.join("vltstd"));
    build
        .file(inc.join("verilated.cpp"))
        .file(inc.join("verilated_threads.cpp"));
    let mut rust = String::new();
    for (d, p) in lockstep_designs().iter().enumerate() {
        let dir = out.join(format!("d{d}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = Vec::new();
        for m in hdl::engine::modules(p) {
            let f = dir.join(format!("{}.sv", m.name));
            std::fs::write(&f, hdl::print::module_file(&m)).unwrap();
            files.push(f);
        }
        let prefix = format!("Vd{d}");
        let st = Command::new(&verilator)
            .current_dir(&dir)
            .args([
                "--cc",
                "-O2",
                "--top-module",
                "bitserial_engine",
                "--prefix",
                &prefix,
                "--Mdir",
                "obj",
            ])
            .args(&files)
            .status()
            .expect("run verilator");
        assert!(
            st.success(),
            "verilator --cc failed for lockstep design {d}"
        );
        let obj = dir.join("obj");
        for entry in std::fs::read_dir(&obj).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "cpp") {
                build.file(&path);
            }
        }
        build.include(&obj);
        let (wtw, acw, ow) = (
            p.wt_stream_width(),
            p.act_stream_width(),
            p.out_stream_width(),
        );
        let mut shim = String::new();
        writeln!(shim, "#include \"{prefix}.h\"\n#include \"verilated.h\"\n#include <cstdint>\nextern \"C\" {{").unwrap();
        writeln!(shim, "void* d{d}_new() {{ return new {prefix}; }}\nvoid d{d}_free(void* h) {{ delete ({prefix}*)h; }}").unwrap();
        writeln!(shim, "// in: rst, wt_valid, wt_last, act_valid, act_last, out_ready; out: wt_ready, act_ready, out_valid, out_last.").unwrap();
        writeln!(shim, "void d{d}_step(void* h, const uint8_t* in, const uint64_t* wt, const uint64_t* act, uint8_t* o, uint64_t* out_data) {{").unwrap();
        writeln!(shim, "  {prefix}* t = ({prefix}*)h;\n  t->rst = in[0]; t->s_axis_wt_tvalid = in[1]; t->s_axis_wt_tlast = in[2]; t->s_axis_act_tvalid = in[3]; t->s_axis_act_tlast = in[4]; t->m_axis_out_tready = in[5];").unwrap();
        shim.push_str("  ");
        shim.push_str(&set_port("s_axis_wt_tdata", wtw, "wt"));
        shim.push_str("  ");
        shim.push_str(&set_port("s_axis_act_tdata", acw, "act"));
        writeln!(shim, "  t->clk = 0; t->eval();\n  o[0] = t->s_axis_wt_tready; o[1] = t->s_axis_act_tready; o[2] = t->m_axis_out_tvalid; o[3] = t->m_axis_out_tlast;").unwrap();
        shim.push_str("  ");
        shim.push_str(&get_port("m_axis_out_tdata", ow, "out_data"));
        writeln!(
            shim,
            "  t->clk = 1; t->eval(); t->clk = 0; t->eval();\n}}\n}}"
        )
        .unwrap();
        let shim_path = dir.join("shim.cpp");
        std::fs::write(&shim_path, shim).unwrap();
        build.file(&shim_path);
        writeln!(rust, "extern \"C\" {{ fn d{d}_new() -> *mut core::ffi::c_void; fn d{d}_free(h: *mut core::ffi::c_void); fn d{d}_step(h: *mut core::ffi::c_void, i: *const u8, wt: *const u64, act: *const u64, o: *mut u8, out: *mut u64); }}").unwrap();
    }
    build.compile("lockstep_rtl");
    println!("cargo:rustc-link-lib=stdc++");
    println!("cargo:rustc-link-lib=pthread");
    let n = lockstep_designs().len();
    writeln!(rust, "/// Constructors, destructors and step functions of the built designs.\npub static FNS: [(NewFn, FreeFn, StepFn); {n}] = [{}];",
        (0..n).map(|d| format!("(d{d}_new, d{d}_free, d{d}_step)")).collect::<Vec<_>>().join(", ")).unwrap();
    std::fs::write(out.join("bindings.rs"), rust).unwrap();
    let _ = Path::new(".");
}
