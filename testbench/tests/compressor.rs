//! The xcup compressor block (`hdl::popcount_xcup`) simulated with the real `LUT6_2` /
//! `CARRY8` models of Yosys's `xilinx/cells_sim.v` under Verilator and Icarus, at odd and
//! even sizes, against the Rust popcount model; and its `-Wall` lint. A missing tool fails.

use hdl::popcount_xcup::{CompressorParams, Target};
use testbench::bench::Simulator;
use testbench::compressor::{lint_block, simulate_block, vectors};

const SIZES: [u32; 7] = [1, 3, 7, 64, 100, 256, 512];

fn run_all(sim: Simulator) {
    for width in SIZES {
        let p = CompressorParams::new(width, Target::Xcup);
        let vecs = vectors(width, 200, width as u64);
        let dir = tempfile::tempdir().unwrap();
        let n = simulate_block(&p, &vecs, dir.path(), sim)
            .unwrap_or_else(|e| panic!("{sim:?} width {width}: {e}"));
        assert_eq!(n, vecs.len());
    }
}

#[test]
fn xcup_compressor_under_verilator() {
    run_all(Simulator::Verilator);
}

#[test]
fn xcup_compressor_under_icarus() {
    run_all(Simulator::Icarus);
}

#[test]
fn xcup_compressor_ripple_variants_under_icarus() {
    for (width, ripple) in [(5, 1), (64, 2), (100, 3), (256, 4), (129, 8)] {
        let p = CompressorParams {
            ripple,
            ..CompressorParams::new(width, Target::Xcup)
        };
        let vecs = vectors(width, 100, 7 + width as u64);
        let dir = tempfile::tempdir().unwrap();
        simulate_block(&p, &vecs, dir.path(), Simulator::Icarus)
            .unwrap_or_else(|e| panic!("width {width} ripple {ripple}: {e}"));
    }
}

#[test]
fn xcup_compressor_lints_clean() {
    for width in SIZES.into_iter().chain([2, 13, 981]) {
        let p = CompressorParams::new(width, Target::Xcup);
        let dir = tempfile::tempdir().unwrap();
        lint_block(&p, dir.path()).unwrap_or_else(|e| panic!("width {width}: {e}"));
    }
}

/// The committed FINN peers compute popcount(a & b) too (so their synthesis figures are of
/// working designs); latency = FINN's pipeline stages (its header) + the wrapper's register.
#[test]
fn finn_peers_count_correctly_under_icarus() {
    let peers = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/peers");
    for dk in [64u32, 128, 256, 512] {
        let file = peers.join(format!("finn_popcount_{dk}.sv"));
        let text = std::fs::read_to_string(&file).unwrap();
        let stages: u32 = text
            .lines()
            .find_map(|l| l.strip_prefix("// Pipeline stages: "))
            .and_then(|n| n.trim().parse().ok())
            .expect("FINN header names its pipeline stages");
        let vecs = vectors(dk, 60, 11 + dk as u64);
        let dir = tempfile::tempdir().unwrap();
        let top = format!("finn_popcount_{dk}");
        testbench::compressor::simulate_peer(
            &file,
            &top,
            dk,
            stages + 1,
            &vecs,
            dir.path(),
            Simulator::Icarus,
        )
        .unwrap_or_else(|e| panic!("Dk {dk}: {e}"));
    }
}
