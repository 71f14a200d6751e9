//! The quantizer spec file (`qforge quantize --spec`): one JSON object whose `method` selects
//! the family, with the field names of `shared/spec/quantizers.md`. Parsing reports the path of
//! a bad field; preparing a spec against a tensor fixes any tensor statistics (N2UQ weights
//! per output channel, LCQ LWN over the whole tensor) and yields one scalar quantizer per
//! channel.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::lcq::{LcqAct, LcqActSpec, LcqWeightSpec};
use crate::multithreshold::{MultiThreshold, MultiThresholdSpec};
use crate::n2uq::{N2uqAct, N2uqActSpec, N2uqWeightSpec};
use crate::qn::{Qn, QnSpec};
use crate::scalar::ScalarQuantizer;
use crate::uniform::{Binary, BinarySpec, Ternary, TernarySpec, Uniform, UniformSpec};

/// A quantizer spec, tagged by `method`.
///
/// Deserialization goes through [`QuantSpec::from_value`] so that errors name the field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method")]
pub enum QuantSpec {
    /// N2UQ activation quantizer.
    #[serde(rename = "n2uq-act")]
    N2uqAct(N2uqActSpec),
    /// N2UQ weight quantizer (per output channel).
    #[serde(rename = "n2uq-weight")]
    N2uqWeight(N2uqWeightSpec),
    /// LCQ activation quantizer.
    #[serde(rename = "lcq-act")]
    LcqAct(LcqActSpec),
    /// LCQ weight quantizer (LWN over the whole tensor).
    #[serde(rename = "lcq-weight")]
    LcqWeight(LcqWeightSpec),
    /// Quantization Networks.
    #[serde(rename = "qn")]
    Qn(QnSpec),
    /// Uniform n-bit.
    #[serde(rename = "uniform")]
    Uniform(UniformSpec),
    /// Binary ±1.
    #[serde(rename = "binary")]
    Binary(BinarySpec),
    /// Ternary −1/0/+1.
    #[serde(rename = "ternary")]
    Ternary(TernarySpec),
    /// FINN/QONNX MultiThreshold (activations).
    #[serde(rename = "multithreshold")]
    MultiThreshold(MultiThresholdSpec),
}

impl QuantSpec {
    /// Every method name.
    pub const METHODS: [&'static str; 9] = [
        "n2uq-act",
        "n2uq-weight",
        "lcq-act",
        "lcq-weight",
        "qn",
        "uniform",
        "binary",
        "ternary",
        "multithreshold",
    ];

    /// Parse and validate a spec from JSON text. Errors name the field (`a[2]`, `theta`, ...),
    /// including numbers out of float range.
    pub fn from_json(text: &str) -> Result<Self> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let value: Value = serde_path_to_error::deserialize(de).map_err(path_error)?;
        Self::from_value(value)
    }

    /// Build and validate a spec from a parsed JSON value (two passes: `method` first, then the
    /// method's own fields, so serde can report the path of a bad field).
    pub fn from_value(value: Value) -> Result<Self> {
        let Value::Object(mut map) = value else {
            return Err(Error::new("spec", "must be a JSON object"));
        };
        let method = match map.remove("method") {
            Some(Value::String(m)) => m,
            Some(other) => {
                return Err(Error::new(
                    "method",
                    format!("must be a string, got {other}"),
                ))
            }
            None => {
                return Err(Error::new(
                    "method",
                    format!("is missing; one of {}", Self::METHODS.join(", ")),
                ))
            }
        };
        let rest = Value::Object(map);
        let spec = match method.as_str() {
            "n2uq-act" => QuantSpec::N2uqAct(fields(rest)?),
            "n2uq-weight" => QuantSpec::N2uqWeight(fields(rest)?),
            "lcq-act" => QuantSpec::LcqAct(fields(rest)?),
            "lcq-weight" => QuantSpec::LcqWeight(fields(rest)?),
            "qn" => QuantSpec::Qn(fields(rest)?),
            "uniform" => QuantSpec::Uniform(fields(rest)?),
            "binary" => QuantSpec::Binary(fields(rest)?),
            "ternary" => QuantSpec::Ternary(fields(rest)?),
            "multithreshold" => QuantSpec::MultiThreshold(fields(rest)?),
            other => {
                return Err(Error::new(
                    "method",
                    format!(
                        "unknown method {other:?}; one of {}",
                        Self::METHODS.join(", ")
                    ),
                ))
            }
        };
        spec.validate()?;
        Ok(spec)
    }

    /// The JSON text of this spec.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("specs always serialize")
    }

    /// The method name as written in spec files.
    pub fn method(&self) -> &'static str {
        match self {
            QuantSpec::N2uqAct(_) => "n2uq-act",
            QuantSpec::N2uqWeight(_) => "n2uq-weight",
            QuantSpec::LcqAct(_) => "lcq-act",
            QuantSpec::LcqWeight(_) => "lcq-weight",
            QuantSpec::Qn(_) => "qn",
            QuantSpec::Uniform(_) => "uniform",
            QuantSpec::Binary(_) => "binary",
            QuantSpec::Ternary(_) => "ternary",
            QuantSpec::MultiThreshold(_) => "multithreshold",
        }
    }

    /// Check every parameter that does not depend on a tensor.
    pub fn validate(&self) -> Result<()> {
        match self {
            QuantSpec::N2uqWeight(s) => s.prepare(&[0.0], &[1]).map(|_| ()),
            QuantSpec::LcqWeight(s) => s.prepare(&[-1.0, 1.0]).map(|_| ()),
            QuantSpec::Uniform(s) => s.validate(),
            _ => self.scalar().map(|_| ()),
        }
    }

    /// The quantizer of a method that needs no tensor statistics. N2UQ and LCQ weights need
    /// their tensor, and a uniform spec with a per-channel `scale` array its channels: use
    /// [`QuantSpec::prepare`] (here they are errors).
    pub fn scalar(&self) -> Result<Box<dyn ScalarQuantizer>> {
        Ok(match self {
            QuantSpec::N2uqAct(s) => Box::new(N2uqAct::new(s)?),
            QuantSpec::LcqAct(s) => Box::new(LcqAct::new(s)?),
            QuantSpec::Qn(s) => Box::new(Qn::new(s)?),
            QuantSpec::Uniform(s) => Box::new(Uniform::new(s)?),
            QuantSpec::Binary(s) => Box::new(Binary::new(s)?),
            QuantSpec::Ternary(s) => Box::new(Ternary::new(s)?),
            QuantSpec::MultiThreshold(s) => Box::new(MultiThreshold::new(s)?),
            QuantSpec::N2uqWeight(_) | QuantSpec::LcqWeight(_) => {
                return Err(Error::new(
                    "method",
                    format!(
                        "{} needs the weight tensor to fix its statistics",
                        self.method()
                    ),
                ))
            }
        })
    }

    /// Fix tensor statistics against `data` (row-major, `shape`) and return one quantizer per
    /// channel. Only `n2uq-weight` and `uniform` with a per-channel `scale` array have more
    /// than one channel (axis 0).
    pub fn prepare(&self, data: &[f64], shape: &[usize]) -> Result<Prepared> {
        check_tensor(data, shape)?;
        let quantizers: Vec<Box<dyn ScalarQuantizer>> = match self {
            QuantSpec::N2uqWeight(s) => s
                .prepare(data, shape)?
                .into_iter()
                .map(|q| Box::new(q) as Box<dyn ScalarQuantizer>)
                .collect(),
            QuantSpec::LcqWeight(s) => vec![Box::new(s.prepare(data)?)],
            QuantSpec::Uniform(s) => s
                .prepare(shape)?
                .into_iter()
                .map(|q| Box::new(q) as Box<dyn ScalarQuantizer>)
                .collect(),
            _ => vec![self.scalar()?],
        };
        let channel_len = data.len() / quantizers.len().max(1);
        let zero_channels = match self {
            QuantSpec::N2uqWeight(_) => data
                .chunks(channel_len.max(1))
                .enumerate()
                .filter(|(_, ch)| ch.iter().all(|&w| w == 0.0))
                .map(|(c, _)| c)
                .collect(),
            _ => Vec::new(),
        };
        Ok(Prepared {
            quantizers,
            channel_len,
            zero_channels,
        })
    }
}

impl<'de> Deserialize<'de> for QuantSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        QuantSpec::from_value(value).map_err(serde::de::Error::custom)
    }
}

fn path_error<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> Error {
    let path = e.path().to_string();
    let field = if path == "." {
        "spec".to_string()
    } else {
        path
    };
    Error::new(field, e.inner().to_string())
}

fn fields<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(path_error)
}

/// A spec fixed against a tensor: one quantizer per channel of `channel_len` consecutive
/// elements.
pub struct Prepared {
    /// The per-channel quantizers (one for per-tensor methods).
    pub quantizers: Vec<Box<dyn ScalarQuantizer>>,
    /// Elements per channel.
    pub channel_len: usize,
    /// Channels that are entirely zero (N2UQ weights only; see `n2uq` for their meaning).
    pub zero_channels: Vec<usize>,
}

impl Prepared {
    /// The quantizer that handles flat element `i`.
    pub fn quantizer_of(&self, i: usize) -> &dyn ScalarQuantizer {
        let c = if self.quantizers.len() == 1 {
            0
        } else {
            i / self.channel_len
        };
        self.quantizers[c].as_ref()
    }

    /// Quantize `data` to (codes, values).
    pub fn quantize(&self, data: &[f64]) -> (Vec<i32>, Vec<f64>) {
        data.iter()
            .enumerate()
            .map(|(i, &x)| {
                let q = self.quantizer_of(i);
                let idx = q.index(x);
                (q.code(idx), q.value(idx))
            })
            .unzip()
    }

    /// The integer hardware level of every element.
    pub fn levels(&self, data: &[f64]) -> Vec<i64> {
        data.iter()
            .enumerate()
            .map(|(i, &x)| {
                let q = self.quantizer_of(i);
                q.level(q.index(x))
            })
            .collect()
    }
}

/// Check that `data` matches `shape` and every element is finite.
pub fn check_tensor(data: &[f64], shape: &[usize]) -> Result<()> {
    let n: usize = shape.iter().product();
    if n != data.len() {
        return Err(Error::new(
            "input",
            format!(
                "shape {shape:?} holds {n} elements but the data has {}",
                data.len()
            ),
        ));
    }
    if let Some(i) = data.iter().position(|x| !x.is_finite()) {
        return Err(Error::new(
            format!("input[{}]", unravel(i, shape)),
            format!("is {}; inputs must be finite", data[i]),
        ));
    }
    Ok(())
}

/// Format flat index `i` of a row-major tensor as `a, b, c`.
fn unravel(mut i: usize, shape: &[usize]) -> String {
    let mut idx = vec![0; shape.len()];
    for (d, &n) in shape.iter().enumerate().rev() {
        idx[d] = i % n.max(1);
        i /= n.max(1);
    }
    idx.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
