#!/usr/bin/env python3
"""Writes Tests/QatEngineTests/Fixtures/pytorch-quantization.json: reference values computed by
PyTorch itself, which QuantConformanceTests compare with the engine bit for bit.

Run by scripts/pytorch/make-references. Needs PyTorch; the fixture is committed, so the
tests do not. Every random draw is seeded. Floats are written as their exact float32 bit patterns.
"""
import json
import os
import struct

import torch
from torch.ao.quantization.observer import (HistogramObserver, MinMaxObserver,
                                            MovingAverageMinMaxObserver)

torch.manual_seed(0)
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "Tests/QatEngineTests/Fixtures/pytorch-quantization.json")


def bits32(x):
    """A float32's bit pattern, so JSON keeps it exactly."""
    return struct.unpack("<I", struct.pack("<f", float(x)))[0]


def qrange(bits, signed):
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def observer(kind, bits, signed, symmetric, **extra):
    lo, hi = qrange(bits, signed)
    scheme = torch.per_tensor_symmetric if symmetric else torch.per_tensor_affine
    dtype = torch.qint8 if signed else torch.quint8
    return kind(dtype=dtype, qscheme=scheme, quant_min=lo, quant_max=hi, **extra)


cases = []
ranges = [(-1.0, 1.0), (0.0, 0.0), (0.5, 3.0), (-0.3, 1.2), (-5.0, -1.0), (-126.5, 128.5), (0.0, 6.0)]
for _ in range(20):
    a, b = sorted((torch.randn(2) * torch.rand(1) * 10).tolist())
    ranges.append((a, b))
for (a, b) in ranges:
    for bits in (2, 3, 4, 8):
        for signed in (False, True):
            for symmetric in (False, True):
                obs = observer(MinMaxObserver, bits, signed, symmetric)
                obs(torch.tensor([a, b], dtype=torch.float32))
                scale, zp = obs.calculate_qparams()
                lo, hi = qrange(bits, signed)
                # Values around the grid: random, exact ties, and beyond both ends.
                s = float(scale)
                xs = (torch.randn(12) * max(abs(a), abs(b), 1e-3) * 1.3).tolist()
                xs += [(k + 0.5) * s for k in range(-3, 3)] + [(lo - zp.item() - 2) * s, (hi - zp.item() + 2) * s]
                x = torch.tensor(xs, dtype=torch.float32)
                y = torch.fake_quantize_per_tensor_affine(x, float(scale), int(zp), lo, hi)
                cases.append({
                    "min": bits32(torch.tensor(a, dtype=torch.float32)), "max": bits32(torch.tensor(b, dtype=torch.float32)),
                    "bits": bits, "signed": signed, "symmetric": symmetric,
                    "scale": bits32(scale.item()), "zero_point": int(zp),
                    "x": [bits32(v) for v in x.tolist()], "y": [bits32(v) for v in y.tolist()],
                })

moving = []
for seed in range(4):
    g = torch.Generator().manual_seed(seed)
    obs = MovingAverageMinMaxObserver(averaging_constant=0.01, dtype=torch.quint8, quant_min=0, quant_max=255)
    batches = []
    for _ in range(6):
        batch = torch.randn(50, generator=g) * (1 + seed)
        obs(batch)
        batches.append([bits32(batch.min().item()), bits32(batch.max().item())])
    moving.append({"batches": batches, "min": bits32(obs.min_val.item()), "max": bits32(obs.max_val.item())})

histograms = []
for seed in range(6):
    g = torch.Generator().manual_seed(100 + seed)
    data = torch.randn(4096, generator=g)
    if seed % 2 == 1:
        data = torch.relu(data) * 3
    if seed >= 2:
        data[:3] = torch.tensor([9.0, -7.5, 12.0])[: 3] * (1 if seed % 2 == 0 else 1)
        if seed % 2 == 1:
            data[:3] = data[:3].abs()
    obs = HistogramObserver(bins=2048, dtype=torch.quint8, quant_min=0, quant_max=255)
    obs(data)
    new_min, new_max = obs._non_linear_param_search()
    # The histogram itself (one batch: torch.histc over [min, max]) as (bin, count) pairs, so the
    # test checks the range search alone.
    counts = [(i, int(c)) for i, c in enumerate(obs.histogram.tolist()) if c]
    histograms.append({"lower": bits32(obs.min_val.item()), "upper": bits32(obs.max_val.item()), "counts": counts,
                       "min": bits32(new_min.item()), "max": bits32(new_max.item())})

with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "qparams_and_fake_quant": cases, "moving_average": moving,
               "histogram_l2_8bit": histograms}, f, separators=(",", ":"))
print(f"wrote {OUT}: {len(cases)} qparams cases, {len(moving)} moving averages, {len(histograms)} histograms")
