//! `--dump-streams DIR`: every job's weight/threshold, activation and expected output streams
//! (of the batch's first sample) as raw binary files a DMA driver can send to the engine on a
//! board, and `streams.json` describing them.
//!
//! Each file is the stream's beats back to back, each beat `width/8` bytes, little-endian
//! (bit 0 of `tdata` is bit 0 of the beat's first byte). `tlast` is not in the files:
//! `streams.json` lists, per stream, the lengths in beats of its transfers (a transfer ends at
//! a beat with `tlast`), which is how a DMA engine ends packets.

use std::path::Path;

use anyhow::Result;
use serde_json::json;
use sim::job::Packet;

use crate::exec::JobStreams;
use crate::lower::Plan;
use crate::output::Outputs;

fn bytes_of(beats: impl Iterator<Item = Vec<u64>>, width: u32) -> Vec<u8> {
    let per = (width / 8) as usize;
    let mut out = Vec::new();
    for words in beats {
        let mut b: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        b.resize(per, 0);
        out.extend_from_slice(&b[..per]);
    }
    out
}

fn transfers(lasts: impl Iterator<Item = bool>) -> Vec<usize> {
    let mut out = Vec::new();
    let mut n = 0;
    for l in lasts {
        n += 1;
        if l {
            out.push(n);
            n = 0;
        }
    }
    if n > 0 {
        out.push(n);
    }
    out
}

/// Queue the stream files of `jobs` into output directory `dir` (created if missing; with a
/// manifest, see `crate::output`).
pub fn dump(
    outs: &mut Outputs,
    dir: &Path,
    force: bool,
    plan: &Plan,
    jobs: &[JobStreams],
) -> Result<()> {
    let root = dir;
    let dir = outs.dir("--dump-streams", root, force)?;
    let p = &plan.params;
    let mut list = Vec::new();
    for (i, j) in jobs.iter().enumerate() {
        let stem = format!("{i:03}_{}_g{}", j.layer, j.group);
        let pk = |v: &[Packet]| v.iter().map(|b| b.data.clone()).collect::<Vec<_>>();
        outs.add_to(
            dir,
            Path::new(&format!("{stem}_wt.bin")),
            bytes_of(pk(&j.wt).into_iter(), p.wt_stream_width()),
            false,
        )?;
        outs.add_to(
            dir,
            Path::new(&format!("{stem}_act.bin")),
            bytes_of(pk(&j.act).into_iter(), p.act_stream_width()),
            false,
        )?;
        outs.add_to(
            dir,
            Path::new(&format!("{stem}_out.bin")),
            bytes_of(j.out.iter().map(|b| b.0.clone()), p.out_stream_width()),
            false,
        )?;
        list.push(json!({
            "job": i, "layer": j.layer, "group": j.group,
            "wt": {"file": format!("{stem}_wt.bin"), "beats": j.wt.len(), "transfers": transfers(j.wt.iter().map(|b| b.last))},
            "act": {"file": format!("{stem}_act.bin"), "beats": j.act.len(), "transfers": transfers(j.act.iter().map(|b| b.last))},
            "out": {"file": format!("{stem}_out.bin"), "beats": j.out.len(), "transfers": transfers(j.out.iter().map(|b| b.1))},
        }));
    }
    let doc = json!({
        "model": plan.model.name,
        "engine": crate::run::engine_json(plan),
        "beat_bytes": {"wt": p.wt_stream_width() / 8, "act": p.act_stream_width() / 8, "out": p.out_stream_width() / 8},
        "jobs": list,
    });
    outs.add_to(
        dir,
        Path::new("streams.json"),
        (serde_json::to_string_pretty(&doc)? + "\n").into_bytes(),
        false,
    )?;
    Ok(())
}
