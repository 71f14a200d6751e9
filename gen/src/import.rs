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
        import_onnx(path).map_err(|e| anyhow!("--model {e:#}"))
    } else {
        load_native(path)
    }
}

/// Import a QONNX file within the memory bound: its size is checked before it is read, its
/// initializers' element count (external data included) after the protobuf is decoded and
/// before any tensor is converted.
fn import_onnx(path: &Path) -> Result<model::Model> {
    use crate::engine_limits::{self as lim, ONNX_BYTES_PER_ELEMENT as PER};
    let file = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    lim::check_model_bytes(&format!("{file} bytes"), lim::model_bytes(file, 0, PER))
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let check = |elements: u64| {
        lim::check_model_bytes(
            &format!("{file} bytes, {elements} initializer elements"),
            lim::model_bytes(file, elements, PER),
        )
        .map_err(|e| e.to_string())
    };
    onnx::import::import_within(path, &check).map_err(|e| anyhow!("{e}"))
}

/// Load a native model (`model.json` or a directory holding one) within the memory bound:
/// the manifest's and the safetensors file's sizes and the tensors' element count (from the
/// header alone) are checked before the data is read.
fn load_native(path: &Path) -> Result<model::Model> {
    use crate::engine_limits::{self as lim, NATIVE_BYTES_PER_ELEMENT as PER};
    let manifest = model::Model::manifest_path(path);
    let shown = manifest.display().to_string();
    let fail = |e: model::Error| anyhow!("--model {}: {e}", path.display());
    let mlen = std::fs::metadata(&manifest).map(|m| m.len()).unwrap_or(0);
    lim::check_model_bytes(
        &format!("--model {shown} ({mlen} bytes)"),
        lim::model_bytes(mlen.saturating_mul(16), 0, PER),
    )?;
    let text = std::fs::read(&manifest).map_err(|e| {
        fail(model::Error::new(
            &shown,
            "",
            format!("cannot read the manifest: {e}"),
        ))
    })?;
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let tensors = serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("tensors")?.as_str().map(|t| dir.join(t)));
    if let Some((tlen, elements)) = tensors.as_deref().and_then(model::tensor::peek_elements) {
        lim::check_model_bytes(
            &format!(
                "--model {shown} ({} bytes of tensors, {elements} elements)",
                tlen
            ),
            lim::model_bytes(mlen.saturating_mul(16).saturating_add(tlen), elements, PER),
        )?;
    }
    model::Model::from_manifest(&text, &shown, dir).map_err(fail)
}

/// `qforge import`.
pub fn run(a: &Args) -> Result<()> {
    if !is_onnx(&a.model) {
        return Err(anyhow!(
            "{}: expected a .onnx file (QONNX); native models need no import",
            a.model.display()
        ));
    }
    let m = import_onnx(&a.model)?;
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
