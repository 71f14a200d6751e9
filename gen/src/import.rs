//! `qforge import M.onnx --out DIR [--json]`: read a QONNX model (Brevitas `export_qonnx`,
//! either exporter, after `qonnx-cleanup`) and write what qforge understood in the native
//! model format (`docs/model.md`), so it can be inspected and versioned; and
//! [`load_model`], the one loader every `--model` flag goes through (`.onnx` files take the
//! QONNX importer, anything else the native format).

use std::path::{Path, PathBuf};

use crate::console::outln;
use anyhow::{anyhow, Result};
use serde_json::json;

/// Arguments of `qforge import`.
#[derive(clap::Args)]
pub struct Args {
    /// The QONNX model (`.onnx`).
    pub model: PathBuf,
    /// Directory to write `model.json` and `model.safetensors` into (created if missing; with
    /// a qforge manifest, so a re-import replaces exactly the files of the previous one).
    #[arg(long)]
    pub out: PathBuf,
    /// Write into a non-empty `--out` directory that has no qforge manifest (its other files
    /// are kept).
    #[arg(long)]
    pub force: bool,
    /// Print the imported graph as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Whether `path` names an ONNX file.
pub fn is_onnx(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// Load a model: a `.onnx` file through the QONNX importer, else a native model (a
/// `model.json` or a directory holding one). Errors name the path and the node.
pub fn load_model(path: &Path) -> Result<model::Model> {
    if is_onnx(path) {
        onnx::import::import(path).map_err(|e| anyhow!("--model {e}"))
    } else {
        model::Model::load(path).map_err(|e| anyhow!("--model {}: {e}", path.display()))
    }
}

/// `qforge import`.
pub fn run(a: &Args) -> Result<()> {
    if !is_onnx(&a.model) {
        return Err(anyhow!(
            "{}: expected a .onnx file (QONNX); native models need no import",
            a.model.display()
        ));
    }
    let m = onnx::import::import(&a.model).map_err(|e| anyhow!("{e}"))?;
    let files = m
        .to_files()
        .map_err(|e| anyhow!("--out {}: {e}", a.out.display()))?;
    let mut outs = crate::output::Outputs::default();
    let dir = outs.dir("--out", &a.out, a.force)?;
    for (name, bytes) in files {
        outs.add_to(dir, std::path::Path::new(name), bytes, false)?;
    }
    outs.commit()?;
    let rows: Vec<(String, &str, String, Vec<usize>)> = m
        .nodes
        .iter()
        .map(|n| {
            let what = match &n.op {
                model::Op::Quant { spec } => spec.method().to_string(),
                model::Op::Conv { weight_quant, .. } | model::Op::Fc { weight_quant, .. } => {
                    weight_quant
                        .as_ref()
                        .map_or("float weights".to_string(), |s| {
                            format!("weights {}", s.method())
                        })
                }
                _ => String::new(),
            };
            (n.name.clone(), n.op.name(), what, n.shape.clone())
        })
        .collect();
    if a.json {
        let nodes: Vec<_> = rows
            .iter()
            .map(|(name, op, what, shape)| json!({"name": name, "op": op, "quantizer": what, "shape": shape}))
            .collect();
        let v = json!({
            "model": m.name,
            "source": a.model.display().to_string(),
            "out": a.out.display().to_string(),
            "inputs": m.inputs.iter().map(|i| json!({"name": i.name, "shape": i.shape})).collect::<Vec<_>>(),
            "outputs": m.outputs,
            "nodes": nodes,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        outln!(
            "imported {} ({} nodes) -> {}",
            a.model.display(),
            m.nodes.len(),
            a.out.display()
        );
        outln!("| node | op | quantizer | shape |\n|---|---|---|---|");
        for (name, op, what, shape) in &rows {
            outln!("| {name} | {op} | {what} | {shape:?} |");
        }
    }
    Ok(())
}
