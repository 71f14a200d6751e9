#!/usr/bin/env python3
"""Recompute every fixture's reference outputs from its committed files (numpy only).

For each ``testbench/fixtures/models/<name>/`` (or the directories given) this reads
``model.json``, ``model.safetensors`` and ``input.npy`` and writes, with ``scripts/reference.py``:

- ``reference.npy``: the deployed semantics (LCQ levels at their ``outer_bits`` integers,
  the integers the LUT engine multiplies; identical to the exact values for every other method);
- ``reference_float.npy``: the training forward's exact values (LCQ's exact ``f^-1`` levels).

    python scripts/make_references.py [FIXTURE_DIR ...]
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testbench", "fixtures", "models")


def main():
    dirs = sys.argv[1:] or sorted(
        os.path.join(ROOT, d) for d in os.listdir(ROOT) if os.path.isfile(os.path.join(ROOT, d, "model.json"))
    )
    for d in dirs:
        x = np.load(os.path.join(d, "input.npy"))
        hw = ref.reference(d, x, lcq_outer=True)
        exact = ref.reference(d, x, lcq_outer=False)
        np.save(os.path.join(d, "reference.npy"), hw.astype(np.float64))
        np.save(os.path.join(d, "reference_float.npy"), exact.astype(np.float64))
        print(f"{os.path.basename(d)}: max |deployed - exact| = {np.abs(hw - exact).max():.3g}, "
              f"argmax differs on {int((hw.argmax(1) != exact.argmax(1)).sum())} of {len(x)}")


if __name__ == "__main__":
    main()
