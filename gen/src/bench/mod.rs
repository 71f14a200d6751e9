//! `qforge bench`: the measurements issue notes quote, reproducibly.
//!
//! (a) Simulated cycles per second of the Rust cycle model and of Verilator on the same
//!     workload: the design's layer, no stalls. The model reuses one engine (each run starts
//!     with a reset); Verilator's figure is the wall time of the generated testbench binary
//!     (process start and `$readmemh` included, build excluded), best of 3; and Verilator in
//!     its fastest configuration (`testbench::fastsim`). With `--json`, (a)–(c) are one JSON
//!     object (`speed`, `dpu`, `lut_pe`; docs/reports.md) instead of Markdown.
//! (b) Yosys `synth_xilinx -family xcup` of one DPU (AND-popcount tree + accumulator) at
//!     several Dk: LUTs, LUTs per binary op (`2·Dk` per DPU per cycle), flip-flops, carry
//!     cells, and LUT levels between flops from the mapped netlist.
//! (c) Yosys of one LUT-multiplier PE (`Q` lanes) at 2, 3 and 4 bits: LUTs, LUT-RAM sites,
//!     BRAM per MAC lane, for QN-style small integer levels (products of `2b − 1` bits) and
//!     LCQ 8-bit outer levels (15-bit products); beside one bit-serial DPU at the same bits
//!     (per MAC per cycle: a `Dk`-bit DPU retires `Dk / (W·A)` MACs per cycle) and beside the
//!     FINN-R LUT model `Q·(2⌈(W+A)/6⌉−1)·(W+A) + (W+A)(2Q−1) + acc` per PE of Q lanes.
//! (d) `--resnet18 [--json]`: the whole catalog ResNet-18 at W2A2 with seeded synthetic
//!     weights (`crate::synthnet`), one 224×224 sample, on the cycle model on the default
//!     8×8×256 array and on the largest square bit-serial array with Dk = 256 whose modelled
//!     LUTs fit the budget (`netreport::largest_square`, as `report compare`): wall seconds of
//!     lowering and of simulation, cycles, cycles/s, whether the cycles equal `sim::timing`
//!     and `report time --bits 2/2 --first-last-bits 2` (per layer, with the cause of any
//!     difference); then one layer (`--rtl-layer`) on the model and on Verilator (`DynRtl`:
//!     build and run time).
//! (e) `--onnx [FILE] [--json]`: the QONNX front end's protobuf decode, graph view and whole
//!     import time on FILE or a built-in QONNX ResNet-18 (`onnx.rs`).
//! (f) `--compressor [--json]`: the AND-popcount compressor block at each `--dk`: qforge's
//!     xcup GPC compressor, its generic tree, FINN's generated compressor and the DPU around
//!     each of qforge's (`compressor.rs`).
//! (g) `--levels [--json]`: whole engines at the resource model's design points and the
//!     design under both targets: LUTs, FFs, LUT levels between flops and the critical
//!     chain's ends (`levels.rs`).

mod compressor;
mod fit;
mod levels;
mod onnx;
mod resnet18;
mod speed;
mod synth;

use std::path::PathBuf;

use crate::console::outln;
use anyhow::Result;

/// Arguments of `qforge bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Design config for (a); the built-in default when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Dk values for the DPU synthesis (b).
    #[arg(long, value_delimiter = ',', default_value = "64,128,256,512")]
    dk: Vec<u32>,
    /// Skip (a), the simulation speed comparison.
    #[arg(long)]
    no_sim: bool,
    /// Skip (b), the bit-serial DPU synthesis.
    #[arg(long)]
    no_synth: bool,
    /// Bit widths (W = A) for (c), the LUT PE synthesis.
    #[arg(long, value_delimiter = ',', default_value = "2,3,4")]
    lut_bits: Vec<u32>,
    /// Lanes Q of the LUT PE in (c).
    #[arg(long, default_value_t = 64)]
    lanes: u32,
    /// Skip (c).
    #[arg(long)]
    no_lut: bool,
    /// Instead of (a)–(c): synthesize whole engines at the resource model's design points,
    /// fit its coefficients and report its error (in-sample and leave-one-out).
    #[arg(long)]
    fit: bool,
    /// With `--fit`: also write the measurements as CSV (the format of
    /// `docs/data/resource_fit.csv`).
    #[arg(long)]
    fit_csv: Option<PathBuf>,
    /// Instead of (a)–(c): (d) the whole catalog ResNet-18, W2A2, seeded synthetic weights,
    /// one 224×224 sample, on the cycle model on the default array and on the largest
    /// bit-serial array within the LUT budget; and one layer on Verilator.
    #[arg(long)]
    resnet18: bool,
    /// With `--resnet18`: seed of the synthetic weights and input.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// With `--resnet18`: share of the xcvu9p's LUTs the large array may use.
    #[arg(long, default_value_t = 0.7)]
    budget: f64,
    /// With `--resnet18`: the layer timed on Verilator against the model (`none` skips it).
    #[arg(long, default_value = "layer3.1.conv1")]
    rtl_layer: String,
    /// Instead of (a)–(c): (f) the AND-popcount compressors at each `--dk` beside FINN's.
    #[arg(long)]
    compressor: bool,
    /// Instead of (a)–(c): (g) whole engines at the resource model's design points and the
    /// design (`--config`) under both targets: LUTs, FFs and the longest LUT chain between
    /// flops, with its ends.
    #[arg(long)]
    levels: bool,
    /// Print JSON instead of Markdown, in every mode: (a)–(c) as one object with `speed`,
    /// `lut_pe` and `dpu` (field names in docs/reports.md), or the mode's own object.
    #[arg(long)]
    json: bool,
    /// Instead of (a)–(c): (e) the QONNX front end's read and import time of a ResNet-sized
    /// file: FILE, or with no value a built-in QONNX ResNet-18 (seeded, ~47 MB).
    #[arg(long)]
    #[allow(clippy::option_option)]
    onnx: Option<Option<PathBuf>>,
    /// With `--onnx`: timed runs (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// Run the command.
pub fn run_cmd(args: &Args) -> Result<()> {
    if args.fit {
        if args.json {
            anyhow::bail!(
                "--json: not available with --fit (write its measurements with --fit-csv FILE)"
            );
        }
        return fit::fit_cmd(args.fit_csv.as_deref());
    }
    if args.levels {
        return levels::levels_cmd(args);
    }
    if args.compressor {
        return compressor::compressor_cmd(args);
    }
    if args.resnet18 {
        return resnet18::resnet18_cmd(args);
    }
    if let Some(f) = &args.onnx {
        return onnx::onnx_cmd(f.as_deref(), args.runs, args.json);
    }
    let mut all = serde_json::Map::new();
    if !args.no_sim {
        all.insert("speed".into(), speed::speed_table(args)?);
    }
    if !args.no_lut {
        all.insert("lut_pe".into(), synth::lut_table(args)?);
    }
    if !args.no_synth {
        all.insert("dpu".into(), synth::dpu_table(args)?);
    }
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::Value::Object(all))?
        );
    }
    Ok(())
}
