//! Every emitted module passes `verilator --lint-only -Wall` with zero warnings and no
//! waivers, at odd and even sizes; so do the formal property wrapper (`formal::wrapper`) and
//! the single-job testbench (`tb::testbench`), plain and with prefixed module names.
//! `Xcup` engines lint the same with the vendor cell models added (`testbench::vendor`):
//! the only waiver is the one for warnings located in `cells_sim.v`.

use hdl::popcount::PopcountParams;
use testbench::verilator::{lint, write_modules};

#[test]
fn popcount_lints_clean_at_many_widths() {
    for width in [1, 2, 3, 5, 8, 13, 64, 100, 256, 981] {
        let dir = tempfile::tempdir().unwrap();
        let files = write_modules(dir.path(), &[PopcountParams::new(width).module()]).unwrap();
        lint(dir.path(), &files, "and_popcount").unwrap_or_else(|e| panic!("width {width}: {e}"));
    }
}

#[test]
fn a_dpu_term_wider_than_its_accumulator_lints_clean() {
    // Small K with a wide Dk: the DPU's term (popcount + offset) is wider than the
    // accumulator, so its top bits drop out modulo 2^ACC_WIDTH (found by `regress` seed 7).
    use hdl::params::WeightEnc;
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let mut wide = 0;
    for d in 0..40 {
        let mut p = sim::random::design(&mut rng);
        p.dk = 64;
        p.max_k = 1 + d % 5;
        if d % 2 == 0 {
            p.w_enc = WeightEnc::Offset;
        }
        if p.validate().is_err() {
            continue;
        }
        let xw = p.pc_width() + if p.w_enc == WeightEnc::Offset { 2 } else { 1 };
        if xw <= p.acc_width() {
            continue;
        }
        wide += 1;
        let dir = tempfile::tempdir().unwrap();
        let files = write_modules(dir.path(), &hdl::engine::modules(&p)).unwrap();
        lint(dir.path(), &files, p.top_name()).unwrap_or_else(|e| panic!("design {d} {p:?}: {e}"));
        if wide == 4 {
            break;
        }
    }
    assert!(
        wide >= 2,
        "only {wide} designs with a term wider than the accumulator"
    );
}

#[test]
fn engine_lints_clean_on_random_designs() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for d in 0..12 {
        let p = sim::random::design(&mut rng);
        let dir = tempfile::tempdir().unwrap();
        let files = write_modules(dir.path(), &hdl::engine::modules(&p)).unwrap();
        lint(dir.path(), &files, p.top_name()).unwrap_or_else(|e| panic!("design {d} {p:?}: {e}"));
    }
}

#[test]
fn lut_engine_lints_clean_on_random_designs() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    for d in 0..10 {
        let p = sim::random::lut_design(&mut rng);
        let dir = tempfile::tempdir().unwrap();
        let files = write_modules(dir.path(), &hdl::engine::modules(&p)).unwrap();
        lint(dir.path(), &files, "lut_engine").unwrap_or_else(|e| panic!("design {d} {p:?}: {e}"));
    }
}

#[test]
fn formal_wrappers_lint_clean() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for d in 0..6 {
        let p = if d % 2 == 0 {
            sim::random::design(&mut rng)
        } else {
            sim::random::lut_design(&mut rng)
        };
        let dir = tempfile::tempdir().unwrap();
        let mut files = write_modules(dir.path(), &hdl::engine::modules(&p)).unwrap();
        let top = dir.path().join("formal_top.sv");
        std::fs::write(&top, testbench::formal::wrapper(&p)).unwrap();
        files.push(top);
        lint(dir.path(), &files, "formal_top").unwrap_or_else(|e| panic!("design {d} {p:?}: {e}"));
    }
}

#[test]
fn testbenches_lint_clean_on_random_designs() {
    use hdl::params::WeightEnc;
    use rand::SeedableRng;
    use testbench::tb::{testbench_prefixed, Capacity, TOP};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let mut encs = std::collections::BTreeSet::new();
    for d in 0..12 {
        let p = if d % 3 == 2 {
            sim::random::lut_design(&mut rng)
        } else {
            sim::random::design(&mut rng)
        };
        encs.insert(format!("{:?}", p.w_enc));
        let prefix = if d % 2 == 0 { "" } else { "d1_" };
        let dir = tempfile::tempdir().unwrap();
        let mut mods = hdl::engine::modules(&p);
        if !prefix.is_empty() {
            hdl::naming::prefix_modules(&mut mods, prefix).unwrap();
        }
        let mut files = write_modules(dir.path(), &mods).unwrap();
        let tb = dir.path().join(format!("{prefix}{TOP}.sv"));
        std::fs::write(&tb, testbench_prefixed(&p, prefix, Capacity::of(&p), 1000)).unwrap();
        files.push(tb);
        lint(dir.path(), &files, &format!("{prefix}{TOP}"))
            .unwrap_or_else(|e| panic!("design {d} {p:?}: {e}"));
    }
    // Every weight encoding was among them.
    for e in [
        WeightEnc::Unsigned,
        WeightEnc::Signed,
        WeightEnc::Offset,
        WeightEnc::SignMag,
    ] {
        assert!(
            encs.contains(&format!("{e:?}")),
            "{e:?} not covered: {encs:?}"
        );
    }
}

#[test]
fn xcup_engine_lints_clean_with_only_the_vendor_file_waived() {
    use rand::SeedableRng;
    use testbench::bench::Simulator;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    for d in 0..6 {
        let p = hdl::params::EngineParams {
            target: hdl::params::Target::Xcup,
            ..if d % 3 == 2 {
                sim::random::lut_design(&mut rng)
            } else {
                sim::random::design(&mut rng)
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let mut files = testbench::vendor::sim_files(dir.path(), &p, Simulator::Verilator).unwrap();
        assert_eq!(files.len(), 2, "the waiver and the cell models");
        files.extend(write_modules(dir.path(), &hdl::engine::modules(&p)).unwrap());
        lint(dir.path(), &files, p.top_name()).unwrap_or_else(|e| panic!("design {d} {p:?}: {e}"));
    }
    // Without the waiver the vendor file does warn: the waiver is doing the work.
    let p = hdl::params::EngineParams {
        target: hdl::params::Target::Xcup,
        ..sim::random::design(&mut rng)
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![testbench::vendor::copy_cells(dir.path()).unwrap()];
    files.extend(write_modules(dir.path(), &hdl::engine::modules(&p)).unwrap());
    let err = lint(dir.path(), &files, p.top_name()).unwrap_err();
    assert!(err.contains("cells_sim.v:"), "{err}");
}
