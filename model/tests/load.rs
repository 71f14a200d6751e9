//! Loading the docs/model.md example, its inferred shapes, and the round trip through
//! `Model::to_dir`.

mod common;

use model::{Model, Op};

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
