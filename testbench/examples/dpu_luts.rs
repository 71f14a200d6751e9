//! Measure one DPU's LUTs per binary op and LUT levels with Yosys at several Dk:
//! `cargo run --release -p qforge-testbench --example dpu_luts -- 64 128 256 512`.
use hdl::params::{ActEnc, EngineParams, WeightEnc};

fn main() {
    let dks: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    println!("| Dk | LUTs | LUT/binop | FFs | CARRY | LUT levels |\n|---|---|---|---|---|---|");
    for dk in if dks.is_empty() {
        vec![64, 128, 256, 512]
    } else {
        dks
    } {
        let p = EngineParams {
            dm: 1,
            dn: 1,
            dk,
            w_bits: 2,
            a_bits: 2,
            out_bits: 2,
            w_enc: WeightEnc::Unsigned,
            a_enc: ActEnc::Unsigned,
            max_m: 256,
            max_k: 4608,
            max_n: 196,
        };
        let dir = tempfile::tempdir().unwrap();
        let mods = vec![p.popcount().module(), hdl::dpu::module(&p)];
        match testbench::synth::synth(dir.path(), &mods, "dpu", "") {
            Ok(r) => println!(
                "| {dk} | {} | {:.3} | {} | {} | {} |",
                r.luts(),
                r.luts() as f64 / (2 * dk) as f64,
                r.ffs,
                r.carry,
                r.lut_levels
            ),
            Err(e) => println!("| {dk} | error: {e} |"),
        }
    }
}
