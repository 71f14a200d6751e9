#!/usr/bin/env python3
"""Brevitas QAT on sklearn digits, exported to QONNX the way users do it (groundwork for QONNX import).

Each fixture goes to ``testbench/fixtures/qonnx/<name>/``:

* ``<name>_dynamo.onnx``  - ``brevitas.export.export_qonnx(model, input_t, path)`` with the default
  exporter (brevitas 0.13 picks ``dynamo=True`` on torch >= 2.9), then ``qonnx.util.cleanup``.
* ``<name>_legacy.onnx``  - the same with ``dynamo=False`` (brevitas routes that to its
  TorchScript ``QONNXManager``, which forwards ``dynamo=False`` to ``torch.onnx.export``), cleaned.
* ``input.npy`` (float32, the first 64 test images, pixel values 0..16, batch first; the graphs
  take batch 1, see README), ``labels.npy`` (int64 [64]),
* ``reference_dynamo.npy`` / ``reference_legacy.npy``: ``qonnx.core.onnx_exec.execute_onnx`` on
  the cleaned graphs, one image at a time, stacked (dtype as produced),
* ``README.md`` (generated: architecture, accuracies, op inventory, IR / opsets, layout notes).

If an exporter fails, the error is recorded in the README and the other is kept.

    /work/venv/bin/python scripts/make_qonnx_fixtures.py               # all fixtures
    /work/venv/bin/python scripts/make_qonnx_fixtures.py mlp_bipolar   # some
    QF_EPOCHS=1 /work/venv/bin/python scripts/make_qonnx_fixtures.py   # smoke test (do not commit)

Only needed to regenerate the fixtures (scripts/requirements-qonnx.txt); CI never runs it.
Deterministic: fixed seeds, one thread, split ``train_test_split(test_size=0.25, random_state=0,
stratify=y)`` as in scripts/make_fixtures.py.
"""

import argparse
import collections
import os
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)

import brevitas  # noqa: E402
import brevitas.nn as qnn  # noqa: E402
import onnx  # noqa: E402
import onnxruntime  # noqa: E402
import qonnx  # noqa: E402
from brevitas.export import export_qonnx  # noqa: E402
from brevitas.quant import (  # noqa: E402
    Int8ActPerTensorFloat, Int8WeightPerChannelFloat, Int8WeightPerTensorFloat,
    SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst, Uint8ActPerTensorFloat)
from qonnx.core.modelwrapper import ModelWrapper  # noqa: E402
from qonnx.core.onnx_exec import execute_onnx  # noqa: E402
from qonnx.util.cleanup import cleanup  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "testbench", "fixtures", "qonnx")
B_FIX = 64


def data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.images.astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return xtr, ytr, xte, yte


# ------------------------------------------------------------------------------ models


class InQuant(Int8ActPerTensorFloat):
    """Signed 8-bit input quantizer, learned scale (QuantIdentity default), init max 16."""
    max_val = 16.0
    min_val = -16.0


class MlpW2A2Bn(nn.Module):
    """in q8 -> [QuantLinear w2 (no bias) -> BatchNorm1d -> QuantReLU a2] x2 -> QuantLinear w2 + bias."""
    arch = ("QuantIdentity(int8 per-tensor, learned scale) -> QuantLinear(64->128, w2, no bias) -> "
            "BatchNorm1d(128) -> QuantReLU(a2 unsigned) -> QuantLinear(128->64, w2, no bias) -> "
            "BatchNorm1d(64) -> QuantReLU(a2) -> QuantLinear(64->10, w2, float bias). Weights "
            "Int8WeightPerTensorFloat with weight_bit_width=2 (narrow range: levels -1,0,+1 x scale). "
            "Input [N, 64] (flattened 8x8 image, 0..16).")
    in_shape = (64,)

    def __init__(self, h1=128, h2=64):
        super().__init__()
        self.q_in = qnn.QuantIdentity(act_quant=InQuant, return_quant_tensor=True)
        self.fc1 = qnn.QuantLinear(64, h1, bias=False, weight_bit_width=2,
                                   weight_quant=Int8WeightPerTensorFloat)
        self.bn1 = nn.BatchNorm1d(h1)
        self.relu1 = qnn.QuantReLU(bit_width=2, return_quant_tensor=True)
        self.fc2 = qnn.QuantLinear(h1, h2, bias=False, weight_bit_width=2,
                                   weight_quant=Int8WeightPerTensorFloat)
        self.bn2 = nn.BatchNorm1d(h2)
        self.relu2 = qnn.QuantReLU(bit_width=2, return_quant_tensor=True)
        self.fc3 = qnn.QuantLinear(h2, 10, bias=True, weight_bit_width=2,
                                   weight_quant=Int8WeightPerTensorFloat)

    def forward(self, x):
        x = self.q_in(x)
        x = self.relu1(self.bn1(self.fc1(x)))
        x = self.relu2(self.bn2(self.fc2(x)))
        return self.fc3(x)


class MlpBipolar(nn.Module):
    """in q8 -> [QuantLinear bipolar -> BN -> QuantIdentity bipolar] x2 -> QuantLinear bipolar -> BN."""
    arch = ("QuantIdentity(int8 per-tensor, learned scale) -> QuantLinear(64->128, bipolar weights "
            "SignedBinaryWeightPerTensorConst, no bias) -> BatchNorm1d(128) -> QuantIdentity(bipolar "
            "SignedBinaryActPerTensorConst, i.e. sign) -> QuantLinear(128->96, bipolar, no bias) -> "
            "BatchNorm1d(96) -> QuantIdentity(bipolar) -> QuantLinear(96->10, bipolar, no bias) -> "
            "BatchNorm1d(10) (FINN TFC style). The first layer sees 8-bit inputs (bipolar weights, "
            "int8 activations). Input [N, 64] (flattened 8x8 image, 0..16).")
    in_shape = (64,)

    def __init__(self, h1=128, h2=96):
        super().__init__()
        self.q_in = qnn.QuantIdentity(act_quant=InQuant, return_quant_tensor=True)
        w = dict(bias=False, weight_quant=SignedBinaryWeightPerTensorConst)
        self.fc1 = qnn.QuantLinear(64, h1, **w)
        self.bn1 = nn.BatchNorm1d(h1)
        self.act1 = qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst,
                                      return_quant_tensor=True)
        self.fc2 = qnn.QuantLinear(h1, h2, **w)
        self.bn2 = nn.BatchNorm1d(h2)
        self.act2 = qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst,
                                      return_quant_tensor=True)
        self.fc3 = qnn.QuantLinear(h2, 10, **w)
        self.bn3 = nn.BatchNorm1d(10)

    def forward(self, x):
        x = self.q_in(x)
        x = self.act1(self.bn1(self.fc1(x)))
        x = self.act2(self.bn2(self.fc2(x)))
        return self.bn3(self.fc3(x))


class CnnW4PerChannel(nn.Module):
    """in q8 -> conv w4pc -> BN -> relu a4 -> conv w4pc -> BN -> relu a4 -> maxpool2 -> flatten -> fc w4pc."""
    arch = ("QuantIdentity(int8 per-tensor, learned scale) -> QuantConv2d(1->8, 3x3, pad 1, w4 "
            "per-output-channel scales Int8WeightPerChannelFloat, no bias) -> BatchNorm2d(8) -> "
            "QuantReLU(a4 unsigned) -> QuantConv2d(8->16, 3x3, pad 1, w4 per-channel, no bias) -> "
            "BatchNorm2d(16) -> QuantReLU(a4) -> MaxPool2d(2) -> torch.flatten(x, 1) -> "
            "QuantLinear(256->10, w4 per-channel, float bias). Input [N, 1, 8, 8] (0..16).")
    in_shape = (1, 8, 8)

    def __init__(self, c1=8, c2=16):
        super().__init__()
        w = dict(bias=False, weight_bit_width=4, weight_quant=Int8WeightPerChannelFloat)
        self.q_in = qnn.QuantIdentity(act_quant=InQuant, return_quant_tensor=True)
        self.conv1 = qnn.QuantConv2d(1, c1, 3, padding=1, **w)
        self.bn1 = nn.BatchNorm2d(c1)
        self.relu1 = qnn.QuantReLU(bit_width=4, return_quant_tensor=True)
        self.conv2 = qnn.QuantConv2d(c1, c2, 3, padding=1, **w)
        self.bn2 = nn.BatchNorm2d(c2)
        self.relu2 = qnn.QuantReLU(bit_width=4, return_quant_tensor=False)
        self.pool = nn.MaxPool2d(2)
        self.fc = qnn.QuantLinear(c2 * 16, 10, bias=True, weight_bit_width=4,
                                  weight_quant=Int8WeightPerChannelFloat)

    def forward(self, x):
        x = self.q_in(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


FIXTURES = {
    "mlp_w2a2_bn": dict(cls=MlpW2A2Bn, epochs=60, lr=1e-2, seed=1),
    "mlp_bipolar": dict(cls=MlpBipolar, epochs=60, lr=1e-2, seed=2),
    "cnn_w4_perchannel": dict(cls=CnnW4PerChannel, epochs=40, lr=1e-2, seed=3),
}

# ------------------------------------------------------------------------------ train / eval


def train(model, xtr, ytr, epochs, lr, seed):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    lossf = nn.CrossEntropyLoss()
    n = len(xtr)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = lossf(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()


def torch_logits(model, x):
    with torch.no_grad():
        out = model(x)
    return (out.value if hasattr(out, "value") else out).numpy()


def exec_logits(path, x):
    """execute_onnx on a batch-1 cleaned graph, image by image; returns stacked outputs."""
    m = ModelWrapper(path)
    iname, oname = m.graph.input[0].name, m.graph.output[0].name
    outs = [execute_onnx(m, {iname: x[i:i + 1]})[oname] for i in range(len(x))]
    return np.concatenate(outs, axis=0)


def torch_weights(model):
    """name -> float weight (as in torch: [out, in] / [out, in, kh, kw]) of every quant layer."""
    return {n: m.weight.detach().numpy() for n, m in model.named_modules()
            if isinstance(m, (qnn.QuantLinear, qnn.QuantConv2d))}


def weight_layout(arr, weights):
    for n, w in weights.items():
        if arr.shape == w.shape and np.allclose(arr, w):
            return f"= torch `{n}.weight` as is {list(w.shape)}"
        if w.ndim == 2 and arr.shape == w.T.shape and np.allclose(arr, w.T):
            return f"= torch `{n}.weight` TRANSPOSED ([in, out] {list(arr.shape)})"
    return "matches no torch weight"


def graph_info(path, weights):
    m = onnx.load(path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    ops = collections.Counter(n.op_type for n in g.node)
    lines = [f"- op types (`collections.Counter(n.op_type for n in model.graph.node)`): "
             f"`{dict(sorted(ops.items()))}`",
             f"- IR version: {m.ir_version}; opset imports: "
             + ", ".join(f"`{o.domain or 'ai.onnx'}`={o.version}" for o in m.opset_import),
             f"- producer: {m.producer_name} {m.producer_version}",
             "- node domains: " + ", ".join(
                 f"`{d}`" for d in sorted({n.domain or "(default)" for n in g.node})),
             "- graph input: " + ", ".join(
                 f"`{i.name}` {[d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim]}"
                 for i in g.input),
             "- graph output: " + ", ".join(
                 f"`{o.name}` {[d.dim_value or d.dim_param for d in o.type.tensor_type.shape.dim]}"
                 for o in g.output),
             f"- initializers: {len(g.initializer)} (dtypes "
             f"{dict(collections.Counter(onnx.TensorProto.DataType.Name(t.data_type) for t in g.initializer))}"
             f"); value_info entries: {len(g.value_info)}",
             "- node metadata_props keys: "
             + (", ".join(f"`{k}`" for k in sorted({p.key for n in g.node for p in n.metadata_props}))
                or "none")]
    # producer of each tensor (to see whether MatMul weights come out of a Transpose / Quant)
    prod = {o: n for n in g.node for o in n.output}
    for n in g.node:
        if n.op_type == "MatMul":
            b = n.input[1]
            chain, t = [], b
            while t in prod:
                p = prod[t]
                chain.append(p.op_type)
                t = p.input[0]
            shp = list(inits[t].dims) if t in inits else "?"
            lines.append(f"- MatMul `{n.name}`: B = `{b}` produced by {chain or 'initializer'}; "
                         f"root tensor `{t}` shape {shp}")
        elif n.op_type == "Gemm":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            lines.append(f"- Gemm `{n.name}` attrs {attrs}")
        elif n.op_type in ("Reshape", "Flatten"):
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            shp = ""
            if n.op_type == "Reshape" and n.input[1] in inits:
                shp = f" shape={onnx.numpy_helper.to_array(inits[n.input[1]]).tolist()}"
            lines.append(f"- {n.op_type} `{n.name}` attrs {attrs}{shp}")
        elif n.op_type in ("Quant", "BipolarQuant", "Trunc"):
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            ins = []
            for i in n.input[1:]:
                if i in inits:
                    a = onnx.numpy_helper.to_array(inits[i])
                    ins.append(f"{list(a.shape)}" + (f"={a.ravel()[0]:g}" if a.size == 1 else ""))
                else:
                    ins.append(f"`{i}`(dyn)")
            src = n.input[0]
            src_s = (f"init{list(inits[src].dims)} "
                     f"{weight_layout(onnx.numpy_helper.to_array(inits[src]), weights)}"
                     if src in inits else f"`{prod[src].op_type if src in prod else 'graph input'}`")
            lines.append(f"- {n.op_type} `{n.name}` x<-{src_s} params {ins} attrs {attrs}")
        else:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            lines.append(f"- {n.op_type} `{n.name}` attrs {attrs}")
    return ops, lines


# ------------------------------------------------------------------------------ main


def make(name, spec, xtr, ytr, xte, yte):
    t0 = time.time()
    torch.manual_seed(spec["seed"])
    np.random.seed(spec["seed"])
    cls = spec["cls"]
    shp = (-1,) + cls.in_shape
    Xtr, Xte = torch.from_numpy(xtr.reshape(shp)), torch.from_numpy(xte.reshape(shp))
    Ytr = torch.from_numpy(ytr)
    model = cls()
    train(model, Xtr, Ytr, int(os.environ.get("QF_EPOCHS", spec["epochs"])), spec["lr"], spec["seed"])
    lt = torch_logits(model, Xte)
    acc_torch = float((lt.argmax(1) == yte).mean())
    t_train = time.time() - t0
    print(f"[{name}] trained in {t_train:.0f}s, torch test acc {acc_torch:.4f}", flush=True)

    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    xfix = Xte[:B_FIX].numpy().astype(np.float32)
    np.save(os.path.join(out, "input.npy"), xfix)
    np.save(os.path.join(out, "labels.npy"), yte[:B_FIX].astype(np.int64))
    input_t = Xte[:1].clone()

    res = {}
    for kind, kw in (("dynamo", {}), ("legacy", {"dynamo": False})):
        raw = os.path.join(out, f"_{name}_{kind}_raw.onnx")
        path = os.path.join(out, f"{name}_{kind}.onnx")
        r = {"kwargs": kw}
        try:
            export_qonnx(model, input_t, raw, **kw)
            cleanup(raw, out_file=path)
            lx = exec_logits(path, Xte.numpy())
            ref = lx[:B_FIX]
            np.save(os.path.join(out, f"reference_{kind}.npy"), ref)
            r["acc"] = float((lx.argmax(1) == yte).mean())
            r["agree"] = float((lx.argmax(1) == lt.argmax(1)).mean())
            r["maxdiff"] = float(np.abs(lx.astype(np.float64) - lt).max())
            r["dtype"] = str(ref.dtype)
            r["shape"] = list(ref.shape)
            r["ops"], r["info"] = graph_info(path, torch_weights(model))
            r["size"] = os.path.getsize(path)
            print(f"[{name}] {kind}: executor acc {r['acc']:.4f}, argmax agree {r['agree']:.4f}, "
                  f"max |exec - torch| {r['maxdiff']:.3g}, {r['dtype']}, ops {dict(r['ops'])}",
                  flush=True)
        except Exception as e:  # noqa: BLE001 - record exact failure
            r["error"] = f"{type(e).__name__}: {e}"
            r["tb"] = traceback.format_exc()
            print(f"[{name}] {kind} FAILED: {r['error']}\n{r['tb']}", flush=True)
            for p in (path, os.path.join(out, f"reference_{kind}.npy")):
                if os.path.exists(p):
                    os.remove(p)
        finally:
            for p in (raw, raw + ".data"):  # the dynamo exporter writes external data
                if os.path.exists(p):
                    os.remove(p)
        res[kind] = r
    write_readme(out, name, cls, spec, acc_torch, res, xfix, t_train)
    print(f"[{name}] done in {time.time() - t0:.0f}s", flush=True)


def write_readme(out, name, cls, spec, acc_torch, res, xfix, t_train):
    L = [f"# QONNX fixture `{name}`", "",
         "Generated by `scripts/make_qonnx_fixtures.py` (do not edit by hand): Brevitas QAT on "
         "sklearn `load_digits`, split `train_test_split(test_size=0.25, random_state=0, "
         "stratify=y)` (450 test images), exported with `brevitas.export.export_qonnx`, then "
         "`qonnx.util.cleanup.cleanup`; references from `qonnx.core.onnx_exec.execute_onnx` on the "
         "cleaned graphs.", "",
         "## Architecture", "", cls.arch, "",
         f"Training: Adam lr {spec['lr']}, cosine, {spec['epochs']} epochs, batch 64, seed "
         f"{spec['seed']}, one thread ({t_train:.0f}s).", "",
         "## Files", "",
         f"- `input.npy`: float32 {list(xfix.shape)}, the first 64 test images (pixels 0..16). "
         f"The graphs were exported with a batch-1 example (`input_t = x_test[:1]`), so their "
         f"input is `[1, {', '.join(map(str, cls.in_shape))}]`: feed one row at a time.",
         "- `labels.npy`: int64 [64].",
         "- `reference_<exporter>.npy`: executor outputs for the 64 images (one run per image, "
         "stacked), dtype as produced.", "",
         "## Accuracy (450 test images)", "",
         "| | accuracy | argmax agreement with torch | max abs logit diff vs torch |",
         "|---|---|---|---|",
         f"| torch (Brevitas eval forward) | {acc_torch:.4f} | - | - |"]
    for kind, r in res.items():
        if "error" in r:
            L.append(f"| executor, {kind} | FAILED | | |")
        else:
            L.append(f"| executor, {kind} graph | {r['acc']:.4f} | {r['agree']:.4f} | "
                     f"{r['maxdiff']:.3g} |")
    L.append("")
    for kind, r in res.items():
        call = ("export_qonnx(model, input_t, path" + "".join(
            f", {k}={v!r}" for k, v in r["kwargs"].items()) + ")")
        L += [f"## `{name}_{kind}.onnx`", "", f"Export call: `{call}`"
              + (" (brevitas 0.13 defaults to `dynamo=True` on torch >= 2.9: QONNXDynamoManager)"
                 if kind == "dynamo" else
                 " (TorchScript path: QONNXManager -> `torch.onnx.export(..., dynamo=False)`)"), ""]
        if "error" in r:
            L += ["**Export / cleanup / execution FAILED**; no graph kept. Exact error:", "",
                  "```", r["error"], "```", "", "<details><summary>traceback</summary>", "",
                  "```", r["tb"].rstrip(), "```", "", "</details>", ""]
        else:
            L += [f"- file size {r['size']} bytes; reference dtype {r['dtype']} shape "
                  f"{r['shape']}"] + r["info"] + [""]
    L += ["## Versions", "",
          f"torch {torch.__version__}, brevitas {brevitas.__version__}, qonnx "
          f"{getattr(qonnx, '__version__', '1.0.0')}, onnx {onnx.__version__}, onnxruntime "
          f"{onnxruntime.__version__}, numpy {np.__version__}.", ""]
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=list(FIXTURES))
    a = ap.parse_args()
    xtr, ytr, xte, yte = data()
    for n in a.names:
        make(n, FIXTURES[n], xtr, ytr, xte, yte)


if __name__ == "__main__":
    main()
