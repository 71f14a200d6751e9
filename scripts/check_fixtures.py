#!/usr/bin/env python3
"""Cross-check the committed fixtures' quantizers against qforge's Rust quantizers.

For every fixture in testbench/fixtures/models/, every quantizer spec of its model.json goes
through ``qforge quantize`` on the data it sees in the fixture: each ``weight_quant`` on its
weight tensor, each ``quant`` node on its input as computed by scripts/reference.py on the
fixture's input.npy (float64). The Rust values must equal the numpy reference's values
(exactly for every method; codes are what the hardware sees), and ``reference.npy`` must equal
a fresh reference run. Needs only numpy and a built qforge:

    cargo build --release -p qforge
    python3 scripts/check_fixtures.py [--qforge target/release/qforge]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference as ref  # noqa: E402


def rust_values(qforge, spec, x, tmp):
    sp, xp, cp, vp = (os.path.join(tmp, n) for n in ("s.json", "x.npy", "c.npy", "v.npy"))
    with open(sp, "w") as f:
        json.dump(spec, f)
    np.save(xp, x)
    r = subprocess.run([qforge, "quantize", "--spec", sp, "--input", xp, "--codes", cp,
                        "--values", vp], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"qforge quantize failed on {spec}: {r.stderr}")
    return np.load(cp), np.load(vp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qforge", default=os.path.join(HERE, "..", "target", "release", "qforge"))
    ap.add_argument("--dir", default=os.path.join(HERE, "..", "testbench", "fixtures", "models"))
    args = ap.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(os.listdir(args.dir)):
            d = os.path.join(args.dir, name)
            if not os.path.isfile(os.path.join(d, "model.json")):
                continue
            manifest, tensors = ref.load(d)
            x = np.load(os.path.join(d, "input.npy"))
            vals = ref.forward(manifest, tensors, x)
            out = vals[manifest["outputs"][0]]
            same_ref = np.array_equal(out, np.load(os.path.join(d, "reference.npy")))
            n_checked, worst = 0, 0.0
            for n in manifest["nodes"]:
                if n["op"] == "quant":
                    inp = vals[n["inputs"][0]]
                    mine = vals[n["name"]]
                    spec = n["spec"]
                elif n.get("weight_quant"):
                    inp = tensors[n["weight"]].astype(np.float64)
                    mine = ref.quantize_weight(n["weight_quant"], inp)
                    spec = n["weight_quant"]
                else:
                    continue
                _, rv = rust_values(args.qforge, spec, inp, tmp)
                diff = float(np.max(np.abs(rv - mine)))
                worst = max(worst, diff)
                n_checked += 1
                if diff != 0.0:
                    bad += 1
                    print(f"  {name}/{n['name']}: Rust and numpy values differ by {diff:.3g}")
            ok = same_ref and worst == 0.0
            bad += not same_ref
            print(f"{name:18s} {n_checked} quantizers vs qforge quantize: max |dvalue| {worst:.3g}; "
                  f"reference.npy reproduced: {same_ref}  {'ok' if ok else 'FAIL'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
