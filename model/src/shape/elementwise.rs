//! Checks of the elementwise ops with a constant tensor (`mul`, `div`, `add_const`): the
//! constant broadcasts over one sample as a scalar or one value per channel, every element
//! is finite, and a divisor has no zero.

use super::check_len;
use crate::error::{Error, Result};
use crate::graph::{Node, Op};
use crate::tensor::Tensor;

/// Check the `value` of `node` (a `mul`, `div` or `add_const`) against its input shape `x`;
/// the output has the input's shape.
pub(super) fn check(at: &str, node: &Node, value: &Tensor, x: &[usize]) -> Result<Vec<usize>> {
    check_len(at, "value", value)?;
    let c = x[0];
    let per_channel = match x.len() {
        3 => value.shape == [c] || value.shape == [c, 1, 1],
        _ => value.shape == [c],
    };
    if value.numel() != 1 && !per_channel {
        let forms = if x.len() == 3 {
            format!("[{c}] or [{c}, 1, 1]")
        } else {
            format!("[{c}]")
        };
        return Err(Error::new(
            at,
            "value",
            format!(
                "shape {:?} must be a scalar (one element) or one value per channel ({forms}) \
                 of the input {:?} of shape {x:?}",
                value.shape, node.inputs[0]
            ),
        ));
    }
    if matches!(node.op, Op::Div { .. }) {
        if let Some(i) = value.data.iter().position(|&v| v == 0.0) {
            return Err(Error::new(
                at,
                format!("value[{i}]"),
                "is 0; a div node cannot divide by zero",
            ));
        }
    }
    Ok(x.to_vec())
}
