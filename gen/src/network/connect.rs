//! When consecutive layers connect: the tensor each conv/fc reads must be the one the
//! layers before it produce, by the rules `run --network` builds the graph with
//! (`crate::synthnet`):
//!
//! - a conv reads `[in_channels, in_hw]`: the previous tensor has the same channels and the
//!   same map, or a map a max pool takes to `in_hw` (3×3/2 pad 1, 3×3/2 pad 0, 2×2/2, k×k/k);
//! - an fc reads `[in_features]`: the previous vector, or a `[C, H, W]` map flattened
//!   (`C·H·W`), global-average-pooled (`C`), or pooled as above and flattened (`C·H'·W'`);
//! - branches are marked by names (torchvision's): `P.add` closes residual block `P`, whose
//!   input is its first layer's; `P.downsample.0` reads that block input and is the
//!   shortcut; the `add` needs the main path and the shortcut to have one shape;
//! - a BatchNorm's `channels` are those of the tensor it follows;
//! - a conv/fc with `"separate_input": true` reads an input of its own and is not checked.

use std::collections::HashMap;
use std::fmt;

use anyhow::{bail, Result};

use super::{Layer, Network, Op};
use crate::synthnet::structure::{add_blocks, block_of, is_downsample, pool_params};

/// A tensor's shape: a `[C, H, W]` map or a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Map(u64, u64, u64),
    Vec(u64),
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Map(c, h, w) => write!(f, "[{c}, {h}, {w}]"),
            Shape::Vec(n) => write!(f, "[{n}]"),
        }
    }
}

impl Shape {
    fn channels(self) -> u64 {
        match self {
            Shape::Map(c, _, _) | Shape::Vec(c) => c,
        }
    }
}

/// The max pool taking a `h × w` map to `h2 × w2`, if one of the candidates does.
fn pools_to(h: u64, w: u64, h2: u64, w2: u64) -> bool {
    let p = |a: u64, b: u64| pool_params(a as usize, b as usize);
    matches!((p(h, h2), p(w, w2)), (Some(a), Some(b)) if a == b)
}

/// The map `h2 × w2` a max pool takes `[c, h, w]` to so that it flattens to `f` features
/// (`c·h2·w2 = f`), if there is one (AlexNet's last pool before its classifier).
pub fn pooled_flatten(c: u64, h: u64, w: u64, f: u64) -> Option<(u64, u64)> {
    if c == 0 || f % c != 0 {
        return None;
    }
    let hw2 = f / c;
    let mut cands: Vec<u64> = [(3, 2, 1), (3, 2, 0), (2, 2, 0)]
        .iter()
        .filter(|&&(k, _, p)| h + 2 * p >= k)
        .map(|&(k, s, p)| (h + 2 * p - k) / s + 1)
        .collect();
    // k×k/k: (h/k)·(w/k) = hw2.
    let k = ((h as f64 * w as f64 / hw2 as f64).sqrt().round() as u64).max(1);
    cands.push(h / k);
    cands
        .into_iter()
        .find(|&h2| h2 > 0 && hw2 % h2 == 0 && pools_to(h, w, h2, hw2 / h2))
        .map(|h2| (h2, hw2 / h2))
}

/// Whether `want` can read `have`.
fn connects(have: Shape, want: Shape) -> bool {
    match (have, want) {
        _ if have == want => true,
        (Shape::Map(c, h, w), Shape::Map(c2, h2, w2)) => c == c2 && pools_to(h, w, h2, w2),
        (Shape::Map(c, h, w), Shape::Vec(f)) => {
            c as u128 * h as u128 * w as u128 == f as u128
                || c == f
                || pooled_flatten(c, h, w, f).is_some()
        }
        _ => false,
    }
}

fn input_of(l: &Layer) -> Option<Shape> {
    match &l.op {
        Op::Conv(c) => Some(Shape::Map(
            c.in_channels as u64,
            c.in_hw[0] as u64,
            c.in_hw[1] as u64,
        )),
        Op::Fc { in_features, .. } => Some(Shape::Vec(*in_features as u64)),
        _ => None,
    }
}

fn output_of(l: &Layer) -> Option<Shape> {
    match &l.op {
        Op::Conv(c) => {
            let [h, w] = c.out_hw();
            Some(Shape::Map(c.out_channels as u64, h as u64, w as u64))
        }
        Op::Fc { out_features, .. } => Some(Shape::Vec(*out_features as u64)),
        _ => None,
    }
}

/// Check that consecutive layers connect (module docs); errors name the layer.
pub fn check(net: &Network) -> Result<()> {
    let blocks = add_blocks(&net.layers);
    // The main path's tensor and the layer that made it; the last tensor made (BatchNorm).
    let mut cur: Option<(Shape, usize)> = None;
    let mut last: Option<(Shape, usize)> = None;
    let mut block_input: HashMap<&str, Shape> = HashMap::new();
    let mut shortcut: HashMap<&str, Shape> = HashMap::new();
    let name = |j: usize| &net.layers[j].name;
    for (i, l) in net.layers.iter().enumerate() {
        let at = format!("layers[{i}] ({})", l.name);
        let blk = block_of(&l.name);
        let in_block = blocks.contains(blk);
        match &l.op {
            Op::Conv(_) | Op::Fc { .. } => {
                let want = input_of(l).expect("compute layer");
                let src = if l.separate_input {
                    None
                } else if is_downsample(&l.name) && in_block {
                    block_input.get(blk).map(|&s| (s, usize::MAX)).or(cur)
                } else {
                    cur
                };
                if let Some((have, from)) = src {
                    if !connects(have, want) {
                        let what = if from == usize::MAX {
                            format!("the input {have} of block {blk:?}")
                        } else {
                            format!("the output {have} of layers[{from}] ({})", name(from))
                        };
                        bail!(
                            "{at}: its input {want} does not connect to {what} (see the connection rules in docs/reports.md; mark a layer that reads its own input with \"separate_input\": true)"
                        );
                    }
                }
                if in_block && !block_input.contains_key(blk) {
                    block_input.insert(blk, want);
                }
                let out = (output_of(l).expect("compute layer"), i);
                if in_block && is_downsample(&l.name) {
                    shortcut.insert(blk, out.0);
                } else {
                    cur = Some(out);
                }
                last = Some(out);
            }
            Op::BatchNorm { channels } => {
                if let Some((s, from)) = last {
                    if s.channels() != *channels as u64 {
                        bail!(
                            "{at}.channels: {channels}, but it follows layers[{from}] ({}) with {} channels",
                            name(from),
                            s.channels()
                        );
                    }
                }
            }
            Op::Other(op) if op == "add" => {
                let Some((main, from)) = cur else {
                    bail!("{at}: add before any conv/fc layer");
                };
                let Some(&sc) = shortcut.get(blk).or(block_input.get(blk)) else {
                    bail!("{at}: no layer of block {blk:?} precedes it (an add closes the block named by its prefix)");
                };
                if main != sc {
                    bail!(
                        "{at}: the block's output {main} (layers[{from}] ({})) and its shortcut {sc} differ in shape (no downsample layer \"{blk}.downsample.0\"?)",
                        name(from)
                    );
                }
                last = cur;
            }
            Op::Other(_) => {}
        }
    }
    Ok(())
}
