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
