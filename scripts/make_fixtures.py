#!/usr/bin/env python3
"""Train the qforge test-bench model fixtures on sklearn's digits and export them.

Each fixture goes to ``testbench/fixtures/models/<name>/``: ``model.json``,
``model.safetensors`` (scripts/export_model.py), ``input.npy`` (float32 [64, 1, 8, 8], the first
64 test images, pixel values 0..16), ``labels.npy`` (int64 [64]), ``reference.npy`` (float64
[64, 10] logits from scripts/reference.py, an independent numpy forward of the exported files)
and ``README.md``. The script also checks the reference against the torch eval forward
(argmax on every test image, logit difference) and fails if any argmax differs.

    /work/venv/bin/python scripts/make_fixtures.py            # all fixtures
    /work/venv/bin/python scripts/make_fixtures.py n2uq_w2a2  # some

Deterministic: fixed seeds, one thread (torch.set_num_threads(1)), the same split
(``train_test_split(test_size=0.25, random_state=0, stratify=y)``).
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import qmodules as qm  # noqa: E402
import reference as ref  # noqa: E402
from export_model import export_model  # noqa: E402

OUT = os.path.join(HERE, "..", "testbench", "fixtures", "models")
B_FIX = 64


def data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.images.astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return (torch.from_numpy(xtr), torch.from_numpy(ytr), torch.from_numpy(xte),
            torch.from_numpy(yte))


# ------------------------------------------------------------------------------ models


def conv(ci, co, k, stride=1, padding=0, wq=None):
    if wq is None:
        return nn.Conv2d(ci, co, k, stride=stride, padding=padding, bias=False)
    return qm.QConv2d(ci, co, k, stride=stride, padding=padding, bias=False, weight_quant=wq())


def linear(i, o, wq=None):
    if wq is None:
        return nn.Linear(i, o)
    return qm.QLinear(i, o, weight_quant=wq())


def act(aq):
    return nn.Identity() if aq is None else aq()


class PlainNet(nn.Module):
    """q_in -> conv3x3(1->c1)-bn-relu-q1 -> conv3x3(c1->c2)-bn-relu-q2 -> maxpool2 -> fc."""

    def __init__(self, wq=None, aq=None, inq=None, c1=8, c2=16):
        super().__init__()
        self.q_in = act(inq)
        self.conv1 = conv(1, c1, 3, padding=1, wq=wq)
        self.bn1 = nn.BatchNorm2d(c1)
        self.relu1 = nn.ReLU()
        self.q1 = act(aq)
        self.conv2 = conv(c1, c2, 3, padding=1, wq=wq)
        self.bn2 = nn.BatchNorm2d(c2)
        self.relu2 = nn.ReLU()
        self.q2 = act(aq)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = linear(c2 * 16, 10, wq=wq)

    def forward(self, x):
        x = self.q1(self.relu1(self.bn1(self.conv1(self.q_in(x)))))
        x = self.q2(self.relu2(self.bn2(self.conv2(x))))
        return self.fc(self.flatten(self.pool(x)))


ARCH_PLAIN = ("q_in (input quantizer) -> conv1 3x3 1->8 pad 1 (quantized) -> bn1 -> relu -> q1 -> "
              "conv2 3x3 8->16 pad 1 (quantized) -> bn2 -> relu -> q2 -> maxpool 2 -> flatten -> "
              "fc 256->10 with bias (quantized weights, raw output)")


class ResNet(nn.Module):
    """Stem conv-bn-relu-q, one basic block (3x3 stride-2 conv, 1x1 stride-2 downsample +
    bn on the shortcut), add, relu, q, global avg pool, q, fc."""

    def __init__(self, wq=None, aq=None, inq=None, c1=8, c2=16):
        super().__init__()
        self.q_in = act(inq)
        self.stem = conv(1, c1, 3, padding=1, wq=wq)
        self.stem_bn = nn.BatchNorm2d(c1)
        self.stem_relu = nn.ReLU()
        self.q0 = act(aq)
        self.conv_a = conv(c1, c2, 3, stride=2, padding=1, wq=wq)
        self.bn_a = nn.BatchNorm2d(c2)
        self.relu_a = nn.ReLU()
        self.q_a = act(aq)
        self.conv_b = conv(c2, c2, 3, padding=1, wq=wq)
        self.bn_b = nn.BatchNorm2d(c2)
        self.down = conv(c1, c2, 1, stride=2, wq=wq)
        self.down_bn = nn.BatchNorm2d(c2)
        self.relu_out = nn.ReLU()
        self.q_out = act(aq)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.q_gap = act(aq)
        self.fc = linear(c2, 10, wq=wq)

    def forward(self, x):
        x = self.q0(self.stem_relu(self.stem_bn(self.stem(self.q_in(x)))))
        y = self.q_a(self.relu_a(self.bn_a(self.conv_a(x))))
        y = self.bn_b(self.conv_b(y))
        s = self.down_bn(self.down(x))
        z = self.q_out(self.relu_out(y + s))
        return self.fc(self.q_gap(self.flatten(self.gap(z))))


ARCH_RESNET = ("q_in -> stem 3x3 1->8 pad 1 -> bn -> relu -> q0 -> [conv_a 3x3 8->16 stride 2 pad 1 "
               "-> bn -> relu -> q_a -> conv_b 3x3 16->16 pad 1 -> bn] + [down 1x1 8->16 stride 2 -> "
               "bn] -> add -> relu -> q_out -> global avg pool -> q_gap -> fc 16->10 with bias "
               "(all convs and the fc quantized)")


# ------------------------------------------------------------------------------ fixtures


def in_uniform(bits):
    return lambda: qm.UniformQuantizer(bits, False, scale=16.0 / (2**bits - 1))


def lsq_act(bits):
    return lambda: qm.UniformQuantizer(bits, False, scale=1.0, learn=True)


FIXTURES = {
    "n2uq_w2a2": dict(method="N2UQ", wbits=2, abits=2, wq=lambda: qm.N2UQWeight(2),
                      aq=lambda: qm.LTQ(2), inq=in_uniform(2)),
    "n2uq_w4a4": dict(method="N2UQ", wbits=4, abits=4, wq=lambda: qm.N2UQWeight(4),
                      aq=lambda: qm.LTQ(4), inq=in_uniform(4)),
    "lcq_w2a2": dict(method="LCQ", wbits=2, abits=2, wq=lambda: qm.LCQWeight(2, alpha=1.4),
                     aq=lambda: qm.LCQAct(2), inq=in_uniform(2)),
    "lcq_w4a4": dict(method="LCQ", wbits=4, abits=4, wq=lambda: qm.LCQWeight(4, alpha=3.0),
                     aq=lambda: qm.LCQAct(4), inq=in_uniform(4)),
    "qn_ternary": dict(method="Quantization Networks", wbits="levels [-1, 0, 1]",
                       abits="levels [0, 1, 2, 3]",
                       wq=lambda: qm.QNQuantizer([-1, 0, 1], True),
                       aq=lambda: qm.QNQuantizer([0, 1, 2, 3], False), inq=in_uniform(2),
                       t_max=100.0, epochs=40, lr=3e-3),
    "qn_pow2": dict(method="Quantization Networks", wbits="levels [-4, -2, -1, 0, 1, 2, 4]",
                    abits="levels [0, 1, 2, 3]",
                    wq=lambda: qm.QNQuantizer([-4, -2, -1, 0, 1, 2, 4], True),
                    aq=lambda: qm.QNQuantizer([0, 1, 2, 3], False), inq=in_uniform(2),
                       t_max=100.0, epochs=40, lr=3e-3),
    "uniform_w4a4": dict(method="uniform", wbits=4, abits=4,
                         wq=lambda: qm.UniformQuantizer(4, True), aq=lsq_act(4),
                         inq=in_uniform(4)),
    "binary_w1a2": dict(method="binary weights, uniform activations", wbits=1, abits=2,
                        wq=lambda: qm.BinaryQuantizer(), aq=lsq_act(2), inq=in_uniform(2)),
    "resnet_n2uq_w2a2": dict(method="N2UQ", wbits=2, abits=2, wq=lambda: qm.N2UQWeight(2),
                             aq=lambda: qm.LTQ(2), inq=in_uniform(2), arch="resnet",
                             epochs=80, lr=2e-3),
}


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train(model, xtr, ytr, epochs, lr, seed, on_epoch=None, bs=32):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for ep in range(epochs):
        if on_epoch:
            on_epoch(ep, epochs)
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), bs):
            idx = perm[i:i + bs]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()


@torch.no_grad()
def calibrate(model, xcal):
    """Initialise activation quantizers from the float activations they see (and QN weight
    quantizers from their weights)."""
    acts = {}
    hooks = []
    for name, m in model.named_modules():
        if isinstance(m, qm.QUANTIZERS):
            m.bypass = True
            if name != "q_in" and not name.endswith("weight_quant"):
                hooks.append(m.register_forward_pre_hook(
                    lambda mod, inp, name=name: acts.__setitem__(name, inp[0].detach().clone())))
    model.eval()
    model(xcal)
    for h in hooks:
        h.remove()
    mods = dict(model.named_modules())
    for name, x in acts.items():
        m = mods[name]
        pos = x[x > 0]
        if isinstance(m, qm.QNQuantizer):
            m.init_from(x)
        elif isinstance(m, qm.LCQAct):
            m.alpha.fill_(float(torch.quantile(pos, 0.99)))
        elif isinstance(m, qm.UniformQuantizer) and isinstance(m.scale, nn.Parameter):
            m.scale.fill_(float(torch.quantile(pos, 0.99)) / m.qmax)
        elif isinstance(m, qm.LTQ):
            # LTQ thresholds span [0, 2] at init (published init); scale the input to that range
            m.scale1.fill_(2.0 / float(torch.quantile(pos, 0.99)))
    for name, m in model.named_modules():
        if isinstance(m, (qm.QConv2d, qm.QLinear)) and isinstance(m.weight_quant, qm.QNQuantizer):
            m.weight_quant.init_from(m.weight)
    for m in model.modules():
        if isinstance(m, qm.QUANTIZERS):
            m.bypass = False


def check_relu_quantizers(manifest):
    """Engine constraint: a quantizer after a ReLU maps 0 (and negatives) to level 0."""
    ops = {n["name"]: n for n in manifest["nodes"]}
    for n in manifest["nodes"]:
        if n["op"] == "quant" and ops.get(n["inputs"][0], {}).get("op") == "relu":
            v = ref.ACT[n["spec"]["method"]](n["spec"], np.array([-1.0, 0.0]))
            if np.any(v != 0.0):
                raise SystemExit(f"{n['name']}: quantizer after ReLU maps 0 to {v}, not level 0")


def fmt_bits(v):
    return f"{v}-bit" if isinstance(v, int) else v


def make(name, cfg, d, float_models, args):
    xtr, ytr, xte, yte = d
    arch = cfg.get("arch", "plain")
    Net = ResNet if arch == "resnet" else PlainNet
    t0 = time.time()
    if arch not in float_models:
        torch.manual_seed(0)
        fm = Net()
        train(fm, xtr, ytr, args.float_epochs, 3e-3, seed=0)
        float_models[arch] = (fm, time.time() - t0, accuracy(fm, xtr, ytr), accuracy(fm, xte, yte))
        print(f"  float {arch}: train {float_models[arch][2]:.4f} test {float_models[arch][3]:.4f} "
              f"({float_models[arch][1]:.1f} s)")
    fm, ftime, ftr, fte = float_models[arch]
    t1 = time.time()
    torch.manual_seed(1)
    model = Net(wq=cfg["wq"], aq=cfg["aq"], inq=cfg["inq"])
    missing = model.load_state_dict(fm.state_dict(), strict=False)
    assert not missing.unexpected_keys, missing
    calibrate(model, xtr[:512])
    ptq_test = accuracy(model, xte, yte)
    qn = [m for m in model.modules() if isinstance(m, qm.QNQuantizer)]

    def on_epoch(ep, epochs):
        # QN: sigmoid temperature raised every epoch (linear schedule, as the published code)
        for m in qn:
            m.temperature = 2.0 + ep * (cfg.get("t_max", 60.0) - 2.0) / max(1, epochs - 1)

    epochs = cfg.get("epochs", args.qat_epochs)
    train(model, xtr, ytr, epochs, cfg.get("lr", 1e-3), seed=1, on_epoch=on_epoch)
    qtime = time.time() - t1
    tr, te = accuracy(model, xtr, ytr), accuracy(model, xte, yte)
    mode = "QAT"
    if te < ptq_test:
        mode_note = f"(PTQ of the float model gave {ptq_test:.4f})"
    else:
        mode_note = f"(PTQ of the float model, before QAT: {ptq_test:.4f})"
    print(f"  {name}: QAT train {tr:.4f} test {te:.4f} {mode_note} ({qtime:.1f} s)")

    out = os.path.join(OUT, name)
    model.eval()
    manifest = export_model(model, out, (1, 8, 8), name=f"digits_{name}")
    check_relu_quantizers(manifest)
    xfix, yfix = xte[:B_FIX].numpy().copy(), yte[:B_FIX].numpy().copy()
    np.save(os.path.join(out, "input.npy"), xfix.astype(np.float32))
    np.save(os.path.join(out, "labels.npy"), yfix.astype(np.int64))
    # independent numpy reference of the exported files, on the fixture batch and the test set
    r_fix = ref.reference(out, xfix)
    np.save(os.path.join(out, "reference.npy"), r_fix.astype(np.float64))
    np.save(os.path.join(out, "reference_float.npy"),
            ref.reference(out, xfix, lcq_outer=False).astype(np.float64))
    r_all = ref.reference(out, xte.numpy())
    with torch.no_grad():
        t_all = model(xte).double().numpy()
    argmax_diff = int(np.sum(r_all.argmax(1) != t_all.argmax(1)))
    max_diff = float(np.max(np.abs(r_all - t_all)))
    ref_acc_fix = float(np.mean(r_fix.argmax(1) == yfix))
    ref_acc_all = float(np.mean(r_all.argmax(1) == yte.numpy()))
    print(f"  {name}: reference vs torch on {len(xte)} test images: {argmax_diff} argmax differ, "
          f"max |logit diff| {max_diff:.3g}; reference accuracy test {ref_acc_all:.4f}, "
          f"fixture batch {ref_acc_fix:.4f}")
    sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))
             if f != "README.md"}
    info = dict(name=name, method=cfg["method"], weights=fmt_bits(cfg["wbits"]),
                activations=fmt_bits(cfg["abits"]), arch=ARCH_RESNET if arch == "resnet" else ARCH_PLAIN,
                float_train=ftr, float_test=fte, float_time=ftime, float_epochs=args.float_epochs,
                ptq_test=ptq_test, train=tr, test=te, qat_time=qtime, qat_epochs=epochs, mode=mode,
                ref_test=ref_acc_all, ref_fix=ref_acc_fix, argmax_diff=argmax_diff,
                max_logit_diff=max_diff, n_test=len(xte), nodes=len(manifest["nodes"]))
    write_readme(out, info, manifest)
    info["bytes"] = sum(sizes.values()) + os.path.getsize(os.path.join(out, "README.md"))
    if argmax_diff:
        raise SystemExit(f"{name}: numpy reference and torch disagree on {argmax_diff} argmax")
    return info


def write_readme(out, i, manifest):
    specs = []
    for n in manifest["nodes"]:
        if n["op"] == "quant":
            specs.append(f"- `{n['name']}` (quant): `{n['spec']['method']}`")
        elif n.get("weight_quant"):
            specs.append(f"- `{n['name']}` ({n['op']}) weights: `{n['weight_quant']['method']}`")
    text = f"""# digits_{i['name']}

qforge test-bench fixture, generated by `scripts/make_fixtures.py` (do not edit by hand).

- **Method**: {i['method']}; weights {i['weights']}, activations {i['activations']}; the
  graph input is quantized by `q_in` (uniform unsigned, scale 16/(2^bits−1), pixel values 0..16).
- **Training**: {i['mode']}: a float model ({i['float_epochs']} epochs, {i['float_time']:.1f} s,
  train {i['float_train']:.4f} / test {i['float_test']:.4f}) is quantized, its activation
  quantizers calibrated on 512 training images, then fine-tuned with quantization-aware
  training for {i['qat_epochs']} epochs ({i['qat_time']:.1f} s on 1 CPU thread, Adam, cosine LR).
  Post-training quantization alone (before QAT) gave test accuracy {i['ptq_test']:.4f}.
- **Accuracy** (torch eval): train {i['train']:.4f}, test {i['test']:.4f}
  ({i['n_test']} test images of sklearn `load_digits`,
  `train_test_split(test_size=0.25, random_state=0, stratify=y)`).
  numpy reference: test {i['ref_test']:.4f}, fixture batch {i['ref_fix']:.4f}.
- **Architecture**: {i['arch']}.
- **Quantizers**:
{chr(10).join('  ' + s for s in specs)}

Files: `model.json` + `model.safetensors` (docs/model.md), `input.npy` (float32 [64, 1, 8, 8],
the first 64 test images), `labels.npy` (int64 [64]), `reference.npy` (float64 [64, 10] logits
of `scripts/reference.py`, a float64 numpy forward of the exported files written
independently of qforge and torch). Reference vs torch eval forward on all {i['n_test']} test
images: {i['argmax_diff']} argmax differences, max |logit difference| {i['max_logit_diff']:.3g}
(torch computes in float32).
"""
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help=f"fixtures (default all: {', '.join(FIXTURES)})")
    ap.add_argument("--float-epochs", type=int, default=30)
    ap.add_argument("--qat-epochs", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = args.names or list(FIXTURES)
    d = data()
    float_models = {}
    infos = []
    for n in names:
        print(f"{n}:")
        infos.append(make(n, FIXTURES[n], d, float_models, args))
    for i in infos:
        print(f"{i['name']:18s} {i['mode']} train {i['train']:.4f} test {i['test']:.4f} "
              f"ptq {i['ptq_test']:.4f} qat {i['qat_time']:.0f} s  {i['bytes']} bytes  "
              f"ref/torch argmax diff {i['argmax_diff']} max|dlogit| {i['max_logit_diff']:.2g}")
    path = os.path.join(OUT, "summary.json")
    summary = {}
    if os.path.exists(path):
        with open(path) as f:
            summary = {i["name"]: i for i in json.load(f)}
    summary.update({i["name"]: i for i in infos})
    with open(path, "w") as f:
        json.dump([summary[k] for k in FIXTURES if k in summary], f, indent=1)
        f.write("\n")
    write_index([summary[k] for k in FIXTURES if k in summary])


def write_index(infos):
    rows = "\n".join(
        f"| [`{i['name']}`]({i['name']}/README.md) | {i['method']} | {i['weights']} | "
        f"{i['activations']} | {i['mode']} | {i['train']:.4f} | {i['test']:.4f} | "
        f"{i['qat_epochs']} | {i['qat_time']:.0f} s | {i['bytes'] / 1000:.1f} KB |"
        for i in infos)
    text = f"""# Model fixtures (sklearn digits)

Trained quantized networks in qforge's model format (docs/model.md) with an independent
float64 numpy reference (`reference.npy`, from `scripts/reference.py`) for the first 64 test
images. Generated by `scripts/make_fixtures.py`; do not edit by hand. Accuracy is the torch
eval forward on the 450-image test split (`summary.json` has every number).

| fixture | method | weights | activations | training | train acc | test acc | QAT epochs | QAT time | size |
|---|---|---|---|---|---|---|---|---|---|
{rows}

Regenerate (needs `scripts/requirements-fixtures.txt`; a few minutes on one thread):

    python scripts/make_fixtures.py            # all, or name some
    cargo build --release -p qforge
    python scripts/check_quantizers.py         # qmodules eval codes == qforge quantize
    python scripts/check_fixtures.py           # fixture quantizers == qforge quantize (numpy only)
"""
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
