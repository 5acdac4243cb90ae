#!/usr/bin/env python3
"""PyTorch's PTQ simulation of our Net A: reads /tmp/qat-repl-net-a.json (export-net-a.qats), builds
the same network in PyTorch with those parameters, folds batch norm (fuse_modules in eval), attaches
fake quantization with min-max observers (activations per tensor affine unsigned, weights per
channel symmetric signed, explicit quant_min/quant_max), calibrates on the 256 exported images and
predicts the 360 test images at 8, 4, 3 and 2 bits. Writes
Tests/QatEngineTests/Fixtures/pytorch-ptq-net-a.json: the parameters and PyTorch's predictions.
"""
import json
import os

import torch
import torch.nn as nn
from torch.ao.quantization import (DeQuantStub, FakeQuantize, MinMaxObserver, PerChannelMinMaxObserver, QConfig,
                                   QuantStub, disable_fake_quant, disable_observer, enable_fake_quant,
                                   enable_observer, fuse_modules, prepare_qat)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
d = json.load(open("/tmp/qat-repl-net-a.json"))
SHAPES = {"c1w": (16, 1, 3, 3), "c1b": (16,), "b1g": (16,), "b1b": (16,), "b1m": (16,), "b1v": (16,),
          "c2w": (32, 16, 3, 3), "c2b": (32,), "b2g": (32,), "b2b": (32,), "b2m": (32,), "b2v": (32,),
          "dw": (10, 128), "db": (10,)}


class NetA(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant, self.dequant = QuantStub(), DeQuantStub()
        self.conv1, self.bn1, self.relu1 = nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU()
        self.conv2, self.bn2, self.relu2 = nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU()
        self.pool, self.fc = nn.MaxPool2d(2), nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(self.relu1(self.bn1(self.conv1(self.quant(x)))))
        x = self.pool(self.relu2(self.bn2(self.conv2(x))))
        return self.dequant(self.fc(torch.flatten(x, 1)))


def load():
    m = NetA()
    t = {k: torch.tensor(d[k], dtype=torch.float32).reshape(s) for k, s in SHAPES.items()}
    with torch.no_grad():
        for conv, bn, p in ((m.conv1, m.bn1, "1"), (m.conv2, m.bn2, "2")):
            conv.weight.copy_(t["c" + p + "w"]); conv.bias.copy_(t["c" + p + "b"])
            bn.weight.copy_(t["b" + p + "g"]); bn.bias.copy_(t["b" + p + "b"])
            bn.running_mean.copy_(t["b" + p + "m"]); bn.running_var.copy_(t["b" + p + "v"])
        m.fc.weight.copy_(t["dw"]); m.fc.bias.copy_(t["db"])
    return m.eval()


test = torch.tensor(d["test"], dtype=torch.float32).reshape(-1, 1, 8, 8)
labels = torch.tensor(d["labels"])
calib = torch.tensor(d["calib"], dtype=torch.float32).reshape(-1, 1, 8, 8)
predictions = {}
with torch.no_grad():
    predictions["fp32"] = load()(test).argmax(1).tolist()
for bits in (8, 4, 3, 2):
    m = load()
    fuse_modules(m, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]], inplace=True)
    act = FakeQuantize.with_args(observer=MinMaxObserver, quant_min=0, quant_max=2**bits - 1, dtype=torch.quint8,
                                 qscheme=torch.per_tensor_affine)
    weight = FakeQuantize.with_args(observer=PerChannelMinMaxObserver, quant_min=-2**(bits - 1), quant_max=2**(bits - 1) - 1,
                                    dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=0)
    m.qconfig = QConfig(activation=act, weight=weight)
    m.train()
    prepare_qat(m, inplace=True)
    m.eval()
    m.apply(disable_fake_quant)
    m.apply(enable_observer)
    with torch.no_grad():
        m(calib)
    m.apply(enable_fake_quant)
    m.apply(disable_observer)
    with torch.no_grad():
        predictions[str(bits)] = m(test).argmax(1).tolist()
    print(bits, "bits:", sum(int(p == l) for p, l in zip(predictions[str(bits)], labels.tolist())), "of", len(labels))

out = os.path.join(ROOT, "Tests/QatEngineTests/Fixtures/pytorch-ptq-net-a.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "parameters": {k: d[k] for k in SHAPES}, "labels": d["labels"],
               "predictions": predictions}, f, separators=(",", ":"))
print("wrote", out)
