//! Helpers shared by the model tests: write a manifest and a safetensors file (through the
//! `safetensors` crate's own serializer) into a temporary directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};
use serde_json::{json, Value};

/// A tensor to write: name, dtype, shape, values.
pub struct T {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

pub fn t(name: &str, shape: &[usize], data: &[f64]) -> T {
    T {
        name: name.into(),
        dtype: Dtype::F32,
        shape: shape.to_vec(),
        data: data.to_vec(),
    }
}

/// Deterministic pseudo-random values in [-1, 1), none of them zero.
pub fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = ((s >> 40) as f64 / (1u64 << 24) as f64) * 2.0 - 1.0;
            if v == 0.0 {
                0.125
            } else {
                // Exact in f32, so F32 files hold exactly these values.
                (v as f32) as f64
            }
        })
        .collect()
}

pub fn safetensors_bytes(tensors: &[T]) -> Vec<u8> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| match t.dtype {
            Dtype::F32 => t
                .data
                .iter()
                .flat_map(|v| (*v as f32).to_le_bytes())
                .collect(),
            Dtype::F64 => t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            Dtype::F16 => t.data.iter().flat_map(|_| [0u8, 0x3c]).collect(),
            Dtype::I64 => t
                .data
                .iter()
                .flat_map(|v| (*v as i64).to_le_bytes())
                .collect(),
            other => panic!("test helper does not write {other:?}"),
        })
        .collect();
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .zip(&bytes)
        .map(|(t, b)| {
            (
                t.name.clone(),
                TensorView::new(t.dtype, t.shape.clone(), b).unwrap(),
            )
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

/// Write `manifest` as model.json and `tensors` as model.safetensors into `dir`.
pub fn write_model(dir: &Path, manifest: &Value, tensors: &[T]) -> PathBuf {
    std::fs::write(dir.join("model.safetensors"), safetensors_bytes(tensors)).unwrap();
    let path = dir.join("model.json");
    std::fs::write(&path, serde_json::to_string_pretty(manifest).unwrap()).unwrap();
    path
}

/// The example of docs/model.md: q_in, conv1, bn1, relu1, q1, pool, flat, fc.
pub fn doc_example() -> (Value, Vec<T>) {
    let manifest = json!({
      "format": "qforge-model",
      "version": 1,
      "name": "digits_n2uq_w2a2",
      "tensors": "model.safetensors",
      "inputs": [{ "name": "x", "shape": [1, 8, 8] }],
      "outputs": ["fc"],
      "nodes": [
        { "name": "q_in",  "op": "quant", "inputs": ["x"], "spec": { "method": "uniform", "bits": 2, "signed": false, "scale": 5.0 } },
        { "name": "conv1", "op": "conv",  "inputs": ["q_in"], "weight": "conv1.weight", "stride": 1, "padding": 1,
          "weight_quant": { "method": "n2uq-weight", "bits": 2 } },
        { "name": "bn1",   "op": "batchnorm", "inputs": ["conv1"], "weight": "bn1.weight", "bias": "bn1.bias",
          "running_mean": "bn1.running_mean", "running_var": "bn1.running_var", "eps": 1e-5 },
        { "name": "relu1", "op": "relu",  "inputs": ["bn1"] },
        { "name": "q1",    "op": "quant", "inputs": ["relu1"], "spec": { "method": "n2uq-act", "bits": 2, "start": 0.0, "a": [0.5, 0.5, 0.5], "beta1": 1.0, "beta2": 1.0 } },
        { "name": "pool",  "op": "maxpool", "inputs": ["q1"], "kernel": 2 },
        { "name": "flat",  "op": "flatten", "inputs": ["pool"] },
        { "name": "fc",    "op": "fc", "inputs": ["flat"], "weight": "fc.weight", "bias": "fc.bias",
          "weight_quant": { "method": "n2uq-weight", "bits": 2 } }
      ]
    });
    let tensors = vec![
        t("conv1.weight", &[4, 1, 3, 3], &values(36, 1)),
        t("bn1.weight", &[4], &[1.0, 0.5, -0.5, 2.0]),
        t("bn1.bias", &[4], &[0.0, 0.1, 0.2, -0.1]),
        t("bn1.running_mean", &[4], &[0.0, 0.5, -0.5, 0.25]),
        t("bn1.running_var", &[4], &[1.0, 2.0, 0.5, 0.25]),
        t("fc.weight", &[10, 64], &values(640, 2)),
        t("fc.bias", &[10], &values(10, 3)),
        // A PyTorch state_dict entry no node names: ignored whatever its dtype.
        T {
            name: "bn1.num_batches_tracked".into(),
            dtype: Dtype::I64,
            shape: vec![],
            data: vec![100.0],
        },
    ];
    (manifest, tensors)
}

/// A model using every op: grouped strided padded quantized conv, batchnorm, relu, quant,
/// padded maxpool, a float 1×1 conv, add, padded avgpool, global_avgpool, mul (per channel),
/// div (scalar), add_const, flatten, a quantized and a float fc; two outputs. Nodes listed out of order.
pub fn every_op() -> (Value, Vec<T>) {
    let manifest = json!({
      "format": "qforge-model",
      "version": 1,
      "name": "every_op",
      "tensors": "weights.safetensors",
      "inputs": [{ "name": "img", "shape": [2, 5, 5] }],
      "outputs": ["fc", "fc2"],
      "nodes": [
        { "name": "fc", "op": "fc", "inputs": ["q2"], "weight": "fc.weight", "bias": null,
          "weight_quant": { "method": "ternary", "threshold": 0.1, "scale": 0.5 } },
        { "name": "q_in", "op": "quant", "inputs": ["img"],
          "spec": { "method": "uniform", "bits": 3, "signed": false, "scale": 0.25 } },
        { "name": "conv_a", "op": "conv", "inputs": ["q_in"], "weight": "a.weight", "bias": "a.bias",
          "stride": 2, "padding": 1, "groups": 2,
          "weight_quant": { "method": "n2uq-weight", "bits": 2 } },
        { "name": "bn", "op": "batchnorm", "inputs": ["conv_a"], "weight": "bn.weight", "bias": "bn.bias",
          "running_mean": "bn.running_mean", "running_var": "bn.running_var" },
        { "name": "relu", "op": "relu", "inputs": ["bn"] },
        { "name": "q1", "op": "quant", "inputs": ["relu"],
          "spec": { "method": "n2uq-act", "bits": 2, "start": 0.0, "a": [0.5, 0.5, 0.5], "beta1": 1.0, "beta2": 1.0 } },
        { "name": "pool", "op": "maxpool", "inputs": ["q1"], "kernel": 3, "stride": 1, "padding": 1 },
        { "name": "conv_b", "op": "conv", "inputs": ["q1"], "weight": "b.weight", "weight_quant": null },
        { "name": "sum", "op": "add", "inputs": ["pool", "conv_b"] },
        { "name": "avg", "op": "avgpool", "inputs": ["sum"], "kernel": 2, "stride": 1, "padding": 1 },
        { "name": "gap", "op": "global_avgpool", "inputs": ["avg"] },
        { "name": "scale", "op": "mul", "inputs": ["gap"], "value": "scale.value" },
        { "name": "halve", "op": "div", "inputs": ["scale"], "value": "halve.value" },
        { "name": "shift", "op": "add_const", "inputs": ["halve"], "value": "shift.value" },
        { "name": "q2", "op": "quant", "inputs": ["shift"],
          "spec": { "method": "lcq-act", "bits": 2, "alpha": 2.0, "theta": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0] } },
        { "name": "flat", "op": "flatten", "inputs": ["sum"] },
        { "name": "fc2", "op": "fc", "inputs": ["flat"], "weight": "fc2.weight", "bias": "fc2.bias" }
      ]
    });
    let tensors = vec![
        t("a.weight", &[4, 1, 3, 3], &values(36, 11)),
        t("a.bias", &[4], &values(4, 12)),
        t("bn.weight", &[4], &[1.0, -0.5, 2.0, 0.75]),
        t("bn.bias", &[4], &values(4, 13)),
        t("bn.running_mean", &[4], &values(4, 14)),
        t("bn.running_var", &[4], &[0.5, 1.0, 2.0, 0.25]),
        T {
            name: "b.weight".into(),
            dtype: Dtype::F64,
            shape: vec![4, 4, 1, 1],
            data: values(16, 15).iter().map(|v| v / 3.0).collect(),
        },
        t("fc.weight", &[3, 4], &values(12, 16)),
        t("fc2.weight", &[2, 36], &values(72, 17)),
        t("fc2.bias", &[2], &values(2, 18)),
        t("scale.value", &[4], &[1.5, -2.0, 0.75, 3.0]),
        t("halve.value", &[], &[2.0]),
        T {
            name: "shift.value".into(),
            dtype: Dtype::F64,
            shape: vec![4],
            data: values(4, 19).iter().map(|v| v / 3.0).collect(),
        },
    ];
    (manifest, tensors)
}
