//! Unsupported or malformed graphs give an error naming the node (or tensor, or input) and
//! never panic: every case starts from a small valid QONNX graph built here with the prost
//! messages and breaks one thing.

use onnx::build::{
    attr_int as int_attr, attr_str as str_attr, dim as fixed, dim_param, quant as q, tensor_f32,
    value_info as value,
};
use onnx::proto::{GraphProto, ModelProto, NodeProto, TensorProto};
use prost::Message;

fn scalar(name: &str, v: f32) -> TensorProto {
    tensor_f32(name, &[], &[v], false)
}

fn floats(name: &str, dims: &[i64], v: Vec<f32>) -> TensorProto {
    tensor_f32(name, dims, &v, false)
}

fn node(name: &str, op: &str, domain: &str, ins: &[&str], outs: &[&str]) -> NodeProto {
    onnx::build::node(name, op, domain, ins, outs, vec![])
}

fn quant(name: &str, ins: [&str; 4], out: &str, signed: i64, narrow: i64) -> NodeProto {
    q(name, ins, out, signed == 1, narrow == 1)
}

/// `x[1,4] → Quant(4-bit signed) → MatMul(Quant(W[4,3], 2-bit narrow)) → Relu → y[1,3]`.
fn base() -> ModelProto {
    let w: Vec<f32> = (0..12).map(|i| (i as f32 - 6.0) * 0.1).collect();
    let g = GraphProto {
        name: Some("tiny".into()),
        node: vec![
            quant("Quant_0", ["x", "s0", "zero", "b4"], "xq", 1, 0),
            quant("Quant_1", ["w", "s1", "zero", "b2"], "wq", 1, 1),
            node("MatMul_0", "MatMul", "", &["xq", "wq"], &["mm"]),
            node("Relu_0", "Relu", "", &["mm"], &["y"]),
        ],
        initializer: vec![
            floats("w", &[4, 3], w),
            scalar("s0", 0.25),
            scalar("s1", 0.3),
            scalar("zero", 0.0),
            scalar("b4", 4.0),
            scalar("b2", 2.0),
        ],
        input: vec![value("x", &[fixed(1), fixed(4)])],
        output: vec![value("y", &[fixed(1), fixed(3)])],
        ..Default::default()
    };
    onnx::build::model(g, 9, 20)
}

fn import(m: &ModelProto) -> Result<model::Model, String> {
    let g = onnx::graph::from_bytes(m.encode_to_vec().into(), None).map_err(|e| e.to_string())?;
    onnx::import::from_graph(&g, "t").map_err(|e| e.to_string())
}

fn err(m: &ModelProto) -> String {
    match import(m) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn graph(m: &mut ModelProto) -> &mut GraphProto {
    m.graph.as_mut().unwrap()
}

#[test]
fn the_base_graph_imports() {
    let m = import(&base()).unwrap();
    let ops: Vec<&str> = m.nodes.iter().map(|n| n.op.name()).collect();
    assert_eq!(ops, ["quant", "fc", "relu"]);
    let y = model::float::run(&m, &[0.3, -0.6, 1.0, 2.0]).unwrap();
    assert_eq!(y.outputs(&m)[0].shape, vec![3]);
}

#[test]
fn an_unsupported_op_names_node_and_op() {
    let mut m = base();
    graph(&mut m).node[3].op_type = Some("Sigmoid".into());
    let e = err(&m);
    assert!(
        e.contains("node \"Relu_0\" (Sigmoid)") && e.contains("op \"Sigmoid\""),
        "{e}"
    );
}

#[test]
fn a_nonzero_zero_point_names_the_node_and_input() {
    let mut m = base();
    graph(&mut m).initializer.push(scalar("zp1", 1.0));
    graph(&mut m).node[0].input[2] = "zp1".into();
    let e = err(&m);
    assert!(
        e.contains("node \"Quant_0\" (Quant): input 2 (zeropt)") && e.contains("zero point 1"),
        "{e}"
    );
}

#[test]
fn a_dynamic_shape_names_the_input_and_axis() {
    let mut m = base();
    graph(&mut m).input[0] = value("x", &[fixed(1), dim_param("features")]);
    let e = err(&m);
    assert!(
        e.contains("graph input \"x\"") && e.contains("axis 1"),
        "{e}"
    );
}

#[test]
fn a_symbolic_batch_axis_is_accepted() {
    let mut m = base();
    graph(&mut m).input[0] = value("x", &[dim_param("N"), fixed(4)]);
    import(&m).unwrap();
}

#[test]
fn a_missing_initializer_names_the_node_and_input() {
    let mut m = base();
    graph(&mut m).initializer.retain(|t| t.name() != "w");
    let e = err(&m);
    assert!(
        e.contains("node \"Quant_1\" (Quant): input 0 \"w\"") && e.contains("missing initializer"),
        "{e}"
    );
}

#[test]
fn an_unknown_attribute_is_named() {
    let mut m = base();
    graph(&mut m).node[2].attribute.push(int_attr("fancy", 1));
    let e = err(&m);
    assert!(
        e.contains("node \"MatMul_0\" (MatMul): attribute \"fancy\""),
        "{e}"
    );
}

#[test]
fn unsupported_attribute_values_are_named() {
    let mut m = base();
    graph(&mut m).node[0].attribute[2] = str_attr("rounding_mode", "CEIL");
    let e = err(&m);
    assert!(
        e.contains("attribute \"rounding_mode\"") && e.contains("CEIL"),
        "{e}"
    );
    let mut m = base();
    graph(&mut m).initializer.push(scalar("b9", 9.0));
    graph(&mut m).node[0].input[3] = "b9".into();
    let e = err(&m);
    assert!(
        e.contains("input 3 (bitwidth)") && e.contains("bit width 9"),
        "{e}"
    );
    let mut m = base();
    graph(&mut m).initializer.push(scalar("b25", 2.5));
    graph(&mut m).node[0].input[3] = "b25".into();
    assert!(err(&m).contains("bit width 2.5"));
}

#[test]
fn a_per_channel_activation_scale_is_refused() {
    let mut m = base();
    graph(&mut m)
        .initializer
        .push(floats("sv", &[4], vec![0.1, 0.2, 0.3, 0.4]));
    graph(&mut m).node[0].input[1] = "sv".into();
    let e = err(&m);
    assert!(
        e.contains("Quant_0") && e.contains("per-channel scale"),
        "{e}"
    );
}

#[test]
fn a_batch_of_two_is_refused() {
    let mut m = base();
    graph(&mut m).input[0] = value("x", &[fixed(2), fixed(4)]);
    assert!(err(&m).contains("batch axis is 2"));
}

#[test]
fn an_output_nobody_produces_is_named() {
    let mut m = base();
    graph(&mut m).node.pop();
    let e = err(&m);
    assert!(
        e.contains("graph output 0 \"y\"") && e.contains("not produced"),
        "{e}"
    );
}

#[test]
fn short_tensor_data_is_named() {
    let mut m = base();
    graph(&mut m).initializer[0].float_data.pop();
    let e = err(&m);
    assert!(e.contains("initializer \"w\"") && e.contains("11"), "{e}");
}

#[test]
fn an_old_opset_is_refused() {
    let mut m = base();
    m.opset_import[0].version = Some(11);
    assert!(err(&m).contains("opset 11"));
}

#[test]
fn every_truncation_of_a_fixture_errors_without_panicking() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testbench/fixtures/qonnx/mlp_w2a2_bn/mlp_w2a2_bn_legacy.onnx");
    let bytes = std::fs::read(path).unwrap();
    let mut errors = 0;
    // Every prefix length in steps (and the last 64 one by one): never a panic, never a model.
    let lens: Vec<usize> = (0..bytes.len())
        .step_by(97)
        .chain(bytes.len() - 64..bytes.len())
        .collect();
    for len in lens {
        let r = onnx::graph::from_bytes(bytes[..len].to_vec().into(), None)
            .and_then(|g| onnx::import::from_graph(&g, "t"));
        assert!(r.is_err(), "a {len}-byte prefix imported");
        errors += 1;
    }
    assert!(errors > 100);
}

#[test]
fn random_byte_edits_never_panic() {
    use proptest::prelude::*;
    let bytes = base().encode_to_vec();
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 2000,
        ..Default::default()
    });
    runner
        .run(&(0..bytes.len(), any::<u8>()), |(i, b)| {
            let mut v = bytes.clone();
            v[i] = b;
            let _ = onnx::graph::from_bytes(v.into(), None)
                .and_then(|g| onnx::import::from_graph(&g, "t"));
            Ok(())
        })
        .unwrap();
}

#[test]
fn byte_edits_of_every_fixture_never_panic() {
    use proptest::prelude::*;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures");
    let mut files = Vec::new();
    for sub in ["qonnx", "qonnx_ops"] {
        for d in std::fs::read_dir(root.join(sub)).unwrap() {
            let d = d.unwrap().path();
            if d.is_dir() {
                for f in std::fs::read_dir(&d).unwrap() {
                    let f = f.unwrap().path();
                    if f.extension().is_some_and(|e| e == "onnx") {
                        files.push(f);
                    }
                }
            }
        }
    }
    assert_eq!(files.len(), 9, "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 300,
            failure_persistence: None,
            ..Default::default()
        });
        runner
            .run(&(0..bytes.len(), any::<u8>(), 0..4u8), |(i, b, cut)| {
                let mut v = bytes.clone();
                v[i] = b;
                if cut == 0 {
                    v.truncate(i);
                }
                let r = onnx::graph::from_bytes(v.into(), None)
                    .and_then(|g| onnx::import::from_graph(&g, "t"));
                // An edit the importer accepts (a changed weight, say) must evaluate too.
                if let Ok(m) = r {
                    let n: usize = m
                        .inputs
                        .iter()
                        .map(|i| i.shape.iter().product::<usize>())
                        .sum();
                    let _ = model::float::run(&m, &vec![0.5; n]);
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}

/// The base graph with initializer `w` moved to an external data file `rel` in `dir`.
fn external(dir: &std::path::Path, rel: &str) -> std::path::PathBuf {
    use onnx::proto::{tensor_proto::DataLocation, StringStringEntryProto};
    let mut m = base();
    let w = graph(&mut m)
        .initializer
        .iter_mut()
        .find(|t| t.name() == "w")
        .unwrap();
    let bytes: Vec<u8> = w.float_data.iter().flat_map(|x| x.to_le_bytes()).collect();
    w.float_data.clear();
    w.data_location = Some(DataLocation::External as i32);
    let entry = |k: &str, v: String| StringStringEntryProto {
        key: Some(k.into()),
        value: Some(v),
    };
    w.external_data = vec![
        entry("location", rel.into()),
        entry("offset", "16".into()),
        entry("length", bytes.len().to_string()),
    ];
    let mut blob = vec![0u8; 16];
    blob.extend(&bytes);
    std::fs::write(dir.join("weights.bin"), blob).unwrap();
    let p = dir.join("m.onnx");
    std::fs::write(&p, m.encode_to_vec()).unwrap();
    p
}

#[test]
fn external_data_is_read_next_to_the_model_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let p = external(tmp.path(), "weights.bin");
    let ext = onnx::import::import(&p).unwrap();
    let inline = import(&base()).unwrap();
    assert_eq!(
        ext.nodes, inline.nodes,
        "external data differs from the inline weights"
    );
    // A location outside the model's directory is refused.
    let p = external(tmp.path(), "../weights.bin");
    let e = onnx::import::import(&p).unwrap_err().to_string();
    assert!(
        e.contains("initializer \"w\"") && e.contains("relative path"),
        "{e}"
    );
    // A length past the end of the file.
    let p = external(tmp.path(), "weights.bin");
    std::fs::write(tmp.path().join("weights.bin"), [0u8; 20]).unwrap();
    let e = onnx::import::import(&p).unwrap_err().to_string();
    assert!(
        e.contains("initializer \"w\"") && e.contains("outside"),
        "{e}"
    );
}
