//! The parser targets of `qforge fuzz`: each one's seed inputs (valid files of the format) and
//! what runs on a mutated input (the parser, then what a command does with an accepted input),
//! and the `outputs` scenario target.

use rand_chacha::ChaCha8Rng;

use super::outputs;

/// A scenario case: draws its own input, checks invariants (`Err` = a broken one).
type TreeCase = fn(&mut ChaCha8Rng) -> Result<bool, String>;

/// A fuzz target: its seeds and what it runs on one input (`true` = accepted), or (`tree`) a
/// case that draws its own scenario and checks invariants (`Err` = a broken invariant).
pub(super) struct Target {
    pub name: &'static str,
    pub text: bool,
    pub seeds: fn() -> Vec<Vec<u8>>,
    pub run: fn(&[u8]) -> bool,
    pub tree: Option<TreeCase>,
}

fn no_seeds() -> Vec<Vec<u8>> {
    vec![Vec::new()]
}

fn no_run(_: &[u8]) -> bool {
    false
}

fn outputs_case(rng: &mut ChaCha8Rng) -> Result<bool, String> {
    outputs::case(rng)
}

pub(super) const TARGETS: [Target; 7] = [
    Target {
        name: "design",
        text: true,
        seeds: design_seeds,
        run: design_run,
        tree: None,
    },
    Target {
        name: "spec",
        text: true,
        seeds: spec_seeds,
        run: spec_run,
        tree: None,
    },
    Target {
        name: "npy",
        text: false,
        seeds: npy_seeds,
        run: npy_run,
        tree: None,
    },
    Target {
        name: "network",
        text: true,
        seeds: network_seeds,
        run: network_run,
        tree: None,
    },
    Target {
        name: "model",
        text: false,
        seeds: model_seeds,
        run: model_run,
        tree: None,
    },
    Target {
        name: "onnx",
        text: false,
        seeds: onnx_seeds,
        run: onnx_run,
        tree: None,
    },
    Target {
        name: "outputs",
        text: false,
        seeds: no_seeds,
        run: no_run,
        tree: Some(outputs_case),
    },
];

fn design_seeds() -> Vec<Vec<u8>> {
    [
        include_str!("../../../docs/design.toml"),
        include_str!("../../../docs/examples/binary_w1a2.toml"),
        include_str!("../../../docs/examples/lcq_w2a2.toml"),
        include_str!("../../../docs/examples/lcq_w3a3.toml"),
        include_str!("../../../docs/examples/lcq_w4a4.toml"),
        include_str!("../../../docs/examples/qn_pow2_2.toml"),
        include_str!("../../../docs/examples/qn_pow2_4.toml"),
        include_str!("../../../docs/examples/qn_ternary.toml"),
        include_str!("../../../docs/examples/ternary_w2a2.toml"),
        include_str!("../../../docs/examples/uniform_w4a4.toml"),
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Largest integer a design input may hold for the fuzzer to also resolve it (building a
/// design allocates by its sizes; the up-front size checks are tested on their own).
const RESOLVE_MAX_INT: u64 = 512;

fn design_run(b: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(b) else {
        return false;
    };
    let Ok(cfg) = toml::from_str::<crate::design::DesignCfg>(text) else {
        return false;
    };
    let big = text
        .split(|c: char| !c.is_ascii_digit())
        .any(|t| t.len() > 3 && t.parse::<u64>().map_or(true, |v| v > RESOLVE_MAX_INT));
    if big {
        return true;
    }
    cfg.resolve().is_ok()
}

fn spec_seeds() -> Vec<Vec<u8>> {
    [
        r#"{"method":"n2uq-act","bits":2,"start":0.0,"a":[0.5,0.6,0.7],"beta1":1.0,"beta2":1.0}"#,
        r#"{"method":"n2uq-weight","bits":2,"clip":2.0}"#,
        r#"{"method":"lcq-act","bits":2,"alpha":1.5,"theta":[0.1,0.2,0.3,0.4],"outer_bits":8}"#,
        r#"{"method":"lcq-weight","bits":2,"alpha":1.0,"theta":null,"outer_bits":8,"lwn":true}"#,
        r#"{"method":"qn","levels":[-1,0,1],"biases":[-0.5,0.5],"alpha":1.0,"beta":1.0,"offset":true}"#,
        r#"{"method":"uniform","bits":4,"signed":true,"scale":[0.1,0.2],"narrow":true}"#,
        r#"{"method":"uniform","bits":3,"signed":false,"scale":0.25,"rounding":"floor"}"#,
        r#"{"method":"binary","scale":0.1}"#,
        r#"{"method":"ternary","threshold":0.3,"scale":1.0}"#,
        r#"{"method":"multithreshold","thresholds":[-0.5,0.0,0.5],"out_scale":2.0,"out_bias":-1.0}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn spec_run(b: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(b) else {
        return false;
    };
    let Ok(spec) = quant::spec::QuantSpec::from_json(text) else {
        return false;
    };
    let data = [0.5, -1.0, 2.0, 0.0, -0.25, 3.5];
    if let Ok(p) = spec.prepare(&data, &[2, 3]) {
        let _ = p.quantize(&data);
    }
    if let Ok(q) = spec.scalar() {
        let _ = (q.staircase(), q.index(0.3), q.num_levels());
    }
    true
}

fn npy_seeds() -> Vec<Vec<u8>> {
    use quant::npy::{encode_float, encode_i32, Dtype};
    vec![
        encode_float(Dtype::F32, &[2, 3], &[1.0, -2.0, 0.5, 3.0, 0.0, 7.0]),
        encode_float(Dtype::F64, &[4], &[1.0, 2.0, 3.0, 4.0]),
        encode_float(Dtype::F32, &[], &[1.5]),
        encode_i32(&[1, 2, 2], &[1, -2, 3, 4]),
    ]
}

fn npy_run(b: &[u8]) -> bool {
    quant::npy::parse_float(b, "fuzz").is_ok()
}

fn network_seeds() -> Vec<Vec<u8>> {
    [
        r#"{"name": "tiny", "layers": [
  {"name": "conv1", "op": "conv", "in_channels": 3, "out_channels": 4, "kernel": [3, 3],
   "stride": 1, "padding": 1, "in_hw": [4, 4]},
  {"name": "bn1", "op": "batchnorm", "channels": 4},
  {"name": "conv2", "op": "conv", "in_channels": 4, "out_channels": 8, "kernel": [3, 3],
   "stride": 2, "padding": 1, "groups": 2, "bias": true, "in_hw": [4, 4]},
  {"name": "pool", "op": "maxpool"},
  {"name": "fc", "op": "fc", "in_features": 32, "out_features": 10, "bias": true}]}"#,
        r#"{"name": "b", "layers": [{"name": "c1", "op": "conv", "in_channels": 3, "out_channels": 16, "kernel": [1, 1], "in_hw": [8, 8]}, {"name": "fc", "op": "fc", "in_features": 1024, "out_features": 2}]}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn network_run(b: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(b) else {
        return false;
    };
    let Ok(net) = crate::network::Network::from_json(text) else {
        return false;
    };
    let _ = net.compute_layers();
    for l in &net.layers {
        let _ = (l.gemm(), l.weights(), l.biases(), l.params());
    }
    true
}

/// Manifest and tensors of a small trained fixture, joined as `manifest \0\0\0\0 tensors`.
fn model_seeds() -> Vec<Vec<u8>> {
    let mut v =
        include_bytes!("../../../testbench/fixtures/models/binary_w1a2/model.json").to_vec();
    v.extend([0, 0, 0, 0]);
    v.extend(include_bytes!(
        "../../../testbench/fixtures/models/binary_w1a2/model.safetensors"
    ));
    vec![v]
}

fn model_run(b: &[u8]) -> bool {
    let cut = b
        .windows(4)
        .position(|w| w == [0, 0, 0, 0])
        .unwrap_or(b.len());
    let (manifest, tensors) = (&b[..cut], b.get(cut + 4..).unwrap_or(&[]));
    let Ok(m) = model::Model::from_bytes(manifest, tensors) else {
        return false;
    };
    let n: usize = m
        .inputs
        .iter()
        .map(|i| i.shape.iter().product::<usize>())
        .sum();
    if n <= 1 << 16 {
        let _ = model::float::run(&m, &vec![0.5; n]);
    }
    true
}

fn onnx_seeds() -> Vec<Vec<u8>> {
    vec![
        include_bytes!("../../../testbench/fixtures/qonnx_ops/ops_trunc/ops_trunc.onnx").to_vec(),
        include_bytes!("../../../testbench/fixtures/qonnx_ops/ops_cnn/ops_cnn.onnx").to_vec(),
        include_bytes!(
            "../../../testbench/fixtures/qonnx_ops/ops_bipolar_conv/ops_bipolar_conv.onnx"
        )
        .to_vec(),
    ]
}

fn onnx_run(b: &[u8]) -> bool {
    let Ok(g) = onnx::graph::from_bytes(b.to_vec().into(), None) else {
        return false;
    };
    let Ok(m) = onnx::import::from_graph(&g, "fuzz") else {
        return false;
    };
    let n: usize = m
        .inputs
        .iter()
        .map(|i| i.shape.iter().product::<usize>())
        .sum();
    if n <= 1 << 16 {
        let _ = model::float::run(&m, &vec![0.5; n]);
    }
    true
}
