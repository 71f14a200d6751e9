//! (e) of `qforge bench --onnx [FILE] [--json]`: how fast the QONNX front end reads a
//! ResNet-sized file. Without FILE it writes a QONNX ResNet-18 the way Brevitas exports one
//! (float initializers behind per-channel 4-bit weight `Quant` nodes, BatchNormalization,
//! `Relu` + unsigned 4-bit `Quant`, residual `Add`, `GlobalAveragePool`, `Flatten`, a float
//! `Gemm`; seeded random weights, 11.7 M parameters, ~47 MB) and times, median of several runs:
//! protobuf decoding into the prost messages, the checked graph view (every initializer
//! decoded to numbers), and the whole import to a `model::Model`.

use std::path::Path;
use std::time::Instant;

use crate::console::outln;
use anyhow::{anyhow, Result};
use onnx::build::{attr_float, attr_int as int, attr_ints as ints, dim, tensor_f32, value_info};
use onnx::proto::{GraphProto, ModelProto, NodeProto, TensorProto};
use prost::Message;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// Builds the synthetic graph.
struct B {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    rng: ChaCha8Rng,
    n: usize,
}

impl B {
    fn name(&mut self, op: &str) -> String {
        self.n += 1;
        format!("{op}_{}", self.n)
    }

    fn node(
        &mut self,
        op: &str,
        domain: &str,
        ins: Vec<String>,
        attrs: Vec<onnx::proto::AttributeProto>,
    ) -> String {
        let name = self.name(op);
        let out = format!("{name}_out0");
        self.nodes.push(NodeProto {
            name: Some(name),
            op_type: Some(op.into()),
            domain: Some(domain.into()),
            input: ins,
            output: vec![out.clone()],
            attribute: attrs,
            ..Default::default()
        });
        out
    }

    fn init(&mut self, dims: &[i64], v: &[f32]) -> String {
        let name = format!("param_{}", self.inits.len());
        self.inits.push(tensor_f32(&name, dims, v, true));
        name
    }

    fn quant(&mut self, x: String, scale: String, bits: f32, signed: bool, narrow: bool) -> String {
        let zp = self.init(&[], &[0.0]);
        let bw = self.init(&[], &[bits]);
        let name = self.name("Quant");
        let out = format!("{name}_out0");
        self.nodes.push(onnx::build::quant(
            &name,
            [&x, &scale, &zp, &bw],
            &out,
            signed,
            narrow,
        ));
        out
    }

    fn act(&mut self, x: String) -> String {
        let r = self.node("Relu", "", vec![x], vec![]);
        let s = self.init(&[], &[0.25]);
        self.quant(r, s, 4.0, false, false)
    }

    fn conv_bn(&mut self, x: String, ci: usize, co: usize, k: usize, stride: i64) -> String {
        let fan = (ci * k * k) as f32;
        let w: Vec<f32> = (0..co * ci * k * k)
            .map(|_| self.rng.gen_range(-1.0..1.0) / fan.sqrt())
            .collect();
        let wn = self.init(&[co as i64, ci as i64, k as i64, k as i64], &w);
        let sc: Vec<f32> = (0..co)
            .map(|_| self.rng.gen_range(0.5..1.5) / (7.0 * fan.sqrt()))
            .collect();
        let sn = self.init(&[co as i64, 1, 1, 1], &sc);
        let wq = self.quant(wn, sn, 4.0, true, true);
        let p = (k / 2) as i64;
        let c = self.node(
            "Conv",
            "",
            vec![x, wq],
            vec![
                ints("kernel_shape", &[k as i64, k as i64]),
                ints("strides", &[stride, stride]),
                ints("pads", &[p, p, p, p]),
                ints("dilations", &[1, 1]),
                int("group", 1),
            ],
        );
        let mut bn = vec![c];
        for (lo, hi) in [(0.5, 1.5), (-0.1, 0.1), (-0.1, 0.1), (0.5, 1.5)] {
            let v: Vec<f32> = (0..co).map(|_| self.rng.gen_range(lo..hi)).collect();
            bn.push(self.init(&[co as i64], &v));
        }
        self.node(
            "BatchNormalization",
            "",
            bn,
            vec![attr_float("epsilon", 1e-5)],
        )
    }
}

/// A QONNX ResNet-18 (1000 classes, 224×224), seeded random weights.
pub fn resnet18_qonnx(seed: u64) -> ModelProto {
    let mut b = B {
        nodes: Vec::new(),
        inits: Vec::new(),
        rng: ChaCha8Rng::seed_from_u64(seed),
        n: 0,
    };
    let s = b.init(&[], &[0.02]);
    let x = b.quant("global_in".into(), s, 8.0, true, false);
    let c = b.conv_bn(x, 3, 64, 7, 2);
    let a = b.act(c);
    let mut x = b.node(
        "MaxPool",
        "",
        vec![a],
        vec![
            ints("kernel_shape", &[3, 3]),
            ints("strides", &[2, 2]),
            ints("pads", &[1, 1, 1, 1]),
        ],
    );
    let mut ci = 64;
    for (stage, co) in [64usize, 128, 256, 512].into_iter().enumerate() {
        for block in 0..2 {
            let stride = if stage > 0 && block == 0 { 2 } else { 1 };
            let y = b.conv_bn(x.clone(), ci, co, 3, stride);
            let y = b.act(y);
            let y = b.conv_bn(y, co, co, 3, 1);
            let short = if stride != 1 || ci != co {
                b.conv_bn(x.clone(), ci, co, 1, stride)
            } else {
                x.clone()
            };
            let sum = b.node("Add", "", vec![y, short], vec![]);
            x = b.act(sum);
            ci = co;
        }
    }
    let g = b.node("GlobalAveragePool", "", vec![x], vec![]);
    let f = b.node("Flatten", "", vec![g], vec![int("axis", 1)]);
    let w: Vec<f32> = (0..1000 * 512)
        .map(|_| b.rng.gen_range(-0.05..0.05))
        .collect();
    let wn = b.init(&[1000, 512], &w);
    let bias: Vec<f32> = (0..1000).map(|_| b.rng.gen_range(-0.05..0.05)).collect();
    let bn = b.init(&[1000], &bias);
    let out = b.node("Gemm", "", vec![f, wn, bn], vec![int("transB", 1)]);
    let last = b.nodes.last_mut().expect("nodes");
    last.output = vec!["global_out".into()];
    let _ = out;
    let mut m = onnx::build::model(
        GraphProto {
            name: Some("resnet18_qonnx".into()),
            node: b.nodes,
            initializer: b.inits,
            input: vec![value_info(
                "global_in",
                &[dim(1), dim(3), dim(224), dim(224)],
            )],
            output: vec![value_info("global_out", &[dim(1), dim(1000)])],
            ..Default::default()
        },
        10,
        20,
    );
    m.producer_name = Some("qforge bench --onnx".into());
    m
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `qforge bench --onnx [FILE]`.
pub fn onnx_cmd(file: Option<&Path>, runs: usize, json: bool) -> Result<()> {
    let tmp = crate::output::temp_dir()?;
    let path = match file {
        Some(p) => p.to_path_buf(),
        None => {
            let p = tmp.path().join("resnet18_qonnx.onnx");
            std::fs::write(&p, resnet18_qonnx(1).encode_to_vec())?;
            p
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let runs = runs.max(1);
    let (mut decode, mut view, mut import) = (Vec::new(), Vec::new(), Vec::new());
    let mut summary = None;
    for _ in 0..runs {
        let b = bytes::Bytes::from(bytes.clone());
        let t = Instant::now();
        let m = ModelProto::decode(b.clone()).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        decode.push(t.elapsed().as_secs_f64());
        drop(m);
        let t = Instant::now();
        let g = onnx::graph::from_bytes(b, path.parent()).map_err(|e| anyhow!("{e}"))?;
        view.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let model = onnx::import::import(&path).map_err(|e| anyhow!("{e}"))?;
        import.push(t.elapsed().as_secs_f64());
        let params: usize = g.initializers.values().map(|c| c.numel()).sum();
        summary = Some((
            g.nodes.len(),
            g.initializers.len(),
            params,
            model.nodes.len(),
        ));
    }
    let (nodes, inits, params, ir_nodes) = summary.expect("runs >= 1");
    let (d, v, i) = (median(decode), median(view), median(import));
    let mb = bytes.len() as f64 / 1e6;
    if json {
        let j = json!({
            "file": if file.is_some() { path.display().to_string() } else { "built-in QONNX ResNet-18 (seed 1)".into() },
            "bytes": bytes.len(), "onnx_nodes": nodes, "initializers": inits, "parameters": params,
            "model_nodes": ir_nodes, "runs": runs,
            "decode_ms": d * 1e3, "graph_view_ms": v * 1e3, "import_ms": i * 1e3,
            "decode_mb_per_s": mb / d, "import_mb_per_s": mb / i,
        });
        outln!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        outln!(
            "# QONNX front end: {} ({:.1} MB, {nodes} nodes, {inits} initializers, {:.2} M parameters → {ir_nodes} model nodes), median of {runs}\n",
            if file.is_some() { path.display().to_string() } else { "built-in QONNX ResNet-18".into() },
            mb,
            params as f64 / 1e6
        );
        outln!("| stage | ms | MB/s |\n|---|---|---|");
        outln!(
            "| protobuf decode (prost, zero-copy `Bytes`) | {:.2} | {:.0} |",
            d * 1e3,
            mb / d
        );
        outln!(
            "| + checked graph view (initializers to numbers) | {:.2} | {:.0} |",
            v * 1e3,
            mb / v
        );
        outln!("| whole import from the file (read, view, QONNX → model, validation) | {:.2} | {:.0} |", i * 1e3, mb / i);
    }
    Ok(())
}
