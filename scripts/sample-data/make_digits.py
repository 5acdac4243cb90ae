"""Writes scikit-learn's 8x8 digits as gray PNGs under samples/digits/{train,test}/<digit>/NNNN.png.

The conversion and split are fixed: reference figures and the sha256 check in
scripts/make-digits depend on them, so change neither without updating both.
"""
import os
import shutil
import sys

import numpy
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.dont_write_bytecode = True  # keep __pycache__ out of the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngwrite import write_png  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "samples/digits"
digits = load_digits()
X, y = digits.images, digits.target  # values 0..16
# Stratified so both halves keep the class balance; indices keep the source order traceable.
train_idx, test_idx = train_test_split(numpy.arange(len(y)), test_size=0.2, stratify=y, random_state=0)

shutil.rmtree(out, ignore_errors=True)
for split, idx in (("train", train_idx), ("test", test_idx)):
    for i in idx:
        folder = os.path.join(out, split, str(y[i]))
        os.makedirs(folder, exist_ok=True)
        # rint (round half to even) rather than truncation: 16 levels map onto 0..255 evenly.
        pixels = numpy.rint(X[i] * 255 / 16).astype(numpy.uint8)
        write_png(os.path.join(folder, f"{i:04d}.png"), 8, 8, pixels.ravel().tolist(), 1)
print(f"digits: {len(train_idx)} train, {len(test_idx)} test -> {out}")
