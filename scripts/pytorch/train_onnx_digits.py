#!/usr/bin/env python3
"""Trains a small CNN on samples/digits in PyTorch and exports it as ONNX, for samples/from_pytorch.qats.

Writes samples/models/digits-pytorch.onnx (committed) and samples/models/digits-pytorch.json (what PyTorch
measured: test accuracy, the normalization it trained with, versions). The tests never need PyTorch; this
script only regenerates the committed file. It needs a Python with torch, onnx and onnxscript:

    python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch onnx onnxscript pillow numpy
    /tmp/torch-venv/bin/python scripts/pytorch/train_onnx_digits.py

Images are read as qat-repl reads them: 8-bit gray PNG values v as float32(v) * float32(1/255), CHW. The
normalization (the training set's per-channel mean and std on that 0..1 scale, as torchvision's Normalize
takes them) is applied outside the exported graph, so `load` has to be told it: load(path, mean:, std:).
"""

import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "samples", "digits")
OUT = os.path.join(ROOT, "samples", "models")


def load_split(split):
    """(images N×1×8×8 float32 in 0..1, labels, classes) of one split, files in sorted order."""
    folder = os.path.join(DATA, split)
    classes = sorted(os.listdir(folder))
    xs, ys = [], []
    for label, name in enumerate(classes):
        for file in sorted(os.listdir(os.path.join(folder, name))):
            pixels = np.asarray(Image.open(os.path.join(folder, name, file)).convert("L"), dtype=np.float32)
            xs.append(pixels[None] * np.float32(1 / 255))
            ys.append(label)
    return np.stack(xs), np.array(ys, dtype=np.int64), classes


class Block(nn.Module):
    """A residual block at constant width: x + BN(conv(ReLU(BN(conv(x))))), then ReLU."""

    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(x + self.body(x))


def network():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        Block(16),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    x_train, y_train, classes = load_split("train")
    x_test, y_test, _ = load_split("test")
    mean = x_train.astype(np.float64).mean(axis=(0, 2, 3))
    std = x_train.astype(np.float64).std(axis=(0, 2, 3))
    norm = lambda x: torch.from_numpy(((x - mean[None, :, None, None]) / std[None, :, None, None]).astype(np.float32))
    xt, yt = norm(x_train), torch.from_numpy(y_train)
    net = network()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    epochs = 15
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(xt))
        for start in range(0, len(xt), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(net(xt[batch]), yt[batch])
            loss.backward()
            optimizer.step()
    net.eval()
    with torch.no_grad():
        predicted = net(norm(x_test)).argmax(1).numpy()
    correct = int((predicted == y_test).sum())
    print(f"PyTorch {torch.__version__}: test accuracy {correct}/{len(y_test)} = {100 * correct / len(y_test):.2f} %")
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "digits-pytorch.onnx")
    kwargs = dict(input_names=["input"], output_names=["logits"], opset_version=13,
                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    try:
        torch.onnx.export(net, torch.zeros(1, 1, 8, 8), path, dynamo=False, **kwargs)
    except TypeError:
        torch.onnx.export(net, torch.zeros(1, 1, 8, 8), path, **kwargs)
    import onnx
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print(f"wrote {path} ({os.path.getsize(path)} bytes): {', '.join(ops)}")
    with open(os.path.join(OUT, "digits-pytorch.json"), "w") as f:
        json.dump({"test_accuracy": correct / len(y_test), "correct": correct, "total": int(len(y_test)),
                   "mean": mean.tolist(), "std": std.tolist(), "classes": classes, "epochs": epochs,
                   "torch_version": torch.__version__, "opset": 13, "operators": ops}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
