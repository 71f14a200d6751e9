"""Hand-built QONNX graphs that exercise every op the importer reads beyond what Brevitas'
exporters emit for the trained fixtures (``make_qonnx_fixtures.py``), with reference outputs from
``qonnx.core.onnx_exec.execute_onnx``. Writes ``testbench/fixtures/qonnx_ops/<name>/``:

* ``<name>.onnx``: the graph (IR 9, ai.onnx 13 or 20, qonnx.custom_op.general 2; batch 1),
* ``input.npy``: float32 inputs, batch first (one executor run per row),
* ``reference.npy``: the executor's outputs, stacked.

Graphs (seeded random weights; scales chosen so that codes spread over the whole range):

* ``ops_cnn``: Quant(int8) → Conv(3-bit per-tensor weights, float bias, pad 1) → Mul (per-channel
  ``[1, C, 1, 1]``) → Add (per-channel ``[C, 1, 1]``) → Relu → Quant(u3) → AveragePool 2×2/2 →
  Quant(int4) → Conv 1×1 group 2 (2-bit narrow weights, per-channel scale) → Div (scalar) →
  Sub (scalar) → MultiThreshold (shared thresholds, out_scale 0.5, out_bias 0) →
  GlobalAveragePool → Flatten → Identity → Quant(u4) →
  MatMul (weights ``[in, out]`` through a Quant and a Transpose of ``[out, in]``) → Mul (scalar).
* ``ops_trunc``: Quant(int8) → Trunc to 5 bits (FLOOR, out_scale = 8 · scale) → Gemm(transB=0,
  4-bit weights, float bias) → BatchNormalization → Relu → Quant(u2) → Gemm(transB=1, bipolar
  weights via BipolarQuant), raw output.
* ``ops_bipolar_conv``: Quant(int8) → Conv(bipolar weights, no padding, stride 2) →
  BatchNormalization → BipolarQuant(1.0) → Reshape([1, -1]) → Gemm(1-bit signed Quant weights,
  i.e. ±scale), raw output.

    /work/venv/bin/python scripts/make_qonnx_op_fixtures.py

Needs onnx + qonnx (scripts/requirements-qonnx.txt); CI never runs it.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "testbench", "fixtures", "qonnx_ops")
Q = "qonnx.custom_op.general"
N = 32


class G:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.k = [], [], 0

    def c(self, arr, dtype=np.float32):
        name = f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    def n(self, op, ins, domain="", **attrs):
        self.k += 1
        name = f"{op}_{self.k}"
        out = f"{name}_out0"
        self.nodes.append(helper.make_node(op, ins, [out], name=name, domain=domain, **attrs))
        return out

    def quant(self, x, scale, bits, signed, narrow=0):
        return self.n("Quant", [x, self.c(scale), self.c(0.0), self.c(float(bits))], Q,
                      signed=signed, narrow=narrow, rounding_mode="ROUND")

    def w(self, *shape, s=0.5):
        return self.rng.normal(0, s, shape).astype(np.float32)

    def model(self, name, in_shape, out, out_shape, opset=20):
        g = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("global_in", TensorProto.FLOAT, in_shape)],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, out_shape)],
            initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid(Q, 2)])
        m.ir_version = 9
        return m


def ops_cnn():
    g = G(1)
    x = g.quant("global_in", 0.05, 8, 1)
    w1 = g.quant(g.c(g.w(4, 2, 3, 3)), 0.25, 3, 1)
    x = g.n("Conv", [x, w1, g.c(g.w(4, s=0.1))], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    x = g.n("Mul", [x, g.c(np.array([0.9, 1.1, -0.7, 1.3], np.float32).reshape(1, 4, 1, 1))])
    x = g.n("Add", [x, g.c(np.array([0.05, -0.1, 0.2, 0.0], np.float32).reshape(4, 1, 1))])
    x = g.n("Relu", [x])
    x = g.quant(x, 0.2, 3, 0)
    x = g.n("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
    # Scales and thresholds incommensurate with the grids before them, so that no value lands
    # exactly on a step (where float32 and float64 may round differently).
    x = g.quant(x, 0.13, 4, 1)
    # A per-output-channel weight scale [Co, 1, 1, 1].
    sc = g.c(np.array([0.3, 0.5, 0.4, 0.2, 0.6, 0.35], np.float32).reshape(6, 1, 1, 1))
    w2 = g.n("Quant", [g.c(g.w(6, 2, 1, 1)), sc, g.c(0.0), g.c(2.0)], Q, signed=1, narrow=1, rounding_mode="ROUND")
    x = g.n("Conv", [x, w2], kernel_shape=[1, 1], group=2)
    x = g.n("Div", [x, g.c(0.8)])
    x = g.n("Sub", [x, g.c(0.05)])
    x = g.n("MultiThreshold", [x, g.c(np.array([[-0.3137, -0.0971, 0.1133, 0.2917]], np.float32))], Q,
            out_dtype="UINT3", out_scale=0.5, out_bias=0.0)
    x = g.n("GlobalAveragePool", [x])
    x = g.n("Flatten", [x], axis=1)
    x = g.n("Identity", [x])
    x = g.quant(x, 0.117, 4, 0)
    wt = g.n("Transpose", [g.quant(g.c(g.w(5, 6)), 0.2, 4, 1, narrow=1)], perm=[1, 0])
    x = g.n("MatMul", [x, wt])
    x = g.n("Mul", [x, g.c(1.5)])
    xs = (np.random.default_rng(11).uniform(-3, 3, (N, 1, 2, 6, 6))).astype(np.float32)
    return g.model("ops_cnn", [1, 2, 6, 6], x, [1, 5]), xs


def ops_trunc():
    g = G(2)
    s = 0.0625
    x = g.quant("global_in", s, 8, 1)
    x = g.n("Trunc", [x, g.c(s), g.c(0.0), g.c(8.0), g.c(s * 8), g.c(5.0)], Q, rounding_mode="FLOOR", signed=1, narrow=0)
    w = g.quant(g.c(g.w(12, 7)), 0.2, 4, 1, narrow=1)
    x = g.n("Gemm", [x, w, g.c(g.w(7, s=0.2))], transB=0)
    x = g.n("BatchNormalization", [x, g.c(g.rng.uniform(0.5, 1.5, 7)), g.c(g.w(7, s=0.2)),
                                   g.c(g.w(7, s=0.5)), g.c(g.rng.uniform(0.5, 2, 7))], epsilon=1e-5)
    x = g.n("Relu", [x])
    x = g.quant(x, 0.5, 2, 0)
    wb = g.n("BipolarQuant", [g.c(g.w(3, 7)), g.c(np.array([0.1], np.float32))], Q)
    x = g.n("Gemm", [x, wb], transB=1)
    xs = np.random.default_rng(12).uniform(-8, 8, (N, 1, 12)).astype(np.float32)
    return g.model("ops_trunc", [1, 12], x, [1, 3], opset=13), xs


def ops_bipolar_conv():
    g = G(3)
    x = g.quant("global_in", 0.05, 8, 1)
    wb = g.n("BipolarQuant", [g.c(g.w(4, 1, 3, 3)), g.c(np.array([0.2], np.float32))], Q)
    x = g.n("Conv", [x, wb], kernel_shape=[3, 3], strides=[2, 2])
    x = g.n("BatchNormalization", [x, g.c(np.array([1.0, -0.8, 1.2, 0.9], np.float32)), g.c(g.w(4, s=0.2)),
                                   g.c(g.w(4, s=0.3)), g.c(g.rng.uniform(0.5, 2, 4))], epsilon=1e-5)
    x = g.n("BipolarQuant", [x, g.c(np.array([1.0], np.float32))], Q)
    x = g.n("Reshape", [x, g.c(np.array([1, -1], np.int64), np.int64)])
    w = g.quant(g.c(g.w(3, 4 * 3 * 3)), 0.3, 1, 1)
    x = g.n("Gemm", [x, w, g.c(g.w(3, s=0.1))], transB=1)
    xs = np.random.default_rng(13).uniform(-3, 3, (N, 1, 1, 7, 7)).astype(np.float32)
    return g.model("ops_bipolar_conv", [1, 1, 7, 7], x, [1, 3]), xs


def main():
    for make in (ops_cnn, ops_trunc, ops_bipolar_conv):
        m, xs = make()
        name = m.graph.name
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, f"{name}.onnx")
        # Shapes as qonnx-cleanup would annotate them (the executor needs them).
        mw = ModelWrapper(m).transform(InferShapes())
        mw.save(path)
        outs = [execute_onnx(mw, {"global_in": x})[mw.graph.output[0].name] for x in xs]
        ref = np.concatenate(outs, axis=0)
        np.save(os.path.join(d, "input.npy"), xs.reshape((N,) + xs.shape[2:]))
        np.save(os.path.join(d, "reference.npy"), ref.astype(np.float32))
        print(name, ref.shape, "range", float(ref.min()), float(ref.max()))


if __name__ == "__main__":
    main()
