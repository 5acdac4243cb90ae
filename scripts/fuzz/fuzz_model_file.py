"""Hostile model files for `load` (scripts/fuzz-model-file).

The seeds are real models saved by the binary under test (fp32, integer at 8, 4 and 2 bits, QAT,
residual, depthwise, every layer kind), trained on a tiny image folder. From them, one seed gives:
- raw damage: bit flips, byte runs, truncations, appended bytes, splices of two files, each with the
  checksums left as they are or recomputed (length field and both CRC-32s), so the damage reaches the
  parser;
- crafted headers: other versions, kinds, flags and length fields, with a valid header checksum;
- structural edits through a decoder and encoder of the format (docs/model-format.md), sealed with
  valid checksums: extreme shapes, counts, layer attributes, tensor widths and lengths, activation
  tables, residual child counts, class names and properties, swapped and repeated layers;
- huge and special files: a sparse file claiming gigabytes, /dev/zero, /dev/urandom, a FIFO, a
  directory, a symlink loop, /proc/self/mem.

Each file is loaded and, if it loads, shown, summarized, used to predict, evaluate, trace, compare,
quantize and saved again.
"""

import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzlib  # noqa: E402

MAGIC = b"\x89QNT\r\n\x1a\n"
U64_MAX = (1 << 64) - 1

# MARK: - The format (docs/model-format.md)


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, n):
        if n < 0 or self.at + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def var(self):
        value, shift = 0, 0
        while True:
            b = self.u8()
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value
            if shift > 70:
                raise ValueError("varint")

    def zvar(self):
        v = self.var()
        return (v >> 1) ^ -(v & 1)

    def string(self):
        return self.take(self.var())

    def f64s(self):
        return [self.take(8) for _ in range(self.var())]


def var(v):
    v &= U64_MAX
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zvar(v):
    v = max(-(1 << 63), min((1 << 63) - 1, v))
    return var(((v << 1) ^ (v >> 63)) & U64_MAX)


def string(b):
    return var(len(b)) + b


def decode(data):
    """The file as a dict of its fields (strings and f64 values kept as raw bytes)."""
    r = Reader(data)
    if r.take(8) != MAGIC:
        raise ValueError("signature")
    version, kind, flags = struct.unpack("<HBB", r.take(4))
    r.take(12)
    model = {"version": version, "kind": kind, "flags": flags}
    assert r.take(4) == b"META"
    r.u64()
    model["shape"] = [r.var() for _ in range(r.var())]
    model["color"] = r.string()
    model["mean"] = r.f64s()
    model["std"] = r.f64s()
    model["classes"] = [r.string() for _ in range(r.var())]
    model["properties"] = [(r.string(), r.string()) for _ in range(r.var())]
    assert r.take(4) == b"LAYR"
    r.u64()
    layers = []
    for _ in range(r.var()):
        layer = {"type": r.string(), "name": r.string()}
        layer["ints"] = [r.zvar() for _ in range(r.var())]
        layer["floats"] = r.f64s()
        tensors = []
        for _ in range(r.var()):
            t = {"name": r.string(), "etype": r.u8(), "bits": r.u8()}
            t["shape"] = [r.var() for _ in range(r.var())]
            t["data"] = r.string()
            tensors.append(t)
        layer["tensors"] = tensors
        layers.append(layer)
    model["layers"] = layers
    return model


def encode(m, length=None, version=None, header_crc=None):
    """The bytes of a model dict, with both checksums and the length right unless overridden."""
    meta = (var(len(m["shape"])) + b"".join(var(d) for d in m["shape"]) + string(m["color"])
            + var(len(m["mean"])) + b"".join(m["mean"]) + var(len(m["std"])) + b"".join(m["std"])
            + var(len(m["classes"])) + b"".join(string(c) for c in m["classes"])
            + var(len(m["properties"])) + b"".join(string(k) + string(v) for k, v in m["properties"]))
    layr = bytearray(var(len(m["layers"])))
    for layer in m["layers"]:
        layr += string(layer["type"]) + string(layer["name"])
        layr += var(len(layer["ints"])) + b"".join(zvar(i) for i in layer["ints"])
        layr += var(len(layer["floats"])) + b"".join(layer["floats"])
        layr += var(len(layer["tensors"]))
        for t in layer["tensors"]:
            layr += string(t["name"]) + bytes([t["etype"] & 0xFF, t["bits"] & 0xFF])
            layr += var(len(t["shape"])) + b"".join(var(d) for d in t["shape"]) + string(t["data"])
    body = (b"META" + struct.pack("<Q", len(meta)) + meta + b"LAYR" + struct.pack("<Q", len(layr)) + bytes(layr))
    total = 24 + len(body) + 4
    return seal(MAGIC + struct.pack("<HBBQ", m["version"] if version is None else version, m["kind"] & 0xFF,
                                    m["flags"] & 0xFF, total if length is None else length & U64_MAX)
                + b"\0\0\0\0" + body + b"\0\0\0\0", header_crc=header_crc)


def seal(data, fix_length=False, header_crc=None):
    """Recomputes the header CRC and the trailing file CRC (and, if asked, the length field)."""
    data = bytearray(data)
    if len(data) < 28:
        return bytes(data)
    if fix_length:
        data[12:20] = struct.pack("<Q", len(data))
    crc = zlib.crc32(bytes(data[0:20])) if header_crc is None else header_crc
    data[20:24] = struct.pack("<I", crc & 0xFFFFFFFF)
    data[-4:] = struct.pack("<I", zlib.crc32(bytes(data[:-4])) & 0xFFFFFFFF)
    return bytes(data)


# MARK: - The seed models, saved by the binary

SEED_PROGRAM = """D = images("tiny")
DR = images("tinyrgb")
seed(3)
A = model(D) { conv(4, kernel: 3, pad: 1); batchnorm(); relu(); maxpool(2); conv(4, kernel: 3, pad: 1, groups: 4)
  relu6(); avgpool(2); flatten(); dropout(0.25); dense(10) }
train(A, D, epochs: 1, batch: 8)
save(A, "fp32.qnet")
save(quantize(A, D, samples: 8), "int8.qnet")
save(quantize(A, D, bits: 4, per_channel: false, observer: "histogram", samples: 8), "int4.qnet")
mode qat
save(quantize(A, D, bits: 2, epochs: 1, samples: 8), "int2.qnet")
save(quantize(A, D, weight_bits: 3, act_bits: 6, epochs: 1, lsq: true, samples: 8), "w3a6.qnet")
mode ptq
B = model(DR) { conv(3, kernel: 3, pad: 1); relu(); residual() { conv(3, kernel: 3, pad: 1); batchnorm(); relu() }
  globalavgpool(); flatten(); dense(4) }
train(B, DR, epochs: 1, batch: 4)
save(B, "residual.qnet")
save(quantize(B, DR, samples: 4), "residual-int8.qnet")
E = model(input: [1, 3, 5]) { flatten(); dense(3); relu(); dense(2) }
save(E, "untrained.qnet")
"""

USES = [
    "m", "summary(m)", "m.layers", "m.classes", "m.input", "predict(m, IMG)", "predict(m, IMGRGB)",
    "predict(m, \"tiny/test/3/0.png\")", "evaluate(m, D)", "evaluate(m, DR)", "trace(m, IMG)", "compare(m, on: D)",
    "save(m, \"again.qnet\")", "quantize(m, D, samples: 2)", "copy(m)", "train(m, D, epochs: 1, batch: 8)",
    "inspect(m, 0)", "sensitivity(m, D, samples: 2)", "m.steps", "m.quantizers", "json(m)", "str(m)", "convert(m)",
]

PRELUDE = """D = images("tiny")
DR = images("tinyrgb")
IMG = D.test[0]
IMGRGB = DR.train[0]"""


def make_seeds(binary, work):
    folder = os.path.join(work, "seeds")
    os.makedirs(folder)
    fuzzlib.make_tiny_datasets(folder)
    proc = subprocess.run([os.path.abspath(binary)], cwd=folder, input=SEED_PROGRAM.encode(), capture_output=True,
                          env=dict(os.environ, NO_COLOR="1"), timeout=600)
    seeds = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".qnet"):
            with open(os.path.join(folder, name), "rb") as f:
                seeds[name] = f.read()
    if len(seeds) < 5:
        sys.exit("fuzz-model-file: the seed models were not saved:\n" + proc.stderr.decode(errors="replace"))
    for name, data in seeds.items():
        # The structural edits go through this file's decoder and encoder: they must still agree with the
        # format the binary writes.
        try:
            same = encode(decode(data)) == data
        except (ValueError, AssertionError, struct.error):
            same = False
        if not same:
            sys.exit("fuzz-model-file: %s does not decode and re-encode to the same bytes here; the format has "
                     "changed (docs/model-format.md): update scripts/fuzz/fuzz_model_file.py" % name)
    return seeds


# MARK: - Mutations

EXTREME = [0, 1, 2, 3, 7, 8, 9, 31, 32, 33, 63, 64, 65, 255, 256, 65535, 65536, (1 << 31) - 1, 1 << 31, 1 << 32,
           (1 << 53) + 1, 1 << 62, (1 << 63) - 1, 1 << 63, U64_MAX, -1, -2, -(1 << 31), -(1 << 63)]
FLOATS = [struct.pack("<d", x) for x in (0.0, -0.0, 1.0, -1.0, 1e-300, 5e-324, 1e308, -1e308, float("inf"),
                                         float("-inf"), float("nan"), 1e-45, 3.4e38, 1e39, 0.5, 65536.0)]
FLOATS.append(b"\xff\xff\xff\xff\xff\xff\xff\x7f")  # a NaN with a payload
STRINGS = [b"", b"x", b"conv", b"dense", b"q.conv", b"q.dense", b"q.activations", b"q.add", b"q.affine",
           b"residual", b"relu", b"batchnorm", b"zzz", b"\xff\xfe", b"\xc3", b"a\x00b", b"gray", b"rgb",
           b"\xf0\x9f\x98\x80", b"x" * 100000, b"weight", b"bias", b"scale", b"table", b"output", b"weight_bits",
           b"act_bits", b"method", b"ptq", b"qat", b"-1", b"99", b"9223372036854775808", b"nan"]


class Mutator:
    def __init__(self, seeds, rng):
        self.seeds = seeds
        self.names = sorted(seeds)
        self.rng = rng

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def number(self, small=False):
        if small or self.rng.random() < 0.3:
            return self.rng.randint(0, 40)
        return self.pick(EXTREME)

    def raw(self, data):
        r, data = self.rng, bytearray(data)
        k = r.randrange(7)
        if k == 0:  # flips
            for _ in range(r.randint(1, 8)):
                i = r.randrange(len(data))
                data[i] ^= 1 << r.randrange(8)
        elif k == 1:  # a run of bytes
            i = r.randrange(len(data))
            data[i:i + r.randint(1, 16)] = bytes([self.pick([0, 0xFF, 0x80, 0x7F])]) * r.randint(1, 16)
        elif k == 2:  # truncation
            data = data[:r.randrange(len(data))]
        elif k == 3:  # appended bytes
            data += bytes(r.randrange(256) for _ in range(r.randint(1, 64)))
        elif k == 4:  # splice with another model
            other = self.seeds[self.pick(self.names)]
            data = data[:r.randrange(len(data))] + other[r.randrange(len(other)):]
        elif k == 5:  # bytes inserted or deleted in the middle
            i = r.randrange(len(data))
            if r.random() < 0.5:
                del data[i:i + r.randint(1, 8)]
            else:
                data[i:i] = bytes(r.randrange(256) for _ in range(r.randint(1, 8)))
        else:  # a varint made huge or non-canonical
            i = r.randrange(24, max(25, len(data) - 4))
            data[i:i] = self.pick([b"\x80\x00", b"\xff" * 9 + b"\x01", b"\xff" * 10 + b"\x7f", b"\x80" * 12])
        data = bytes(data)
        s = r.random()
        if s < 0.4:
            return data, "raw"
        if s < 0.7:
            return seal(data), "checksums recomputed"
        return seal(data, fix_length=True), "length and checksums recomputed"

    def header(self, m):
        r = self.rng
        k = r.randrange(5)
        if k == 0:
            return encode(m, version=self.pick([0, 2, 3, 255, 65535])), "version"
        if k == 1:
            m["kind"] = self.pick([2, 3, 7, 128, 255])
            return encode(m), "kind"
        if k == 2:
            m["flags"] = self.pick([1, 2, 0x80, 0xFF])
            return encode(m), "flags"
        if k == 3:
            return encode(m, length=self.pick([0, 1, 23, 24, 27, 28, 59, 4096, 1 << 31, 1 << 40, 1 << 63,
                                                U64_MAX])), "length field"
        m["kind"] = 1 - m["kind"]
        return encode(m), "fp32 and integer swapped"

    def structure(self, m):
        r = self.rng
        layers = m["layers"]
        k = r.randrange(16)
        what = ""
        if k == 0:
            m["shape"] = [self.number() for _ in range(self.pick([0, 1, 2, 3, 3, 3, 4]))]
            what = "input shape %s" % m["shape"]
        elif k == 1:
            m["color"] = self.pick(STRINGS)
            what = "colour mode"
        elif k == 2:
            key = self.pick(["mean", "std"])
            m[key] = [self.pick(FLOATS) for _ in range(self.pick([0, 1, 2, 3, 4]))]
            what = key
        elif k == 3:
            n = self.pick([0, 1, 2, 9, 11, 100, 5000])
            m["classes"] = [self.pick(STRINGS[:20]) for _ in range(n)]
            what = "%d class names" % n
        elif k == 4:
            key = self.pick([b"output", b"weight_bits", b"act_bits", b"method", b"accuracy", b"bits", b"zzz"])
            m["properties"] = [(k2, v) for k2, v in m["properties"] if k2 != key] + [(key, self.pick(STRINGS))]
            what = "property %r" % key
        elif k in (5, 6, 7) and layers:  # layer integers
            layer = self.pick(layers)
            if layer["ints"] and r.random() < 0.8:
                i = r.randrange(len(layer["ints"]))
                layer["ints"][i] = self.pick(EXTREME)
            else:
                layer["ints"] = [self.number() for _ in range(self.pick([0, 1, 2, 5, 8, 9, 20]))]
            what = "integers of %r" % layer["type"]
        elif k == 8 and layers:
            layer = self.pick(layers)
            if layer["floats"] and r.random() < 0.7:
                layer["floats"][r.randrange(len(layer["floats"]))] = self.pick(FLOATS)
            else:
                layer["floats"] = [self.pick(FLOATS) for _ in range(self.pick([0, 1, 2, 3, 100]))]
            what = "floats of %r" % layer["type"]
        elif k in (9, 10) and layers:  # tensor shapes, with the data resized to match or not
            ts = [t for layer in layers for t in layer["tensors"]]
            if ts:
                t = self.pick(ts)
                t["shape"] = [self.number() for _ in range(self.pick([0, 1, 2, 4]))] if r.random() < 0.5 \
                    else [max(0, d + self.pick([-1, 1, 2])) for d in t["shape"]]
                if r.random() < 0.6:
                    n = 1
                    for d in t["shape"]:
                        n *= d
                    size = (n * max(1, t["bits"]) + 7) // 8
                    if 0 <= size <= 1 << 20:
                        t["data"] = (t["data"] * (size // max(1, len(t["data"])) + 1))[:size]
                what = "tensor %r shape %s" % (t["name"], t["shape"])
        elif k == 11 and layers:
            ts = [t for layer in layers for t in layer["tensors"]]
            if ts:
                t = self.pick(ts)
                if r.random() < 0.5:
                    t["etype"] = self.pick([0, 1, 2, 3, 4, 5, 255])
                else:
                    t["bits"] = self.pick([0, 1, 2, 4, 7, 8, 9, 16, 32, 64, 255])
                what = "tensor %r width" % t["name"]
        elif k == 12 and layers:
            layer = self.pick(layers)
            layer["type"] = self.pick(STRINGS[:20])
            what = "layer type %r" % layer["type"]
        elif k == 13 and layers:
            i, j = r.randrange(len(layers)), r.randrange(len(layers))
            op = r.randrange(4)
            if op == 0:
                layers[i], layers[j] = layers[j], layers[i]
            elif op == 1:
                layers.insert(i, dict(layers[j], tensors=list(layers[j]["tensors"])))
            elif op == 2:
                del layers[i]
            else:
                other = decode(self.seeds[self.pick(self.names)])["layers"]
                if other:
                    layers.insert(i, self.pick(other))
            what = "layers reordered"
        elif k == 14 and layers:  # the activation table of an integer program
            for layer in layers:
                if layer["type"] == b"q.activations" and layer["tensors"]:
                    t = layer["tensors"][0]
                    n = len(t["data"]) // 4
                    values = list(struct.unpack("<%di" % n, t["data"][:4 * n]))
                    if values:
                        values[r.randrange(len(values))] = self.pick(
                            [0, -1, 1, 255, 256, 65536, (1 << 31) - 1, -(1 << 31), 8, 16])
                        t["data"] = struct.pack("<%di" % len(values), *values)
                    what = "activation table"
        else:
            layer = self.pick(layers) if layers else None
            if layer is not None:
                layer["tensors"] = layer["tensors"][:r.randrange(len(layer["tensors"]) + 1)]
                if r.random() < 0.5:
                    layer["tensors"].append({"name": self.pick(STRINGS[:22]), "etype": self.pick([0, 1, 2, 3, 4]),
                                             "bits": self.pick([8, 32, 64, 4, 2]), "shape": [self.number(True)],
                                             "data": b"\x01" * self.number(True)})
                what = "tensors of %r" % layer["type"]
        return encode(m), "structure: " + what

    def one(self):
        name = self.pick(self.names)
        data = self.seeds[name]
        k = self.rng.random()
        if k < 0.35:
            out, what = self.raw(data)
        elif k < 0.45:
            out, what = self.header(decode(data))
        else:
            m = decode(data)
            whats = []
            for _ in range(self.pick([1, 1, 1, 2, 3])):
                out, what = self.structure(m)
                whats.append(what)
            what = "; ".join(whats)
        return out, "%s: %s" % (name, what)


SPECIAL = ["/dev/zero", "/dev/urandom", "/dev/null", "/dev/full", "/proc/self/mem", "/proc/self/status", "/",
           "/etc/passwd", "@/fifo", "@/dir", "@/loop", "@/to-zero", "@/sparse-model", "@/sparse-foreign",
           "@/missing", "@/seeds/fp32.qnet/x", "@/png.qnet", "@/empty.qnet"]


def make_special(folder, seeds):
    os.mkfifo(os.path.join(folder, "fifo"))
    os.mkdir(os.path.join(folder, "dir"))
    os.symlink("loop", os.path.join(folder, "loop"))
    os.symlink("/dev/zero", os.path.join(folder, "to-zero"))
    open(os.path.join(folder, "empty.qnet"), "wb").close()
    with open(os.path.join(folder, "png.qnet"), "wb") as f:
        f.write(fuzzlib.png_bytes(2, 2, [0, 1, 2, 3]))
    # 8 GiB that start like a model file and say so in their header (sparse: no disk used).
    seed = seeds[sorted(seeds)[0]]
    for name, head in (("sparse-model", encode(decode(seed), length=8 << 30)), ("sparse-foreign", b"#!/bin/sh\n")):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(head)
            f.truncate(8 << 30)


def generate(seeds, count, seed):
    rng = random.Random(seed)
    mut = Mutator(seeds, rng)
    inputs = []
    for i in range(count):
        if i % 40 == 7:
            inputs.append((None, "special: " + SPECIAL[(i // 40) % len(SPECIAL)]))
        else:
            inputs.append(mut.one())
    programs = []
    for i, (data, what) in enumerate(inputs):
        path = what.split(": ", 1)[1] if data is None else "@/inputs/%05d.qnet" % i
        uses = [mut.pick(USES) for _ in range(mut.pick([1, 2, 3, 4]))]
        programs.append("# %s\nm = nil\nm = load(\"%s\")\n%s" % (what.replace("\n", " ")[:200], path, "\n".join(uses)))
    return inputs, programs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fuzzlib.common_arguments(parser, 1000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="qat-fuzz-model-file-")
    keep = False
    try:
        seeds = make_seeds(args.binary, work)
        if args.replay:
            return fuzzlib.replay(fuzzlib.Runner(args.binary, work, work, setup=fuzzlib.make_tiny_datasets,
                                                 timeout=args.timeout), args.replay)
        inputs, programs = generate(seeds, args.count, args.seed)
        programs = [p.replace("@/", work + "/") for p in programs]
        if args.digest:
            print(fuzzlib.digest([d or b"" for d, _ in inputs] + [w for _, w in inputs]))
            return 0
        if args.print_only:
            for p in programs:
                print(p)
            return 0
        os.makedirs(os.path.join(work, "inputs"))
        for i, (data, _) in enumerate(inputs):
            if data is not None:
                with open(os.path.join(work, "inputs", "%05d.qnet" % i), "wb") as f:
                    f.write(data)
        make_special(work, seeds)
        out = args.out or tempfile.mkdtemp(prefix="qat-fuzz-model-file-failures-")
        runner = fuzzlib.Runner(args.binary, work, out, prelude=PRELUDE, setup=fuzzlib.make_tiny_datasets,
                                timeout=args.timeout, jobs=args.jobs, batch=args.batch)
        started = time.monotonic()
        runner.run(programs)
        status = fuzzlib.finish(runner, "fuzz-model-file", len(programs), started, args.seed, args.strict)
        if runner.failures:
            # The saved programs name files in the work folder: keep it.
            keep = True
            print("the model files they load are in %s/inputs (replay: scripts/fuzz-model-file --replay FILE)"
                  % work)
        elif os.path.isdir(out) and not os.listdir(out):
            os.rmdir(out)
        return status
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
