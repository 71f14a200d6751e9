//! A quantized layer's weights as the engine lowering and the float evaluator need them: the
//! spec prepared against the weight tensor (one quantizer per output channel for
//! `n2uq-weight`, one for the whole tensor otherwise), each weight's staircase index, and the
//! GEMM view `M×K` of the weight (`M` output channels, `K = Ci/groups·kh·kw` ordered
//! `(c, dy, dx)`, the im2col order of `quant::gemm`).

use quant::spec::Prepared;

use crate::error::{Error, Result};
use crate::graph::{Node, Op};

/// The prepared weights of a quantized `conv` or `fc`.
pub struct QuantizedWeights {
    /// The per-channel quantizers (and all-zero N2UQ channels).
    pub prepared: Prepared,
    /// Staircase index of every weight, `M×K` row-major (the weight tensor's order).
    pub weight_idx: Vec<usize>,
    /// The quantized float value of every weight, `M×K` row-major.
    pub values: Vec<f64>,
    /// Output channels (rows).
    pub m: usize,
    /// Dot-product length per output channel (per group for a grouped conv).
    pub k: usize,
    /// Groups: group `g` owns rows `g·M/groups ..` and input channels `g·Ci/groups ..`.
    pub groups: usize,
}

impl std::fmt::Debug for QuantizedWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuantizedWeights")
            .field("quantizers", &self.prepared.quantizers.len())
            .field("m", &self.m)
            .field("k", &self.k)
            .field("groups", &self.groups)
            .field("weight_idx", &self.weight_idx)
            .finish()
    }
}

impl QuantizedWeights {
    /// The quantizer of output channel `row`.
    pub fn quantizer(&self, row: usize) -> &dyn quant::ScalarQuantizer {
        self.prepared.quantizer_of(row * self.k)
    }
}

impl Node {
    /// The prepared weights of a quantized `conv`/`fc` (`weight_quant` set); `Ok(None)` for
    /// any other node. [`crate::Model::new`] has checked that preparing succeeds.
    pub fn quantized_weights(&self) -> Result<Option<QuantizedWeights>> {
        let (weight, spec, groups) = match &self.op {
            Op::Conv {
                weight,
                weight_quant: Some(spec),
                groups,
                ..
            } => (weight, spec, *groups),
            Op::Fc {
                weight,
                weight_quant: Some(spec),
                ..
            } => (weight, spec, 1),
            _ => return Ok(None),
        };
        let prepared = spec.prepare(&weight.data, &weight.shape).map_err(|e| {
            Error::new(
                format!("node {:?}", self.name),
                format!("weight_quant.{}", e.field),
                e.message,
            )
        })?;
        let m = weight.shape[0];
        let k = weight.data.len() / m.max(1);
        let (weight_idx, values) = weight
            .data
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let q = prepared.quantizer_of(i);
                let idx = q.index(w);
                (idx, q.value(idx))
            })
            .unzip();
        Ok(Some(QuantizedWeights {
            prepared,
            weight_idx,
            values,
            m,
            k,
            groups,
        }))
    }
}
