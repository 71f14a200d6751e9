//! Print an emitted module: `cargo run -p qforge-hdl --example emit -- popcount 16`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let width: u32 = args.get(2).and_then(|w| w.parse().ok()).unwrap_or(16);
    let module = match args.get(1).map(String::as_str) {
        Some("popcount") | None => hdl::popcount::PopcountParams::new(width).module(),
        Some(other) => {
            eprintln!("unknown block {other}");
            std::process::exit(2);
        }
    };
    print!("{}", hdl::print::module_file(&module));
}
