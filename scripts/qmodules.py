"""Quantized PyTorch modules for QAT whose eval-mode forward is exactly qforge's quantizer spec.

Every quantizer here has three faces:

* ``forward(x)`` in **training** mode: the method's differentiable surrogate
  (straight-through estimators; N2UQ's G-STE; QN's sigmoid with temperature).
* ``forward(x)`` in **eval** mode: the values of the spec quantizer of
  ``/work/shared/spec/quantizers.md`` / ``docs/quantizers.md``, computed in float64 with the
  same float32 roundings, strict ``>`` comparisons and half-to-even rounding as qforge's Rust
  golden quantizers (``quant/src``), then cast to the input's dtype.
* ``codes(x)`` (eval semantics, int64) and ``spec(x=None)`` (the JSON spec object, every learned
  float32 parameter written as the Python float of its exact float32 value).
  ``scripts/check_quantizers.py`` checks ``codes`` against ``qforge quantize`` bit for bit.

Module and parameter names follow the authors' code where there is one:

==================  =======================================  ==================================
class               parameters / buffers                     spec (``method``)
==================  =======================================  ==================================
``LTQ``             ``start`` [1], ``a`` [2^n-1],            ``n2uq-act``: start, a,
(N2UQ activation)   ``scale1`` [1], ``scale2`` [1]           beta1 = scale1, beta2 = scale2
``N2UQWeight``      (none; ``clip_val`` = 2.0 attribute)     ``n2uq-weight``: bits, clip
``HardQuantizeConv``  ``weight`` (a ``QConv2d`` with an ``N2UQWeight``; the authors' class name)
``LCQAct``          ``alpha`` [1], ``theta`` [K=16]          ``lcq-act``
``LCQWeight``       ``alpha`` [1], ``theta`` [K=16]          ``lcq-weight`` (LWN over the tensor)
``QNQuantizer``     ``alpha`` [1], ``beta`` [1], buffer      ``qn``: levels, biases, alpha, beta,
                    ``biases`` [len(levels)-1] (fixed after  offset (True for weights)
                    k-means init), ``levels`` (attribute)
``UniformQuantizer``  ``scale`` [1] (parameter if learned,   ``uniform``: bits, signed, scale,
                    else a float64 buffer); weights: scale   zero_point
                    = max|W|/qmax per tensor when None
``BinaryQuantizer`` ``scale`` buffer, or mean|W| when None   ``binary``: scale
``TernaryQuantizer`` ``threshold``/``scale`` buffers, or     ``ternary``: threshold, scale
                    TWN (0.7*mean|W|, mean above) when None
==================  =======================================  ==================================

Quantized layers: ``QConv2d`` / ``QLinear`` are ``nn.Conv2d`` / ``nn.Linear`` with a
``weight_quant`` submodule applied to ``weight`` in ``forward``. Statistics: N2UQ weights per
output channel (axis 0), LCQ's LWN over the whole tensor, uniform/binary/ternary scales per
tensor.

Requires torch >= 2.0; nothing here is needed by qforge or its CI.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Half-to-even rounding forward (``torch.round``), identity backward."""
    return x + (torch.round(x) - x).detach()


def f32(t: torch.Tensor) -> float:
    """The exact value of a one-element float32 tensor as a Python float (lossless)."""
    return float(t.detach().reshape(-1)[0].to(torch.float32).item())


def seq_sum(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Left-to-right float64 sum (as Rust's ``iter().sum()``), via cumsum's last element."""
    return torch.cumsum(x, dim=dim).select(dim, x.shape[dim] - 1)


class Quantizer(nn.Module):
    """Base: ``forward`` = training surrogate or exact eval values; ``codes``; ``spec``."""

    is_weight = False
    #: when True, ``forward`` is the identity (for calibrating on float activations)
    bypass = False

    def exact(self, x64: torch.Tensor):
        """(codes int64, values float64) of the spec quantizer on a float64 tensor."""
        raise NotImplementedError

    def surrogate(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bypass:
            return x
        if self.training:
            return self.surrogate(x)
        with torch.no_grad():
            _, v = self.exact(x.detach().double())
        return v.to(x.dtype)

    @torch.no_grad()
    def codes(self, x: torch.Tensor) -> torch.Tensor:
        return self.exact(torch.as_tensor(x).double())[0]

    def spec(self, x: torch.Tensor | None = None) -> dict:
        raise NotImplementedError


# --------------------------------------------------------------------------------------------
# N2UQ


class LTQ(Quantizer):
    """N2UQ's threshold-learning activation quantizer (official class ``LTQ``).

    Parameters as in the official code: ``start``, ``a`` (2^n-1 widths, clamped at 1e-3),
    ``scale1`` (input scale, spec ``beta1``), ``scale2`` (output scale, spec ``beta2``).
    Training forward is the official G-STE forward; eval is ``code = #{i: fl(x*beta1) > T_i}``,
    value ``beta2*code*2/L``.
    """

    def __init__(self, num_bits: int):
        super().__init__()
        self.bits = num_bits
        self.n_val = 2**num_bits - 1
        self.interval = 2.0 / self.n_val
        self.start = nn.Parameter(torch.tensor([0.0]))
        self.a = nn.Parameter(torch.tensor([self.interval] * self.n_val))
        self.scale1 = nn.Parameter(torch.tensor([1.0]))
        self.scale2 = nn.Parameter(torch.tensor([1.0]))
        self.eps = 1e-3

    def thresholds(self) -> torch.Tensor:
        """Float32 thresholds accumulated in the published order."""
        with torch.no_grad():
            eps = torch.tensor(self.eps, dtype=torch.float32)
            a = self.a.detach().float()
            a_pos = torch.where(a > eps, a, eps)
            t = self.start.detach().float()[0] + a_pos[0] / 2
            out = [t.clone()]
            for i in range(1, self.n_val):
                t = t + (a_pos[i - 1] / 2 + a_pos[i] / 2)
                out.append(t.clone())
            return torch.stack(out)

    def exact(self, x64):
        beta1 = f32(self.scale1)
        beta2 = f32(self.scale2)
        x1 = (x64 * beta1).float().double()
        t = self.thresholds().double()
        code = (x1.unsqueeze(-1) > t).sum(-1)
        value = code.double() * beta2 * 2.0 / self.n_val
        return code, value

    def surrogate(self, x):
        # The official LTQ forward (G-STE), verbatim up to names.
        x = x * self.scale1
        zero = torch.zeros((), dtype=x.dtype)
        a_pos = torch.where(self.a > self.eps, self.a, torch.full_like(self.a, self.eps))
        step_right = 0.0
        x_forward = x
        x_backward = x
        for i in range(self.n_val):
            step_right += self.interval
            if i == 0:
                thre_forward = self.start + a_pos[0] / 2
                thre_backward = self.start + 0.0
                x_forward = torch.where(x > thre_forward, step_right, zero)
                x_backward = torch.where(
                    x > thre_backward,
                    self.interval / a_pos[i] * (x - thre_backward) + step_right - self.interval,
                    zero,
                )
            else:
                thre_forward = thre_forward + a_pos[i - 1] / 2 + a_pos[i] / 2
                thre_backward = thre_backward + a_pos[i - 1]
                x_forward = torch.where(x > thre_forward, step_right, x_forward)
                x_backward = torch.where(
                    x > thre_backward,
                    self.interval / a_pos[i] * (x - thre_backward) + step_right - self.interval,
                    x_backward,
                )
        thre_backward = thre_backward + a_pos[self.n_val - 1]
        x_backward = torch.where(x > thre_backward, torch.full_like(x, 2.0), x_backward)
        out = x_forward.detach() + x_backward - x_backward.detach()
        return out * self.scale2

    def spec(self, x=None):
        return {
            "method": "n2uq-act",
            "bits": self.bits,
            "start": f32(self.start),
            "a": [float(v) for v in self.a.detach().float().tolist()],
            "beta1": f32(self.scale1),
            "beta2": f32(self.scale2),
            "compare": "gt",
        }


class N2UQWeight(Quantizer):
    """N2UQ weights (official ``HardQuantizeConv``): per output channel
    ``sf = (L/2^(n-1))*mean|W_c|``, ``code = round((clip(W/sf, +-clip/2) + clip/2)*L/clip)``."""

    is_weight = True

    def __init__(self, num_bits: int, clip_val: float = 2.0):
        super().__init__()
        self.bits = num_bits
        self.clip_val = float(clip_val)

    def _gamma(self):
        return (2**self.bits - 1) / 2 ** (self.bits - 1)

    def exact(self, w64):
        co = w64.shape[0]
        flat = w64.reshape(co, -1)
        mean = seq_sum(flat.abs(), 1) / flat.shape[1]
        sf = (self._gamma() * mean).reshape((co,) + (1,) * (w64.dim() - 1))
        half = self.clip_val / 2.0
        l = float(2**self.bits - 1)
        safe = torch.where(sf == 0, torch.ones_like(sf), sf)
        w = torch.where(sf == 0, torch.zeros_like(w64), (w64 / safe).clamp(-half, half))
        code = torch.round((w + half) * (l / self.clip_val))
        value = sf * (code / (l / self.clip_val) - half)
        return code.long(), value

    def surrogate(self, w):
        co = w.shape[0]
        sf = (self._gamma() * w.detach().abs().reshape(co, -1).mean(1)).reshape(
            (co,) + (1,) * (w.dim() - 1)
        )
        half = self.clip_val / 2
        n = (2**self.bits - 1) / self.clip_val
        clipped = torch.clamp(w / sf, -half, half)
        q = sf * (torch.round((clipped + half) * n) / n - half)
        # straight-through on the clipped weight
        return q.detach() + sf * (clipped - clipped.detach())

    def spec(self, x=None):
        return {"method": "n2uq-weight", "bits": self.bits, "clip": self.clip_val}


# --------------------------------------------------------------------------------------------
# LCQ


def _compander_tables(theta: torch.Tensor):
    """float64 slopes g[K] and offsets c[K+1] from float32 logits, in Rust's order."""
    th = [float(v) for v in theta.detach().float().tolist()]
    k = len(th)
    mx = max(th)
    e = [math.exp(t - mx) for t in th]
    s = 0.0
    for v in e:
        s += v
    p = [v / s for v in e]
    g = [k * v for v in p]
    c = []
    acc = 0.0
    for v in p:
        c.append(acc)
        acc += v
    c.append(1.0)
    return torch.tensor(g, dtype=torch.float64), torch.tensor(c, dtype=torch.float64)


def _compress64(v, g, c):
    k = g.shape[0]
    seg = torch.clamp(torch.floor(v * k), max=k - 1).long()
    return g[seg] * (v - seg.double() / k) + c[seg]


def _expand64(u, g, c):
    k = g.shape[0]
    # last m in 0..K-1 with c[m] <= u (0 if none)
    m = (c[:k].unsqueeze(0) <= u.reshape(-1, 1)).long()
    idx = torch.arange(k).unsqueeze(0).expand_as(m)
    m = torch.where(m.bool(), idx, torch.zeros_like(idx)).max(1).values.reshape(u.shape)
    return (u - c[m]) / g[m] + m.double() / k


def _train_tables(theta):
    p = torch.softmax(theta, 0)
    k = theta.shape[0]
    g = k * p
    c = torch.cat([torch.zeros(1, dtype=p.dtype), torch.cumsum(p, 0)[:-1]])
    return g, c


def _compress_train(v, g, c):
    k = g.shape[0]
    seg = torch.clamp(torch.floor(v.detach() * k), max=k - 1).long()
    return g[seg] * (v - seg.to(v.dtype) / k) + c[seg]


def _expand_train(u, g, c):
    k = g.shape[0]
    with torch.no_grad():
        m = torch.searchsorted(c.detach().contiguous(), u.detach().reshape(-1), right=True) - 1
        m = m.clamp(0, k - 1).reshape(u.shape)
    return (u - c[m]) / g[m] + m.to(u.dtype) / k


class LCQAct(Quantizer):
    """LCQ activation quantizer (Yamamoto 2021): clip ``alpha``, companding logits ``theta``.
    ``code = round(f(min(x/alpha, 1))*L)`` for x > 0, value ``alpha*f^-1(code/L)``."""

    def __init__(self, bits: int, alpha: float = 4.0, segments: int = 16, outer_bits: int = 8):
        super().__init__()
        self.bits = bits
        self.s = 2**bits - 1
        self.outer_bits = outer_bits
        self.alpha = nn.Parameter(torch.tensor([float(alpha)]))
        self.theta = nn.Parameter(torch.zeros(segments))

    def exact(self, x64):
        g, c = _compander_tables(self.theta)
        alpha = f32(self.alpha)
        v = torch.clamp(x64 / alpha, max=1.0)
        code = torch.round(_compress64(v.clamp(min=0.0), g, c) * self.s)
        code = torch.where(x64 <= 0, torch.zeros_like(code), code)
        value = alpha * _expand64(code / self.s, g, c)
        return code.long(), value

    def surrogate(self, x):
        g, c = _train_tables(self.theta)
        v = torch.clamp(x / self.alpha, 0.0, 1.0)
        q = round_ste(_compress_train(v, g, c) * self.s) / self.s
        return self.alpha * _expand_train(q, g, c)

    def spec(self, x=None):
        d = {
            "method": "lcq-act",
            "bits": self.bits,
            "alpha": f32(self.alpha),
            "theta": [float(v) for v in self.theta.detach().float().tolist()],
            "outer_bits": self.outer_bits,
        }
        if self.theta.shape[0] != 16:
            d["segments"] = int(self.theta.shape[0])
        return d


class LCQWeight(Quantizer):
    """LCQ weights, symmetric, with limited weight normalisation (LWN) over the whole tensor:
    ``u = (W - mu)/sigma``, ``code = sign(u)*round(f(min(|u|/alpha, 1))*s)``,
    value ``sign*alpha*f^-1(|code|/s)*sigma`` (mu not added back)."""

    is_weight = True

    def __init__(self, bits: int, alpha: float = 2.0, segments: int = 16, outer_bits: int = 8,
                 lwn: bool = True):
        super().__init__()
        self.bits = bits
        self.s = 2 ** (bits - 1) - 1
        self.outer_bits = outer_bits
        self.lwn = lwn
        self.alpha = nn.Parameter(torch.tensor([float(alpha)]))
        self.theta = nn.Parameter(torch.zeros(segments))

    def _stats64(self, w64):
        if not self.lwn:
            return 0.0, 1.0
        flat = w64.reshape(-1)
        n = flat.shape[0]
        mu = seq_sum(flat) / n
        var = seq_sum((flat - mu) * (flat - mu)) / (n - 1)
        return mu, torch.sqrt(var)

    def exact(self, w64):
        g, c = _compander_tables(self.theta)
        alpha = f32(self.alpha)
        mu, sigma = self._stats64(w64)
        u = (w64 - mu) / sigma
        mag = torch.clamp(u.abs() / alpha, max=1.0)
        j = torch.round(_compress64(mag, g, c) * self.s)
        sign = torch.sign(u)
        code = sign * j
        value = sign * alpha * _expand64(j / self.s, g, c) * sigma
        return code.long(), value

    def surrogate(self, w):
        g, c = _train_tables(self.theta)
        if self.lwn:
            mu, sigma = w.mean(), w.std()
        else:
            mu, sigma = 0.0, 1.0
        u = (w - mu) / sigma
        mag = torch.clamp(u.abs() / self.alpha, max=1.0)
        j = round_ste(_compress_train(mag, g, c) * self.s) / self.s
        return torch.sign(u).detach() * self.alpha * _expand_train(j, g, c) * sigma

    def spec(self, x=None):
        d = {
            "method": "lcq-weight",
            "bits": self.bits,
            "alpha": f32(self.alpha),
            "theta": [float(v) for v in self.theta.detach().float().tolist()],
            "outer_bits": self.outer_bits,
            "lwn": self.lwn,
        }
        if self.theta.shape[0] != 16:
            d["segments"] = int(self.theta.shape[0])
        return d


# --------------------------------------------------------------------------------------------
# Quantization Networks


def kmeans_1d(x: np.ndarray, k: int, iters: int = 300) -> np.ndarray:
    """Deterministic 1-D k-means: quantile starts, Lloyd to convergence. Sorted centres."""
    x = np.sort(np.asarray(x, dtype=np.float64).reshape(-1))
    centres = np.quantile(x, (np.arange(k) + 0.5) / k)
    for _ in range(iters):
        bounds = (centres[1:] + centres[:-1]) / 2
        lab = np.searchsorted(bounds, x)
        new = np.array([x[lab == i].mean() if np.any(lab == i) else centres[i] for i in range(k)])
        if np.allclose(new, centres, rtol=0, atol=0):
            break
        centres = new
    return np.sort(centres)


class QNQuantizer(Quantizer):
    """Quantization Networks (Yang et al. 2019), Eq. 11:
    ``y = alpha*(sum_i s_i*step(beta*x - b_i) - o)`` with ``s_i = Y[i+1] - Y[i]``.
    Training: ``step`` -> ``sigmoid(T*u)`` with ``self.temperature`` raised by the training loop.
    Eval: ``code = #{i : fl(beta*x) > b_i}``, value ``alpha*(Y[code] - Y[0] - o)``;
    ``o = (Y[-1]-Y[0])/2`` for weights (``offset=True``), 0 for activations."""

    def __init__(self, levels, offset: bool, alpha: float = 1.0, beta: float = 1.0, biases=None):
        super().__init__()
        self.levels = [int(v) for v in levels]
        self.offset = offset
        self.is_weight = offset
        n = len(self.levels)
        if biases is None:
            biases = [(self.levels[i] + self.levels[i + 1]) / 2 for i in range(n - 1)]
        self.register_buffer("biases", torch.tensor(biases, dtype=torch.float32))
        self.alpha = nn.Parameter(torch.tensor([float(alpha)]))
        self.beta = nn.Parameter(torch.tensor([float(beta)]))
        self.temperature = 1.0

    @torch.no_grad()
    def init_from(self, x: torch.Tensor):
        """The published initialisation: ``beta = 1.25*max|Y|/max|x|``, ``alpha = 1/beta``,
        biases = midpoints of the sorted k-means centres of ``beta*x``."""
        x = x.detach().double().reshape(-1).numpy()
        ymax = max(abs(v) for v in self.levels)
        beta = 1.25 * ymax / np.abs(x).max()
        centres = kmeans_1d(beta * x, len(self.levels))
        b = (centres[1:] + centres[:-1]) / 2
        self.beta.fill_(beta)
        self.alpha.fill_(1.0 / beta)
        self.biases.copy_(torch.tensor(b, dtype=torch.float32))

    def _o(self):
        return (self.levels[-1] - self.levels[0]) / 2.0 if self.offset else 0.0

    def exact(self, x64):
        beta = f32(self.beta)
        alpha = f32(self.alpha)
        u = (x64 * beta).float().double()
        code = (u.unsqueeze(-1) > self.biases.double()).sum(-1)
        y = torch.tensor(self.levels, dtype=torch.float64)
        value = alpha * ((y[code] - self.levels[0]) - self._o())
        return code, value

    def surrogate(self, x):
        steps = torch.tensor(
            [self.levels[i + 1] - self.levels[i] for i in range(len(self.levels) - 1)],
            dtype=x.dtype,
        )
        u = self.beta * x
        s = torch.sigmoid(self.temperature * (u.unsqueeze(-1) - self.biases))
        return self.alpha * ((s * steps).sum(-1) - self._o())

    def spec(self, x=None):
        return {
            "method": "qn",
            "levels": list(self.levels),
            "biases": [float(v) for v in self.biases.float().tolist()],
            "alpha": f32(self.alpha),
            "beta": f32(self.beta),
            "offset": self.offset,
            "compare": "gt",
        }


# --------------------------------------------------------------------------------------------
# Uniform, binary, ternary


class UniformQuantizer(Quantizer):
    """``q = clamp(round(x/scale) + zero_point, qmin, qmax)``, value ``scale*(q - zp)``.

    ``scale``: a number (fixed, kept exactly as a float64 buffer), ``learn=True`` (an LSQ-style
    learned float32 parameter), or ``None`` for weights (``max|W|/qmax`` per tensor, float32).
    """

    def __init__(self, bits: int, signed: bool, scale: float | None = None,
                 zero_point: int = 0, learn: bool = False):
        super().__init__()
        self.bits = bits
        self.signed = signed
        self.zero_point = int(zero_point)
        self.qmin, self.qmax = ((-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed
                                else (0, 2**bits - 1))
        self.is_weight = scale is None
        if scale is None:
            self.scale = None
        elif learn:
            self.scale = nn.Parameter(torch.tensor([float(scale)]))
        else:
            self.register_buffer("scale", torch.tensor([float(scale)], dtype=torch.float64))

    def _scale(self, x):
        if self.scale is not None:
            return self.scale
        return (x.detach().abs().max().float() / self.qmax).reshape(1)

    def exact(self, x64):
        s = float(self._scale(x64).item())
        q = torch.clamp(torch.round(x64 / s) + self.zero_point, self.qmin, self.qmax)
        return q.long(), s * (q - self.zero_point)

    def surrogate(self, x):
        s = self._scale(x).to(x.dtype)
        q = torch.clamp(round_ste(x / s) + self.zero_point, self.qmin, self.qmax)
        return s * (q - self.zero_point)

    def spec(self, x=None):
        s = self._scale(x) if self.scale is None else self.scale
        return {"method": "uniform", "bits": self.bits, "signed": self.signed,
                "scale": float(s.detach().reshape(-1)[0].item()), "zero_point": self.zero_point}


class BinaryQuantizer(Quantizer):
    """``x >= 0`` -> code 1 (value +scale), else code 0 (value -scale). ``scale=None``: weights,
    ``scale = mean|W|`` per tensor (XNOR-Net), float32."""

    def __init__(self, scale: float | None = None):
        super().__init__()
        self.is_weight = scale is None
        if scale is None:
            self.scale = None
        else:
            self.register_buffer("scale", torch.tensor([float(scale)], dtype=torch.float64))

    def _scale(self, x):
        if self.scale is not None:
            return self.scale
        return x.detach().float().abs().mean().reshape(1)

    def exact(self, x64):
        s = float(self._scale(x64).item())
        code = (x64 >= 0).long()
        return code, s * (2 * code - 1).double()

    def surrogate(self, x):
        s = self._scale(x).to(x.dtype)
        sign = torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))
        xc = torch.clamp(x, -1.0, 1.0) if self.scale is not None else x
        return s * (sign.detach() + xc - xc.detach())

    def spec(self, x=None):
        s = self._scale(x) if self.scale is None else self.scale
        return {"method": "binary", "scale": float(s.reshape(-1)[0].item())}


class TernaryQuantizer(Quantizer):
    """``x > t`` -> +1, ``x < -t`` -> -1, else 0; value ``scale*code``. ``None``: weights, TWN
    (``t = 0.7*mean|W|``, ``scale`` = mean of ``|W|`` above t), float32."""

    def __init__(self, threshold: float | None = None, scale: float | None = None):
        super().__init__()
        self.is_weight = threshold is None
        if threshold is None:
            self.threshold = None
            self.scale = None
        else:
            self.register_buffer("threshold", torch.tensor([float(threshold)], dtype=torch.float64))
            self.register_buffer("scale", torch.tensor([float(scale)], dtype=torch.float64))

    def _params(self, x):
        if self.threshold is not None:
            return self.threshold, self.scale
        a = x.detach().float().abs()
        t = 0.7 * a.mean()
        big = a[a > t]
        s = big.mean() if big.numel() else a.mean()
        return t.reshape(1), s.reshape(1)

    def exact(self, x64):
        t, s = self._params(x64)
        t, s = float(t.item()), float(s.item())
        code = (x64 > t).long() - (x64 < -t).long()
        return code, s * code.double()

    def surrogate(self, x):
        t, s = self._params(x)
        t, s = t.to(x.dtype), s.to(x.dtype)
        q = (x > t).to(x.dtype) - (x < -t).to(x.dtype)
        return s * q.detach() + (x - x.detach())

    def spec(self, x=None):
        t, s = self._params(x)
        return {"method": "ternary", "threshold": float(t.reshape(-1)[0].item()),
                "scale": float(s.reshape(-1)[0].item())}


# --------------------------------------------------------------------------------------------
# Quantized layers


class QConv2d(nn.Conv2d):
    """``nn.Conv2d`` whose weight goes through ``weight_quant`` (a weight quantizer)."""

    def __init__(self, *args, weight_quant: Quantizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.weight_quant = weight_quant

    def forward(self, x):
        return self._conv_forward(x, self.weight_quant(self.weight), self.bias)


class QLinear(nn.Linear):
    """``nn.Linear`` whose weight goes through ``weight_quant``."""

    def __init__(self, *args, weight_quant: Quantizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.weight_quant = weight_quant

    def forward(self, x):
        return F.linear(x, self.weight_quant(self.weight), self.bias)


class HardQuantizeConv(QConv2d):
    """The N2UQ authors' weight-quantized conv, by its official name (no bias)."""

    def __init__(self, in_chn, out_chn, num_bits, kernel_size=3, stride=1, padding=1):
        super().__init__(in_chn, out_chn, kernel_size, stride=stride, padding=padding,
                         bias=False, weight_quant=N2UQWeight(num_bits))


QUANTIZERS = (LTQ, N2UQWeight, LCQAct, LCQWeight, QNQuantizer, UniformQuantizer,
              BinaryQuantizer, TernaryQuantizer)
QLAYERS = (QConv2d, QLinear)
