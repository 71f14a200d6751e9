//! The design config (`--config DESIGN.toml`, documented in `docs/design.md`) and the built-in
//! default: an N2UQ W2A2 ResNet-18 layer (3×3 conv, 256→256 channels, 14×14 output) on an
//! 8×8 array of 256-bit DPUs at 300 MHz. The uniform / binary / ternary baselines map to the
//! bit-serial engine too (two's-complement or unsigned uniform weights, ±1 binary weights as
//! 1-bit offset codes, ternary weights as 2-bit two's complement; unsigned activations). LCQ
//! and QN layers (non-uniform levels) map to the LUT-multiplier engine: weights become
//! sign-magnitude codes over the layer's distinct magnitudes, activations keep their indices,
//! and the product table holds the layer's integer levels multiplied out.

mod mapping;

use std::path::Path;

use anyhow::{bail, Context, Result};
use hdl::params::{EngineParams, Kind, WeightEnc};
use quant::example_layer::{ExampleLayer, Method, DEFAULT_SEED};
use serde::Deserialize;
use sim::job::Job;

use crate::engine_limits;
use crate::engine_spec::{EngineChoice, EngineSpec};
use mapping::{baseline_design, engine_params, lut_design};

/// `[engine]`: the hardware.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineCfg {
    /// `auto` (default: bit-serial for the uniform codes of N2UQ, uniform, binary and
    /// ternary, LUT for LCQ/QN levels), `bitserial` or `lut`; checked with the engine flags
    /// (`crate::engine_spec::EngineSpec::from_cfg`).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Array rows (default 8 bit-serial, 4 LUT).
    pub dm: Option<u32>,
    /// Array columns (default 8 bit-serial, 4 LUT).
    pub dn: Option<u32>,
    /// Bits per DPU per cycle, or lanes per LUT PE (default 256 bit-serial, 32 LUT).
    pub dk: Option<u32>,
    /// Target clock for the XDC and reports (default 300).
    #[serde(default = "d300")]
    pub clock_mhz: f64,
    /// Largest M/K/N a job may have (default: the layer's own).
    pub max_m: Option<u32>,
    /// Largest K.
    pub max_k: Option<u32>,
    /// Largest N.
    pub max_n: Option<u32>,
    /// Popcount technology: `generic` (default) or `xcup`; checked with the engine flags
    /// (`--target`).
    pub target: Option<String>,
}

/// `[layer]`: the synthetic layer the design is generated and verified with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerCfg {
    /// `n2uq` (default), `lcq`, `qn`, `uniform`, `binary` or `ternary`.
    #[serde(default = "default_method")]
    pub method: String,
    /// uniform: two's-complement weights (default true) or unsigned weights (false).
    pub signed_weights: Option<bool>,
    /// LCQ: outer bit-width b' of the hardware levels.
    #[serde(default = "d8")]
    pub outer_bits: u32,
    /// LCQ: limited weight normalisation.
    #[serde(default = "yes")]
    pub lwn: bool,
    /// QN: weight level set (symmetric), e.g. `[-4, -2, -1, 0, 1, 2, 4]`.
    pub w_levels: Option<Vec<i64>>,
    /// QN: activation level set, e.g. `[0, 1, 2, 3]`.
    pub a_levels: Option<Vec<i64>>,
    /// Input and output channels.
    #[serde(default = "d256")]
    pub channels: u32,
    /// Output height and width (3×3, stride 1, pad 1, so also the input's).
    #[serde(default = "d14")]
    pub hw: u32,
    /// Weight bits (default 2; binary: 1, the only value it takes; ternary: 2, likewise; QN:
    /// unused, the level set fixes them). See [`LayerCfg::weight_bits`].
    pub w_bits: Option<u32>,
    /// Activation (and output) bits.
    #[serde(default = "d2")]
    pub a_bits: u32,
    /// Seed of the synthetic weights, activations and BatchNorm.
    #[serde(default = "seed")]
    pub seed: u64,
}

/// `[output]`: how `qforge generate` names what it writes (other commands ignore it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputCfg {
    /// Prefix of every emitted module name and of the testbench's (`hdl::naming`), so two
    /// designs can share a project; `--prefix` overrides it. Default: none.
    pub prefix: Option<String>,
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
    /// Output naming.
    #[serde(default)]
    pub output: OutputCfg,
}

impl LayerCfg {
    /// The weight bits in effect: `w_bits`, or the method's default (binary 1, others 2).
    pub fn weight_bits(&self) -> u32 {
        self.w_bits
            .unwrap_or(if self.method == "binary" { 1 } else { 2 })
    }
}

fn default_kind() -> String {
    "auto".into()
}
fn default_method() -> String {
    "n2uq".into()
}
fn yes() -> bool {
    true
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
    crate::engine_spec::CLOCK_MHZ
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
            output: OutputCfg::default(),
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
        if let Some(prefix) = &self.output.prefix {
            hdl::naming::check_prefix(prefix)
                .map_err(|e| anyhow::anyhow!("output.prefix: {prefix:?}: {e}"))?;
        }
        let l = &self.layer;
        let method = match l.method.as_str() {
            "n2uq" => Method::N2uq,
            "lcq" => Method::Lcq {
                outer_bits: l.outer_bits,
                lwn: l.lwn,
            },
            "qn" => {
                let w = l
                    .w_levels
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("layer.w_levels: required for method \"qn\""))?;
                let a = l.a_levels.clone().unwrap_or_else(|| vec![0, 1, 2, 3]);
                Method::Qn {
                    w_levels: w,
                    a_levels: a,
                }
            }
            "uniform" => Method::Uniform {
                signed: l.signed_weights.unwrap_or(true),
            },
            "binary" => Method::Binary,
            "ternary" => Method::Ternary,
            other => bail!(
                "layer.method: {other:?} is not one of \"n2uq\", \"lcq\", \"qn\", \"uniform\", \"binary\", \"ternary\""
            ),
        };
        if l.method != "qn" && (l.w_levels.is_some() || l.a_levels.is_some()) {
            bail!("layer.w_levels / layer.a_levels: only method \"qn\" takes level sets");
        }
        if l.method != "uniform" && l.signed_weights.is_some() {
            bail!("layer.signed_weights: only method \"uniform\" takes it");
        }
        let w_bits = l.weight_bits();
        match (&method, w_bits) {
            (Method::Binary, b) if b != 1 => bail!(
                "layer.w_bits: binary weights are 1 bit (±1); got {b}, omit it or set 1"
            ),
            (Method::Ternary, b) if b != 2 => bail!(
                "layer.w_bits: ternary weights are 2 bits (two's complement {{-1, 0, 1}}); got {b}, omit it or set 2"
            ),
            (Method::Uniform { signed: true }, 1) => bail!(
                "layer.w_bits: signed uniform weights need at least 2 bits (two's complement); got 1 (or set signed_weights = false)"
            ),
            _ => {}
        }
        let uniform_codes = matches!(method, Method::N2uq) || method.is_baseline();
        // The engine through the one validated description (`crate::engine_spec`): the same
        // ranges and message form as the engine flags, naming `engine.*`.
        let spec = EngineSpec::from_cfg(&self.engine)?;
        let lut = match spec.kind {
            EngineChoice::Auto | EngineChoice::BitSerial if uniform_codes => false,
            EngineChoice::Auto | EngineChoice::Lut => true,
            EngineChoice::BitSerial => bail!(
                "engine.kind: \"bitserial\" needs uniform codes; {} levels are non-uniform, use \"lut\" or \"auto\"",
                l.method
            ),
        };
        for (name, v, lo, hi) in [
            ("layer.channels", l.channels, 1, 4096),
            ("layer.hw", l.hw, 1, 512),
            ("layer.w_bits", w_bits, 1, 8),
            ("layer.a_bits", l.a_bits, 1, 8),
            ("layer.outer_bits", l.outer_bits, 2, 16),
        ] {
            if !(lo..=hi).contains(&v) {
                bail!("{name}: must be in {lo}..={hi}, got {v}");
            }
        }
        let e = &self.engine;
        let (dm, dn, dk) = spec.array(lut);
        // Every limit before any work: the array and clock (above), the job limits against
        // the layer's GEMM (3×3 conv, channels → channels, hw × hw output), and the memory
        // building it needs.
        let (c, hw) = (l.channels as u64, l.hw as u64);
        let (gm, gk, gn) = (c, 9 * c, hw * hw);
        for (name, lim, v, hi) in [
            ("engine.max_m", e.max_m, gm, 1u64 << 16),
            ("engine.max_k", e.max_k, gk, 1 << 20),
            ("engine.max_n", e.max_n, gn, 1 << 20),
        ] {
            let lim = lim.map_or(v, u64::from);
            if !(1..=hi).contains(&lim) {
                bail!("{name}: must be in 1..={hi}, got {lim}");
            }
            if v > lim {
                bail!("{name}: the layer does not fit the engine: its GEMM needs {v} (layer.channels {c}, layer.hw {hw}), above the limit {lim}");
            }
        }
        let need = engine_limits::design_bytes(gm, gk, gn);
        if need > engine_limits::MAX_BUILD_BYTES {
            bail!(
                "layer: building this layer needs about {:.1} GiB (GEMM {gm} x {gk} x {gn}), above the {} GiB bound; lower layer.channels or layer.hw",
                need as f64 / (1u64 << 30) as f64,
                engine_limits::MAX_BUILD_BYTES >> 30
            );
        }
        let layer = ExampleLayer::with_method(
            l.channels as usize,
            l.channels as usize,
            l.hw as usize,
            w_bits,
            l.a_bits,
            &method,
            l.seed,
        )
        .context("layer")?;
        let int = layer.int_layer().context("layer")?;
        let (m, k, n) = (int.m as u32, int.k as u32, layer.conv.n() as u32);
        debug_assert_eq!((m as u64, k as u64, n as u64), (gm, gk, gn));
        let (params, job) = if lut {
            lut_design(&layer, &int, (dm, dn, dk), e, (m, k, n))?
        } else if method.is_baseline() {
            baseline_design(&layer, &int, &method, w_bits, (dm, dn, dk), e, (m, k, n))?
        } else {
            let params = engine_params(
                e,
                (dm, dn, dk),
                (m, k, n),
                Kind::BitSerial,
                (w_bits, l.a_bits, l.a_bits),
                WeightEnc::Offset,
            )?;
            let job = Job {
                m,
                k,
                n,
                w_codes: layer.weight_idx.iter().map(|&i| i as u32).collect(),
                a_codes: layer.act_idx_im2col().iter().map(|&i| i as u32).collect(),
                thresholds: int.thresholds.clone(),
                levels: None,
                raw: false,
            };
            (params, job)
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
