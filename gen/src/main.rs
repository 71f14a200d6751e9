//! `qforge`: learned low-bit quantizers to verified hardware.
//!
//! Subcommands: `generate` (RTL, testbench, XDC, report for a design or a model),
//! `simulate` (cycle model), `verify` (RTL under Verilator/Icarus vs golden and model),
//! `quantize` (apply a quantizer spec to a .npy tensor), `init` (derive a spec's parameters
//! from a tensor), `reference` (the default layer through the integer reference vs the float
//! path), `bench` (measurements), `report` (network memory / time / resources / compare),
//! `run` (a whole model on one engine), `import` (QONNX to the native model format) and
//! `network` (the built-in catalog).

mod bench;
mod catalog;
mod console;
mod design;
mod engine_limits;
mod engine_spec;
mod exec;
mod fit;
mod fuzz;
mod generate;
mod import;
mod init;
mod lower;
mod lutmap;
mod modelreport;
mod netreport;
mod network;
mod output;
mod policy;
mod quantize;
mod reference;
mod regress;
mod report;
mod resources;
mod run;
mod simulate;
mod streams;
mod svg;
mod synthnet;
mod thresholds;
mod verify;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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
    /// Write RTL, testbench, vectors, XDC and a report for a design, or (`--model`) for the
    /// engine a model runs on with a whole-network testbench.
    Generate(generate::Args),
    /// Run a design's layer on the cycle-accurate model (optionally with a VCD).
    Simulate(simulate::Args),
    /// Build the RTL under Verilator/Icarus and check it against the golden reference and the
    /// cycle model.
    Verify(verify::Args),
    /// Measure simulation speed (model vs Verilator), DPU and LUT PE resources (Yosys), or
    /// fit the resource model (`--fit`).
    Bench(bench::Args),
    /// Network reports: memory, time, resources, compare (Markdown, --json, --csv, --svg).
    #[command(subcommand)]
    Report(netreport::ReportCmd),
    /// Run a whole model (`--model`, docs/model.md) on one engine instance: the cycle model, or
    /// the Verilated RTL with `--rtl`.
    Run(run::Args),
    /// Import a QONNX model (Brevitas `export_qonnx`, after `qonnx-cleanup`) into the native
    /// model format.
    Import(import::Args),
    /// Fuzz every input parser (design TOML, spec JSON, .npy, network JSON, model, ONNX):
    /// mutated seeds, panics counted and reported with their case.
    Fuzz(fuzz::Args),
    /// Random designs × jobs × simulators with recorded seeds, sharded (`--shard i/n`), JUnit
    /// XML results (`--junit`, `--merge`), or the model-vs-RTL soak (`--soak`).
    Regress(regress::Args),
    /// The built-in networks, or one network's layers.
    #[command(subcommand)]
    Network(netreport::NetworkCmd),
}

fn main() {
    output::install();
    // The engine flags' table of which subcommand takes which (`engine_spec::restrict`).
    let matches = engine_spec::restrict(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Quantize(a) => quantize::run(&a),
        Command::Init(a) => init::run(&a),
        Command::Reference(a) => reference::run(&a),
        Command::Generate(a) => generate::run(&a),
        Command::Simulate(a) => simulate::run_cmd(&a),
        Command::Verify(a) => verify::run_cmd(&a),
        Command::Bench(a) => bench::run_cmd(&a),
        Command::Report(c) => netreport::report_cmd(&c),
        Command::Network(c) => netreport::network_cmd(&c),
        Command::Run(a) => run::run_cmd(&a),
        Command::Import(a) => import::run(&a),
        Command::Regress(a) => regress::run_cmd(&a),
        Command::Fuzz(a) => fuzz::run_cmd(&a),
    };
    let result = result.and_then(|()| Ok(console::flush()?));
    if let Err(e) = result {
        std::process::exit(console::exit_status(&e));
    }
}
