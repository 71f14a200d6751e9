//! Print an emitted module: `cargo run -p qforge-hdl --example emit -- popcount 16`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let width: u32 = args.get(2).and_then(|w| w.parse().ok()).unwrap_or(16);
    let module = match args.get(1).map(String::as_str) {
        Some("popcount") | None => hdl::popcount::PopcountParams::new(width).module(),
        Some("engine") => {
            let p = hdl::params::EngineParams {
                kind: hdl::params::Kind::BitSerial,
                dm: 2,
                dn: 3,
                dk: width,
                w_bits: 2,
                a_bits: 2,
                out_bits: 2,
                w_enc: hdl::params::WeightEnc::Offset,
                a_enc: hdl::params::ActEnc::Unsigned,
                max_m: 10,
                max_k: 100,
                max_n: 7,
                target: hdl::params::Target::Generic,
            };
            for m in hdl::engine::modules(&p) {
                print!("{}", hdl::print::module_file(&m));
            }
            return;
        }
        Some(other) => {
            eprintln!("unknown block {other}");
            std::process::exit(2);
        }
    };
    print!("{}", hdl::print::module_file(&module));
}
