//! `qforge bench --levels [--json]`: whole engines synthesized with Yosys
//! `synth_xilinx -family xcup` at the resource model's design points (`crate::fit::POINTS`,
//! generic target) and on the design (`--config`, or the built-in default) under both
//! targets: LUTs, flip-flops, and the longest LUT chain between flops or ports on the mapped
//! netlist with the nets it starts and ends on (`testbench::synth::CriticalPath`). Issue 12's
//! timing-closure goal is ≤ 3 levels for the whole engine at every point.

use anyhow::{anyhow, Result};
use hdl::params::{EngineParams, Target};
use serde_json::json;

use crate::console::outln;
use crate::design::DesignCfg;

/// Synthesize and print the table (or, with `json`, a JSON array of rows).
pub(super) fn levels_cmd(args: &super::Args) -> Result<()> {
    use crate::fit::{point_params, FIT_LIMITS, POINTS};
    let d = DesignCfg::load(args.config.as_deref())?.resolve()?;
    let mut designs: Vec<(String, EngineParams)> = POINTS
        .iter()
        .map(|pt| ("fit point".to_string(), point_params(*pt, FIT_LIMITS)))
        .collect();
    for target in [Target::Generic, Target::Xcup] {
        designs.push(("design".into(), EngineParams { target, ..d.params }));
    }
    if !args.json {
        outln!("## whole-engine LUT levels: Yosys synth_xilinx -family xcup, mapped netlist\n");
        outln!(
            "| what | kind | Dm x Dn x Dk | W/A | target | LUTs | FFs | LUT levels | from | to |"
        );
        outln!("|---|---|---|---|---|---|---|---|---|---|");
    }
    let mut rows = Vec::new();
    for (what, p) in &designs {
        p.validate().map_err(|e| anyhow!("{what} {p:?}: {e}"))?;
        let dir = crate::output::temp_dir()?;
        let r = testbench::synth::synth(dir.path(), &hdl::engine::modules(p), p.top_name(), "")
            .map_err(|e| anyhow!("{what} {p:?}: {e}"))?;
        let kind = if p.is_lut() { "lut" } else { "bitserial" };
        let target = format!("{:?}", p.target).to_lowercase();
        if !args.json {
            outln!(
                "| {what} | {kind} | {}x{}x{} | {}/{} | {target} | {} | {} | {} | `{}` | `{}` |",
                p.dm,
                p.dn,
                p.dk,
                p.w_bits,
                p.a_bits,
                r.luts(),
                r.ffs,
                r.lut_levels(),
                r.critical.from,
                r.critical.to
            );
        }
        rows.push(json!({
            "what": what, "kind": kind, "dm": p.dm, "dn": p.dn, "dk": p.dk,
            "w_bits": p.w_bits, "a_bits": p.a_bits, "target": target,
            "luts": r.luts(), "ffs": r.ffs, "lut_levels": r.lut_levels(),
            "from": r.critical.from, "to": r.critical.to,
        }));
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        let worst = rows.iter().filter_map(|r| r["lut_levels"].as_u64()).max();
        outln!(
            "\nworst: {} LUT levels (goal: ≤ 3 at every point)",
            worst.unwrap_or(0)
        );
    }
    Ok(())
}
