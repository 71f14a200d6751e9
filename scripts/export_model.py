#!/usr/bin/env python3
"""Export a PyTorch quantized network to qforge's model format (docs/model.md).

Writes ``model.json`` (the graph manifest) and ``model.safetensors`` (the floating-point
entries of the model's ``state_dict``, by their ``state_dict`` names) into a directory::

    from export_model import export_model
    export_model(model, "out/my_model", input_shape=(1, 8, 8), name="my_model")

The model is traced with ``torch.fx`` (so residual ``+``/``torch.add`` and branches work) and
run once on a zero input of ``input_shape`` to get every tensor's shape. Supported modules and
functions, and the op each becomes:

=====================================================  ====================================
PyTorch                                                qforge op
=====================================================  ====================================
a quantizer of ``scripts/qmodules.py`` used as a       ``quant`` with its ``spec()``
module (``LTQ``, ``LCQAct``, ``QNQuantizer``,
``UniformQuantizer``, ``BinaryQuantizer``,
``TernaryQuantizer``)
``QConv2d`` / ``HardQuantizeConv`` / ``nn.Conv2d``     ``conv`` (``weight_quant`` = the
                                                       ``weight_quant`` submodule's spec, or
                                                       ``null`` for a plain ``nn.Conv2d``)
``QLinear`` / ``nn.Linear``                            ``fc``
``nn.BatchNorm2d`` / ``nn.BatchNorm1d``                ``batchnorm`` (affine, running stats)
``nn.ReLU``, ``F.relu``, ``torch.relu``, ``x.relu()``  ``relu``
``nn.MaxPool2d``                                       ``maxpool`` (dilation 1, no ceil_mode)
``nn.AvgPool2d``                                       ``avgpool`` (count_include_pad=True)
``nn.AdaptiveAvgPool2d(1)``                            ``global_avgpool``
``nn.Flatten()``, ``torch.flatten(x, 1)``,             ``flatten`` (dropped when the tensor
``x.flatten(1)``, ``x.view(x.size(0), -1)``            is already 1-D per sample, e.g. after
                                                       ``global_avgpool``)
``a + b``, ``torch.add(a, b)``                         ``add``
``nn.Identity``, ``nn.Dropout``                        (dropped)
=====================================================  ====================================

Anything else is an error naming the fx node. Node names are the fx node names (module paths
with ``.`` replaced by ``_``); tensors keep their ``state_dict`` names (``layer1.0.conv1.weight``).

Quantizer parameters, mapped to the authors' code (see ``scripts/qmodules.py``):

* **N2UQ** activations: the official ``LTQ`` module; parameters ``start``, ``a`` (2^n-1),
  ``scale1`` -> spec ``beta1``, ``scale2`` -> ``beta2``; ``compare: "gt"`` (the code's ``>``).
  N2UQ weights: the official ``HardQuantizeConv`` (or ``QConv2d(weight_quant=N2UQWeight(n))``),
  spec ``{"method": "n2uq-weight", "bits": n, "clip": 2.0}``; the per-output-channel scale is
  recomputed by qforge from the weights, as the official code does.
* **LCQ**: ``LCQAct``/``LCQWeight`` with parameters ``alpha`` (clip) and ``theta`` (K = 16
  softmax logits), ``outer_bits`` 8, weights with LWN over the whole tensor (``lwn: true``).
* **QN**: ``QNQuantizer`` with ``levels`` (integer set), buffer ``biases`` (fixed after
  k-means init), parameters ``alpha``, ``beta``; ``offset`` true for weights, false for
  activations; ``compare: "gt"`` (the code's strict step).
* **uniform**: ``UniformQuantizer`` (``bits``, ``signed``, ``scale``, ``zero_point``);
  **binary**: ``BinaryQuantizer`` (``scale``); **ternary**: ``TernaryQuantizer``
  (``threshold``, ``scale``). For weights these scales are computed from the weight tensor at
  export (max|W|/qmax, mean|W|, TWN) and written as numbers.

Every float32 parameter is written as the Python float of its exact float32 value (JSON
round-trips it), so qforge sees the thresholds the network was trained with, bit for bit.

Call ``model.eval()`` semantics are used (BatchNorm running statistics, hard quantizers); the
model is put in eval mode by the exporter.
"""

from __future__ import annotations

import json
import operator
import os
import sys

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qmodules as qm  # noqa: E402

LEAVES = qm.QUANTIZERS + qm.QLAYERS


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m, qualname):
        return isinstance(m, LEAVES) or super().is_leaf_module(m, qualname)


class ExportError(ValueError):
    pass


def _pair(v, field, node):
    if isinstance(v, (tuple, list)):
        if len(v) != 2 or v[0] != v[1]:
            raise ExportError(f"node {node}: {field} {v} must be square (qforge has one value)")
        return int(v[0])
    return int(v)


def _weight_quant_spec(mod):
    wq = getattr(mod, "weight_quant", None)
    if wq is None:
        return None
    return wq.spec(mod.weight.detach().float())


def build_graph(model: nn.Module, input_shape, name="model", input_name="x"):
    """Trace ``model`` and return (manifest dict, {tensor name: tensor})."""
    model = model.eval()
    tracer = _Tracer()
    graph = tracer.trace(model)
    gm = fx.GraphModule(tracer.root, graph)
    example = torch.zeros((1,) + tuple(input_shape))
    ShapeProp(gm).propagate(example)
    mods = dict(model.named_modules())
    params = {k: v for k, v in model.state_dict().items()}
    used_tensors = {}

    def tensor(key, node):
        if key not in params:
            raise ExportError(f"node {node}: tensor {key} is not in the state_dict")
        used_tensors[key] = params[key]
        return key

    alias = {}  # fx node name -> qforge tensor name (for dropped nodes)
    nodes = []
    inputs = []
    outputs = []

    def src(a, node):
        if not isinstance(a, fx.Node):
            raise ExportError(f"node {node}: argument {a!r} is not a tensor")
        return alias.get(a.name, a.name)

    def per_sample(n):
        meta = n.meta.get("tensor_meta")
        return list(meta.shape[1:]) if meta is not None else None

    for n in gm.graph.nodes:
        if n.op == "placeholder":
            if inputs:
                raise ExportError("only one graph input is supported")
            alias[n.name] = input_name
            inputs.append({"name": input_name, "shape": [int(s) for s in input_shape]})
            continue
        if n.op == "output":
            out = n.args[0]
            outs = out if isinstance(out, (tuple, list)) else [out]
            outputs = [src(o, "output") for o in outs]
            continue
        ins = [src(a, n.name) for a in n.args if isinstance(a, fx.Node)]
        node = {"name": n.name}
        if n.op == "call_module":
            m = mods[n.target]
            pre = n.target + "."
            if isinstance(m, (nn.Identity, nn.Dropout)):
                alias[n.name] = ins[0]
                continue
            if isinstance(m, qm.QUANTIZERS):
                node.update(op="quant", inputs=ins, spec=m.spec())
            elif isinstance(m, nn.Conv2d):
                if m.dilation not in ((1, 1), 1) or m.padding_mode != "zeros":
                    raise ExportError(f"node {n.name}: only dilation 1 and zero padding")
                if isinstance(m.padding, str):
                    raise ExportError(f"node {n.name}: padding must be a number")
                node.update(op="conv", inputs=ins, weight=tensor(pre + "weight", n.name))
                if m.bias is not None:
                    node["bias"] = tensor(pre + "bias", n.name)
                node.update(stride=_pair(m.stride, "stride", n.name),
                            padding=_pair(m.padding, "padding", n.name),
                            groups=int(m.groups), weight_quant=_weight_quant_spec(m))
            elif isinstance(m, nn.Linear):
                node.update(op="fc", inputs=ins, weight=tensor(pre + "weight", n.name))
                if m.bias is not None:
                    node["bias"] = tensor(pre + "bias", n.name)
                node["weight_quant"] = _weight_quant_spec(m)
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                if not m.affine or not m.track_running_stats:
                    raise ExportError(f"node {n.name}: BatchNorm needs affine and running stats")
                node.update(op="batchnorm", inputs=ins, weight=tensor(pre + "weight", n.name),
                            bias=tensor(pre + "bias", n.name),
                            running_mean=tensor(pre + "running_mean", n.name),
                            running_var=tensor(pre + "running_var", n.name), eps=float(m.eps))
            elif isinstance(m, nn.ReLU):
                node.update(op="relu", inputs=ins)
            elif isinstance(m, nn.MaxPool2d):
                if m.ceil_mode or _pair(m.dilation, "dilation", n.name) != 1:
                    raise ExportError(f"node {n.name}: maxpool needs ceil_mode=False, dilation 1")
                node.update(op="maxpool", inputs=ins, kernel=_pair(m.kernel_size, "kernel", n.name),
                            stride=_pair(m.stride, "stride", n.name),
                            padding=_pair(m.padding, "padding", n.name))
            elif isinstance(m, nn.AvgPool2d):
                if m.ceil_mode or not m.count_include_pad or m.divisor_override:
                    raise ExportError(f"node {n.name}: avgpool needs ceil_mode=False, "
                                      "count_include_pad=True, no divisor_override")
                node.update(op="avgpool", inputs=ins, kernel=_pair(m.kernel_size, "kernel", n.name),
                            stride=_pair(m.stride, "stride", n.name),
                            padding=_pair(m.padding, "padding", n.name))
            elif isinstance(m, nn.AdaptiveAvgPool2d):
                if _pair(m.output_size, "output_size", n.name) != 1:
                    raise ExportError(f"node {n.name}: only AdaptiveAvgPool2d(1)")
                # qforge's global_avgpool yields [C]; torch's [C, 1, 1] is the same data.
                node.update(op="global_avgpool", inputs=ins)
            elif isinstance(m, nn.Flatten):
                if m.start_dim != 1 or m.end_dim != -1:
                    raise ExportError(f"node {n.name}: only Flatten(1, -1)")
                node.update(op="flatten", inputs=ins)
            else:
                raise ExportError(f"node {n.name}: unsupported module {type(m).__name__}")
        elif n.op == "call_function":
            if n.target in (operator.add, torch.add):
                if len(ins) != 2 or len(n.args) != 2 or n.kwargs:
                    raise ExportError(f"node {n.name}: add needs two tensors (no alpha)")
                node.update(op="add", inputs=ins)
            elif n.target in (F.relu, torch.relu):
                node.update(op="relu", inputs=ins[:1])
            elif n.target is torch.flatten:
                sd = n.args[1] if len(n.args) > 1 else n.kwargs.get("start_dim", 0)
                if sd != 1:
                    raise ExportError(f"node {n.name}: torch.flatten needs start_dim=1")
                node.update(op="flatten", inputs=ins[:1])
            else:
                raise ExportError(f"node {n.name}: unsupported function {n.target}")
        elif n.op == "call_method":
            if n.target == "relu":
                node.update(op="relu", inputs=ins[:1])
            elif n.target in ("flatten", "view", "reshape"):
                shape = per_sample(n)
                if shape is None or len(shape) != 1:
                    raise ExportError(f"node {n.name}: {n.target} must flatten to [B, F]")
                node.update(op="flatten", inputs=ins[:1])
            elif n.target == "size":
                continue  # only used as x.view(x.size(0), -1)
            else:
                raise ExportError(f"node {n.name}: unsupported method {n.target}")
        else:
            raise ExportError(f"node {n.name}: unsupported fx op {n.op}")
        if node["op"] == "flatten":
            src_shape = per_sample(n.args[0])
            # after global_avgpool qforge already has [C]: a flatten would be a no-op
            prev = next((x for x in nodes if x["name"] == ins[0]), None)
            if prev is not None and prev["op"] == "global_avgpool" or (
                    src_shape is not None and len(src_shape) == 1):
                alias[n.name] = ins[0]
                continue
        nodes.append(node)

    manifest = {
        "format": "qforge-model",
        "version": 1,
        "name": name,
        "tensors": "model.safetensors",
        "inputs": inputs,
        "outputs": outputs,
        "nodes": nodes,
    }
    return manifest, used_tensors


def export_model(model: nn.Module, out_dir: str, input_shape, name: str = "model",
                 all_tensors: bool = False):
    """Write ``out_dir/model.json`` and ``out_dir/model.safetensors``. By default only the
    tensors the manifest names are written (all floating ``state_dict`` entries with
    ``all_tensors=True``). Returns the manifest."""
    from safetensors.torch import save_file

    manifest, used = build_graph(model, input_shape, name=name)
    if all_tensors:
        used = {k: v for k, v in model.state_dict().items() if v.is_floating_point()}
    os.makedirs(out_dir, exist_ok=True)
    tensors = {k: v.detach().contiguous().clone() for k, v in used.items()}
    for k, v in tensors.items():
        if v.dtype not in (torch.float32, torch.float64):
            raise ExportError(f"tensor {k}: dtype {v.dtype} (qforge reads F32/F64)")
    save_file(tensors, os.path.join(out_dir, "model.safetensors"))
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        f.write(dumps_manifest(manifest))
    return manifest


def dumps_manifest(manifest):
    """JSON text of a manifest, one line per node (floats as ``repr``: exact round trip)."""
    head = {k: v for k, v in manifest.items() if k != "nodes"}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v)},")
    lines.append('  "nodes": [')
    nodes = [json.dumps(n) for n in manifest["nodes"]]
    lines.append(",\n".join("    " + n for n in nodes))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(__doc__)
