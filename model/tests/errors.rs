//! Bad models: every error names the node (or file, or tensor) and the field.

mod common;

use common::{doc_example, safetensors_bytes, write_model, T};
use model::{Error, GraphInput, Model, Node, Op};
use safetensors::tensor::Dtype;
use serde_json::{json, Value};

/// Load the docs example after `edit` changed its manifest and tensors.
fn load_with(edit: impl FnOnce(&mut Value, &mut Vec<T>)) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let (mut manifest, mut tensors) = doc_example();
    edit(&mut manifest, &mut tensors);
    let path = write_model(dir.path(), &manifest, &tensors);
    Model::load(&path).expect_err("the model must be rejected")
}

fn node_mut<'a>(m: &'a mut Value, name: &str) -> &'a mut serde_json::Map<String, Value> {
    m["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|n| n["name"] == name)
        .unwrap()
        .as_object_mut()
        .unwrap()
}

fn tensor_mut<'a>(ts: &'a mut [T], name: &str) -> &'a mut T {
    ts.iter_mut().find(|t| t.name == name).unwrap()
}

#[track_caller]
fn expect(e: &Error, at: &str, field: &str, words: &[&str]) {
    assert_eq!(e.at, at, "{e}");
    assert_eq!(e.field, field, "{e}");
    let text = e.to_string();
    for w in words {
        assert!(text.contains(w), "{text:?} lacks {w:?}");
    }
}

#[test]
fn unknown_op_suggests() {
    let e = load_with(|m, _| {
        node_mut(m, "conv1").insert("op".into(), json!("Conv"));
    });
    expect(
        &e,
        r#"nodes[1] "conv1""#,
        "op",
        &["unknown op \"Conv\"", "did you mean \"conv\"?"],
    );
    let e = load_with(|m, _| {
        node_mut(m, "pool").insert("op".into(), json!("maxpool2d"));
    });
    expect(
        &e,
        r#"nodes[5] "pool""#,
        "op",
        &["did you mean \"maxpool\"?"],
    );
}

#[test]
fn unknown_field_suggests() {
    let e = load_with(|m, _| {
        node_mut(m, "conv1").insert("stide".into(), json!(2));
    });
    expect(
        &e,
        r#"nodes[1] "conv1""#,
        "stide",
        &[
            "unknown field \"stide\"",
            "did you mean \"stride\"?",
            "expected one of",
        ],
    );
    assert_eq!(
        e.to_string(),
        r#"nodes[1] "conv1": field "stide": unknown field "stide" (did you mean "stride"?), expected one of "name", "op", "inputs", "weight", "bias", "stride", "padding", "groups", "weight_quant""#
    );
    // A field of another op is unknown here too; a far miss gets no suggestion.
    let e = load_with(|m, _| {
        node_mut(m, "relu1").insert("kernel".into(), json!(2));
    });
    expect(
        &e,
        r#"nodes[3] "relu1""#,
        "kernel",
        &["unknown field \"kernel\""],
    );
    assert!(!e.message.contains("did you mean"), "{e}");
    // Top level.
    let e = load_with(|m, _| {
        m.as_object_mut()
            .unwrap()
            .insert("output".into(), json!(["fc"]));
    });
    expect(&e, "manifest", "output", &["did you mean \"outputs\"?"]);
}

#[test]
fn bad_field_types_and_header() {
    let e = load_with(|m, _| {
        node_mut(m, "conv1").insert("stride".into(), json!("two"));
    });
    expect(&e, r#"nodes[1] "conv1""#, "stride", &["invalid type"]);
    let e = load_with(|m, _| {
        node_mut(m, "conv1").remove("weight");
    });
    expect(&e, r#"nodes[1] "conv1""#, "", &["missing field `weight`"]);
    let e = load_with(|m, _| {
        m["version"] = json!(2);
    });
    expect(&e, "manifest", "version", &["version 1"]);
    let e = load_with(|m, _| {
        m["format"] = json!("onnx");
    });
    expect(&e, "manifest", "format", &["qforge-model"]);
}

#[test]
fn missing_tensor() {
    let e = load_with(|_, ts| ts.retain(|t| t.name != "fc.bias"));
    expect(
        &e,
        r#"nodes[7] "fc""#,
        "bias",
        &[
            "tensor \"fc.bias\"",
            "model.safetensors",
            "is not in the file",
        ],
    );
}

#[test]
fn wrong_tensor_shapes() {
    let e = load_with(|_, ts| {
        let b = tensor_mut(ts, "fc.bias");
        b.shape = vec![9];
        b.data.truncate(9);
    });
    expect(&e, r#"nodes[7] "fc""#, "bias", &["[9]", "must be [10]"]);
    let e = load_with(|_, ts| tensor_mut(ts, "conv1.weight").shape = vec![4, 9]);
    expect(
        &e,
        r#"nodes[1] "conv1""#,
        "weight",
        &["[4, 9]", "[Co, Ci/groups, kh, kw]"],
    );
    let e = load_with(|_, ts| {
        let v = tensor_mut(ts, "bn1.running_var");
        v.shape = vec![3];
        v.data.truncate(3);
    });
    expect(
        &e,
        r#"nodes[2] "bn1""#,
        "running_var",
        &["3 entries", "4 channels"],
    );
    let e = load_with(|_, ts| tensor_mut(ts, "bn1.running_var").data[2] = -1.0);
    expect(&e, r#"nodes[2] "bn1""#, "running_var[2]", &[]);
    let e = load_with(|m, _| {
        node_mut(m, "bn1").insert("eps".into(), json!(-1e-5));
    });
    expect(&e, r#"nodes[2] "bn1""#, "eps", &[">= 0"]);
    let e = load_with(|_, ts| tensor_mut(ts, "fc.weight").data[5] = f64::NAN);
    expect(&e, r#"nodes[7] "fc""#, "weight", &["[5]", "finite"]);
}

#[test]
fn f16_dtype() {
    let e = load_with(|_, ts| tensor_mut(ts, "conv1.weight").dtype = Dtype::F16);
    expect(
        &e,
        r#"nodes[1] "conv1""#,
        "weight",
        &["conv1.weight", "F16", "F32 and F64"],
    );
}

/// Load the docs example with its safetensors bytes replaced by `edit(bytes)`.
fn load_bytes(edit: impl FnOnce(Vec<u8>) -> Vec<u8>) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, tensors) = doc_example();
    let path = write_model(dir.path(), &manifest, &tensors);
    let bytes = std::fs::read(dir.path().join("model.safetensors")).unwrap();
    std::fs::write(dir.path().join("model.safetensors"), edit(bytes)).unwrap();
    Model::load(&path).expect_err("the file must be rejected")
}

#[test]
fn truncated_and_oversized_files() {
    let file_err = |e: &Error, words: &[&str]| {
        assert!(e.at.ends_with("model.safetensors"), "{e}");
        for w in words {
            assert!(e.message.contains(w), "{e} lacks {w:?}");
        }
    };
    // Cut in the data: the header no longer matches the file.
    let e = load_bytes(|mut b| {
        b.truncate(b.len() - 10);
        b
    });
    file_err(&e, &["not a valid safetensors file"]);
    // Cut in the header.
    let e = load_bytes(|mut b| {
        b.truncate(40);
        b
    });
    file_err(&e, &["larger than the 32 bytes after it"]);
    let e = load_bytes(|mut b| {
        b.truncate(5);
        b
    });
    file_err(&e, &["5 bytes", "too short"]);
    // Header length beyond the file (and beyond the 100 MB limit).
    for n in [1_000_000u64, 1 << 40, u64::MAX] {
        let e = load_bytes(|mut b| {
            b[..8].copy_from_slice(&n.to_le_bytes());
            b
        });
        file_err(&e, &["header length", "larger than"]);
    }
    let e = load_bytes(|_| Vec::new());
    file_err(&e, &["0 bytes"]);
}

#[test]
fn extra_data_and_missing_file() {
    let e = load_bytes(|mut b| {
        b.extend([0u8; 4]);
        b
    });
    assert!(e.message.contains("not a valid safetensors file"), "{e}");
    let e = load_with(|m, _| m["tensors"] = json!("nope.safetensors"));
    assert!(
        e.at.ends_with("nope.safetensors") && e.message.contains("cannot read"),
        "{e}"
    );
}

#[test]
fn cycle() {
    // conv1 reads fc: conv1 -> bn1 -> ... -> fc -> conv1 (q_in becomes unused, but the cycle is
    // reported first).
    let e = load_with(|m, _| {
        node_mut(m, "conv1").insert("inputs".into(), json!(["fc"]));
    });
    expect(
        &e,
        r#"nodes[1] "conv1""#,
        "inputs",
        &["conv1 -> bn1 -> relu1 -> q1 -> pool -> flat -> fc -> conv1"],
    );
    // A self-loop.
    let e = load_with(|m, _| {
        node_mut(m, "relu1").insert("inputs".into(), json!(["relu1"]));
    });
    expect(&e, r#"nodes[3] "relu1""#, "inputs", &["relu1 -> relu1"]);
}

#[test]
fn dangling_input_and_unused_node() {
    let e = load_with(|m, _| {
        node_mut(m, "relu1").insert("inputs".into(), json!(["bn_1"]));
    });
    expect(
        &e,
        r#"nodes[3] "relu1""#,
        "inputs[0]",
        &["\"bn_1\"", "did you mean \"bn1\"?"],
    );
    let e = load_with(|m, _| {
        m["nodes"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "spare", "op": "relu", "inputs": ["x"]}));
    });
    expect(&e, r#"nodes[8] "spare""#, "", &["not used by any output"]);
    let e = load_with(|m, _| m["outputs"] = json!(["fcc"]));
    expect(&e, "outputs[0]", "", &["\"fcc\" is not a node"]);
    let e = load_with(|m, _| {
        node_mut(m, "relu1").insert("inputs".into(), json!(["bn1", "bn1"]));
    });
    expect(
        &e,
        r#"nodes[3] "relu1""#,
        "inputs",
        &["relu takes 1 input(s), got 2"],
    );
}

#[test]
fn duplicate_node_name() {
    let e = load_with(|m, _| {
        node_mut(m, "relu1").insert("name".into(), json!("bn1"));
        node_mut(m, "q1").insert("inputs".into(), json!(["bn1"]));
    });
    expect(
        &e,
        r#"nodes[3] "bn1""#,
        "name",
        &["duplicate name", "nodes[2]"],
    );
    let e = load_with(|m, _| {
        node_mut(m, "relu1").insert("name".into(), json!("x"));
    });
    expect(&e, r#"nodes[3] "x""#, "name", &["graph input inputs[0]"]);
}

#[test]
fn quant_spec_bad_field() {
    let e = load_with(|m, _| {
        let spec = node_mut(m, "q1")["spec"].as_object_mut().unwrap();
        spec.insert("bitz".into(), json!(2));
    });
    assert_eq!(e.at, r#"nodes[4] "q1""#, "{e}");
    assert!(e.field.starts_with("spec"), "{e}");
    assert!(e.message.contains("bitz"), "{e}");
    assert!(e.message.contains("did you mean \"bits\"?"), "{e}");
    let e = load_with(|m, _| {
        node_mut(m, "q1")["spec"]["a"] = json!([0.5, 0.5]);
    });
    expect(&e, r#"nodes[4] "q1""#, "spec.a", &[]);
    let e = load_with(|m, _| {
        node_mut(m, "conv1")["weight_quant"]["bits"] = json!(0);
    });
    expect(&e, r#"nodes[1] "conv1""#, "weight_quant.bits", &[]);
}

#[test]
fn weight_method_on_a_quant_node() {
    for method in ["n2uq-weight", "lcq-weight"] {
        let e = load_with(|m, _| {
            let spec = if method == "n2uq-weight" {
                json!({"method": method, "bits": 2})
            } else {
                json!({"method": method, "bits": 2, "alpha": 1.0, "theta": null})
            };
            node_mut(m, "q1").insert("spec".into(), spec);
        });
        expect(
            &e,
            r#"nodes[4] "q1""#,
            "spec.method",
            &[method, "activation method"],
        );
    }
    let e = load_with(|m, _| {
        node_mut(m, "fc").insert(
            "weight_quant".into(),
            json!({"method": "n2uq-act", "bits": 2, "start": 0.0, "a": [0.5, 0.5, 0.5], "beta1": 1.0, "beta2": 1.0}),
        );
    });
    expect(
        &e,
        r#"nodes[7] "fc""#,
        "weight_quant.method",
        &["activation quantizer"],
    );
}

#[test]
fn conv_input_channels_mismatch() {
    let e = load_with(|_, ts| {
        let w = tensor_mut(ts, "conv1.weight");
        w.shape = vec![2, 2, 3, 3];
    });
    expect(
        &e,
        r#"nodes[1] "conv1""#,
        "weight",
        &["input channels", "has 1"],
    );
    let e = load_with(|m, _| {
        node_mut(m, "conv1").insert("groups".into(), json!(3));
    });
    expect(&e, r#"nodes[1] "conv1""#, "groups", &["does not divide"]);
    let e = load_with(|m, _| {
        m["inputs"][0]["shape"] = json!([1, 2, 2]);
        node_mut(m, "conv1").insert("padding".into(), json!(0));
    });
    expect(
        &e,
        r#"nodes[1] "conv1""#,
        "weight",
        &["window 3 does not fit"],
    );
}

#[test]
fn other_shape_errors() {
    // fc in-features.
    let e = load_with(|m, _| {
        node_mut(m, "pool").insert("kernel".into(), json!(4));
    });
    expect(
        &e,
        r#"nodes[7] "fc""#,
        "weight",
        &["expects an input of [64]", "[16]"],
    );
    // fc straight after a [C, H, W] tensor.
    let e = load_with(|m, _| {
        node_mut(m, "fc").insert("inputs".into(), json!(["pool"]));
        m["nodes"]
            .as_array_mut()
            .unwrap()
            .retain(|n| n["name"] != "flat");
    });
    expect(&e, r#"nodes[6] "fc""#, "weight", &["add a flatten node"]);
    // A quantized layer reading a float tensor.
    let e = load_with(|m, _| {
        node_mut(m, "conv1").insert("inputs".into(), json!(["x"]));
        m["nodes"].as_array_mut().unwrap().remove(0);
    });
    expect(
        &e,
        r#"nodes[0] "conv1""#,
        "weight_quant",
        &["must be quantized", "\"x\""],
    );
    // Padding a quantized conv whose input quantizer has no zero level (binary ±1).
    let e = load_with(|m, _| {
        node_mut(m, "q_in").insert("spec".into(), json!({"method": "binary"}));
    });
    expect(&e, r#"nodes[1] "conv1""#, "padding", &["no zero level"]);
    let e = load_with(|m, _| {
        node_mut(m, "pool").insert("padding".into(), json!(2));
    });
    expect(&e, r#"nodes[5] "pool""#, "padding", &["half the kernel"]);
    let e = load_with(|m, _| {
        node_mut(m, "pool").insert("stride".into(), json!(0));
    });
    expect(&e, r#"nodes[5] "pool""#, "stride", &[">= 1"]);
}

fn n(name: &str, op: Op, inputs: &[&str]) -> Node {
    Node::new(name, op, inputs.iter().map(|s| s.to_string()).collect())
}

#[test]
fn built_in_code() {
    let input = |shape: &[usize]| {
        vec![GraphInput {
            name: "x".into(),
            shape: shape.to_vec(),
        }]
    };
    let e = Model::new(
        "t",
        input(&[2, 2, 2]),
        vec!["a".into()],
        vec![
            n("g", Op::GlobalAvgPool, &["x"]),
            n("a", Op::Add, &["x", "g"]),
        ],
    )
    .unwrap_err();
    expect(&e, r#"nodes[1] "a""#, "inputs", &["[2, 2, 2]", "[2]"]);
    let e = Model::new(
        "t",
        input(&[2, 0, 2]),
        vec!["r".into()],
        vec![n("r", Op::Relu, &["x"])],
    )
    .unwrap_err();
    expect(&e, r#"inputs[0] "x""#, "shape", &[]);
    let e = Model::new(
        "t",
        input(&[2, 2]),
        vec!["r".into()],
        vec![n("r", Op::Relu, &["x"])],
    )
    .unwrap_err();
    expect(&e, r#"inputs[0] "x""#, "shape", &["[C, H, W] or [F]"]);
    let e = Model::new(
        "t",
        input(&[4]),
        vec!["p".into()],
        vec![n(
            "p",
            Op::MaxPool {
                kernel: 2,
                stride: 2,
                padding: 0,
            },
            &["x"],
        )],
    )
    .unwrap_err();
    expect(&e, r#"nodes[0] "p""#, "inputs[0]", &["[C, H, W]"]);
    let e = Model::new(
        "t",
        input(&[1, 4, 4]),
        vec!["p".into()],
        vec![n(
            "p",
            Op::MaxPool {
                kernel: 2,
                stride: 2,
                padding: usize::MAX / 2 + 1,
            },
            &["x"],
        )],
    )
    .unwrap_err();
    assert_eq!(e.field, "padding", "{e}");
    let e = Model::new("t", input(&[4]), vec![], vec![]).unwrap_err();
    expect(&e, "manifest", "outputs", &[]);
}

#[test]
fn not_json() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, tensors) = doc_example();
    let path = write_model(dir.path(), &manifest, &tensors);
    std::fs::write(&path, b"{\"format\": ").unwrap();
    let e = Model::load(&path).unwrap_err();
    assert!(
        e.at.ends_with("model.json") && e.message.contains("not valid JSON"),
        "{e}"
    );
    std::fs::write(&path, b"[]").unwrap();
    let e = Model::load(&path).unwrap_err();
    assert!(e.message.contains("JSON object"), "{e}");
    let e = Model::load(&dir.path().join("missing")).unwrap_err();
    assert!(e.message.contains("cannot read the manifest"), "{e}");
    let _ = safetensors_bytes(&[]);
}
