"""Hostile image folders for `images` (scripts/fuzz-images).

Each input is a folder built from one seed, loaded with `images(path, size:, color:, split:, seed:)`
and, if it loads, shown, indexed, trained on and drawn to a file. The folders mix good PNG files with:
decompression bombs (headers at and over the pixel limits with all-zero data that deflates
a thousandfold), trailing data after IEND, truncations, damaged data with recomputed chunk CRCs, lying
headers, huge chunk lengths, thousands of tiny IDAT chunks, every bit depth and colour type, interlacing,
palettes with missing entries; and with FIFOs, symlinks to /dev/zero and to FIFOs, symlink loops,
class folders that link back to the root, non-UTF-8, very long and newline-containing names, hidden
files, empty classes, mismatched train/test folders, many classes, many files; roots that are a FIFO, a
file, a loop, /dev or /proc/self.
"""

import argparse
import os
import random
import shutil
import struct
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzlib  # noqa: E402
from fuzzlib import PNG_SIGNATURE, png_bytes, png_chunk  # noqa: E402


def chunks(data):
    """(type, data) of each chunk of a well-formed PNG."""
    out, at = [], 8
    while at + 8 <= len(data):
        n = struct.unpack(">I", data[at:at + 4])[0]
        out.append((data[at + 4:at + 8], data[at + 8:at + 8 + n]))
        at += 12 + n
    return out


def assemble(parts):
    return PNG_SIGNATURE + b"".join(png_chunk(k, d) for k, d in parts)


BOMBS = {}


def inflating(size):
    """zlib data that inflates to `size` zero bytes (made once per size)."""
    if size not in BOMBS:
        z = zlib.compressobj(9)
        block = b"\0" * (1 << 20)
        BOMBS[size] = b"".join(z.compress(block) for _ in range(size >> 20)) + z.flush()
    return BOMBS[size]


def bomb(width, height, channels, depth):
    """A PNG of zeros whose header says width x height: the data deflates about a thousandfold."""
    key = (width, height, channels, depth)
    if key not in BOMBS:
        colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
        row = b"\0" * (1 + (width * channels * depth + 7) // 8)
        z = zlib.compressobj(9)
        body = b"".join(z.compress(row) for _ in range(height)) + z.flush()
        ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
        BOMBS[key] = assemble([(b"IHDR", ihdr), (b"IDAT", body), (b"IEND", b"")])
    return BOMBS[key]


class Images:
    def __init__(self, rng):
        self.rng = rng

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def good(self, size=None, channels=None):
        r = self.rng
        w, h = size or (self.pick([8, 8, 8, 1, 2, 5, 13, 31]), self.pick([8, 8, 8, 1, 3, 5, 17]))
        ch = channels or self.pick([1, 1, 3, 2, 4])
        return png_bytes(w, h, r.randbytes(w * h * ch), ch)

    def png(self):
        """One file's bytes and what was done to it."""
        r = self.rng
        k = r.randrange(22)
        base = self.good()
        if k < 6:
            return base, "good"
        if k == 6:
            return base + r.randbytes(r.choice([1, 100, 70000])), "trailing data"
        if k == 7:
            return base[:r.randrange(len(base))], "truncated"
        if k == 8:
            parts = chunks(base)
            i = r.randrange(len(parts))
            kind, data = parts[i]
            if data:
                data = bytearray(data)
                for _ in range(r.randint(1, 4)):
                    data[r.randrange(len(data))] ^= 1 << r.randrange(8)
                parts[i] = (kind, bytes(data))
            return assemble(parts), "damaged %s with its CRC recomputed" % kind.decode()
        if k == 9:
            w, h, ch, d = self.pick([(8000, 8000, 1, 8), (16384, 4096, 1, 8), (4096, 4096, 4, 16), (16384, 1, 4, 16),
                                     (1, 16384, 1, 8), (16385, 1, 1, 8), (1, 65536, 1, 1), (8192, 8192, 2, 8)])
            return bomb(w, h, ch, d), "bomb %dx%d, %d channels, %d bits" % (w, h, ch, d)
        if k == 10:  # a header that lies about the size
            parts = chunks(base)
            w, h = self.pick([(0, 0), (0, 8), (100, 100), (1 << 31, 1), ((1 << 32) - 1, (1 << 32) - 1), (9, 8),
                              (7, 8)])
            parts[0] = (b"IHDR", struct.pack(">II", w, h) + parts[0][1][8:])
            return assemble(parts), "IHDR says %dx%d" % (w, h)
        if k == 11:  # IHDR fields out of range
            parts = chunks(base)
            depth, ctype, comp, filt, inter = (self.pick([0, 1, 2, 3, 4, 8, 16, 255]), self.pick([0, 1, 2, 3, 4, 6, 7]),
                                               self.pick([0, 1]), self.pick([0, 1]), self.pick([0, 1, 2]))
            parts[0] = (b"IHDR", parts[0][1][:8] + bytes([depth, ctype, comp, filt, inter]))
            return assemble(parts), "IHDR fields %d %d %d %d %d" % (depth, ctype, comp, filt, inter)
        if k == 12:  # a chunk whose length field is huge
            parts = chunks(base)
            raw = PNG_SIGNATURE + png_chunk(b"IHDR", parts[0][1])
            return raw + struct.pack(">I", self.pick([0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 8 << 20])) + b"tEXt" \
                + b"a" * 100, "huge chunk length"
        if k == 13:  # thousands of one-byte IDAT chunks
            parts = chunks(base)
            idat = b"".join(d for kind, d in parts if kind == b"IDAT")
            pieces = [(b"IDAT", idat[i:i + 1]) for i in range(len(idat))]
            extra = [(b"tEXt", b"k\0v")] * self.pick([0, 1000, 20000])
            return assemble([parts[0]] + extra + pieces + [(b"IEND", b"")]), "many small chunks"
        if k == 14:  # a compressed ancillary chunk that inflates a lot
            parts = chunks(base)
            payload = inflating(self.pick([1 << 20, 16 << 20, 100 << 20]))
            kind = self.pick([b"iCCP", b"zTXt", b"iTXt"])
            data = {b"iCCP": b"icc\0\0" + payload, b"zTXt": b"k\0\0" + payload, b"iTXt": b"k\0\1\0\0\0" + payload}[kind]
            return assemble([parts[0], (kind, data)] + parts[1:]), "%s bomb" % kind.decode()
        if k == 15:  # palette images, some with missing entries or a long tRNS
            w, h = 4, 4
            entries = self.pick([1, 2, 16, 256, 0, 300])
            depth = self.pick([1, 2, 4, 8])
            idx = bytes(r.randrange(1 << depth) for _ in range(w * h))
            rows = b""
            for y in range(h):
                bits = "".join(format(v, "0%db" % depth) for v in idx[y * w:(y + 1) * w])
                bits += "0" * (-len(bits) % 8)
                rows += b"\0" + int(bits, 2).to_bytes(len(bits) // 8, "big")
            parts = [(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, 3, 0, 0, 0)),
                     (b"PLTE", r.randbytes(3 * entries))]
            if r.random() < 0.5:
                parts.append((b"tRNS", r.randbytes(self.pick([1, 16, 257, 300]))))
            parts += [(b"IDAT", zlib.compress(rows)), (b"IEND", b"")]
            return assemble(parts), "palette %d entries, %d bits" % (entries, depth)
        if k == 16:  # 1, 2, 4, 16-bit gray, 16-bit RGB(A), interlaced
            depth, ch = self.pick([(1, 1), (2, 1), (4, 1), (16, 1), (16, 3), (16, 4), (16, 2), (8, 4)])
            w, h = self.pick([(8, 8), (3, 5), (1, 1), (33, 2)])
            row_bytes = (w * ch * depth + 7) // 8
            raw = b"".join(b"\0" + r.randbytes(row_bytes) for _ in range(h))
            ctype = {1: 0, 2: 4, 3: 2, 4: 6}[ch]
            inter = self.pick([0, 1])
            parts = [(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, inter)),
                     (b"IDAT", zlib.compress(raw)), (b"IEND", b"")]
            return assemble(parts), "%d-bit, %d channels, interlace %d" % (depth, ch, inter)
        if k == 17:
            return self.pick([b"", b"\x89PNG", PNG_SIGNATURE, b"not a png\n", b"\xff\xd8\xff\xe0", b"\0" * 1000,
                              r.randbytes(500)]), "not a PNG"
        if k == 18:  # the data stream says more or less than the header
            parts = chunks(base)
            idat = zlib.decompress(b"".join(d for kind, d in parts if kind == b"IDAT"))
            idat = idat[:len(idat) // 2] if r.random() < 0.5 else idat * 3
            return assemble([parts[0], (b"IDAT", zlib.compress(idat)), (b"IEND", b"")]), "IDAT length wrong"
        if k == 19:  # no IEND, or IEND first
            parts = chunks(base)
            return assemble(parts[:-1] if r.random() < 0.5 else [parts[0], (b"IEND", b"")] + parts[1:]), "IEND"
        if k == 20:  # bad filter bytes
            parts = chunks(base)
            raw = bytearray(zlib.decompress(b"".join(d for kind, d in parts if kind == b"IDAT")))
            raw[0] = self.pick([5, 200, 255])
            return assemble([parts[0], (b"IDAT", zlib.compress(bytes(raw))), (b"IEND", b"")]), "bad filter"
        return self.good(size=(self.pick([1, 7, 8, 9, 64, 300]), self.pick([1, 8, 200]))), "odd size"


NAMES = [b"a", b"b", b"cat", b"dog", b"0", b"1", b"10", b"2", b"\xff", b"\xfe", b"\xc3\xa9", b"e\xcc\x81",
         b"x" * 255, b"new\nline", b" ", b"-", b"$(x)", b"\xf0\x9f\x98\x80", b"..a", b"a.png", b".hidden"]


class Folders:
    def __init__(self, rng, root):
        self.rng = rng
        self.root = root
        self.images = Images(rng)
        self.log = []

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def file(self, folder, name):
        r = self.rng
        path = os.path.join(folder, name)
        k = r.random()
        if k < 0.9:
            data, what = self.images.png()
            with open(path, "wb") as f:
                f.write(data)
            self.log.append(what)
            return
        kind = self.pick(["fifo", "zero", "urandom", "loop", "fifo-link", "dir", "dangling", "self"])
        self.log.append(kind)
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "zero":
            os.symlink("/dev/zero", path)
        elif kind == "urandom":
            os.symlink("/dev/urandom", path)
        elif kind == "loop":
            os.symlink(os.fsencode(name), path)
        elif kind == "fifo-link":
            os.mkfifo(path + b".fifo")
            os.symlink(path + b".fifo", path)
        elif kind == "dir":
            os.mkdir(path)
            with open(os.path.join(path, b"x.png"), "wb") as f:
                f.write(self.images.good())
        elif kind == "dangling":
            os.symlink(b"/nonexistent/x.png", path)
        else:
            os.symlink(b".", path)

    def class_folder(self, folder, name):
        r = self.rng
        path = os.path.join(folder, name)
        k = r.random()
        if k < 0.9:
            os.makedirs(path, exist_ok=True)
            n = self.pick([0, 1, 2, 3, 3, 4, 6]) if r.random() < 0.98 else self.pick([300, 5000])
            for i in range(n):
                if n > 100:
                    with open(os.path.join(path, b"%05d.png" % i), "wb") as f:
                        f.write(self.images.good(size=(2, 2), channels=1))
                else:
                    self.file(path, self.pick([b"%d.png" % i, b"%d" % i, self.pick(NAMES)[:240] + b"%d" % i]))
            return
        kind = self.pick(["to-root", "to-dev", "to-proc", "loop", "fifo", "file", "zero"])
        self.log.append("class " + kind)
        if kind == "to-root":
            os.symlink(os.path.abspath(folder), path)
        elif kind == "to-dev":
            os.symlink(b"/dev", path)
        elif kind == "to-proc":
            os.symlink(b"/proc/self/fd", path)
        elif kind == "loop":
            os.symlink(name, path)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "zero":
            os.symlink(b"/dev/zero", path)
        else:
            with open(path, "wb") as f:
                f.write(self.images.good())

    def classes(self, folder, names):
        os.makedirs(folder, exist_ok=True)
        for name in names:
            self.class_folder(folder, name)

    def folder(self, index):
        """Builds input `index`; returns the path to give `images` (a str with surrogate escapes)."""
        r = self.rng
        self.log = []
        root = os.path.join(self.root, b"%05d" % index)
        k = r.random()
        names = list(dict.fromkeys(self.pick(NAMES) for _ in range(self.pick([1, 2, 2, 3, 4, 5]))))
        os.makedirs(self.root, exist_ok=True)
        if r.random() < 0.03:  # many classes of one small image each
            for i in range(self.pick([300, 2000])):
                os.makedirs(os.path.join(root, b"c%d" % i))
                with open(os.path.join(root, b"c%d" % i, b"0.png"), "wb") as f:
                    f.write(self.images.good(size=(2, 2), channels=1))
            self.log.append("many classes")
            return os.fsdecode(root)
        if k < 0.55:
            self.classes(root, names)
        elif k < 0.8:
            other = names if r.random() < 0.8 else list(dict.fromkeys(names[:-1] + [b"zz"]))
            self.classes(os.path.join(root, b"train"), names)
            if r.random() < 0.9:
                self.classes(os.path.join(root, b"test"), other)
            if r.random() < 0.2:
                self.classes(os.path.join(root, b"extra"), names)
        elif k < 0.9:  # files at the root, no class folders, or an empty root
            os.makedirs(root)
            for i in range(self.pick([0, 1, 3])):
                self.file(root, b"%d.png" % i)
        else:
            kind = self.pick(["fifo", "file", "loop", "dev", "proc", "missing", "long", "deep"])
            self.log.append("root " + kind)
            if kind == "fifo":
                os.mkfifo(root)
            elif kind == "file":
                with open(root, "wb") as f:
                    f.write(self.images.good())
            elif kind == "loop":
                os.symlink(b"%05d" % index, root)
            elif kind == "dev":
                os.symlink(b"/dev", root)
            elif kind == "proc":
                os.symlink(b"/proc/self", root)
            elif kind == "missing":
                pass
            elif kind == "long":
                return os.fsdecode(root) + "/" + "y" * 5000
            else:
                path = root
                for _ in range(60):
                    path = os.path.join(path, b"d" * 80)
                try:
                    os.makedirs(os.path.join(path, b"a"))
                except OSError:
                    pass
                return os.fsdecode(path)
        return os.fsdecode(root)


OPTIONS = ["", "", "", ", size: 8", ", size: 1", ", size: 16384", ", size: 100000", ", size: [1, 16384]",
           ", size: [16384, 16384]", ", size: [0, 5]", ", size: 9223372036854775807", ", size: [2, 3, 4]",
           ", size: []", ", color: \"rgb\"", ", color: \"gray\"", ", color: \"auto\"", ", color: \"cmyk\"",
           ", split: 0.5", ", split: 0.0", ", split: 1.0", ", split: 1e-300", ", split: 0.9999999999",
           ", split: (1e308 * 10) - (1e308 * 10)", ", split: -1", ", seed: 9223372036854775807", ", seed: -1"]
USES = ["d", "d.skipped", "len(d.skipped)", "d.classes", "d.count", "d.shape", "d.mean", "d.std", "show(d, n: 4)",
        "show(d.train)", "show(d, n: 9223372036854775807)", "show(d, path: \"grid.png\")", "d.train[0].pixels",
        "d.test[-1].values", "d.train.labels", "d.train.paths", "json(d.skipped)", "str(d)",
        "n = model(d) { flatten(); dense(len(d.classes)) }\ntrain(n, d, epochs: 1, batch: 8)\nevaluate(n, d)",
        "n = model(d) { conv(2, kernel: 3, pad: 1); relu(); globalavgpool(); flatten(); dense(len(d.classes)) }\n"
        "quantize(n, d, samples: 2)"]


def qats_string(path):
    """A path as a qats string literal: non-UTF-8 bytes (surrogate escapes) become \\u{…} of U+FFFD, so the
    program asks for a name that looks like the folder's but is not it, and the folder's own name is
    reached through its parent."""
    out = []
    for ch in path:
        if ch in "\"\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append("\\u{FFFD}")
        else:
            out.append(ch)
    return "\"" + "".join(out) + "\""


def generate(root, count, seed):
    """Builds the folders under root; returns the programs and a log of what each folder holds."""
    rng = random.Random(seed)
    folders = Folders(rng, os.fsencode(root))
    programs, logs = [], []
    for i in range(count):
        path = folders.folder(i)
        options = "".join(rng.sample(OPTIONS, rng.choice([0, 1, 1, 2])))
        uses = [rng.choice(USES) for _ in range(rng.choice([1, 2, 3]))]
        summary = ", ".join(sorted(set(folders.log)))[:300]
        programs.append("# %s\nd = nil\nd = images(%s%s)\n%s" % (summary, qats_string(path), options, "\n".join(uses)))
        logs.append(summary)
    return programs, logs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fuzzlib.common_arguments(parser, 300)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="qat-fuzz-images-")
    keep = False
    try:
        if args.replay:
            return fuzzlib.replay(fuzzlib.Runner(args.binary, work, work, timeout=args.timeout), args.replay)
        inputs = os.path.join(work, "inputs")
        programs, logs = generate(inputs, args.count, args.seed)
        if args.digest:
            # The programs name the folders, and the folders' bytes follow from the same draws.
            listing = []
            for top, dirs, files in sorted(os.walk(os.fsencode(inputs))):
                for name in sorted(files):
                    path = os.path.join(top, name)
                    st = os.lstat(path)
                    listing.append(path[len(os.fsencode(work)):] + b" %d %d" % (st.st_mode, st.st_size))
            print(fuzzlib.digest([p.replace(work, "") for p in programs] + listing))
            return 0
        if args.print_only:
            print("\n".join(programs))
            return 0
        out = args.out or tempfile.mkdtemp(prefix="qat-fuzz-images-failures-")
        runner = fuzzlib.Runner(args.binary, work, out, timeout=args.timeout, jobs=args.jobs, batch=args.batch)
        started = time.monotonic()
        runner.run(programs)
        status = fuzzlib.finish(runner, "fuzz-images", len(programs), started, args.seed, args.strict)
        if runner.failures:
            keep = True
            print("the folders they load are in %s (replay: scripts/fuzz-images --replay FILE)" % inputs)
        elif os.path.isdir(out) and not os.listdir(out):
            os.rmdir(out)
        return status
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
