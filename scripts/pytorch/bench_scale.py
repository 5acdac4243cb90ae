"""The peers of `qat-bench scale` and `qat-bench engine`: Nets C and D (generated 32x32 RGB images) and
Nets A and B (generated 8x8 and 28x28 gray images) in PyTorch (training) and ONNX Runtime (fp32 and int8
inference), measured the way qat-bench measures ours so the ratios in docs/benchmarks.md compare like
with like:
- training, Nets C and D: SGD momentum 0.9, lr 0.05, batch 64, 3 epochs over 1,280 images; the best
  epoch rate of epochs 2-3 (the first warms up);
- training, Nets A and B: batch 32, 6 epochs over 1,437 images (A) or 4 over 4,000 (B); the rate over
  epochs 2..E, as `qat-bench engine` reports it;
- batch 256: 1,024 test images in batches of 256 on THREADS threads, median of 5 passes after one;
- batch 1: one image on one thread, median of 200 calls after 20;
- int8: ONNX Runtime's quant_pre_process, then quantize_static, QDQ, per-channel int8 weights, uint8 activations, min-max
  calibration on 256 training images (what qat-repl's PTQ does);
- memory: the rise of the resident size's high-water mark (VmHWM, reset through /proc/self/clear_refs)
  above the resident size before the phase, as qat-bench reads it.
Usage: python bench_scale.py [--threads 2] [--net a|b|c|d] (without --net: C and D)
"""
import argparse
import gc
import logging
import os
import platform
import statistics
import tempfile
import time
import warnings

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process
from torch import nn

# The exporter's deprecation notes and the quantizer's advice are not results.
warnings.filterwarnings("ignore")
logging.getLogger().setLevel(logging.ERROR)


def conv(cin, cout, stride=1):
    return [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()]


class Residual(nn.Module):
    """Two 3x3 convolutions with batch norm, added to the block's input, then ReLU."""

    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(*conv(channels, channels), nn.Conv2d(channels, channels, 3, 1, 1),
                                  nn.BatchNorm2d(channels))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.body(x) + x)


def net_c():
    return nn.Sequential(*conv(3, 32), *conv(32, 32), nn.MaxPool2d(2), *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2),
                         *conv(64, 128), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 16, 10))


def net_d():
    return nn.Sequential(*conv(3, 32), Residual(32), *conv(32, 64, 2), Residual(64), *conv(64, 128, 2), Residual(128),
                         nn.AvgPool2d(8), nn.Flatten(), nn.Linear(128, 10))


def net_a():
    """NOTES.md's digits network: two conv blocks on 8x8 gray, dense 10 (6,186 parameters)."""
    return nn.Sequential(*conv(1, 16), nn.MaxPool2d(2), *conv(16, 32), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 2 * 2, 10))


def net_b():
    """The same blocks on 28x28, then dense 64, ReLU, dense 10 (105,962 parameters)."""
    return nn.Sequential(*conv(1, 16), nn.MaxPool2d(2), *conv(16, 32), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))


# name: (model, input shape, training images, training batch, epochs, rate: best epoch or epochs 2..E)
NETS = {
    "Net A": (net_a, (1, 8, 8), 1437, 32, 6, "mean"),
    "Net B": (net_b, (1, 28, 28), 4000, 32, 4, "mean"),
    "Net C": (net_c, (3, 32, 32), 1280, 64, 3, "best"),
    "Net D": (net_d, (3, 32, 32), 1280, 64, 3, "best"),
}


def synthetic(count, seed, shape=(3, 32, 32)):
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(count, *shape, generator=generator) * 2 - 1
    return images, torch.arange(count) % 10


def status():
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def peak_growth(body):
    """Runs body(); returns (its result, the peak resident size above the level before it, bytes)."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return body(), None
    before, _ = status()
    result = body()
    _, peak = status()
    return result, max(0, peak - before)


def train(model, images, labels, threads, batch_size=64, epochs=3, rate="best"):
    torch.set_num_threads(threads)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    seconds = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        start = time.perf_counter()
        for first in range(0, len(images), batch_size):
            batch = order[first:first + batch_size]
            optimizer.zero_grad()
            loss_fn(model(images[batch]), labels[batch]).backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    if rate == "best":
        return len(images) / min(seconds[1:])
    return len(images) * (epochs - 1) / sum(seconds[1:])


def session(path, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def throughput(path, test, threads):
    s = session(path, threads)
    name = s.get_inputs()[0].name
    batches = [test[i:i + 256] for i in range(0, len(test), 256)]

    def one_pass():
        for b in batches:
            s.run(None, {name: b})

    one_pass()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        one_pass()
        times.append(time.perf_counter() - start)
    return len(test) / statistics.median(times)


def latency(path, shape):
    s = session(path, 1)
    name = s.get_inputs()[0].name
    image = np.full((1, *shape), 0.5, dtype=np.float32)
    for _ in range(20):
        s.run(None, {name: image})
    times = []
    for _ in range(200):
        start = time.perf_counter()
        s.run(None, {name: image})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Calibration(CalibrationDataReader):
    def __init__(self, images, name):
        self.batches = iter([{name: images[i:i + 32]} for i in range(0, len(images), 32)])

    def get_next(self):
        return next(self.batches, None)


def torch_throughput(model, test, threads):
    torch.set_num_threads(threads)
    model.eval()
    tensor = torch.from_numpy(test)
    with torch.inference_mode():
        def one_pass():
            for first in range(0, len(tensor), 256):
                model(tensor[first:first + 256])
        one_pass()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            one_pass()
            times.append(time.perf_counter() - start)
    return len(test) / statistics.median(times)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def human_bytes(n):
    if n is None:
        return "n/a"
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--net", choices=["a", "b", "c", "d"])
    args = parser.parse_args()
    print(f"peers: PyTorch {torch.__version__} (training), ONNX Runtime {ort.__version__} (inference), "
          f"{args.threads} threads unless noted · {cpu_name()}")
    torch.manual_seed(0)
    rows = []
    chosen = [f"Net {args.net.upper()}"] if args.net else ["Net C", "Net D"]
    for name in chosen:
        make, shape, count, batch_size, epochs, rate_kind = NETS[name]
        train_images, train_labels = synthetic(count, 1, shape)
        test = synthetic(1024, 2, shape)[0].numpy()
        big = synthetic(10240, 3, shape)[0].numpy()
        model = make()
        params = sum(p.numel() for p in model.parameters())
        rate, training_memory = peak_growth(
            lambda: train(model, train_images, train_labels, args.threads, batch_size, epochs, rate_kind))
        model.eval()
        with tempfile.TemporaryDirectory() as folder:
            fp32_path = os.path.join(folder, "fp32.onnx")
            int8_path = os.path.join(folder, "int8.onnx")
            torch.onnx.export(model, torch.zeros(1, *shape), fp32_path, input_names=["input"],
                              output_names=["logits"], dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}},
                              opset_version=17, dynamo=False)
            # ONNX Runtime's recommended pre-processing (shape inference, graph optimization) first.
            prepared_path = os.path.join(folder, "prepared.onnx")
            quant_pre_process(fp32_path, prepared_path)
            quantize_static(prepared_path, int8_path, Calibration(train_images[:256].numpy(), "input"),
                            quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8)

            def evaluate_big():
                s = session(fp32_path, args.threads)
                for first in range(0, len(big), 256):
                    s.run(None, {"input": big[first:first + 256]})

            _, evaluate_memory = peak_growth(evaluate_big)
            fp32 = throughput(fp32_path, test, args.threads)
            int8 = throughput(int8_path, test, args.threads)
            torch_fp32 = torch_throughput(model, test, args.threads)
            rows.append([name, f"{params:,}", f"{rate:.0f} img/s", f"{torch_fp32:,.0f} img/s", f"{fp32:,.0f} img/s",
                         f"{int8:,.0f} img/s", f"{latency(fp32_path, shape) * 1e6:.0f} µs",
                         f"{latency(int8_path, shape) * 1e6:.0f} µs", human_bytes(training_memory),
                         human_bytes(evaluate_memory)])
    header = ["", "params", "PyTorch training", "PyTorch fp32 b256", "ORT fp32 b256", "ORT int8 b256",
              "ORT fp32 b1 (1 thr)", "ORT int8 b1 (1 thr)", "training memory", "ORT evaluate 10,240"]
    table = [header] + rows
    widths = [max(len(r[c]) for r in table) for c in range(len(header))]
    for r in table:
        print("  ".join(cell.ljust(widths[c]) if c == 0 else cell.rjust(widths[c]) for c, cell in enumerate(r)))


if __name__ == "__main__":
    main()
