//! Tensors and the safetensors file that holds them.
//!
//! Reading checks what the `safetensors` crate would otherwise report vaguely, before calling
//! it: the file has its 8-byte header length, and the header fits the file and is at most
//! 100 MB. Only the tensors a node names are converted (`F32` or `F64`, little-endian, C
//! order, widened to `f64`, every element finite); extra tensors of any dtype are ignored
//! (a PyTorch `state_dict` carries e.g. `I64` `num_batches_tracked`). Writing stores `F64`,
//! so a written model reads back bit for bit.

use std::path::Path;

use safetensors::tensor::{Dtype, Metadata, TensorView};
use safetensors::SafeTensors;

use crate::error::{Error, Result};

/// The largest safetensors JSON header accepted (bytes).
pub const MAX_HEADER_LEN: u64 = 100_000_000;

/// A dense row-major tensor of float64 values.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// The shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Row-major (C order) data; `data.len()` is the product of `shape`.
    pub data: Vec<f64>,
}

impl Tensor {
    /// A tensor; errors (naming `what`) when `data` does not fill `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Result<Self> {
        let n = checked_numel(&shape);
        if n != Some(data.len()) {
            return Err(Error::new(
                "tensor",
                "",
                format!(
                    "shape {shape:?} does not hold the {} given values",
                    data.len()
                ),
            ));
        }
        Ok(Tensor { shape, data })
    }

    /// A 1-D tensor.
    pub fn vector(data: Vec<f64>) -> Self {
        Tensor {
            shape: vec![data.len()],
            data,
        }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }
}

/// The product of `shape`, or `None` on overflow.
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// `(file bytes, elements of every tensor)` of the safetensors file at `path`, from its
/// header alone (the data is not read): what a memory estimate is based on. `None` when the
/// header cannot be read or parsed (the loader then reports what is wrong).
pub fn peek_elements(path: &Path) -> Option<(u64, u64)> {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut n = [0u8; 8];
    f.read_exact(&mut n).ok()?;
    let header_len = u64::from_le_bytes(n);
    if header_len > MAX_HEADER_LEN || header_len > len.saturating_sub(8) {
        return None;
    }
    let mut header = vec![0u8; header_len as usize];
    f.read_exact(&mut header).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&header).ok()?;
    let mut elements = 0u64;
    for (name, info) in v.as_object()? {
        if name == "__metadata__" {
            continue;
        }
        let numel = info
            .get("shape")?
            .as_array()?
            .iter()
            .try_fold(1u64, |n, d| d.as_u64().map(|d| n.saturating_mul(d)))?;
        elements = elements.saturating_add(numel);
    }
    Some((len, elements))
}

/// A safetensors file read into memory and its header parsed and checked.
pub struct TensorFile {
    /// The file's name as used in errors.
    pub name: String,
    bytes: Vec<u8>,
    /// Where the data starts (8 + header length).
    data_start: usize,
    /// The parsed and validated header.
    meta: Metadata,
}

impl TensorFile {
    /// Read `path` and check its header (naming the file on any failure).
    pub fn read(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::new(&name, "", format!("cannot read the tensor file: {e}")))?;
        Self::from_bytes(name, bytes)
    }

    /// Check the bytes of a safetensors file; `name` is used in errors.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<Self> {
        let len = bytes.len() as u64;
        let err = |m: String| Error::new(&name, "", m);
        if len < 8 {
            return Err(err(format!(
                "is {len} bytes, too short for a safetensors file (8-byte header length missing)"
            )));
        }
        let mut n = [0u8; 8];
        n.copy_from_slice(&bytes[..8]);
        let header_len = u64::from_le_bytes(n);
        if header_len > len - 8 {
            return Err(err(format!(
                "header length {header_len} is larger than the {} bytes after it (truncated file?)",
                len - 8
            )));
        }
        if header_len > MAX_HEADER_LEN {
            return Err(err(format!(
                "header length {header_len} exceeds the limit of {MAX_HEADER_LEN} bytes"
            )));
        }
        let (n, meta) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| err(format!("is not a valid safetensors file: {e}")))?;
        Ok(TensorFile {
            name,
            bytes,
            data_start: 8 + n,
            meta,
        })
    }

    /// Whether the file holds a tensor called `tensor`.
    pub fn contains(&self, tensor: &str) -> bool {
        self.meta.info(tensor).is_some()
    }

    /// The tensor called `tensor`, widened to f64. Errors name the tensor and the file.
    pub fn get(&self, tensor: &str) -> Result<Tensor> {
        let at = format!("tensor {tensor:?} in {}", self.name);
        let info = self
            .meta
            .info(tensor)
            .ok_or_else(|| Error::new(&at, "", "is not in the file"))?;
        let shape = info.shape.clone();
        let size = match info.dtype {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
            other => {
                return Err(Error::new(
                    &at,
                    "dtype",
                    format!("is {other:?}; qforge reads F32 and F64 tensors only"),
                ))
            }
        };
        let (lo, hi) = info.data_offsets;
        let bytes = lo
            .checked_add(self.data_start)
            .zip(hi.checked_add(self.data_start))
            .and_then(|(lo, hi)| self.bytes.get(lo..hi))
            .ok_or_else(|| {
                Error::new(
                    &at,
                    "data_offsets",
                    format!("[{lo}, {hi}] lie outside the file"),
                )
            })?;
        let want = checked_numel(&shape).and_then(|n| n.checked_mul(size));
        if want != Some(bytes.len()) {
            return Err(Error::new(
                &at,
                "data_offsets",
                format!(
                    "hold {} bytes but shape {shape:?} of {:?} needs {}",
                    bytes.len(),
                    info.dtype,
                    want.map_or("more than usize::MAX".to_string(), |w| w.to_string())
                ),
            ));
        }
        let data: Vec<f64> = if size == 4 {
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
                .collect()
        } else {
            bytes
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8-byte chunk")))
                .collect()
        };
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::new(
                &at,
                format!("[{i}]"),
                format!("is {}; tensors must be finite", data[i]),
            ));
        }
        Ok(Tensor { shape, data })
    }
}

/// Serialize named tensors as a safetensors file (F64, sorted by name).
pub fn to_safetensors(tensors: &[(String, &Tensor)]) -> Result<Vec<u8>> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| {
            let data = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
            (name.clone(), t.shape.clone(), data)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, shape, data)| {
            TensorView::new(Dtype::F64, shape.clone(), data)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::new(format!("tensor {name:?}"), "", e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, None)
        .map_err(|e| Error::new("model.safetensors", "", format!("cannot serialize: {e}")))
}
