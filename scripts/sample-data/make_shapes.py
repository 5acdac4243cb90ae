"""Generates samples/shapes/<class>/NNNN.png: 16x16 RGB circles, crosses, squares and triangles.

Standard library only, one seeded generator, so every run gives byte-identical files.
Colours and noise are drawn from the same distribution for every class: a model must
learn the shape, it cannot cheat on colour.
"""
import colorsys
import math
import os
import random
import shutil
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngwrite import write_png  # noqa: E402

SIZE, SS, PER_CLASS = 16, 4, 300   # image side, supersampling per axis, images per class
NOISE = 6.0                        # per-channel Gaussian sigma in 0..255 units: mild, not a texture cue
MIN_CONTRAST = 0.35                # luminance gap fg/bg, so the shape survives a grey conversion
ARM = 0.28                         # cross arm half-width relative to its half-length


def inside(kind, u, v):
    """Point test in the shape's own unit frame (before scale, rotation, translation)."""
    if kind == "circle":
        return u * u + v * v <= 1.0
    if kind == "square":
        return abs(u) <= 0.75 and abs(v) <= 0.75
    if kind == "cross":
        return (abs(u) <= 1 and abs(v) <= ARM) or (abs(v) <= 1 and abs(u) <= ARM)
    # Equilateral triangle, circumradius 1, apex up (image y grows downwards): inside all three
    # edges, whose outward normals point away from the opposite vertex, at inradius 1/2.
    return all(u * math.cos(a) + v * math.sin(a) <= 0.5
               for a in (math.pi / 2, math.pi * 7 / 6, math.pi * 11 / 6))


# Radius of each shape's unit frame that encloses it, so any placement stays inside the image.
BOUND = {"circle": 1.0, "square": 0.75 * math.sqrt(2), "cross": math.hypot(1, ARM), "triangle": 1.0}


def luminance(rgb):
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def colours(rng):
    # Rejection keeps the hue/saturation choice free while guaranteeing visible contrast either way
    # round (dark on light or light on dark).
    while True:
        bg = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0, 0.7), rng.uniform(0.08, 0.95))
        fg = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.2, 1), rng.uniform(0.08, 1))
        if abs(luminance(fg) - luminance(bg)) >= MIN_CONTRAST:
            return bg, fg


def render(kind, rng):
    bg, fg = colours(rng)
    sx, sy = rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15)    # modest aspect change
    # Circles are rotation-invariant apart from aspect; other shapes only tilt, so a square never
    # becomes a diamond and a cross never becomes an X.
    angle = rng.uniform(0, math.pi) if kind == "circle" else math.radians(rng.uniform(-20, 20))
    extent = rng.uniform(4.5, 7.2)                                # enclosing radius in pixels
    scale = extent / (BOUND[kind] * max(sx, sy))
    slack = SIZE / 2 - extent - 0.3
    cx, cy = (SIZE / 2 + rng.uniform(-slack, slack) for _ in range(2))
    c, s = math.cos(angle), math.sin(angle)
    pixels = []
    for y in range(SIZE):
        for x in range(SIZE):
            hits = 0
            for j in range(SS):
                for i in range(SS):
                    dx, dy = x + (i + 0.5) / SS - cx, y + (j + 0.5) / SS - cy
                    hits += inside(kind, (dx * c + dy * s) / (scale * sx),
                                   (-dx * s + dy * c) / (scale * sy))
            a = hits / (SS * SS)                                   # coverage -> anti-aliased edge
            for k in range(3):
                value = 255 * (bg[k] * (1 - a) + fg[k] * a) + rng.gauss(0, NOISE)
                pixels.append(min(255, max(0, round(value))))
    return pixels


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "samples/shapes"
    shutil.rmtree(out, ignore_errors=True)
    rng = random.Random(0)
    for kind in ("circle", "cross", "square", "triangle"):
        os.makedirs(os.path.join(out, kind))
        for n in range(PER_CLASS):
            write_png(os.path.join(out, kind, f"{n:04d}.png"), SIZE, SIZE, render(kind, rng), 3)
    print(f"shapes: 4 classes x {PER_CLASS} -> {out}")


main()
