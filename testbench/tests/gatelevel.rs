//! What is synthesized equals what was verified: small engines of both kinds are synthesized
//! with Yosys (`synth_xilinx -family xcup`), the mapped netlist is simulated with Yosys's
//! Xilinx cell models (`cells_sim.v`) under the same self-checking testbench and the same job
//! vectors as `engine_rtl` (edge-case and random jobs, random stalls on every port, a
//! mid-job reset, raw mode), and every output beat must match the golden reference with the
//! cycle model's exact cycle count. `Xcup` designs too: their instantiated `LUT6_2` and
//! `CARRY8` primitives survive synthesis as cells.

use hdl::params::{Target, WeightEnc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::harness::{run_job, Stalls};
use sim::random::{design, jobs, lut_design, raw_jobs};
use testbench::bench::{Bench, Simulator, MAX_CYCLES};
use testbench::gatelevel::cell_counts;

/// A random design, shrunk so its netlist simulates quickly.
fn small(mut p: hdl::params::EngineParams) -> hdl::params::EngineParams {
    p.dm = p.dm.min(2);
    p.dn = p.dn.min(2);
    p.dk = p.dk.min(16);
    p.max_m = p.max_m.min(6);
    p.max_k = p.max_k.min(40);
    p.max_n = p.max_n.min(6);
    p
}

fn gate_level(sim: Simulator, count: usize, seed: u64, lut: bool, target: Target) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for d in 0..count {
        let p = if lut {
            small(lut_design(&mut rng))
        } else {
            let mut p = small(design(&mut rng));
            p.w_enc = [WeightEnc::Unsigned, WeightEnc::Signed, WeightEnc::Offset][d % 3];
            if p.w_enc == WeightEnc::Signed {
                p.w_bits = p.w_bits.max(2);
            }
            p
        };
        let p = hdl::params::EngineParams { target, ..p };
        p.validate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let bench = Bench::build_netlist(&p, dir.path(), sim)
            .unwrap_or_else(|e| panic!("design {d} {p:?}: {e}"));
        let cells = cell_counts(dir.path());
        assert!(
            cells.iter().any(|(c, _)| c.starts_with("LUT"))
                && cells.iter().any(|(c, _)| c == "FDRE"),
            "design {d}: not a mapped netlist: {cells:?}"
        );
        if target == Target::Xcup {
            assert!(
                cells.iter().any(|(c, _)| c == "LUT6_2"),
                "design {d}: the compressor's LUT6_2 cells are gone: {cells:?}"
            );
        }
        let code = jobs(&p, 1, &mut rng);
        let raw = raw_jobs(&p, 1, &mut rng);
        let n = code.len();
        for (j, job) in code.into_iter().chain(raw).enumerate() {
            let stalls = if j < 4 || (n..n + 2).contains(&j) {
                Stalls::NONE
            } else {
                Stalls::random(&mut rng)
            };
            let want = job.expected(&p);
            let (model, _) = run_job(&p, &job, stalls, None, MAX_CYCLES).unwrap();
            assert_eq!(model.beats, want, "model vs golden, design {d} job {j}");
            let net = bench.run_job(&job, stalls, None).unwrap_or_else(|err| {
                panic!("netlist, design {d} {p:?} job {j} {stalls:?}: {err}")
            });
            assert_eq!(
                net, model.cycles,
                "netlist cycle count, design {d} {p:?} job {j}"
            );
            if j == n - 1 {
                let at = rng.gen_range(1..model.cycles);
                let (again, _) = run_job(&p, &job, stalls, Some(at), MAX_CYCLES).unwrap();
                let net = bench
                    .run_job(&job, stalls, Some(at))
                    .unwrap_or_else(|err| panic!("netlist, design {d} reset at {at}: {err}"));
                assert_eq!(
                    net, again.cycles,
                    "netlist cycles after a reset at {at}, design {d}"
                );
            }
        }
        eprintln!("design {d} {p:?}: netlist {cells:?} passed every job");
    }
}

#[test]
fn bit_serial_netlist_matches_model_and_golden() {
    gate_level(Simulator::Icarus, 3, 91, false, Target::Generic);
}

#[test]
fn lut_netlist_matches_model_and_golden() {
    gate_level(Simulator::Icarus, 2, 92, true, Target::Generic);
}

#[test]
fn netlist_under_verilator_matches_model_and_golden() {
    gate_level(Simulator::Verilator, 1, 93, false, Target::Generic);
    gate_level(Simulator::Verilator, 1, 94, true, Target::Generic);
}

#[test]
fn xcup_netlist_matches_model_and_golden() {
    // Design 2 has offset weights: the activation count is a compressor too.
    gate_level(Simulator::Icarus, 3, 95, false, Target::Xcup);
}
