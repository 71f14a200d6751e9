//! Decoding one `TensorProto` (an initializer or a `TENSOR` attribute): dims, data type and
//! elements from the typed fields, `raw_data`, or an external data file, every length
//! checked against the dims before anything is allocated from it.

use std::path::Path;

use super::{Const, Data, MAX_ELEMENTS};
use crate::error::{Error, Result};
use crate::proto;

/// Decode a tensor: dims, data type and elements, every length checked.
pub fn tensor(t: &proto::TensorProto, dir: Option<&Path>) -> Result<Const> {
    use proto::tensor_proto::DataType as D;
    let at = format!("initializer {:?}", t.name());
    let mut dims = Vec::with_capacity(t.dims.len());
    let mut numel: usize = 1;
    for &d in &t.dims {
        let d = usize::try_from(d)
            .map_err(|_| Error::new(&at, format!("negative dimension {d} in {:?}", t.dims)))?;
        numel = numel
            .checked_mul(d)
            .filter(|&n| n <= MAX_ELEMENTS)
            .ok_or_else(|| {
                Error::new(
                    &at,
                    format!("dims {:?} exceed {MAX_ELEMENTS} elements", t.dims),
                )
            })?;
        dims.push(d);
    }
    let dt = D::try_from(t.data_type()).unwrap_or(D::Undefined);
    let raw = match t.data_location() {
        proto::tensor_proto::DataLocation::External => Some(external(t, dir, &at)?),
        proto::tensor_proto::DataLocation::Default => t.raw_data.clone(),
    };
    let width = match dt {
        D::Float | D::Int32 | D::Uint32 => 4,
        D::Double | D::Int64 | D::Uint64 => 8,
        D::Int16 | D::Uint16 => 2,
        D::Int8 | D::Uint8 | D::Bool => 1,
        other => {
            return Err(Error::new(
                &at,
                format!(
                    "data type {} is not supported (float32, float64 and integers are)",
                    other.as_str_name()
                ),
            ))
        }
    };
    let count_err = |got: usize| {
        Error::new(
            &at,
            format!("dims {dims:?} need {numel} elements, the data holds {got} (truncated file?)"),
        )
    };
    let data = if let Some(raw) = raw {
        if raw.len() != numel * width {
            return Err(count_err(raw.len() / width));
        }
        let le = raw.chunks_exact(width);
        match dt {
            D::Float => Data::Float {
                values: le
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64)
                    .collect(),
                f32: true,
            },
            D::Double => Data::Float {
                values: le
                    .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                    .collect(),
                f32: false,
            },
            _ => Data::Int(
                le.map(|b| int_le(b, dt))
                    .collect::<Option<Vec<i64>>>()
                    .ok_or_else(|| Error::new(&at, "a uint64 value does not fit int64"))?,
            ),
        }
    } else {
        let got = match dt {
            D::Float => t.float_data.len(),
            D::Double => t.double_data.len(),
            D::Int64 => t.int64_data.len(),
            D::Uint32 | D::Uint64 => t.uint64_data.len(),
            _ => t.int32_data.len(),
        };
        if got != numel {
            return Err(count_err(got));
        }
        match dt {
            D::Float => Data::Float {
                values: t.float_data.iter().map(|&v| v as f64).collect(),
                f32: true,
            },
            D::Double => Data::Float {
                values: t.double_data.clone(),
                f32: false,
            },
            D::Int64 => Data::Int(t.int64_data.clone()),
            D::Uint32 | D::Uint64 => Data::Int(
                t.uint64_data
                    .iter()
                    .map(|&v| i64::try_from(v).ok())
                    .collect::<Option<Vec<i64>>>()
                    .ok_or_else(|| Error::new(&at, "a uint64 value does not fit int64"))?,
            ),
            _ => Data::Int(t.int32_data.iter().map(|&v| v as i64).collect()),
        }
    };
    Ok(Const {
        name: t.name().to_string(),
        dims,
        data,
    })
}

fn int_le(b: &[u8], dt: proto::tensor_proto::DataType) -> Option<i64> {
    use proto::tensor_proto::DataType as D;
    Some(match dt {
        D::Int32 => i32::from_le_bytes(b.try_into().ok()?) as i64,
        D::Uint32 => u32::from_le_bytes(b.try_into().ok()?) as i64,
        D::Int64 => i64::from_le_bytes(b.try_into().ok()?),
        D::Uint64 => i64::try_from(u64::from_le_bytes(b.try_into().ok()?)).ok()?,
        D::Int16 => i16::from_le_bytes(b.try_into().ok()?) as i64,
        D::Uint16 => u16::from_le_bytes(b.try_into().ok()?) as i64,
        D::Int8 => b[0] as i8 as i64,
        _ => b[0] as i64,
    })
}

/// The bytes of an external-data tensor (`location`, `offset`, `length` keys), read from
/// `dir`; the location must be a plain relative path inside `dir`.
fn external(t: &proto::TensorProto, dir: Option<&Path>, at: &str) -> Result<bytes::Bytes> {
    let key = |k: &str| {
        t.external_data
            .iter()
            .find(|e| e.key() == k)
            .map(|e| e.value().to_string())
    };
    let dir = dir.ok_or_else(|| {
        Error::new(
            at,
            "stored as external data, but no directory to read it from",
        )
    })?;
    let loc =
        key("location").ok_or_else(|| Error::new(at, "external data without a \"location\""))?;
    let rel = Path::new(&loc);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(Error::new(
            at,
            format!("external data location {loc:?} must be a relative path without \"..\""),
        ));
    }
    let num = |k: &str| -> Result<Option<u64>> {
        key(k)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| Error::new(at, format!("external data {k} {v:?} is not a number")))
            })
            .transpose()
    };
    let (offset, length) = (num("offset")?.unwrap_or(0), num("length")?);
    let path = dir.join(rel);
    let bytes = std::fs::read(&path)
        .map_err(|e| Error::new(at, format!("external data {}: {e}", path.display())))?;
    let end = match length {
        Some(l) => offset.checked_add(l),
        None => Some(bytes.len() as u64),
    };
    match end {
        Some(end) if offset <= end && end <= bytes.len() as u64 => {
            Ok(bytes::Bytes::from(bytes).slice(offset as usize..end as usize))
        }
        _ => Err(Error::new(
            at,
            format!(
                "external data {} has {} bytes, offset {offset} length {length:?} lie outside it",
                path.display(),
                bytes.len()
            ),
        )),
    }
}
