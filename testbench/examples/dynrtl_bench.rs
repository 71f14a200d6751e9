//! Build time and stepping speed of `testbench::dynrtl` against the cycle model, on the
//! default design (bit-serial, Dm = Dn = 8, Dk = 256, W2A2 offset weights, M = 256,
//! K = 2304, N = 196), a small one (`--small`: Dk = 32) or a tiny one (`--tiny`: Dm = Dn =
//! Dk = 1, M = N = 16, K = 64; its RTL is so small that the per-call cost shows).
//!
//! `cargo run --release -p qforge-testbench --example dynrtl_bench -- [WORK_DIR] [--small|--tiny]`
//! (the work dir defaults to `target/dynrtl-bench`; run twice to see the cached build).

use std::time::Instant;

use hdl::params::{ActEnc, EngineParams, Kind, WeightEnc};
use rand::SeedableRng;
use sim::engine::{Engine, Inputs, Outputs};
use sim::harness::{Source, Stalls};
use sim::job::Packet;
use testbench::dynrtl::{cross_check, DynRtl};

/// Run a job's streams to the last of `beats` output beats with no stalls, stepping `step`;
/// returns the cycles.
fn run(
    step: &mut dyn FnMut(&Inputs) -> Outputs,
    wt: &[Packet],
    act: &[Packet],
    beats: usize,
) -> u64 {
    let want = beats;
    step(&Inputs {
        rst: true,
        ..Inputs::default()
    });
    let (mut sw, mut sa) = (Source::new(1, 100), Source::new(2, 100));
    let mut got = 0;
    for cycle in 0.. {
        let inp = Inputs {
            rst: false,
            wt: sw.beat(wt),
            act: sa.beat(act),
            out_ready: cycle > 0,
        };
        let o = step(&inp);
        sw.edge(inp.wt.valid && o.wt_ready, wt.len());
        sa.edge(inp.act.valid && o.act_ready, act.len());
        if o.out_valid && inp.out_ready {
            got += 1;
            if got == want {
                return cycle + 1;
            }
        }
    }
    unreachable!()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let small = args.iter().any(|a| a == "--small");
    let tiny = args.iter().any(|a| a == "--tiny");
    let work = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or_else(|| "target/dynrtl-bench".into(), std::path::PathBuf::from);
    std::fs::create_dir_all(&work).unwrap();
    let mut p = EngineParams {
        kind: Kind::BitSerial,
        dm: 8,
        dn: 8,
        dk: if small { 32 } else { 256 },
        w_bits: 2,
        a_bits: 2,
        out_bits: 2,
        w_enc: WeightEnc::Offset,
        a_enc: ActEnc::Unsigned,
        max_m: 256,
        max_k: 2304,
        max_n: 196,
        target: hdl::params::Target::Generic,
    };
    if tiny {
        (p.dm, p.dn, p.dk, p.max_m, p.max_k, p.max_n) = (1, 1, 1, 16, 64, 16);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let (m, k, n) = (p.max_m, p.max_k, p.max_n);
    let job = sim::random::job(&p, sim::random::Data::Random, m, k, n, &mut rng);

    let mut rtl = DynRtl::build(&p, &work).unwrap_or_else(|e| panic!("{e}"));
    let i = rtl.info().clone();
    println!(
        "build: {:.2} s (verilate {:.2} s, compile+link {:.2} s, cached {}) -> {}",
        i.total.as_secs_f64(),
        i.verilate.as_secs_f64(),
        i.compile.as_secs_f64(),
        i.cached,
        i.lib.display()
    );

    // Streams packed once, outside the timed runs.
    let (wt, act, want) = job.streams(&p);
    let mut model = Engine::new(p);
    let t = Instant::now();
    let c = run(&mut |inp| model.step(inp), &wt, &act, want.len());
    let s = t.elapsed().as_secs_f64();
    println!(
        "model:  {c} cycles in {s:.3} s = {:.0} cycles/s",
        c as f64 / s
    );

    let t = Instant::now();
    let c2 = run(&mut |inp| rtl.step(inp), &wt, &act, want.len());
    let s = t.elapsed().as_secs_f64();
    println!(
        "dynrtl: {c2} cycles in {s:.3} s = {:.0} cycles/s",
        c2 as f64 / s
    );
    assert_eq!(c, c2, "model and RTL cycle counts differ");

    let mut model = Engine::new(p);
    let t = Instant::now();
    let c3 = cross_check(&mut model, &mut rtl, &job, Stalls::NONE, true, 10_000_000)
        .unwrap_or_else(|e| panic!("{e}"));
    let s = t.elapsed().as_secs_f64();
    // cross_check packs the streams and computes the golden beats itself: timed here too.
    println!(
        "lockstep (both + compare + golden): {c3} cycles in {s:.3} s = {:.0} cycles/s",
        c3 as f64 / s
    );
}
