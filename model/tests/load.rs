//! Loading the docs/model.md example, its inferred shapes, and the round trip through
//! `Model::to_dir`.

mod common;

use model::{float, Model, Op};

#[test]
fn doc_example_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, tensors) = common::doc_example();
    let path = common::write_model(dir.path(), &manifest, &tensors);
    let m = Model::load(&path).unwrap();
    let m2 = Model::load(dir.path()).unwrap();
    assert_eq!(m, m2);
    assert_eq!(m.name, "digits_n2uq_w2a2");
    let shapes: Vec<(&str, Vec<usize>)> = m
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.shape.clone()))
        .collect();
    assert_eq!(
        shapes,
        vec![
            ("q_in", vec![1, 8, 8]),
            ("conv1", vec![4, 8, 8]),
            ("bn1", vec![4, 8, 8]),
            ("relu1", vec![4, 8, 8]),
            ("q1", vec![4, 8, 8]),
            ("pool", vec![4, 4, 4]),
            ("flat", vec![64]),
            ("fc", vec![10]),
        ]
    );
    assert!(matches!(
        m.node("pool").unwrap().op,
        Op::MaxPool {
            kernel: 2,
            stride: 2,
            padding: 0
        }
    ));
    assert_eq!(m.quant_source("flat").unwrap().name, "q1");
    assert!(m.quant_source("bn1").is_none());
    let w = m
        .node("conv1")
        .unwrap()
        .quantized_weights()
        .unwrap()
        .unwrap();
    assert_eq!(
        (w.m, w.k, w.groups, w.prepared.quantizers.len()),
        (4, 9, 1, 4)
    );
    assert_eq!(w.weight_idx.len(), 36);
}

#[test]
fn every_op_loads_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, tensors) = common::every_op();
    let path = common::write_model(dir.path(), &manifest, &[]);
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    std::fs::write(
        dir.path().join("weights.safetensors"),
        common::safetensors_bytes(&tensors),
    )
    .unwrap();
    let m = Model::load(&path).unwrap();
    let ops: Vec<&str> = m.nodes.iter().map(|n| n.op.name()).collect();
    for op in Op::NAMES {
        assert!(ops.contains(&op), "{op} missing");
    }
    let shape = |n: &str| m.node(n).unwrap().shape.clone();
    assert_eq!(shape("conv_a"), vec![4, 3, 3]);
    assert_eq!(shape("pool"), vec![4, 3, 3]);
    assert_eq!(shape("avg"), vec![4, 4, 4]);
    assert_eq!(shape("gap"), vec![4]);
    assert_eq!(shape("flat"), vec![36]);
    assert_eq!((shape("fc"), shape("fc2")), (vec![3], vec![2]));
    // Topological: every input before its consumer; fc (listed first) comes last of its chain.
    for (i, n) in m.nodes.iter().enumerate() {
        for inp in &n.inputs {
            let j = m.nodes.iter().position(|o| &o.name == inp);
            assert!(j.map_or(true, |j| j < i), "{inp} after {}", n.name);
        }
    }
    assert_eq!(m.consumers("q1").len(), 2);
    assert_eq!(m.quant_source("pool").unwrap().name, "q1");
    assert!(matches!(
        m.node("conv_b").unwrap().op,
        Op::Conv {
            stride: 1,
            padding: 0,
            groups: 1,
            weight_quant: None,
            ..
        }
    ));
    // F64 tensors keep every bit; F32 ones are widened exactly.
    let Op::Conv { weight, .. } = &m.node("conv_b").unwrap().op else {
        panic!()
    };
    assert_eq!(
        weight.data,
        common::values(16, 15)
            .iter()
            .map(|v| v / 3.0)
            .collect::<Vec<_>>()
    );
    let w = m
        .node("conv_a")
        .unwrap()
        .quantized_weights()
        .unwrap()
        .unwrap();
    assert_eq!((w.m, w.k, w.groups), (4, 9, 2));
    let Op::BatchNorm { eps, .. } = m.node("bn").unwrap().op else {
        panic!()
    };
    assert_eq!(eps, 1e-5);

    let out = tempfile::tempdir().unwrap();
    m.to_dir(out.path()).unwrap();
    let back = Model::load(out.path()).unwrap();
    assert_eq!(back, m);
    // Twice: the written files are a fixed point.
    let out2 = tempfile::tempdir().unwrap();
    back.to_dir(out2.path()).unwrap();
    for f in ["model.json", "model.safetensors"] {
        assert_eq!(
            std::fs::read(out.path().join(f)).unwrap(),
            std::fs::read(out2.path().join(f)).unwrap(),
            "{f}"
        );
    }
    let x = common::values(50, 99)
        .iter()
        .map(|v| v + 1.0)
        .collect::<Vec<_>>();
    let a = float::run(&m, &x).unwrap();
    let b = float::run(&back, &x).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.nodes.len(), m.nodes.len());
    assert!(a.get("q1").unwrap().indices.is_some());
    assert!(a.get("conv_b").unwrap().indices.is_none());
}

#[test]
fn grouped_conv_matches_im2col_per_group() {
    // The engine lowering's view (quant::gemm::im2col per group, K ordered (c, dy, dx), the
    // weight rows of QuantizedWeights) gives the float evaluator's conv exactly.
    use quant::gemm::{im2col, Conv2d};
    let dir = tempfile::tempdir().unwrap();
    let (manifest, tensors) = common::every_op();
    let mut manifest = manifest;
    manifest["tensors"] = serde_json::json!("model.safetensors");
    let path = common::write_model(dir.path(), &manifest, &tensors);
    let m = Model::load(&path).unwrap();
    let x: Vec<f64> = common::values(50, 7).iter().map(|v| v + 1.0).collect();
    let run = float::run(&m, &x).unwrap();
    let q_in = &run.tensor("q_in").unwrap().data;
    let node = m.node("conv_a").unwrap();
    let Op::Conv {
        bias,
        stride,
        padding,
        groups,
        ..
    } = &node.op
    else {
        panic!()
    };
    let w = node.quantized_weights().unwrap().unwrap();
    let geom = Conv2d {
        c_in: 1,
        h: 5,
        w: 5,
        kh: 3,
        kw: 3,
        stride: *stride,
        pad: *padding,
    };
    let n = geom.n();
    let rows_per_group = w.m / groups;
    let mut want = Vec::new();
    for g in 0..*groups {
        let cols = im2col(&q_in[g * 25..(g + 1) * 25], &geom, 0.0);
        for row in g * rows_per_group..(g + 1) * rows_per_group {
            for col in 0..n {
                let dot: f64 = (0..w.k)
                    .map(|k| w.values[row * w.k + k] * cols[k * n + col])
                    .sum();
                want.push(dot + bias.as_ref().unwrap().data[row]);
            }
        }
    }
    assert_eq!(run.tensor("conv_a").unwrap().data, want);
}
