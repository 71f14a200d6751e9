#!/usr/bin/env python3
"""Reference forward pass of a qforge model (docs/model.md) in float64 numpy.

Reads only ``model.json`` and its safetensors file (parsed here, no safetensors package) and
implements every op and quantizer from the written semantics (``docs/model.md``,
``/work/shared/spec/quantizers.md``, ``docs/quantizers.md``). It shares no code with qforge's
Rust crates, with PyTorch or with ``scripts/qmodules.py``, so it is an independent check of
both.

    python scripts/reference.py MODEL_DIR_OR_JSON INPUT.npy OUT.npy

INPUT is ``[B, *input_shape]`` (float32 or float64); OUT is float64 ``[B, ...]`` of the first
output. Activation quantizers produce their float ``value`` (the spec's value); weights are
quantized to their float values; every op is float64 arithmetic.

LCQ levels: by default (``lcq_outer=True``, the deployed semantics of the spec's "LUT / outer
bit-width" paragraph) every LCQ level is re-quantized to its ``outer_bits`` integer, so
inference needs only integers: activation value ``alpha·Z/(2^b'−1)`` with
``Z = round(f^-1(j/s)·(2^b'−1))``, weight value ``sign·alpha·sigma·Z/(2^(b'−1)−1)`` with
``Z = round(f^-1(|j|/s)·(2^(b'−1)−1))``. ``--exact`` (``lcq_outer=False``) uses the exact
``f^-1`` values the training forward computes.
"""

import json
import math
import os
import sys

import numpy as np


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = {"F32": "<f4", "F64": "<f8"}.get(info["dtype"])
        if dt is None:
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[base + a:base + b], dtype=dt).reshape(info["shape"])
    return out


def f32(x):
    return np.float64(np.float32(x))


def fl(x):
    return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)


# ---------------------------------------------------------------- quantizers (values only)

def n2uq_act(spec, x):
    bits = spec["bits"]
    L = 2**bits - 1
    a = [np.float32(v) for v in spec["a"]]
    eps = np.float32(1e-3)
    a = [v if v > eps else eps for v in a]
    t = np.float32(spec["start"]) + a[0] / np.float32(2)
    th = [t]
    for i in range(1, L):
        t = np.float32(t + np.float32(a[i - 1] / np.float32(2) + a[i] / np.float32(2)))
        th.append(t)
    th = np.array(th, dtype=np.float64)
    x1 = fl(x * f32(spec["beta1"]))
    ge = spec.get("compare", "gt") == "ge"
    code = np.zeros(x.shape, dtype=np.int64)
    for t in th:
        code += (x1 >= t) if ge else (x1 > t)
    return f32(spec["beta2"]) * code * 2.0 / L


def n2uq_weight(spec, w):
    bits = spec["bits"]
    clip = float(spec.get("clip", 2.0))
    L = 2**bits - 1
    gamma = L / 2 ** (bits - 1)
    co = w.shape[0]
    flat = w.reshape(co, -1)
    out = np.empty_like(flat)
    for c in range(co):
        s = 0.0
        for v in flat[c]:
            s += abs(float(v))
        sf = gamma * (s / flat.shape[1])
        if sf == 0.0:
            out[c] = 0.0
            continue
        wc = np.clip(flat[c] / sf, -clip / 2, clip / 2)
        code = np.round((wc + clip / 2) * (L / clip))
        out[c] = sf * (code / (L / clip) - clip / 2)
    return out.reshape(w.shape)


class Compander:
    def __init__(self, theta):
        if theta is None:
            self.g = None
            return
        th = [float(np.float32(t)) for t in theta]
        k = len(th)
        mx = max(th)
        e = [math.exp(t - mx) for t in th]
        s = 0.0
        for v in e:
            s += v
        p = [v / s for v in e]
        self.g = np.array([k * v for v in p])
        c, acc = [], 0.0
        for v in p:
            c.append(acc)
            acc += v
        c.append(1.0)
        self.c = np.array(c)
        self.k = k

    def compress(self, v):
        if self.g is None:
            return v
        seg = np.minimum(np.floor(v * self.k), self.k - 1).astype(np.int64)
        return self.g[seg] * (v - seg / self.k) + self.c[seg]

    def expand(self, u):
        if self.g is None:
            return u
        u = np.asarray(u, dtype=np.float64)
        # last m < K with c[m] <= u
        m = np.searchsorted(self.c[:self.k], u, side="right") - 1
        m = np.clip(m, 0, self.k - 1)
        return (u - self.c[m]) / self.g[m] + m / self.k


LCQ_OUTER = True


def lcq_act(spec, x):
    s = 2 ** spec["bits"] - 1
    comp = Compander(spec["theta"])
    alpha = float(spec["alpha"])
    v = np.minimum(np.maximum(x, 0.0) / alpha, 1.0)
    code = np.round(comp.compress(v) * s)
    code = np.where(x > 0, code, 0.0)
    if LCQ_OUTER:
        omax = 2 ** spec.get("outer_bits", 8) - 1
        return alpha * np.round(comp.expand(code / s) * omax) / omax
    return alpha * comp.expand(code / s)


def lcq_weight(spec, w):
    s = 2 ** (spec["bits"] - 1) - 1
    comp = Compander(spec.get("theta"))
    alpha = float(spec["alpha"])
    if spec.get("lwn", True):
        flat = w.reshape(-1)
        n = flat.size
        mu = 0.0
        for v in flat:
            mu += float(v)
        mu /= n
        var = 0.0
        for v in flat:
            var += (float(v) - mu) * (float(v) - mu)
        sigma = math.sqrt(var / (n - 1))
    else:
        mu, sigma = 0.0, 1.0
    u = (w - mu) / sigma
    j = np.round(comp.compress(np.minimum(np.abs(u) / alpha, 1.0)) * s)
    sign = np.sign(u)
    if LCQ_OUTER:
        omax = 2 ** (spec.get("outer_bits", 8) - 1) - 1
        return sign * alpha * sigma * np.round(comp.expand(j / s) * omax) / omax
    return sign * alpha * comp.expand(j / s) * sigma


def qn(spec, x):
    levels = np.array(spec["levels"], dtype=np.int64)
    b = np.array(spec["biases"], dtype=np.float32).astype(np.float64)
    u = fl(f32(spec["beta"]) * x)
    ge = spec.get("compare", "gt") == "ge"
    code = np.zeros(x.shape, dtype=np.int64)
    for t in b:
        code += (u >= t) if ge else (u > t)
    o = (levels[-1] - levels[0]) / 2.0 if spec["offset"] else 0.0
    return f32(spec["alpha"]) * ((levels[code] - levels[0]).astype(np.float64) - o)


def uniform(spec, x):
    bits, zp, scale = spec["bits"], spec.get("zero_point", 0), float(spec["scale"])
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if spec["signed"] else (0, 2**bits - 1)
    q = np.clip(np.round(x / scale) + zp, lo, hi)
    return scale * (q - zp)


def binary(spec, x):
    return float(spec.get("scale", 1.0)) * np.where(x >= 0, 1.0, -1.0)


def ternary(spec, x):
    t = float(spec["threshold"])
    return float(spec["scale"]) * ((x > t).astype(np.float64) - (x < -t))


ACT = {"n2uq-act": n2uq_act, "lcq-act": lcq_act, "qn": qn, "uniform": uniform,
       "binary": binary, "ternary": ternary}
WEIGHT = {"n2uq-weight": n2uq_weight, "lcq-weight": lcq_weight, "qn": qn, "uniform": uniform,
          "binary": binary, "ternary": ternary}


def quantize_weight(spec, w):
    if spec is None:
        return w
    return WEIGHT[spec["method"]](spec, w)


# ---------------------------------------------------------------- ops (batched [B, ...])

def conv2d(x, w, b, stride, padding, groups):
    B, C, H, W = x.shape
    co, cig, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho = (H + 2 * padding - kh) // stride + 1
    wo = (W + 2 * padding - kw) // stride + 1
    out = np.zeros((B, co, ho, wo))
    cog = co // groups
    for g in range(groups):
        xs = xp[:, g * cig:(g + 1) * cig]
        cols = np.empty((B, cig, kh, kw, ho, wo))
        for dy in range(kh):
            for dx in range(kw):
                cols[:, :, dy, dx] = xs[:, :, dy:dy + stride * ho:stride, dx:dx + stride * wo:stride]
        cols = cols.reshape(B, cig * kh * kw, ho * wo)
        wg = w[g * cog:(g + 1) * cog].reshape(cog, -1)
        out[:, g * cog:(g + 1) * cog] = np.einsum("ok,bkn->bon", wg, cols).reshape(B, cog, ho, wo)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool(x, kernel, stride, padding, kind):
    B, C, H, W = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill)
    ho = (H + 2 * padding - kernel) // stride + 1
    wo = (W + 2 * padding - kernel) // stride + 1
    win = np.stack([xp[:, :, dy:dy + stride * ho:stride, dx:dx + stride * wo:stride]
                    for dy in range(kernel) for dx in range(kernel)])
    return win.max(0) if kind == "max" else win.sum(0) / (kernel * kernel)


def forward(manifest, tensors, x):
    """Run the graph on a batch ``x`` [B, *shape]; returns {node name: float64 array}."""
    vals = {manifest["inputs"][0]["name"]: np.asarray(x, dtype=np.float64)}
    nodes = {n["name"]: n for n in manifest["nodes"]}

    def T(name):
        return tensors[name].astype(np.float64)

    def get(name):
        if name not in vals:
            n = nodes[name]
            ins = [get(i) for i in n["inputs"]]
            vals[name] = run(n, ins)
        return vals[name]

    def run(n, ins):
        op = n["op"]
        x = ins[0]
        if op == "quant":
            return ACT[n["spec"]["method"]](n["spec"], x)
        if op == "conv":
            w = quantize_weight(n.get("weight_quant"), T(n["weight"]))
            b = T(n["bias"]) if n.get("bias") else None
            return conv2d(x, w, b, n.get("stride", 1), n.get("padding", 0), n.get("groups", 1))
        if op == "fc":
            w = quantize_weight(n.get("weight_quant"), T(n["weight"]))
            y = x @ w.T
            return y + T(n["bias"]) if n.get("bias") else y
        if op == "batchnorm":
            shape = (1, -1) + (1,) * (x.ndim - 2)
            g, be = T(n["weight"]).reshape(shape), T(n["bias"]).reshape(shape)
            m, v = T(n["running_mean"]).reshape(shape), T(n["running_var"]).reshape(shape)
            return g * (x - m) / np.sqrt(v + n.get("eps", 1e-5)) + be
        if op == "relu":
            return np.maximum(x, 0.0)
        if op in ("maxpool", "avgpool"):
            k = n["kernel"]
            return pool(x, k, n.get("stride", k), n.get("padding", 0), op[:3])
        if op == "global_avgpool":
            return x.mean(axis=(2, 3))
        if op == "add":
            return ins[0] + ins[1]
        if op == "flatten":
            return x.reshape(x.shape[0], -1)
        raise ValueError(f"node {n['name']}: unknown op {op}")

    for o in manifest["outputs"]:
        get(o)
    return vals


def load(path):
    if os.path.isdir(path):
        path = os.path.join(path, "model.json")
    with open(path) as f:
        manifest = json.load(f)
    tensors = load_safetensors(os.path.join(os.path.dirname(path), manifest["tensors"]))
    return manifest, tensors


def reference(path, x, lcq_outer=True):
    global LCQ_OUTER
    manifest, tensors = load(path)
    old, LCQ_OUTER = LCQ_OUTER, lcq_outer
    try:
        return forward(manifest, tensors, x)[manifest["outputs"][0]]
    finally:
        LCQ_OUTER = old


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--exact"]
    if len(args) != 3:
        print(__doc__)
        sys.exit(2)
    np.save(args[2], reference(args[0], np.load(args[1]), lcq_outer="--exact" not in sys.argv))
