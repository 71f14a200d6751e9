//! The structure rules of a synthetic network: the residual block a layer belongs to, which
//! blocks an `add` closes, how each compute layer ends (fused, raw for a residual `add`, raw
//! as the last layer), and the max pool that takes one map size to another.

use std::collections::HashSet;

use crate::network::{Network, Op as NOp};

/// How a compute layer's output continues.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// BatchNorm, ReLU, quantizer (folded into the engine's thresholds).
    Fused,
    /// Raw accumulators, BatchNorm on the host (feeds a residual add).
    Residual,
    /// Raw accumulators, nothing after (the last layer).
    Last,
}

/// The block a layer belongs to: `layer1.0` for `layer1.0.conv1`, `layer1.0.downsample.0` and
/// `layer1.0.add`; empty for a top-level name.
pub(crate) fn block_of(name: &str) -> &str {
    if let Some(i) = name.find(".downsample") {
        return &name[..i];
    }
    name.rsplit_once('.').map_or("", |(p, _)| p)
}

/// Whether `name` is a downsample (shortcut) conv.
pub(crate) fn is_downsample(name: &str) -> bool {
    name.contains(".downsample")
}

/// Max-pool parameters taking `h` to `want` (kernel, stride, padding).
pub(crate) fn pool_params(h: usize, want: usize) -> Option<(usize, usize, usize)> {
    let mut cands = vec![(3, 2, 1), (3, 2, 0), (2, 2, 0)];
    if want > 0 && h % want == 0 {
        cands.push((h / want, h / want, 0));
    }
    cands
        .into_iter()
        .find(|&(k, s, p)| h + 2 * p >= k && (h + 2 * p - k) / s + 1 == want)
}

/// Blocks closed by an `add` layer.
pub(crate) fn add_blocks(layers: &[crate::network::Layer]) -> HashSet<&str> {
    layers
        .iter()
        .filter(|l| l.op == NOp::Other("add".into()))
        .map(|l| block_of(&l.name))
        .collect()
}

/// How compute layer `i` ends (`last` is the last compute layer's index): the one rule
/// [`build`](super::build) and the time report ([`raw_layers`]) share.
pub(super) fn layer_mode(
    layers: &[crate::network::Layer],
    add_blocks: &HashSet<&str>,
    i: usize,
    last: usize,
) -> Mode {
    let l = &layers[i];
    let blk = block_of(&l.name);
    let in_block = add_blocks.contains(blk);
    if i == last {
        Mode::Last
    } else if in_block && is_downsample(&l.name) {
        Mode::Residual
    } else {
        // Feeds the add when the next non-BN/ReLU layer closes or short-cuts the block.
        let next = layers[i + 1..].iter().find(|nl| {
            !matches!(nl.op, NOp::BatchNorm { .. }) && nl.op != NOp::Other("relu".into())
        });
        match next {
            Some(nl)
                if in_block
                    && block_of(&nl.name) == blk
                    && (nl.op == NOp::Other("add".into()) || is_downsample(&nl.name)) =>
            {
                Mode::Residual
            }
            _ => Mode::Fused,
        }
    }
}

/// Per layer of `net` (by index): whether a whole-network run returns that layer's raw
/// accumulators (the last layer, and the convs feeding a residual `add`) rather than codes.
pub fn raw_layers(net: &Network) -> Vec<bool> {
    let layers = &net.layers;
    let Some((_, last)) = net.compute_ends() else {
        return vec![false; layers.len()];
    };
    let blocks = add_blocks(layers);
    (0..layers.len())
        .map(|i| layers[i].is_compute() && layer_mode(layers, &blocks, i, last) != Mode::Fused)
        .collect()
}
