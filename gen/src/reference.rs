//! `qforge reference`: the built-in default layer (N2UQ W2A2 ResNet-18 3×3 conv, 256→256,
//! 14×14) through the exact integer reference, cross-checked against the float path.

use std::time::Instant;

use crate::console::outln;
use anyhow::{bail, Result};
use quant::example_layer::{ExampleLayer, DEFAULT_SEED};
use quant::fold::Direction;

/// Arguments of `qforge reference`.
#[derive(clap::Args)]
pub struct Args {
    /// Seed of the synthetic weights, activations and BatchNorm.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Input and output channels (256 in ResNet-18 layer3).
    #[arg(long, default_value_t = 256)]
    channels: usize,
    /// Feature-map height and width (14 in ResNet-18 layer3).
    #[arg(long, default_value_t = 14)]
    hw: usize,
    /// Weight and activation bits.
    #[arg(long, default_value_t = 2)]
    bits: u32,
}

/// Run the command.
pub fn run(args: &Args) -> Result<()> {
    if args.channels == 0 || args.hw == 0 {
        bail!("--channels and --hw must be at least 1");
    }
    let t0 = Instant::now();
    let layer = ExampleLayer::new(
        args.channels,
        args.channels,
        args.hw,
        args.bits,
        args.bits,
        args.seed,
    )?;
    let int = layer.int_layer()?;
    let n = layer.conv.n();
    let acc = int.accumulate(&layer.act_levels_im2col(), n);
    let codes = int.requantize(&acc, n);
    let t_int = t0.elapsed();
    let params = layer.params(&layer.bn);
    let float = params.float_forward(&layer.act_idx_im2col(), n);
    let st = layer.next_q.staircase();
    let (mut compared, mut near, mut mismatched) = (0usize, 0usize, 0usize);
    for (&c, &(y, idx)) in codes.iter().zip(&float) {
        let u = st.compare_domain(y);
        if st.distance_to_step(y) <= 1e-6 * (1.0 + u.abs()) {
            near += 1;
        } else {
            compared += 1;
            mismatched += (c as usize != idx) as usize;
        }
    }
    let mut hist = vec![0usize; layer.next_q.num_levels()];
    for &c in &codes {
        hist[c as usize] += 1;
    }
    let descending = int
        .thresholds
        .iter()
        .filter(|t| t.direction == Direction::Descending)
        .count();
    outln!(
        "qforge reference: N2UQ W{b}A{b} 3x3 conv {c}->{c}, {h}x{h} output, seed {s:#x}",
        b = args.bits,
        c = args.channels,
        h = args.hw,
        s = args.seed
    );
    outln!("  GEMM            M = {}, K = {}, N = {}", int.m, int.k, n);
    outln!(
        "  weight levels   {:?} (N2UQ 2*code - L)",
        (
            int.weights.iter().min().unwrap(),
            int.weights.iter().max().unwrap()
        )
    );
    outln!(
        "  accumulator     [{}, {}] -> {} bits; thresholds {} bits",
        int.bound.lo,
        int.bound.hi,
        int.bound.width(),
        int.bound.threshold_width()
    );
    outln!(
        "  channels        {} ascending, {} descending (negative BatchNorm scale)",
        int.m - descending,
        descending
    );
    outln!(
        "  observed acc    [{}, {}]",
        acc.iter().min().unwrap(),
        acc.iter().max().unwrap()
    );
    outln!("  output codes    histogram {hist:?}");
    outln!("  integer vs float: {compared} outputs compared, {mismatched} mismatches, {near} within rounding distance of a threshold (not compared)");
    outln!("  integer path    {:.1} ms", t_int.as_secs_f64() * 1e3);
    if mismatched != 0 {
        bail!("integer reference disagrees with the float path on {mismatched} outputs");
    }
    Ok(())
}
