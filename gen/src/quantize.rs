//! `qforge quantize`: apply a quantizer spec to a .npy tensor.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use quant::npy::{self, Dtype};
use quant::QuantSpec;

use crate::console::outln;
use crate::output::Outputs;

/// Arguments of `qforge quantize`.
#[derive(clap::Args)]
pub struct Args {
    /// Quantizer spec (JSON, fields per docs/quantizers.md).
    #[arg(long)]
    spec: PathBuf,
    /// Input tensor: float32 or float64 .npy of any shape (axis 0 = output channels for
    /// n2uq-weight).
    #[arg(long)]
    input: PathBuf,
    /// Output int32 codes, same shape.
    #[arg(long)]
    codes: PathBuf,
    /// Output float values (dequantized), same shape and dtype as the input.
    #[arg(long)]
    values: Option<PathBuf>,
    /// Accept all-zero n2uq-weight channels (their weights all take value 0) instead of
    /// rejecting them.
    #[arg(long)]
    allow_zero_channels: bool,
}

/// Read a spec file, naming it in errors.
pub fn read_spec(path: &std::path::Path) -> Result<QuantSpec> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--spec: cannot read {}", path.display()))?;
    QuantSpec::from_json(&text).with_context(|| format!("--spec {}", path.display()))
}

/// Run the command.
pub fn run(args: &Args) -> Result<()> {
    let spec = read_spec(&args.spec)?;
    let input = npy::read_float(&args.input).context("--input")?;
    let prepared = spec
        .prepare(&input.data, &input.shape)
        .with_context(|| format!("--input {}", args.input.display()))?;
    if !prepared.zero_channels.is_empty() && !args.allow_zero_channels {
        let list: Vec<String> = prepared
            .zero_channels
            .iter()
            .take(8)
            .map(|c| c.to_string())
            .collect();
        bail!(
            "--input {}: n2uq-weight channel(s) {}{} are all zero (scale 0): their weights can only \
             be 0, which N2UQ's odd levels cannot represent. Pass --allow-zero-channels to accept \
             them (every weight of such a channel then has value 0)",
            args.input.display(),
            list.join(", "),
            if prepared.zero_channels.len() > 8 { ", ..." } else { "" }
        );
    }
    let (codes, values) = prepared.quantize(&input.data);
    let mut out = Outputs::default();
    out.add(
        "--codes",
        &args.codes,
        npy::encode_i32(&input.shape, &codes),
    )?;
    if let Some(path) = &args.values {
        let dtype = if input.dtype == Dtype::F32 {
            Dtype::F32
        } else {
            Dtype::F64
        };
        out.add(
            "--values",
            path,
            npy::encode_float(dtype, &input.shape, &values),
        )?;
    }
    out.commit()?;
    let (lo, hi) = (
        codes.iter().min().copied().unwrap_or(0),
        codes.iter().max().copied().unwrap_or(0),
    );
    outln!(
        "{}: {} elements of shape {:?} -> codes {}..={} in {}{}{}",
        spec.method(),
        codes.len(),
        input.shape,
        lo,
        hi,
        args.codes.display(),
        args.values
            .as_ref()
            .map(|p| format!(", values in {}", p.display()))
            .unwrap_or_default(),
        if prepared.zero_channels.is_empty() {
            String::new()
        } else {
            format!(" ({} all-zero channels)", prepared.zero_channels.len())
        }
    );
    Ok(())
}
