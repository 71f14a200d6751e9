//! Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
//!
//! Reads float32 and float64 arrays of any shape, little- or big-endian, C or Fortran order
//! (Fortran arrays are returned in row-major order). Writes little-endian, C-order int32,
//! float32 and float64 arrays with a version 1.0 header. Every malformed file gets an error
//! naming the file and what is wrong with it.

use crate::error::{Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";

/// The element type of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// float32
    F32,
    /// float64
    F64,
    /// int32
    I32,
}

impl Dtype {
    fn descr(self) -> &'static str {
        match self {
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
            Dtype::I32 => "<i4",
        }
    }
}

/// A float array read from a `.npy` file, widened to f64, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatArray {
    /// The dtype stored in the file.
    pub dtype: Dtype,
    /// The shape (empty for a 0-d array).
    pub shape: Vec<usize>,
    /// Row-major data.
    pub data: Vec<f64>,
}

/// Parse a `.npy` file's bytes; `name` is used in errors.
pub fn parse_float(bytes: &[u8], name: &str) -> Result<FloatArray> {
    let err = |msg: String| Error::new(name, msg);
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(err(
            "is not a .npy file (missing the \\x93NUMPY magic)".into()
        ));
    }
    let major = bytes[6];
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(err("truncated header".into()));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(err(format!("unsupported .npy format version {v}"))),
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| {
            err(format!(
                "header length {header_len} runs past the end of the file"
            ))
        })?;
    let header = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| err("header is not valid text".into()))?;
    let descr = dict_value(header, "descr")
        .and_then(parse_quoted)
        .ok_or_else(|| err(format!("header has no readable 'descr': {}", header.trim())))?;
    let fortran = match dict_value(header, "fortran_order").map(|v| v.trim_start()) {
        Some(v) if v.starts_with("True") => true,
        Some(v) if v.starts_with("False") => false,
        _ => {
            return Err(err(format!(
                "header has no readable 'fortran_order': {}",
                header.trim()
            )))
        }
    };
    let shape = dict_value(header, "shape")
        .and_then(parse_shape)
        .ok_or_else(|| err(format!("header has no readable 'shape': {}", header.trim())))?;
    let (dtype, big) = match descr.as_str() {
        "<f4" | "=f4" | "|f4" => (Dtype::F32, false),
        ">f4" => (Dtype::F32, true),
        "<f8" | "=f8" | "|f8" => (Dtype::F64, false),
        ">f8" => (Dtype::F64, true),
        other => {
            return Err(err(format!(
                "unsupported dtype '{other}': qforge reads float32 or float64"
            )))
        }
    };
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| err(format!("shape {shape:?} is too large")))?;
    let width = if dtype == Dtype::F32 { 4 } else { 8 };
    let body = &bytes[end..];
    if body.len() != count * width {
        return Err(err(format!(
            "data is {} bytes but shape {shape:?} of {descr} needs {} (file truncated or corrupt)",
            body.len(),
            count * width
        )));
    }
    let mut data: Vec<f64> = body
        .chunks_exact(width)
        .map(|c| match (dtype, big) {
            (Dtype::F32, false) => f32::from_le_bytes(c.try_into().unwrap()) as f64,
            (Dtype::F32, true) => f32::from_be_bytes(c.try_into().unwrap()) as f64,
            (_, false) => f64::from_le_bytes(c.try_into().unwrap()),
            (_, true) => f64::from_be_bytes(c.try_into().unwrap()),
        })
        .collect();
    if fortran && shape.len() > 1 {
        data = fortran_to_c(&data, &shape);
    }
    Ok(FloatArray { dtype, shape, data })
}

/// Read a float `.npy` file.
pub fn read_float(path: &std::path::Path) -> Result<FloatArray> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::new(&name, format!("cannot read: {e}")))?;
    parse_float(&bytes, &name)
}

/// The bytes of a `.npy` file holding `shape` and little-endian element bytes `body`.
fn encode(dtype: Dtype, shape: &[usize], body: Vec<u8>) -> Vec<u8> {
    let shape_text = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        dtype.descr(),
        shape_text
    );
    // Pad so that magic + version + length + header + '\n' is a multiple of 64.
    let total = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&body);
    out
}

/// The bytes of an int32 `.npy` file.
pub fn encode_i32(shape: &[usize], data: &[i32]) -> Vec<u8> {
    encode(
        Dtype::I32,
        shape,
        data.iter().flat_map(|v| v.to_le_bytes()).collect(),
    )
}

/// The bytes of a float `.npy` file of `dtype` (F32 or F64).
pub fn encode_float(dtype: Dtype, shape: &[usize], data: &[f64]) -> Vec<u8> {
    let body = match dtype {
        Dtype::F32 => data
            .iter()
            .flat_map(|&v| (v as f32).to_le_bytes())
            .collect(),
        _ => data.iter().flat_map(|v| v.to_le_bytes()).collect(),
    };
    encode(
        if dtype == Dtype::I32 {
            Dtype::F64
        } else {
            dtype
        },
        shape,
        body,
    )
}

/// The text after `'key':` in a header dict.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pat_single = format!("'{key}'");
    let pat_double = format!("\"{key}\"");
    let pos = header
        .find(&pat_single)
        .map(|p| p + pat_single.len())
        .or_else(|| header.find(&pat_double).map(|p| p + pat_double.len()))?;
    let rest = header[pos..].trim_start();
    rest.strip_prefix(':')
}

fn parse_quoted(v: &str) -> Option<String> {
    let v = v.trim_start();
    let q = v.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &v[1..];
    inner.find(q).map(|e| inner[..e].to_string())
}

fn parse_shape(v: &str) -> Option<Vec<usize>> {
    let v = v.trim_start().strip_prefix('(')?;
    let inner = &v[..v.find(')')?];
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse().ok())
        .collect()
}

fn fortran_to_c(data: &[f64], shape: &[usize]) -> Vec<f64> {
    let n = data.len();
    let mut out = vec![0.0; n];
    let mut idx = vec![0usize; shape.len()];
    for (c_pos, slot) in out.iter_mut().enumerate() {
        let mut rem = c_pos;
        for d in (0..shape.len()).rev() {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        let mut f_pos = 0;
        for d in (0..shape.len()).rev() {
            f_pos = f_pos * shape[d] + idx[d];
        }
        *slot = data[f_pos];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_f32_and_f64() {
        for dtype in [Dtype::F32, Dtype::F64] {
            let data = vec![1.5, -2.25, 0.0, 3.0, 4.0, 5.0];
            let bytes = encode_float(dtype, &[2, 3], &data);
            assert_eq!(
                bytes.len() % 64,
                (6 * if dtype == Dtype::F32 { 4 } else { 8 }) % 64
            );
            let a = parse_float(&bytes, "x.npy").unwrap();
            assert_eq!(
                (a.dtype, a.shape.clone(), a.data.clone()),
                (dtype, vec![2, 3], data)
            );
        }
    }

    #[test]
    fn numpy_written_header_and_fortran_order() {
        // As numpy writes np.asfortranarray(np.arange(6, dtype='>f8').reshape(2, 3)).
        let header = "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }";
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        for v in [0.0f64, 3.0, 1.0, 4.0, 2.0, 5.0] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        let a = parse_float(&bytes, "f.npy").unwrap();
        assert_eq!(a.data, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn scalar_and_empty_shapes() {
        let bytes = encode_float(Dtype::F64, &[], &[7.0]);
        assert_eq!(parse_float(&bytes, "s").unwrap().shape, Vec::<usize>::new());
        let bytes = encode_float(Dtype::F32, &[0, 4], &[]);
        assert_eq!(parse_float(&bytes, "e").unwrap().data.len(), 0);
    }

    #[test]
    fn bad_files_name_the_problem() {
        let good = encode_float(Dtype::F32, &[4], &[1.0, 2.0, 3.0, 4.0]);
        let e = parse_float(&good[..good.len() - 3], "t.npy").unwrap_err();
        assert!(e.field == "t.npy" && e.message.contains("truncated"), "{e}");
        let e = parse_float(b"hello world", "t.npy").unwrap_err();
        assert!(e.message.contains("magic"), "{e}");
        let ints = encode_i32(&[2], &[1, 2]);
        let e = parse_float(&ints, "i.npy").unwrap_err();
        assert!(e.message.contains("unsupported dtype '<i4'"), "{e}");
        let mut bad = good.clone();
        bad[8] = 0xff;
        bad[9] = 0xff;
        assert!(parse_float(&bad, "h.npy")
            .unwrap_err()
            .message
            .contains("header length"));
        let mut bad = good.clone();
        let p = bad.windows(5).position(|w| w == b"shape").unwrap();
        bad[p] = b'x';
        assert!(parse_float(&bad, "s.npy")
            .unwrap_err()
            .message
            .contains("'shape'"));
    }
}
