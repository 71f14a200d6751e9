//! `qforge`: learned low-bit quantizers to verified hardware.
//!
//! Subcommands: `quantize` (apply a quantizer spec to a .npy tensor), `init` (derive a spec's
//! parameters from a tensor), `reference` (run the built-in default layer through the exact
//! integer reference and check it against the float path).

mod init;
mod output;
mod quantize;
mod reference;

use clap::{Parser, Subcommand};

/// qforge: learned low-bit quantizers (N2UQ, LCQ, Quantization Networks, uniform) to RTL.
#[derive(Parser)]
#[command(name = "qforge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Quantize a float32/float64 .npy tensor with a quantizer spec; write int32 codes and
    /// (optionally) float values.
    Quantize(quantize::Args),
    /// Derive a quantizer spec's parameters from a tensor (or the method's defaults).
    Init(init::Args),
    /// Run the built-in default layer through the exact integer reference and cross-check it
    /// against the float path.
    Reference(reference::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Quantize(a) => quantize::run(&a),
        Command::Init(a) => init::run(&a),
        Command::Reference(a) => reference::run(&a),
    };
    if let Err(e) = result {
        eprintln!("qforge: error: {e:#}");
        std::process::exit(1);
    }
}
