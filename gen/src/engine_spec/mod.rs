//! The one engine description every subcommand shares: the engine kind, the array, the clock
//! and the LUT product width. One clap flag group ([`EngineFlags`], flattened into `run`,
//! `generate`, `verify` and `report ...`), one validated constructor ([`EngineSpec::new`],
//! ranges from `crate::engine_limits`) reached from the flags ([`EngineSpec::from_flags`]) and
//! from a design config's `[engine]` section ([`EngineSpec::from_cfg`]), with one typed error
//! ([`SpecError`]) naming the flag or the config field in the same form (`--array: dm: must
//! be in 1..=64, got 65`, `engine.dm: must be in 1..=64, got 65`). The defaults live here:
//! `auto` engine, 8x8x256 bit-serial or 4x4x32 LUT array, 300 MHz, product width from the
//! levels (15 for a network of shapes), the generic (vendor-neutral) popcount target. Which
//! subcommand refuses which flag is one table,
//! [`restrict()`], applied to the command line before it is parsed.

use std::fmt;

use clap::ValueEnum;

use crate::engine_limits;

/// The engine kind asked for (`--engine`, `engine.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum EngineChoice {
    /// Bit-serial when every layer has uniform codes, else the LUT engine.
    #[default]
    Auto,
    /// The bit-serial engine.
    #[value(name = "bitserial")]
    BitSerial,
    /// The LUT-multiplier engine.
    Lut,
}

impl EngineChoice {
    /// The name on the command line and in a config.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::BitSerial => "bitserial",
            Self::Lut => "lut",
        }
    }
}

/// The popcount technology asked for (`--target`, `engine.target`): `hdl::params::Target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TargetChoice {
    /// Behavioural `and_popcount` trees: vendor-neutral (ASICs, any FPGA).
    #[default]
    Generic,
    /// Instantiated LUT6_2 + CARRY8 compressors (`and_popcount_xcup`, UltraScale+).
    Xcup,
}

impl TargetChoice {
    /// The name on the command line and in a config.
    pub fn name(self) -> &'static str {
        self.target().name()
    }

    /// The engine parameter.
    pub fn target(self) -> hdl::params::Target {
        match self {
            Self::Generic => hdl::params::Target::Generic,
            Self::Xcup => hdl::params::Target::Xcup,
        }
    }
}

/// The array of the bit-serial engine when none is given.
pub const BITSERIAL_ARRAY: (u32, u32, u32) = (8, 8, 256);
/// The array of the LUT engine when none is given.
pub const LUT_ARRAY: (u32, u32, u32) = (4, 4, 32);
/// The clock when none is given.
pub const CLOCK_MHZ: f64 = 300.0;
/// The product width of a network report's LUT engine when none is given (LCQ at b' = 8; a
/// model's or a design's own levels fix theirs).
pub const NETWORK_PROD_BITS: u32 = 15;

/// The default array of an engine kind.
pub fn default_array(lut: bool) -> (u32, u32, u32) {
    if lut {
        LUT_ARRAY
    } else {
        BITSERIAL_ARRAY
    }
}

/// The engine flags: one definition for every subcommand that takes them.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct EngineFlags {
    /// Engine: `auto` (default: bit-serial for uniform codes, the LUT engine for non-uniform
    /// LCQ/QN levels; a network of shapes has uniform codes), `bitserial` or `lut`.
    #[arg(long, value_enum, value_name = "KIND", help_heading = "Engine")]
    pub engine: Option<EngineChoice>,
    /// Array `DmxDnxDk`: Dm rows and Dn columns (1..=64), Dk bits per DPU or lanes per LUT PE
    /// (1..=1024). Default: 8x8x256 on the bit-serial engine, 4x4x32 on the LUT engine.
    #[arg(long, value_name = "DMxDNxDK", help_heading = "Engine")]
    pub array: Option<String>,
    /// Clock in MHz for latencies and the XDC, in (0, 2000]. Default: 300.
    #[arg(long, value_name = "MHZ", help_heading = "Engine")]
    pub clock_mhz: Option<f64>,
    /// Product-table entry bits of the LUT engine, 1..=32 (network reports only: a model's
    /// or a design's levels fix their own). Default: 15 (LCQ at b' = 8).
    #[arg(long, value_name = "BITS", help_heading = "Engine")]
    pub prod_bits: Option<u32>,
    /// Popcount technology: `generic` (default: behavioural trees, vendor-neutral) or `xcup`
    /// (instantiated LUT6_2 + CARRY8 compressors for UltraScale+; on the LUT engine, its
    /// negative-lane counts).
    #[arg(long, value_enum, value_name = "TARGET", help_heading = "Engine")]
    pub target: Option<TargetChoice>,
}

/// Where a spec's values came from; it names the fields in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Command-line flags.
    Flags,
    /// A design config's `[engine]` section.
    Config,
}

/// A part of the engine description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The kind.
    Engine,
    /// The array as a whole (its form).
    Array,
    /// Array rows.
    Dm,
    /// Array columns.
    Dn,
    /// Bits per DPU, or lanes per LUT PE.
    Dk,
    /// The clock.
    Clock,
    /// The product width.
    ProdBits,
    /// The popcount technology.
    Target,
}

impl Field {
    /// The flag or config field that sets it.
    pub fn name(self, origin: Origin) -> &'static str {
        use Field::*;
        match (origin, self) {
            (Origin::Flags, Engine) => "--engine",
            (Origin::Flags, Array) => "--array",
            (Origin::Flags, Dm) => "--array: dm",
            (Origin::Flags, Dn) => "--array: dn",
            (Origin::Flags, Dk) => "--array: dk",
            (Origin::Flags, Clock) => "--clock-mhz",
            (Origin::Flags, ProdBits) => "--prod-bits",
            (Origin::Flags, Target) => "--target",
            (Origin::Config, Engine) => "engine.kind",
            (Origin::Config, Array) => "engine",
            (Origin::Config, Dm) => "engine.dm",
            (Origin::Config, Dn) => "engine.dn",
            (Origin::Config, Dk) => "engine.dk",
            (Origin::Config, Clock) => "engine.clock_mhz",
            (Origin::Config, ProdBits) => "engine.prod_bits",
            (Origin::Config, Target) => "engine.target",
        }
    }
}

/// An engine description that fails its checks: which value, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    /// Flags or config.
    pub origin: Origin,
    /// The value at fault.
    pub field: Field,
    /// What is wrong, e.g. `must be in 1..=64, got 65`.
    pub problem: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field.name(self.origin), self.problem)
    }
}

impl std::error::Error for SpecError {}

/// Unchecked values, from flags or a config.
#[derive(Debug, Clone, Default)]
pub struct Raw<'a> {
    /// The kind's name.
    pub kind: Option<&'a str>,
    /// `DmxDnxDk` as one string (flags).
    pub array: Option<&'a str>,
    /// Dm, Dn, Dk each (config; ignored when `array` is given).
    pub dims: [Option<u32>; 3],
    /// MHz.
    pub clock_mhz: Option<f64>,
    /// Product bits.
    pub prod_bits: Option<u32>,
    /// The popcount target's name.
    pub target: Option<&'a str>,
}

/// A checked engine description; what is not given takes its default when resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineSpec {
    /// Where it came from.
    pub origin: Origin,
    /// The kind asked for.
    pub kind: EngineChoice,
    /// Dm, Dn, Dk as given (each in range).
    pub dims: [Option<u32>; 3],
    /// The clock (default applied: [`CLOCK_MHZ`]).
    pub clock_mhz: f64,
    /// The product width as given (in range).
    pub prod_bits: Option<u32>,
    /// The popcount target (default applied: generic).
    pub target: TargetChoice,
}

impl EngineSpec {
    /// The one validated constructor: every value in its range, errors naming the flag or
    /// field of `origin`.
    pub fn new(origin: Origin, raw: &Raw) -> Result<Self, SpecError> {
        let err = |field, problem: String| SpecError {
            origin,
            field,
            problem,
        };
        // `engine_limits` writes "<name>: <problem>"; keep the problem, the name is ours.
        let limit = |field: Field, r: anyhow::Result<()>| {
            r.map_err(|e| {
                let m = e.to_string();
                let name = field.name(origin);
                let p = m.strip_prefix(name).and_then(|p| p.strip_prefix(": "));
                err(field, p.unwrap_or(&m).to_string())
            })
        };
        let kind = match raw.kind {
            None => EngineChoice::Auto,
            Some(s) => EngineChoice::from_str(s, false).map_err(|_| {
                // clap's wording for `--engine`, which clap itself checks.
                let names: Vec<&str> = EngineChoice::value_variants()
                    .iter()
                    .map(|v| v.name())
                    .collect();
                err(
                    Field::Engine,
                    format!(
                        "invalid value {s:?} [possible values: {}]",
                        names.join(", ")
                    ),
                )
            })?,
        };
        let target = match raw.target {
            None => TargetChoice::Generic,
            Some(s) => TargetChoice::from_str(s, false).map_err(|_| {
                err(
                    Field::Target,
                    format!("invalid value {s:?} [possible values: generic, xcup]"),
                )
            })?,
        };
        let fields = [Field::Dm, Field::Dn, Field::Dk];
        let dims = match raw.array {
            None => raw.dims,
            Some(s) => {
                let parts: Vec<&str> = s.split('x').collect();
                if parts.len() != 3 {
                    return Err(err(
                        Field::Array,
                        format!("expected DmxDnxDk such as 8x8x256, got {s:?}"),
                    ));
                }
                let mut d = [None; 3];
                for ((slot, part), f) in d.iter_mut().zip(parts).zip(fields) {
                    *slot = Some(
                        part.trim()
                            .parse::<u32>()
                            .map_err(|_| err(f, format!("{part:?} is not a whole number")))?,
                    );
                }
                d
            }
        };
        for (f, v) in fields.into_iter().zip(dims) {
            if let Some(v) = v {
                let r = if f == Field::Dk {
                    engine_limits::DK
                } else {
                    engine_limits::DM_DN
                };
                if !(r.0..=r.1).contains(&v) {
                    return Err(err(f, format!("must be in {}..={}, got {v}", r.0, r.1)));
                }
            }
        }
        let clock_mhz = raw.clock_mhz.unwrap_or(CLOCK_MHZ);
        limit(
            Field::Clock,
            engine_limits::clock(Field::Clock.name(origin), clock_mhz),
        )?;
        if let Some(p) = raw.prod_bits {
            limit(
                Field::ProdBits,
                engine_limits::prod_bits(Field::ProdBits.name(origin), p),
            )?;
        }
        Ok(EngineSpec {
            origin,
            kind,
            dims,
            clock_mhz,
            prod_bits: raw.prod_bits,
            target,
        })
    }

    /// From the engine flags.
    pub fn from_flags(f: &EngineFlags) -> Result<Self, SpecError> {
        Self::new(
            Origin::Flags,
            &Raw {
                kind: f.engine.map(EngineChoice::name),
                array: f.array.as_deref(),
                dims: [None; 3],
                clock_mhz: f.clock_mhz,
                prod_bits: f.prod_bits,
                target: f.target.map(TargetChoice::name),
            },
        )
    }

    /// From a design config's `[engine]` section.
    pub fn from_cfg(e: &crate::design::EngineCfg) -> Result<Self, SpecError> {
        Self::new(
            Origin::Config,
            &Raw {
                kind: Some(&e.kind),
                array: None,
                dims: [e.dm, e.dn, e.dk],
                clock_mhz: Some(e.clock_mhz),
                prod_bits: None,
                target: e.target.as_deref(),
            },
        )
    }

    /// The array on engine kind `lut`: what was given, the rest from the kind's default.
    pub fn array(&self, lut: bool) -> (u32, u32, u32) {
        let (dm, dn, dk) = default_array(lut);
        let [m, n, k] = self.dims;
        (m.unwrap_or(dm), n.unwrap_or(dn), k.unwrap_or(dk))
    }

    /// The kind for a network of shapes (no levels: uniform codes, so `auto` is bit-serial).
    pub fn network_lut(&self) -> bool {
        self.kind == EngineChoice::Lut
    }

    /// The product width of a network report's LUT engine.
    pub fn network_prod_bits(&self) -> u32 {
        self.prod_bits.unwrap_or(NETWORK_PROD_BITS)
    }

    /// What a model is lowered with (`crate::lower::Plan`): the kind, the array when given
    /// (else the chosen kind's default), the clock, the popcount target.
    pub fn array_cfg(&self) -> crate::lower::ArrayCfg {
        let [m, n, k] = self.dims;
        crate::lower::ArrayCfg {
            kind: self.kind,
            array: m.zip(n).zip(k).map(|((m, n), k)| (m, n, k)),
            clock_mhz: self.clock_mhz,
            target: self.target.target(),
        }
    }
}

mod restrict;
pub use restrict::restrict;

#[cfg(test)]
mod tests;
