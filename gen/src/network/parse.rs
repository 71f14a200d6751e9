//! Reading a network file's JSON: the ops it knows and the fields each takes. An unknown op
//! or field is an error naming it, with a "did you mean" for near misses
//! (`model::error::suggest`); values are whole numbers in `0..=2^24` (see `docs/reports.md`).

use anyhow::{anyhow, bail, Result};
use serde_json::{Map, Value};

use super::{Conv, Layer, Network, Op};

/// Ops carried through at no cost (no parameters, no GEMM).
pub const CARRIED: [&str; 6] = ["relu", "maxpool", "avgpool", "add", "flatten", "dropout"];

/// Every op a network file may use.
pub fn ops() -> Vec<&'static str> {
    let mut v = vec!["conv", "fc", "batchnorm"];
    v.extend(CARRIED);
    v
}

/// The fields an op takes besides `name` and `op`.
fn fields_of(op: &str) -> &'static [&'static str] {
    match op {
        "conv" => &[
            "in_channels",
            "out_channels",
            "kernel",
            "stride",
            "padding",
            "groups",
            "bias",
            "in_hw",
            "separate_input",
        ],
        "fc" => &["in_features", "out_features", "bias", "separate_input"],
        "batchnorm" => &["channels"],
        _ => &[],
    }
}

const TOP: [&str; 2] = ["name", "layers"];

/// "unknown X "word" (did you mean ..?); expected one of ...".
fn unknown(kind: &str, word: &str, candidates: &[&str]) -> String {
    model::error::unknown(kind, word, candidates)
}

/// Parse the JSON text into a network (no shape checks: `Network::check`).
pub fn parse(text: &str) -> Result<Network> {
    let v: Value = serde_json::from_str(text).map_err(|e| anyhow!("not valid JSON: {e}"))?;
    let top = v
        .as_object()
        .ok_or_else(|| anyhow!("the file must hold an object {{\"name\", \"layers\"}}"))?;
    if let Some(k) = top.keys().find(|k| !TOP.contains(&k.as_str())) {
        bail!("{}", unknown("field", k, &TOP));
    }
    let name = top
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("name: missing or not a string"))?
        .to_string();
    let list = top
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("layers: missing or not an array"))?;
    if list.is_empty() {
        bail!("layers: empty");
    }
    let ops = ops();
    let mut layers = Vec::with_capacity(list.len());
    for (i, l) in list.iter().enumerate() {
        let obj = l
            .as_object()
            .ok_or_else(|| anyhow!("layers[{i}]: not an object"))?;
        let lname = obj
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("layers[{i}].name: missing or not a string"))?
            .to_string();
        let at = format!("layers[{i}] ({lname})");
        let op = obj
            .get("op")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("{at}.op: missing or not a string"))?;
        if !ops.contains(&op) {
            bail!("{at}.op: {}", unknown("op", op, &ops));
        }
        let allowed = fields_of(op);
        if let Some(k) = obj
            .keys()
            .find(|k| !["name", "op"].contains(&k.as_str()) && !allowed.contains(&k.as_str()))
        {
            let mut all = vec!["name", "op"];
            all.extend(allowed);
            bail!("{at}: {} (op {op:?})", unknown("field", k, &all));
        }
        let f = Fields { obj, at: &at };
        let op = match op {
            "conv" => Op::Conv(conv(&f, &at)?),
            "fc" => Op::Fc {
                in_features: f.pos("in_features")?,
                out_features: f.pos("out_features")?,
                bias: f.boolean_or("bias", false)?,
            },
            "batchnorm" => Op::BatchNorm {
                channels: f.pos("channels")?,
            },
            other => Op::Other(other.to_string()),
        };
        layers.push(Layer {
            name: lname,
            op,
            separate_input: f.boolean_or("separate_input", false)?,
        });
    }
    let net = Network { name, layers };
    if net.compute_layers().is_empty() {
        bail!("layers: no conv or fc layer, nothing to report");
    }
    Ok(net)
}

fn conv(f: &Fields, at: &str) -> Result<Conv> {
    let c = Conv {
        in_channels: f.pos("in_channels")?,
        out_channels: f.pos("out_channels")?,
        kernel: f.pair("kernel")?,
        stride: f.pos_or("stride", 1)?,
        padding: f.uint_or("padding", 0)?,
        groups: f.pos_or("groups", 1)?,
        bias: f.boolean_or("bias", false)?,
        in_hw: f.pair("in_hw")?,
    };
    if c.in_channels % c.groups != 0 || c.out_channels % c.groups != 0 {
        bail!(
            "{at}.groups: {} does not divide in_channels {} and out_channels {}",
            c.groups,
            c.in_channels,
            c.out_channels
        );
    }
    for d in 0..2 {
        // Values are at most 2^24: the sums fit in u32.
        if c.in_hw[d] + 2 * c.padding < c.kernel[d] {
            bail!(
                "{at}.kernel: {:?} is larger than the padded input {:?} + 2·{}",
                c.kernel,
                c.in_hw,
                c.padding
            );
        }
    }
    Ok(c)
}

/// Largest value of a size field.
pub const MAX_FIELD: u64 = 1 << 24;

struct Fields<'a> {
    obj: &'a Map<String, Value>,
    at: &'a str,
}

impl Fields<'_> {
    fn uint(&self, key: &str, v: &Value) -> Result<u32> {
        v.as_u64()
            .filter(|&x| x <= MAX_FIELD)
            .map(|x| x as u32)
            .ok_or_else(|| {
                anyhow!(
                    "{}.{key}: must be a whole number in 0..={MAX_FIELD}, got {v}",
                    self.at
                )
            })
    }
    fn pos(&self, key: &str) -> Result<u32> {
        let v = self
            .obj
            .get(key)
            .ok_or_else(|| anyhow!("{}.{key}: missing", self.at))?;
        let x = self.uint(key, v)?;
        if x == 0 {
            bail!("{}.{key}: must be at least 1, got 0", self.at);
        }
        Ok(x)
    }
    fn pos_or(&self, key: &str, d: u32) -> Result<u32> {
        if self.obj.contains_key(key) {
            self.pos(key)
        } else {
            Ok(d)
        }
    }
    fn uint_or(&self, key: &str, d: u32) -> Result<u32> {
        self.obj.get(key).map_or(Ok(d), |v| self.uint(key, v))
    }
    fn boolean_or(&self, key: &str, d: bool) -> Result<bool> {
        match self.obj.get(key) {
            None => Ok(d),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| anyhow!("{}.{key}: must be true or false, got {v}", self.at)),
        }
    }
    fn pair(&self, key: &str) -> Result<[u32; 2]> {
        let v = self
            .obj
            .get(key)
            .ok_or_else(|| anyhow!("{}.{key}: missing", self.at))?;
        let a = v
            .as_array()
            .filter(|a| a.len() == 2)
            .ok_or_else(|| anyhow!("{}.{key}: must be [h, w], got {v}", self.at))?;
        let (x, y) = (self.uint(key, &a[0])?, self.uint(key, &a[1])?);
        if x == 0 || y == 0 {
            bail!("{}.{key}: entries must be at least 1, got {v}", self.at);
        }
        Ok([x, y])
    }
}
