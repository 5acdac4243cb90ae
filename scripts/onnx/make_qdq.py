#!/usr/bin/env python3
"""Makes a QDQ-quantized copy of an fp32 ONNX image model with ONNX Runtime's own quantizer
(quantize_static, QDQ format, per-channel int8 weights, uint8 activations), calibrated on the first
images of DATA/train — a quantized graph that does not come from qat-repl, so scripts/onnx/test-check-onnx
can exercise check-onnx's per-layer path on its own.
Usage: make_qdq.py FP32.onnx DATA_DIR OUT.onnx [--images 64] [--mean M --std S]
"""
import argparse
import logging
import os

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from PIL import Image

INV_255 = np.float32(1) / np.float32(255)


class FolderReader(CalibrationDataReader):
    """Feeds `count` gray training images, one per call, spread over the classes in turn so that a
    small calibration set still sees every class."""

    def __init__(self, root, count, mean, std):
        train = os.path.join(root, "train")
        classes = sorted(c for c in os.listdir(train) if not c.startswith("."))
        files = [sorted(os.listdir(os.path.join(train, c))) for c in classes]
        picked = []
        for i in range(count):
            c = i % len(classes)
            if i // len(classes) < len(files[c]):
                picked.append(os.path.join(train, classes[c], files[c][i // len(classes)]))
        self.batches = iter([self.prepare(p, mean, std) for p in picked])

    @staticmethod
    def prepare(path, mean, std):
        """One image as {input: float32 [1, 1, H, W]}, normalized like check-onnx --mean/--std."""
        with Image.open(path) as image:
            x = np.asarray(image.convert("L")).astype(np.float32)[None, None] * INV_255
        return {"input": (x - np.float32(mean)) / np.float32(std)}

    def get_next(self):
        return next(self.batches, None)


def main():
    """Parses the arguments and quantizes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--mean", type=float, default=0.0)
    parser.add_argument("--std", type=float, default=1.0)
    args = parser.parse_args()
    # quantize_static advises pre-processing (shape inference) through the root logger; not needed here.
    logging.getLogger().setLevel(logging.ERROR)
    quantize_static(args.model, args.out, FolderReader(args.data, args.images, args.mean, args.std),
                    quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)


if __name__ == "__main__":
    main()
