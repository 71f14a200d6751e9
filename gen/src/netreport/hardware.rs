//! `qforge report resources`: the engine's LUT/FF/BRAM (fitted model or Yosys) against
//! the device.

use std::fmt::Write as _;

use anyhow::{anyhow, Result};
use serde_json::{json, Value};

use super::{engine_of, Common};
use crate::network::Network;
use crate::policy::Policy;
use crate::resources::{self, Resources};

pub(super) fn resources_out(net: &Network, p: &Policy, c: &Common, synth: bool) -> Result<String> {
    let e = engine_of(net, p);
    e.validate().map_err(|m| anyhow!("--array/--bits: {m}"))?;
    resources_text(&e, c, synth)
}

/// The resources report of engine `e` (fitted model, or Yosys with `synth`).
pub fn resources_text(e: &hdl::params::EngineParams, c: &Common, synth: bool) -> Result<String> {
    let e = *e;
    let (r, source) = if synth {
        let dir = crate::output::temp_dir()?;
        let s = testbench::synth::synth(dir.path(), &hdl::engine::modules(&e), e.top_name(), "")
            .map_err(|m| anyhow!("yosys: {m}"))?;
        (
            Resources::from(&s),
            format!(
                "Yosys synth_xilinx -family xcup, {} LUT levels between flops",
                s.lut_levels()
            ),
        )
    } else {
        (
            resources::model(&e),
            "fitted model (qforge bench --fit; error in the issue note)".to_string(),
        )
    };
    let rows = [
        ("LUT (logic + LUT-RAM)", r.luts, resources::VU9P_LUTS),
        ("FF", r.ffs, resources::VU9P_FFS),
        ("DSP48E2", r.dsp, resources::VU9P_DSPS),
        ("BRAM36", r.bram36, resources::VU9P_BRAM36),
        ("URAM", r.uram, resources::VU9P_URAM),
    ];
    if c.json {
        let v: Value = rows
            .iter()
            .map(|(n, v, cap)| {
                (
                    n.to_string(),
                    json!({"used": v, "available": cap, "utilization": v / *cap as f64}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
        return Ok(serde_json::to_string_pretty(
            &json!({"engine": e.top_name(), "array": format!("{}x{}x{}", e.dm, e.dn, e.dk), "source": source, "resources": v}),
        )? + "\n");
    }
    if c.csv {
        let mut s = String::from("resource,used,available,utilization\n");
        for (n, v, cap) in rows {
            writeln!(s, "{n},{v:.0},{cap},{:.4}", v / cap as f64)?;
        }
        return Ok(s);
    }
    let mut s = String::new();
    writeln!(
        s,
        "# {} {} x {} x {} (W{}/A{}, limits M {} K {} N {}) on xcvu9p\n",
        e.top_name(),
        e.dm,
        e.dn,
        e.dk,
        e.w_bits,
        e.a_bits,
        e.max_m,
        e.max_k,
        e.max_n
    )?;
    writeln!(
        s,
        "| resource | used | xcvu9p | utilization |\n|---|---|---|---|"
    )?;
    for (n, v, cap) in rows {
        writeln!(
            s,
            "| {n} | {v:.0} | {cap} | {:.2}% |",
            100.0 * v / cap as f64
        )?;
    }
    writeln!(s, "\nSource: {source}. BRAM from the memory shapes.")?;
    Ok(s)
}
