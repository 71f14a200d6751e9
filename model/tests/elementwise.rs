//! The elementwise ops with a constant (`mul`, `div`, `add_const`): float semantics by hand,
//! broadcasting, and the errors of a bad constant, built in code and read from a manifest.

mod common;

use common::{t, write_model};
use model::{float, Error, GraphInput, Model, Node, Op, Tensor};
use serde_json::json;

fn input(shape: &[usize]) -> Vec<GraphInput> {
    vec![GraphInput {
        name: "x".into(),
        shape: shape.to_vec(),
    }]
}

fn tensor(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec()).unwrap()
}

fn one(shape: &[usize], op: Op) -> Result<Model, Error> {
    Model::new(
        "t",
        input(shape),
        vec!["y".into()],
        vec![Node::new("y", op, vec!["x".into()])],
    )
}

fn run1(shape: &[usize], op: Op, x: &[f64]) -> Vec<f64> {
    let m = one(shape, op).unwrap();
    float::run(&m, x).unwrap().tensor("y").unwrap().data.clone()
}

#[track_caller]
fn expect(e: &Error, at: &str, field: &str, words: &[&str]) {
    assert_eq!((e.at.as_str(), e.field.as_str()), (at, field), "{e}");
    let text = e.to_string();
    for w in words {
        assert!(text.contains(w), "{text:?} lacks {w:?}");
    }
}

#[test]
fn semantics_are_exact_float64() {
    let x = [1.0, -3.0, 0.1, 7.0, 2.5, -0.3];
    // Scalar, in every shape with one element.
    for shape in [vec![], vec![1], vec![1, 1, 1]] {
        let v = tensor(&shape, &[0.7]);
        let y = run1(&[2, 1, 3], Op::Mul { value: v.clone() }, &x);
        assert_eq!(y, x.iter().map(|a| a * 0.7).collect::<Vec<_>>());
        let y = run1(&[2, 1, 3], Op::Div { value: v.clone() }, &x);
        assert_eq!(y, x.iter().map(|a| a / 0.7).collect::<Vec<_>>());
        let y = run1(&[6], Op::AddConst { value: v }, &x);
        assert_eq!(y, x.iter().map(|a| a + 0.7).collect::<Vec<_>>());
    }
    // Per channel of [C, H, W]: [C] and [C, 1, 1].
    let per = [3.0, -0.1];
    let want_mul: Vec<f64> = x.iter().enumerate().map(|(i, a)| a * per[i / 3]).collect();
    let want_div: Vec<f64> = x.iter().enumerate().map(|(i, a)| a / per[i / 3]).collect();
    for shape in [vec![2], vec![2, 1, 1]] {
        let v = tensor(&shape, &per);
        assert_eq!(run1(&[2, 3, 1], Op::Mul { value: v.clone() }, &x), want_mul);
        assert_eq!(run1(&[2, 3, 1], Op::Div { value: v }, &x), want_div);
    }
    // Per feature of [F].
    let v = tensor(&[6], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(
        run1(&[6], Op::AddConst { value: v }, &x),
        vec![2.0, -1.0, 3.1, 11.0, 7.5, 5.7]
    );
}

#[test]
fn bad_constants_are_errors() {
    let e = one(
        &[2, 3, 1],
        Op::Mul {
            value: tensor(&[3], &[1.0, 2.0, 3.0]),
        },
    )
    .unwrap_err();
    expect(
        &e,
        r#"nodes[0] "y""#,
        "value",
        &["[3]", "scalar", "[2] or [2, 1, 1]", "[2, 3, 1]"],
    );
    let e = one(
        &[2, 3, 1],
        Op::AddConst {
            value: tensor(&[1, 2], &[1.0, 2.0]),
        },
    )
    .unwrap_err();
    expect(&e, r#"nodes[0] "y""#, "value", &["[1, 2]"]);
    let e = one(
        &[4],
        Op::Mul {
            value: tensor(&[4, 1, 1], &[1.0; 4]),
        },
    )
    .unwrap_err();
    expect(&e, r#"nodes[0] "y""#, "value", &["[4]"]);
    let e = one(
        &[2],
        Op::Div {
            value: tensor(&[2], &[1.0, 0.0]),
        },
    )
    .unwrap_err();
    expect(&e, r#"nodes[0] "y""#, "value[1]", &["divide by zero"]);
    let e = one(
        &[2],
        Op::Div {
            value: tensor(&[], &[-0.0]),
        },
    )
    .unwrap_err();
    expect(&e, r#"nodes[0] "y""#, "value[0]", &["divide by zero"]);
    let e = one(
        &[2],
        Op::AddConst {
            value: tensor(&[2], &[1.0, f64::NAN]),
        },
    )
    .unwrap_err();
    expect(&e, r#"nodes[0] "y""#, "value[1]", &["finite"]);
    let e = one(
        &[2],
        Op::Mul {
            value: Tensor {
                shape: vec![3],
                data: vec![1.0, 2.0],
            },
        },
    )
    .unwrap_err();
    expect(&e, r#"nodes[0] "y""#, "value", &["does not match"]);
    // Zero is fine to multiply by or add.
    assert_eq!(
        run1(
            &[2],
            Op::Mul {
                value: tensor(&[], &[0.0])
            },
            &[1.0, -2.0]
        ),
        vec![0.0, -0.0]
    );
}

fn manifest(op: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut node = json!({ "name": "k", "op": op, "inputs": ["x"] });
    for (key, v) in extra.as_object().unwrap() {
        node[key] = v.clone();
    }
    json!({
        "format": "qforge-model", "version": 1, "name": "t", "tensors": "model.safetensors",
        "inputs": [{ "name": "x", "shape": [2, 2, 2] }], "outputs": ["k"], "nodes": [node]
    })
}

#[test]
fn manifest_reads_writes_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let tensors = [t("c", &[2, 1, 1], &[0.5, -4.0]), t("z", &[2], &[0.5, 0.0])];
    for op in ["mul", "div", "add_const"] {
        let path = write_model(dir.path(), &manifest(op, json!({"value": "c"})), &tensors);
        let m = Model::load(&path).unwrap();
        assert_eq!(m.nodes[0].op.name(), op);
        assert_eq!(m.nodes[0].op.value().unwrap().data, vec![0.5, -4.0]);
        let out = tempfile::tempdir().unwrap();
        m.to_dir(out.path()).unwrap();
        let back = Model::load(out.path()).unwrap();
        assert_eq!(back, m);
        let (json, named) = m.to_manifest();
        assert_eq!(json["nodes"][0]["value"], "k.value");
        assert_eq!(named[0].0, "k.value");
    }
    let path = write_model(
        dir.path(),
        &manifest("div", json!({"value": "z"})),
        &tensors,
    );
    let e = Model::load(&path).unwrap_err();
    expect(&e, r#"nodes[0] "k""#, "value[1]", &["zero"]);
    let path = write_model(dir.path(), &manifest("mul", json!({})), &tensors);
    let e = Model::load(&path).unwrap_err();
    expect(&e, r#"nodes[0] "k""#, "", &["missing field `value`"]);
    let path = write_model(
        dir.path(),
        &manifest("add_const", json!({"valu": "c"})),
        &tensors,
    );
    let e = Model::load(&path).unwrap_err();
    expect(&e, r#"nodes[0] "k""#, "valu", &["did you mean \"value\""]);
    let path = write_model(
        dir.path(),
        &manifest("mul", json!({"value": "nope"})),
        &tensors,
    );
    let e = Model::load(&path).unwrap_err();
    assert_eq!(e.field, "value", "{e}");
    let path = write_model(dir.path(), &manifest("mull", json!({})), &tensors);
    let e = Model::load(&path).unwrap_err();
    expect(&e, r#"nodes[0] "k""#, "op", &["did you mean \"mul\""]);
}
