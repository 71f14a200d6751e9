//! The design config (`--config DESIGN.toml`, documented in `docs/design.md`) and the built-in
//! default: an N2UQ W2A2 ResNet-18 layer (3×3 conv, 256→256 channels, 14×14 output) on an
//! 8×8 array of 256-bit DPUs at 300 MHz.

use std::path::Path;

use anyhow::{bail, Context, Result};
use hdl::params::{ActEnc, EngineParams, WeightEnc};
use quant::example_layer::{ExampleLayer, DEFAULT_SEED};
use serde::Deserialize;
use sim::job::Job;

/// `[engine]`: the hardware.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineCfg {
    /// `bitserial` (or `auto`, which picks it for the uniform codes of this layer).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Array rows.
    #[serde(default = "d8")]
    pub dm: u32,
    /// Array columns.
    #[serde(default = "d8")]
    pub dn: u32,
    /// Bits per DPU per cycle.
    #[serde(default = "d256")]
    pub dk: u32,
    /// Target clock for the XDC and reports.
    #[serde(default = "d300")]
    pub clock_mhz: f64,
    /// Largest M/K/N a job may have (default: the layer's own).
    pub max_m: Option<u32>,
    /// Largest K.
    pub max_k: Option<u32>,
    /// Largest N.
    pub max_n: Option<u32>,
}

/// `[layer]`: the synthetic N2UQ layer the design is generated and verified with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerCfg {
    /// Input and output channels.
    #[serde(default = "d256")]
    pub channels: u32,
    /// Output height and width (3×3, stride 1, pad 1, so also the input's).
    #[serde(default = "d14")]
    pub hw: u32,
    /// Weight bits.
    #[serde(default = "d2")]
    pub w_bits: u32,
    /// Activation (and output) bits.
    #[serde(default = "d2")]
    pub a_bits: u32,
    /// Seed of the synthetic weights, activations and BatchNorm.
    #[serde(default = "seed")]
    pub seed: u64,
}

/// A whole design config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignCfg {
    /// The hardware.
    #[serde(default = "default_engine")]
    pub engine: EngineCfg,
    /// The layer.
    #[serde(default = "default_layer")]
    pub layer: LayerCfg,
}

fn default_kind() -> String {
    "bitserial".into()
}
fn d2() -> u32 {
    2
}
fn d8() -> u32 {
    8
}
fn d14() -> u32 {
    14
}
fn d256() -> u32 {
    256
}
fn d300() -> f64 {
    300.0
}
fn seed() -> u64 {
    DEFAULT_SEED
}
fn default_engine() -> EngineCfg {
    toml::from_str("").expect("defaults")
}
fn default_layer() -> LayerCfg {
    toml::from_str("").expect("defaults")
}

/// A resolved design: engine parameters, the layer and its job.
pub struct Design {
    /// The config it came from.
    pub cfg: DesignCfg,
    /// Engine parameters.
    pub params: EngineParams,
    /// The layer's job.
    pub job: Job,
}

impl DesignCfg {
    /// The built-in default design.
    pub fn default_design() -> Self {
        DesignCfg {
            engine: default_engine(),
            layer: default_layer(),
        }
    }

    /// Read a config file; errors name the file and field.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--config: cannot read {}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("--config {}: {}", path.display(), e.to_string().trim()))
    }

    /// Read `path`, or the default design when `None`.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        path.map_or_else(|| Ok(Self::default_design()), Self::read)
    }

    /// Validate and build the design.
    pub fn resolve(self) -> Result<Design> {
        let l = &self.layer;
        if !matches!(self.engine.kind.as_str(), "bitserial" | "auto") {
            bail!("engine.kind: {:?} is not available yet; use \"bitserial\" or \"auto\" (N2UQ codes are uniform)", self.engine.kind);
        }
        for (name, v, lo, hi) in [
            ("layer.channels", l.channels, 1, 4096),
            ("layer.hw", l.hw, 1, 512),
            ("layer.w_bits", l.w_bits, 1, 8),
            ("layer.a_bits", l.a_bits, 1, 8),
        ] {
            if !(lo..=hi).contains(&v) {
                bail!("{name}: must be in {lo}..={hi}, got {v}");
            }
        }
        if !(self.engine.clock_mhz.is_finite() && self.engine.clock_mhz > 0.0) {
            bail!(
                "engine.clock_mhz: must be a positive number, got {}",
                self.engine.clock_mhz
            );
        }
        let layer = ExampleLayer::new(
            l.channels as usize,
            l.channels as usize,
            l.hw as usize,
            l.w_bits,
            l.a_bits,
            l.seed,
        )
        .context("layer")?;
        let int = layer.int_layer().context("layer")?;
        let (m, k, n) = (int.m as u32, int.k as u32, layer.conv.n() as u32);
        let e = &self.engine;
        let params = EngineParams {
            kind: hdl::params::Kind::BitSerial,
            dm: e.dm,
            dn: e.dn,
            dk: e.dk,
            w_bits: l.w_bits,
            a_bits: l.a_bits,
            out_bits: l.a_bits,
            w_enc: WeightEnc::Offset,
            a_enc: ActEnc::Unsigned,
            max_m: e.max_m.unwrap_or(m),
            max_k: e.max_k.unwrap_or(k),
            max_n: e.max_n.unwrap_or(n),
        };
        params
            .validate()
            .map_err(|msg| anyhow::anyhow!("engine.{msg}"))?;
        let job = Job {
            m,
            k,
            n,
            w_codes: layer.weight_idx.iter().map(|&i| i as u32).collect(),
            a_codes: layer.act_idx_im2col().iter().map(|&i| i as u32).collect(),
            thresholds: int.thresholds.clone(),
            levels: None,
        };
        job.validate(&params)
            .map_err(|msg| anyhow::anyhow!("layer does not fit the engine: {msg}"))?;
        Ok(Design {
            cfg: self,
            params,
            job,
        })
    }
}
