//! The structural ops: `Reshape`, `Flatten`, `Squeeze`, `Transpose`, `Constant`. On computed
//! tensors they only rename (an alias) or become an IR `flatten`; on constants they are
//! evaluated (a weight stored `[in, out]` behind a `Transpose`, a shape tensor).

use model::Op;

use super::attrs::Attrs;
use super::layers::transpose2;
use super::{Cst, Ctx, Val};
use crate::error::{Error, Result};
use crate::graph::{Attr, Node};

/// Flatten a computed tensor to `[F]`: an alias when it already is flat (or `[C, 1, 1]` from
/// a global pool, which the IR already holds as `[C]`), else an IR `flatten`.
fn to_flat(cx: &mut Ctx, node: &Node, ir: String, shape: Vec<usize>) -> Result<()> {
    let n: usize = shape.iter().product();
    let produced_flat = shape.len() == 1
        || (shape.len() == 3
            && shape[1] == 1
            && shape[2] == 1
            && cx
                .nodes
                .iter()
                .any(|x| x.name == ir && matches!(x.op, Op::GlobalAvgPool)));
    if produced_flat {
        return cx.set(node, Val::Dyn { ir, shape: vec![n] });
    }
    cx.emit(node, Op::Flatten, vec![ir], vec![n])
}

/// `Flatten(axis = 1)`.
pub(crate) fn flatten(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["axis"])?;
    a.int_in("axis", 1, &[1])?;
    match cx.input(node, 0)?.clone() {
        Val::Dyn { ir, shape } => to_flat(cx, node, ir, shape),
        Val::Const(mut c) => {
            let first = c.dims.first().copied().unwrap_or(1);
            c.dims = vec![first, c.values.len() / first.max(1)];
            cx.set(node, Val::Const(c))
        }
    }
}

/// `Reshape(x, shape)` of a computed tensor to `[1, F]` (a flatten); of a constant, anything.
pub(crate) fn reshape(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["allowzero"])?;
    let allowzero = a.int_in("allowzero", 0, &[0, 1])? == 1;
    let target = cx.constant(node, 1, "shape")?.clone();
    if !target.int || target.dims.len() != 1 {
        return Err(Error::new(
            format!("{}: input 1 (shape)", node.at()),
            format!("must be a 1-D int64 constant, got dims {:?}", target.dims),
        ));
    }
    let want: Vec<i64> = target.values.iter().map(|&v| v as i64).collect();
    let (full, is_dyn) = match cx.input(node, 0)? {
        Val::Dyn { shape, .. } => {
            let mut f = vec![1usize];
            f.extend(shape);
            (f, true)
        }
        Val::Const(c) => (c.dims.clone(), false),
    };
    let resolved = resolve_shape(node, &want, &full, allowzero)?;
    match cx.input(node, 0)?.clone() {
        Val::Dyn { ir, shape } => {
            let _ = is_dyn;
            if resolved.len() == 2 && resolved[0] == 1 {
                to_flat(cx, node, ir, shape)
            } else if resolved.len() >= 2 && resolved[0] == 1 && resolved[1..] == shape[..] {
                cx.set(node, Val::Dyn { ir, shape })
            } else {
                Err(Error::new(
                    format!("{}: input 1 (shape)", node.at()),
                    format!("reshaping {full:?} to {resolved:?} is not supported (only flattening to [1, F])"),
                ))
            }
        }
        Val::Const(mut c) => {
            c.dims = resolved;
            cx.set(node, Val::Const(c))
        }
    }
}

/// ONNX Reshape's target: `0` copies the input dim (unless `allowzero`), one `-1` is inferred.
fn resolve_shape(node: &Node, want: &[i64], full: &[usize], allowzero: bool) -> Result<Vec<usize>> {
    let at = format!("{}: input 1 (shape)", node.at());
    let n: usize = full.iter().product();
    let mut out = Vec::new();
    let mut infer = None;
    for (i, &d) in want.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            0 if !allowzero => out.push(*full.get(i).ok_or_else(|| {
                Error::new(
                    &at,
                    format!("0 at axis {i} copies a dimension the input does not have"),
                )
            })?),
            d if d >= 0 => out.push(d as usize),
            _ => return Err(Error::new(&at, format!("{want:?} is not a valid shape"))),
        }
    }
    let known: usize = out.iter().product();
    if let Some(i) = infer {
        if known == 0 || n % known != 0 {
            return Err(Error::new(
                &at,
                format!("cannot infer -1 in {want:?} for {n} elements"),
            ));
        }
        out[i] = n / known;
    }
    if out.iter().product::<usize>() != n {
        return Err(Error::new(
            &at,
            format!(
                "{want:?} holds {} elements, the input {full:?} has {n}",
                out.iter().product::<usize>()
            ),
        ));
    }
    Ok(out)
}

/// `Squeeze` of `[1, C, 1, 1]` → `[1, C]` after a global pool (a flatten), or of a constant.
pub(crate) fn squeeze(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["axes"])?;
    // Opset 13+: axes is input 1; older files give the attribute.
    let axes: Option<Vec<i64>> = if cx.has_input(node, 1) {
        let c = cx.constant(node, 1, "axes")?;
        Some(c.values.iter().map(|&v| v as i64).collect())
    } else {
        a.ints("axes")?
    };
    match cx.input(node, 0)?.clone() {
        Val::Dyn { ir, shape } => {
            // Full rank with the batch axis: [1, C, 1, 1]; the squeezed axes must be 2 and 3.
            let rank = shape.len() as i64 + 1;
            let mut ax: Vec<i64> = axes
                .clone()
                .unwrap_or_else(|| vec![2, 3])
                .iter()
                .map(|&x| if x < 0 { x + rank } else { x })
                .collect();
            ax.sort_unstable();
            if shape.len() == 3 && shape[1] == 1 && shape[2] == 1 && ax == [2, 3] {
                to_flat(cx, node, ir, shape)
            } else {
                Err(Error::new(
                    node.at(),
                    format!(
                        "squeezing axes {axes:?} of per-sample shape {shape:?} is not supported (only the two unit spatial axes of [C, 1, 1])"
                    ),
                ))
            }
        }
        Val::Const(mut c) => {
            match axes {
                None => c.dims.retain(|&d| d != 1),
                Some(ax) => {
                    let rank = c.dims.len() as i64;
                    let mut keep = Vec::new();
                    for (i, &d) in c.dims.iter().enumerate() {
                        let squeezed = ax
                            .iter()
                            .any(|&x| (if x < 0 { x + rank } else { x }) == i as i64);
                        if squeezed && d != 1 {
                            return Err(a.err("axes", format!("axis {i} has size {d}, not 1")));
                        }
                        if !squeezed {
                            keep.push(d);
                        }
                    }
                    c.dims = keep;
                }
            }
            cx.set(node, Val::Const(c))
        }
    }
}

/// `Transpose`: of a 2-D constant (a weight), any perm; of a computed tensor, the identity.
pub(crate) fn transpose(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["perm"])?;
    let perm = a.ints("perm")?;
    match cx.input(node, 0)?.clone() {
        Val::Const(c) => {
            let rank = c.dims.len();
            let reverse: Vec<i64> = (0..rank as i64).rev().collect();
            let identity: Vec<i64> = (0..rank as i64).collect();
            let p = perm.unwrap_or(reverse);
            if p == identity {
                return cx.set(node, Val::Const(c));
            }
            if rank == 2 && p == [1, 0] {
                return cx.set(node, Val::Const(transpose2(&c)));
            }
            Err(a.err(
                "perm",
                format!(
                    "{p:?} on a constant of shape {:?} is not supported (2-D transposes only)",
                    c.dims
                ),
            ))
        }
        Val::Dyn { ir, shape } => {
            let identity: Vec<i64> = (0..=shape.len() as i64).collect();
            match perm {
                Some(p) if p == identity => cx.set(node, Val::Dyn { ir, shape }),
                p => Err(a.err(
                    "perm",
                    format!("{p:?} on a computed tensor is not supported (only the identity; qforge keeps channels-first layout)"),
                )),
            }
        }
    }
}

/// `Constant` with a `value` tensor.
pub(crate) fn constant(cx: &mut Ctx, node: &Node) -> Result<()> {
    let a = Attrs::new(node, &["value"])?;
    match node.attr("value") {
        Some(Attr::Tensor(t)) => {
            let c = Cst {
                dims: t.dims.clone(),
                values: t.floats(),
                int: matches!(t.data, crate::graph::Data::Int(_)),
                wq: None,
            };
            cx.set(node, Val::Const(c))
        }
        _ => Err(a.err(
            "value",
            "a TENSOR value is required (value_float, value_ints, ... are not supported)",
        )),
    }
}
