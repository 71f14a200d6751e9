//! `testbench::dynrtl`: random designs of both kinds verilated at run time and stepped in
//! lockstep with the cycle model under random stalls (every output every cycle, every beat
//! against the golden reference), a mutated RTL caught, and the build cache reused; `Xcup`
//! designs (the vendor cell models and their waiver added to the sources) too.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::engine::Engine;
use sim::harness::Stalls;
use sim::random::jobs;
use testbench::dynrtl::{cross_check, engine_sources, DynRtl};

/// A random design small enough to build quickly.
fn small(lut: bool, rng: &mut ChaCha8Rng) -> hdl::params::EngineParams {
    loop {
        let mut p = if lut {
            sim::random::lut_design(rng)
        } else {
            sim::random::design(rng)
        };
        p.dk = p.dk.min(32);
        if p.validate().is_ok() {
            return p;
        }
    }
}

/// Every job of `p` (edge cases and random), alternating no stalls and random stalls, and
/// alternating a reset and back-to-back jobs on one model and one RTL instance.
fn check_design(rtl: &mut DynRtl, rng: &mut ChaCha8Rng) -> u64 {
    let p = *rtl.params();
    let mut model = Engine::new(p);
    let mut cycles = 0;
    for (j, job) in jobs(&p, 5, rng).into_iter().enumerate() {
        let stalls = if j % 3 == 0 {
            Stalls::NONE
        } else {
            Stalls::random(rng)
        };
        cycles += cross_check(&mut model, rtl, &job, stalls, j % 2 == 0, 2_000_000)
            .unwrap_or_else(|e| panic!("{p:?} job {j}: {e}"));
    }
    cycles
}

#[test]
fn random_designs_agree_with_the_model_every_cycle() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let work = tempfile::tempdir().unwrap();
    let designs = [
        small(false, &mut rng),
        small(true, &mut rng),
        small(false, &mut rng),
    ];
    // All three libraries loaded at once, and two instances of one of them.
    let mut rtls: Vec<DynRtl> = designs
        .iter()
        .map(|p| DynRtl::build(p, work.path()).unwrap_or_else(|e| panic!("{p:?}: {e}")))
        .collect();
    for r in &rtls {
        assert!(
            !r.info().cached,
            "{:?} built from an empty work dir",
            r.info()
        );
        eprintln!("{:?}: {:?}", r.params(), r.info());
    }
    rtls.push(rtls[0].instance());
    let mut cycles = 0;
    for r in &mut rtls {
        cycles += check_design(r, &mut rng);
    }
    assert!(cycles > 10_000, "only {cycles} cycles compared");
}

#[test]
fn a_mutated_rtl_is_caught() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let p = small(false, &mut rng);
    let mut sources = engine_sources(&p);
    assert_eq!(sources.last().unwrap().0, format!("{}.sv", p.top_name()));
    // Flip the output's tlast (in the output port block): one edited line.
    let port = sources
        .iter_mut()
        .find(|(name, _)| name == "out_port.sv")
        .expect("an out_port.sv source");
    let line = port
        .1
        .lines()
        .find(|l| l.trim_start().starts_with("assign m_axis_out_tlast"))
        .unwrap_or_else(|| panic!("no tlast assign in:\n{}", port.1))
        .to_string();
    let (lhs, rhs) = line.split_once(" = ").unwrap();
    let mutated = format!("{lhs} = !({});", rhs.trim_end().trim_end_matches(';'));
    port.1 = port.1.replace(&line, &mutated);
    let job = &jobs(&p, 0, &mut rng)[2];
    // The design itself passes the job ...
    let (good, bad) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut rtl = DynRtl::build(&p, good.path()).unwrap();
    cross_check(
        &mut Engine::new(p),
        &mut rtl,
        job,
        Stalls::NONE,
        true,
        1_000_000,
    )
    .unwrap();
    // ... and its mutant, built in another dir, diverges on a cycle.
    let mut rtl = DynRtl::build_sources(&p, &sources, bad.path()).unwrap();
    let err = cross_check(
        &mut Engine::new(p),
        &mut rtl,
        job,
        Stalls::NONE,
        true,
        1_000_000,
    )
    .expect_err("a flipped tlast must diverge");
    assert!(
        err.starts_with("cycle ") && err.contains("but RTL"),
        "{err}"
    );
}

#[test]
fn a_second_build_of_the_same_design_is_cached() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let p = small(rng.gen_bool(0.5), &mut rng);
    let work = tempfile::tempdir().unwrap();
    let first = DynRtl::build(&p, work.path()).unwrap();
    assert!(!first.info().cached);
    let mut second = DynRtl::build(&p, work.path()).unwrap();
    let info = second.info().clone();
    assert!(info.cached, "{info:?}");
    assert_eq!(info.lib, first.info().lib);
    assert!(
        info.total < first.info().total / 4,
        "cached {info:?} vs first {:?}",
        first.info()
    );
    drop(first);
    // The library stays loaded for the second instance.
    assert!(check_design(&mut second, &mut rng) > 0);
    // A different design in the same work dir gets its own library.
    let mut q = p;
    q.max_n += 1;
    let other = DynRtl::build(&q, work.path()).unwrap();
    assert!(!other.info().cached);
    assert_ne!(other.info().lib, info.lib);
}

#[test]
fn xcup_designs_agree_with_the_model_every_cycle() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let work = tempfile::tempdir().unwrap();
    let xcup = |p: hdl::params::EngineParams| hdl::params::EngineParams {
        target: hdl::params::Target::Xcup,
        ..p
    };
    let offset = xcup(loop {
        let p = small(false, &mut rng);
        if p.w_enc == hdl::params::WeightEnc::Offset {
            break p;
        }
    });
    let mut cycles = 0;
    for p in [offset, xcup(small(true, &mut rng))] {
        let mut rtl = DynRtl::build(&p, work.path()).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        cycles += check_design(&mut rtl, &mut rng);
    }
    assert!(cycles > 5_000, "only {cycles} cycles compared");
}
