#!/usr/bin/env python3
"""Check that the eval-mode quantizers of scripts/qmodules.py give exactly qforge's codes.

For every method, random parameters and random tensors (float32 and float64, with exact ties:
zeros, thresholds, rounding midpoints), this writes the module's spec, runs
``qforge quantize --spec S --input X --codes C --values V`` (the Rust golden quantizers) and
requires code equality on every element; it also reports the largest value difference.

    cargo build --release -p qforge
    /work/venv/bin/python scripts/check_quantizers.py [--qforge target/release/qforge]

Exit code 0 when every code matches.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qmodules as qm  # noqa: E402


def run_rust(qforge, spec, x, tmp, allow_zero=False):
    sp, xp, cp, vp = (os.path.join(tmp, n) for n in ("s.json", "x.npy", "c.npy", "v.npy"))
    with open(sp, "w") as f:
        json.dump(spec, f)
    np.save(xp, x)
    cmd = [qforge, "quantize", "--spec", sp, "--input", xp, "--codes", cp, "--values", vp]
    if allow_zero:
        cmd.append("--allow-zero-channels")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"qforge failed on {spec}: {r.stderr}")
    return np.load(cp), np.load(vp)


def cases(rng):
    """Yield (name, module, input array)."""
    def randn(*shape, s=1.0):
        return (rng.standard_normal(shape) * s).astype(np.float32)

    for bits in (1, 2, 3, 4):
        for k in range(3):
            m = qm.LTQ(bits)
            with torch.no_grad():
                m.start.fill_(float(rng.uniform(-0.5, 0.5)))
                m.a.copy_(torch.tensor(rng.uniform(-0.1, 1.0, m.n_val), dtype=torch.float32))
                m.scale1.fill_(float(rng.uniform(0.5, 2.0)) if k else 1.0)
                m.scale2.fill_(float(rng.uniform(0.5, 2.0)))
            t = m.thresholds().numpy()
            x = np.concatenate([randn(4000, s=2.0), t, np.nextafter(t, 10), np.zeros(3, np.float32)])
            yield f"n2uq-act b{bits} #{k}", m, x.reshape(-1, 1)
    for bits in (1, 2, 3, 4, 8):
        m = qm.N2UQWeight(bits)
        w = randn(16, 8, 3, 3, s=0.1)
        w[0, 0, 0, :] = 0.0
        w[3] = np.round(w[3] * 20) / 20  # many equal magnitudes
        yield f"n2uq-weight b{bits}", m, w
    for bits in (1, 2, 3, 4, 6):
        for k in range(2):
            m = qm.LCQAct(bits, alpha=float(rng.uniform(0.5, 4)))
            with torch.no_grad():
                if k:
                    m.theta.copy_(torch.tensor(rng.standard_normal(16), dtype=torch.float32))
            a = qm.f32(m.alpha)
            x = np.concatenate([np.abs(randn(4000, s=a * 0.6)), randn(200), np.zeros(5, np.float32),
                                np.array([a, 2 * a], np.float32)])
            yield f"lcq-act b{bits} #{k}", m, x
    for bits in (2, 3, 4, 5):
        for k, lwn in ((0, True), (1, True), (2, False)):
            m = qm.LCQWeight(bits, alpha=float(rng.uniform(0.5, 3)), lwn=lwn)
            with torch.no_grad():
                if k:
                    m.theta.copy_(torch.tensor(rng.standard_normal(16), dtype=torch.float32))
            w = randn(16, 8, 3, 3, s=0.2 if lwn else 1.0) + (0.03 if lwn else 0.0)
            yield f"lcq-weight b{bits} lwn={lwn} #{k}", m, w
    for levels, offset in (([-1, 0, 1], True), ([-4, -2, -1, 0, 1, 2, 4], True),
                           ([0, 1, 2, 3], False), ([-1, 1], True), ([0, 1, 3, 7], False)):
        for k in range(2):
            n = len(levels)
            b = np.sort(rng.uniform(levels[0], levels[-1], n - 1))
            m = qm.QNQuantizer(levels, offset, alpha=float(rng.uniform(0.1, 2)),
                               beta=1.0 if k == 0 else float(rng.uniform(0.3, 3)), biases=b)
            x = np.concatenate([randn(4000, s=2.0), m.biases.numpy()])
            yield f"qn {levels} #{k}", m, x
    for bits in (1, 2, 4, 8):
        for signed in (False, True):
            if bits == 1 and signed:
                continue
            for k, scale in enumerate((0.25, float(rng.uniform(0.01, 1)))):
                zp = 0 if (signed or k == 0) else 1
                m = qm.UniformQuantizer(bits, signed, scale=scale, zero_point=zp)
                x = np.concatenate([randn(4000, s=scale * 2**bits / 2),
                                    (np.arange(-20, 21) * 0.125).astype(np.float32)])
                yield f"uniform b{bits} signed={signed} #{k}", m, x
        m = qm.UniformQuantizer(bits, True) if bits > 1 else None
        if m is not None:
            yield f"uniform weight b{bits} (max|W| scale)", m, randn(16, 8, 3, 3, s=0.1)
    m = qm.BinaryQuantizer(0.5)
    yield "binary fixed", m, np.concatenate([randn(4000), np.zeros(4, np.float32), -np.zeros(4, np.float32)])
    yield "binary weight", qm.BinaryQuantizer(), randn(16, 8, 3, 3, s=0.1)
    yield "ternary fixed", qm.TernaryQuantizer(0.25, 0.5), np.concatenate(
        [randn(4000), np.array([0.25, -0.25, 0, 0.2500001], np.float32)])
    yield "ternary weight", qm.TernaryQuantizer(), randn(16, 8, 3, 3, s=0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--qforge", default=os.path.join(here, "..", "target", "release", "qforge"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    n_cases = n_elems = 0
    failures = []
    worst_value = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, m, x in cases(rng):
            m.eval()
            for dtype in (np.float32, np.float64):
                xd = x.astype(dtype)
                if dtype == np.float64:
                    # float64 inputs that are not float32 numbers
                    xd = xd * (1 + 1e-9)
                xt = torch.from_numpy(xd)
                spec = m.spec(xt.float() if getattr(m, "is_weight", False) else None)
                codes, values = m.exact(xt.double())
                rc, rv = run_rust(args.qforge, spec, xd, tmp, allow_zero=True)
                codes = codes.numpy().reshape(rc.shape)
                bad = int(np.sum(codes != rc))
                vdiff = float(np.max(np.abs(values.numpy().reshape(rv.shape).astype(dtype) - rv)))
                worst_value = max(worst_value, vdiff)
                n_cases += 1
                n_elems += codes.size
                status = "ok" if bad == 0 else f"FAIL ({bad} codes differ)"
                print(f"{name:40s} {np.dtype(dtype).name:8s} {codes.size:6d} elems  "
                      f"max|dvalue| {vdiff:.3g}  {status}")
                if bad:
                    failures.append((name, np.dtype(dtype).name, bad))
    print(f"\n{n_cases} cases, {n_elems} elements: "
          f"{'all codes equal' if not failures else f'{len(failures)} cases FAILED'}; "
          f"largest value difference {worst_value:.3g}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
