//! `qforge init`: write a quantizer spec whose parameters come from a tensor (or from the
//! method's published defaults when it needs none).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use quant::init::{binary_init, qn_init, ternary_init, uniform_init};
use quant::lcq::{LcqActSpec, LcqWeightSpec};
use quant::n2uq::{N2uqActSpec, N2uqWeightSpec};
use quant::npy;
use quant::QuantSpec;

use crate::console::outln;
use crate::output::Outputs;

/// Arguments of `qforge init`.
#[derive(clap::Args)]
pub struct Args {
    /// Method: n2uq-act, n2uq-weight, lcq-act, lcq-weight, qn, uniform, binary, ternary.
    #[arg(long)]
    method: String,
    /// Bits (n2uq-*, lcq-*, uniform).
    #[arg(long)]
    bits: Option<u32>,
    /// QN level set, comma separated (e.g. -1,0,1).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    levels: Option<Vec<i64>>,
    /// The tensor to derive parameters from (.npy).
    #[arg(long)]
    input: Option<PathBuf>,
    /// QN and uniform: the tensor holds weights (symmetric QN output, signed uniform codes).
    #[arg(long)]
    weights: bool,
    /// LCQ weights: no limited weight normalisation.
    #[arg(long)]
    no_lwn: bool,
    /// Output spec file (JSON).
    #[arg(long)]
    out: PathBuf,
}

fn need<T: Copy>(v: Option<T>, flag: &str, method: &str) -> Result<T> {
    v.with_context(|| format!("{flag} is required for --method {method}"))
}

/// Run the command.
pub fn run(args: &Args) -> Result<()> {
    let m = args.method.as_str();
    let data = match &args.input {
        Some(p) => Some(npy::read_float(p).context("--input")?),
        None => None,
    };
    let tensor = || -> Result<&[f64]> {
        let d = data
            .as_ref()
            .with_context(|| format!("--input is required for --method {m}"))?;
        quant::spec::check_tensor(&d.data, &d.shape).context("--input")?;
        Ok(&d.data)
    };
    let spec = match m {
        "n2uq-act" => QuantSpec::N2uqAct(N2uqActSpec::init(need(args.bits, "--bits", m)?)?),
        "n2uq-weight" => QuantSpec::N2uqWeight(N2uqWeightSpec { bits: need(args.bits, "--bits", m)?, clip: 2.0 }),
        "lcq-act" => QuantSpec::LcqAct(LcqActSpec::init(need(args.bits, "--bits", m)?, tensor()?)?),
        "lcq-weight" => QuantSpec::LcqWeight(LcqWeightSpec::init(need(args.bits, "--bits", m)?, tensor()?, !args.no_lwn)?),
        "qn" => {
            let levels = args.levels.as_ref().with_context(|| "--levels is required for --method qn")?;
            QuantSpec::Qn(qn_init(levels, tensor()?, args.weights)?)
        }
        // Max-abs calibration; the XNOR-Net scale; TWN threshold 0.7·mean|x| and scale.
        "uniform" => QuantSpec::Uniform(uniform_init(need(args.bits, "--bits", m)?, args.weights, tensor()?)?),
        "binary" => QuantSpec::Binary(binary_init(tensor()?)?),
        "ternary" => QuantSpec::Ternary(ternary_init(tensor()?)?),
        other => bail!("--method: unknown method {other:?} (expected n2uq-act, n2uq-weight, lcq-act, lcq-weight, qn, uniform, binary or ternary)"),
    };
    spec.validate()?;
    let mut out = Outputs::default();
    out.add("--out", &args.out, (spec.to_json() + "\n").into_bytes())?;
    out.commit()?;
    outln!("{}: wrote {}", spec.method(), args.out.display());
    Ok(())
}
