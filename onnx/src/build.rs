//! Building ONNX messages in code: attributes, float tensors, value infos, nodes and a model
//! with its opset imports. For tests (malformed graphs are built by breaking a valid one) and
//! for `qforge bench --onnx`'s synthetic QONNX ResNet-18.

use crate::proto::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The QONNX custom-op domain.
pub const QONNX: &str = "qonnx.custom_op.general";

/// An `INT` attribute.
pub fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(v),
        ..Default::default()
    }
}

/// An `INTS` attribute.
pub fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints: v.to_vec(),
        ..Default::default()
    }
}

/// A `FLOAT` attribute.
pub fn attr_float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Float as i32),
        f: Some(v),
        ..Default::default()
    }
}

/// A `STRING` attribute.
pub fn attr_str(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::String as i32),
        s: Some(v.as_bytes().to_vec().into()),
        ..Default::default()
    }
}

/// A float32 tensor in `float_data` (`raw` false) or little-endian `raw_data` (`raw` true).
pub fn tensor_f32(name: &str, dims: &[i64], v: &[f32], raw: bool) -> TensorProto {
    let mut t = TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(DataType::Float as i32),
        ..Default::default()
    };
    if raw {
        t.raw_data = Some(
            v.iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<u8>>()
                .into(),
        );
    } else {
        t.float_data = v.to_vec();
    }
    t
}

/// A fixed dimension.
pub fn dim(v: i64) -> tensor_shape_proto::dimension::Value {
    tensor_shape_proto::dimension::Value::DimValue(v)
}

/// A symbolic dimension.
pub fn dim_param(name: &str) -> tensor_shape_proto::dimension::Value {
    tensor_shape_proto::dimension::Value::DimParam(name.into())
}

/// A float32 tensor value info of the given dims.
pub fn value_info(name: &str, dims: &[tensor_shape_proto::dimension::Value]) -> ValueInfoProto {
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(DataType::Float as i32),
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| tensor_shape_proto::Dimension {
                            value: Some(d.clone()),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A node.
pub fn node(
    name: &str,
    op: &str,
    domain: &str,
    inputs: &[&str],
    outputs: &[&str],
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        name: Some(name.into()),
        op_type: Some(op.into()),
        domain: Some(domain.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs,
        ..Default::default()
    }
}

/// A QONNX `Quant` node (`rounding_mode` ROUND) reading `[x, scale, zeropt, bitwidth]`.
pub fn quant(name: &str, inputs: [&str; 4], output: &str, signed: bool, narrow: bool) -> NodeProto {
    node(
        name,
        "Quant",
        QONNX,
        &inputs,
        &[output],
        vec![
            attr_int("signed", signed as i64),
            attr_int("narrow", narrow as i64),
            attr_str("rounding_mode", "ROUND"),
        ],
    )
}

/// A model around `graph`: IR version `ir`, `ai.onnx` opset `opset` and QONNX opset 2.
pub fn model(graph: GraphProto, ir: i64, opset: i64) -> ModelProto {
    ModelProto {
        ir_version: Some(ir),
        opset_import: vec![
            OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(opset),
            },
            OperatorSetIdProto {
                domain: Some(QONNX.into()),
                version: Some(2),
            },
        ],
        graph: Some(graph),
        ..Default::default()
    }
}
