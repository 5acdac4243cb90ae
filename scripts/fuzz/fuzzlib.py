"""The runner the qat-repl fuzzers share (scripts/fuzz-language, fuzz-model-file, fuzz-images).

Programs are fed to the qat-repl binary through piped stdin, many per process: piped mode runs each
complete statement as a cell and goes on after an error, so one bad program does not stop the
batch. Before each program the runner adds `print("@@qat-fuzz@@ i")`; the markers on stdout say
which program was running when the process died or stopped answering.

A failure is an exit by a signal (a Swift trap is SIGILL or SIGTRAP, a stack overflow SIGSEGV, the
kernel's OOM kill SIGKILL) or a program that runs longer than the time limit. A program over the
limit is then sent Ctrl-C (SIGINT): if the process stops within a few seconds it was slow but
interruptible ("slow": listed, and a failure only with --strict, since a user can stop it and a loaded
machine makes some), otherwise it ignored Ctrl-C ("hang": a failure; gdb, when installed, says where
each thread was). After a
failure the batch goes on in a new process from the next program; the failing program is run again
alone (after the prelude) to see whether it fails by itself, and is saved with its batch and the
process's stderr under the output folder; a crash that needs earlier inputs is reduced to the fewest
of them (delta debugging over inputs, then lines). Failures are grouped by signal, Swift's failure
message and the first frame in Sources/, so each distinct crash is listed once.
"""

import hashlib
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

MARK = "@@qat-fuzz@@"

SIGNAL_NAMES = {s.value: s.name for s in signal.Signals}


def digest(texts):
    """A short hash of a list of inputs (text or bytes): equal seeds must give equal digests."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t if isinstance(t, bytes) else t.encode("utf-8", "surrogateescape"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


# MARK: - PNG bytes (no PIL): the tiny datasets and the hostile images


def png_chunk(kind, data, crc=None):
    if crc is None:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_bytes(width, height, pixels, channels=1, bit_depth=8, interlace=0, extra_chunks=()):
    """8-bit gray (channels 1) or RGB (channels 3), filter 0 on every row."""
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    stride = width * channels
    data = bytes(pixels)
    raw = b"".join(b"\x00" + data[y * stride:(y + 1) * stride] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace)
    body = b"".join(png_chunk(k, d) for k, d in extra_chunks)
    return (PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + body + png_chunk(b"IDAT", zlib.compress(raw, 9))
            + png_chunk(b"IEND", b""))


def make_tiny_datasets(root):
    """Two small image folders shaped like the samples' data, so the samples' models fit them and training
    takes milliseconds: root/tiny (gray 8x8, classes 0…9, fixed train/test like samples/digits) and
    root/tinyrgb (RGB 8x8, four classes, no split, like samples/shapes)."""
    tiny = os.path.join(root, "tiny")
    for split, count in (("train", 3), ("test", 1)):
        for c in range(10):
            folder = os.path.join(tiny, split, str(c))
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                px = [((x * 37 + y * 11 + i * 5) * (c + 1)) % 256 for y in range(8) for x in range(8)]
                with open(os.path.join(folder, "%d.png" % i), "wb") as f:
                    f.write(png_bytes(8, 8, px, 1))
    rgb = os.path.join(root, "tinyrgb")
    for c, name in enumerate(("circle", "cross", "square", "triangle")):
        folder = os.path.join(rgb, name)
        os.makedirs(folder, exist_ok=True)
        for i in range(4):
            px = [((x * 13 + y * 7 + ch * 50 + i) * (c + 2)) % 256 for y in range(8) for x in range(8)
                  for ch in range(3)]
            with open(os.path.join(folder, "%d.png" % i), "wb") as f:
                f.write(png_bytes(8, 8, px, 3))
    return tiny, rgb


# MARK: - Running batches


class Failure:
    def __init__(self, kind, detail, program, index, batch_text, stderr, alone):
        self.kind = kind  # "crash", "slow" or "hang"
        self.detail = detail  # e.g. "SIGILL" or "no output for 10 s"
        self.program = program
        self.index = index
        self.batch_text = batch_text
        self.stderr = stderr
        # True: fails alone after the prelude; False: only after earlier programs; None: not tried
        self.alone = alone
        self.key = failure_key(kind, detail, stderr)


def failure_key(kind, detail, stderr):
    """What tells two failures apart: the signal, Swift's failure message and the first frame in our
    sources of the thread that crashed (a trap); the frame the interpreter's thread was in (a hang,
    stopped with SIGABRT for its backtrace); the built-in Ctrl-C stopped (a slow input)."""
    if kind == "slow":
        m = re.search(r"interrupted: [^\n]*\n(.*)\n( *)\^", stderr)
        if m:
            call = re.findall(r"([A-Za-z_]\w*)\s*\(", m.group(1)[:len(m.group(2)) + 1])
            return "slow | Ctrl-C stopped it in %s" % ((call[-1] + "()") if call else m.group(1).strip()[:60])
        return "slow | (no location)"
    message = ""
    m = re.search(r"(Swift runtime failure: [^\n*]*|Fatal error: [^\n]*)", stderr)
    if m:
        message = re.sub(r"0x[0-9a-f]+", "0x…", m.group(1).strip())
        message = re.sub(r" at /\S*/Sources/", " at Sources/", re.sub(r"\d{4,}", "N", message))[:160]
    return "%s | %s | %s" % (kind if kind == "hang" else detail, message or "(no Swift message)",
                             first_frame(stderr, kind == "hang"))


# Frames that say where a thread waits, not what it does.
IDLE_FRAMES = ("WorkerPool.swift", "LargeStack.swift", "ReadLoop.swift", "Launcher.swift", "QatReplCommand.swift",
               "Parallel.swift")


def first_frame(stderr, hang):
    """The first frame in Sources/ of the thread that crashed (Swift's backtrace) or, for a hang, of
    the first busy thread in gdb's backtrace."""
    if hang:
        text = stderr.split("--- gdb: where each thread was ---", 1)[-1]
        for section in re.split(r"\n(?=Thread \d+)", text):
            for f in re.finditer(r" at (/\S*?/Sources/\S+?):(\d+)", section):
                if "/.build/" in f.group(1):
                    continue
                if f.group(1).endswith(IDLE_FRAMES):
                    break
                return re.sub(r"^.*/Sources/", "Sources/", f.group(1)) + ":" + f.group(2)
        return "(no frame in Sources/)"
    sections = re.split(r"\n(?=Thread \d+)", stderr)
    chosen = [t for t in sections if " crashed:" in t.split("\n", 1)[0]] or sections
    for section in chosen:
        for line in section.splitlines():
            f = re.search(r" in qat-repl at (/\S*?/Sources/\S+?):(\d+)", line)
            if f and "<compiler-generated>" not in line and "/.build/" not in f.group(1):
                return re.sub(r"^.*/Sources/", "Sources/", f.group(1)) + ":" + f.group(2)
    return "(no frame in Sources/)"


class Runner:
    """Runs programs through `binary` in batches and collects failures."""

    def __init__(self, binary, workdir, outdir, prelude="", setup=None, timeout=10.0, jobs=2, batch=50,
                 memory_mb=6144, budget=256 << 20, log=print):
        self.binary = os.path.abspath(binary)
        self.workdir = workdir
        # Each process runs in a fresh folder of its own that setup(folder) fills (tiny datasets, a FIFO,
        # …), so that what one batch writes cannot change what another one reads.
        self.setup = setup
        self.outdir = outdir
        self.prelude = prelude
        self.timeout = timeout
        self.jobs = max(1, jobs)
        self.batch = max(1, batch)
        self.memory = memory_mb << 20
        self.env = dict(os.environ, NO_COLOR="1", QAT_MEMORY_BUDGET=str(budget), SWIFT_BACKTRACE="enable=yes,"
                        "interactive=no,color=no,sanitize=no,threads=crashed,registers=none,images=none")
        self.log = log
        self.failures = []
        self.processes = 0
        self.seconds = {"clean": 0.0, "failing": 0.0}  # process time of runs that ended well or not
        self.lock = threading.Lock()

    def _limits(self):
        # Address space bounded, so a runaway allocation fails in this process instead of the machine;
        # no core files.
        resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()

    def batch_text(self, programs, first):
        parts = [self.prelude, 'print("%s prelude")' % MARK]
        for i, p in enumerate(programs):
            parts.append('print("%s %d")' % (MARK, first + i))
            parts.append(p)
        return "\n".join(parts) + "\n"

    def execute(self, text):
        """Runs one process on `text`. Returns (status, last marker seen, stderr, seconds), where status
        is ("exit", code), ("crash", signal name), ("slow", …) or ("hang", …)."""
        started = time.monotonic()
        with self.lock:
            self.processes += 1
        folder = tempfile.mkdtemp(prefix="run-", dir=self.workdir)
        if self.setup:
            self.setup(folder)
        try:
            result = self._execute(text, folder, started)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        with self.lock:
            self.seconds["clean" if result[0][0] == "exit" else "failing"] += result[3]
        return result

    def _execute(self, text, folder, started):
        proc = subprocess.Popen(
            [self.binary], cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=self.env, preexec_fn=self._limits)
        state = {"mark": None, "last": time.monotonic()}
        stderr_chunks, notes = [], []

        def feed():
            try:
                proc.stdin.write(text.encode("utf-8", "surrogateescape"))
            except (BrokenPipeError, OSError):
                pass
            try:
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

        def read_out():
            for line in proc.stdout:
                if line.startswith(MARK.encode()):
                    state["mark"] = line[len(MARK):].strip().decode()
                    state["last"] = time.monotonic()

        def read_err():
            total = 0
            while True:
                chunk = proc.stderr.read(65536)
                if not chunk:
                    break
                # Keep the start (the first errors) and the end (a crash report) of a long stderr.
                total += len(chunk)
                stderr_chunks.append(chunk)
                if total > 4 << 20 and len(stderr_chunks) > 3:
                    del stderr_chunks[1]

        threads = [threading.Thread(target=f, daemon=True) for f in (feed, read_out, read_err)]
        for t in threads:
            t.start()
        status = None
        while status is None:
            try:
                code = proc.wait(timeout=0.05)
                status = ("exit", code) if code >= 0 else ("crash", SIGNAL_NAMES.get(-code, str(-code)))
                if code > 128 and code != 130:  # a shell-style signal status (130 is qat-repl's "interrupted")
                    status = ("crash", SIGNAL_NAMES.get(code - 128, str(code)))
            except subprocess.TimeoutExpired:
                if time.monotonic() - state["last"] > self.timeout:
                    status = self._stop(proc, notes)
        for t in threads[1:]:
            t.join(timeout=5)
        stderr = b"".join(stderr_chunks).decode("utf-8", "replace") + "".join(notes)
        return status, state["mark"], stderr, time.monotonic() - started

    def _stop(self, proc, notes):
        """Over the limit: Ctrl-C; if that does not stop it, where each thread is (gdb, when installed),
        then SIGKILL."""
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5)
            return ("slow", "over %g s, stopped by Ctrl-C" % self.timeout)
        except subprocess.TimeoutExpired:
            pass
        if shutil.which("gdb"):
            try:
                trace = subprocess.run(
                    ["gdb", "-p", str(proc.pid), "-batch", "-nx", "-ex", "thread apply all bt 40"],
                    stdin=subprocess.DEVNULL, capture_output=True, timeout=90, text=True, errors="replace")
                notes.append("\n--- gdb: where each thread was ---\n" + trace.stdout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        return ("hang", "over %g s, Ctrl-C ignored" % self.timeout)

    def run_batch(self, programs, first):
        """Runs programs[first-based]: restarts after each failure from the next program."""
        start = 0
        while start < len(programs):
            chunk = programs[start:]
            text = self.batch_text(chunk, first + start)
            status, mark, stderr, _ = self.execute(text)
            if status[0] == "exit":
                return
            if mark is None:
                # Died before the prelude finished: the prelude itself fails (a finding, too).
                self._record(status, "<prelude>", -1, text, stderr, True)
                return
            if mark == "prelude":
                failed = first + start
            else:
                failed = int(mark)
            local = failed - first
            if local >= len(programs):
                return
            program = programs[local]
            if status[0] == "slow":
                # Ctrl-C stopped it: the marker names the input; not worth another 15 s.
                alone_status, alone_err, alone = status, stderr, None
            else:
                alone_status, _, alone_err, _ = self.execute(self.batch_text([program], failed))
                alone = alone_status[0] != "exit"
            if not alone and status[0] == "crash" and not self.seen(failure_key(status[0], status[1], stderr)):
                # Fails only after earlier inputs: find the fewest of them that still give this crash.
                key = failure_key(status[0], status[1], stderr)
                before = self.reduce(programs[start:local], program, key)
                program = "\n".join(before + [program])
            if alone:
                status, stderr = alone_status, alone_err
            self._record(status, program, failed, text, stderr, alone)
            start = local + 1

    def reduce(self, before, program, key):
        """The fewest of the inputs that ran before a crash for which `program` still crashes with the
        same key: delta debugging over whole inputs, then over their lines."""
        runs = [0]

        def crashes(lines):
            runs[0] += 1
            st, _, err, _ = self.execute(self.batch_text(["\n".join(lines), program], 0))
            return st[0] == "crash" and failure_key(st[0], st[1], err) == key

        items = ddmin(before, lambda subset: crashes(subset), budget=40)
        lines = "\n".join(items).splitlines()
        lines = ddmin(lines, crashes, budget=60)
        return ["\n".join(lines)] if lines else []

    def seen(self, key):
        with self.lock:
            return any(f.key == key for f in self.failures)

    def _record(self, status, program, index, text, stderr, alone):
        f = Failure(status[0], status[1], program, index, text, stderr, alone)
        with self.lock:
            new = all(g.key != f.key for g in self.failures)
            self.failures.append(f)
            number = len(self.failures)
        os.makedirs(self.outdir, exist_ok=True)
        base = os.path.join(self.outdir, "failure-%03d" % number)
        with open(base + ".qats", "w", encoding="utf-8", errors="surrogateescape") as out:
            out.write(self.prelude + "\n" + program + "\n")
        with open(base + "-batch.qats", "w", encoding="utf-8", errors="surrogateescape") as out:
            out.write(text)
        with open(base + ".stderr", "w") as out:
            out.write(stderr)
        if new:
            self.log("%s (%s) at input %d%s:\n%s\n  -> %s\n" % (
                f.kind.upper(), f.detail, index, " (only after the inputs before it)" if alone is False else "",
                indent(shorten(program)), f.key))
            sys.stdout.flush()

    def run(self, programs):
        """Runs every program; returns the failures."""
        batches = [(programs[i:i + self.batch], i) for i in range(0, len(programs), self.batch)]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for _ in pool.map(lambda b: self.run_batch(*b), batches):
                pass
        return self.failures

    def summary(self, name, count, seconds, seed):
        groups = {}
        for f in self.failures:
            groups.setdefault(f.key, []).append(f)
        lines = ["%s: %d inputs, seed %d, %d processes, %.1f s (runs that ended well %.1f s, failing runs and their"
                 " reruns %.1f s, in %d jobs): %d failures, %d distinct" % (
                     name, count, seed, self.processes, seconds, self.seconds["clean"], self.seconds["failing"],
                     self.jobs, len(self.failures), len(groups))]
        for key, fs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            smallest = min(fs, key=lambda f: (f.alone is False, len(f.program)))
            lines.append("  %3d x %s" % (len(fs), key))
            lines.append(indent(shorten(smallest.program), "        "))
        if self.failures:
            lines.append("inputs, batches and stderr saved in %s" % self.outdir)
        return "\n".join(lines)


def ddmin(items, fails, budget):
    """Zeller's delta debugging: a smaller list for which fails(list) still holds, in at most `budget`
    calls (fails([]) is tried first)."""
    calls = [0]

    def test(subset):
        if calls[0] >= budget:
            return False
        calls[0] += 1
        return fails(subset)

    if not items or test([]):
        return []
    n = 2
    while len(items) >= 2 and calls[0] < budget:
        size = -(-len(items) // n)
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        for i in range(len(chunks)):
            if test(chunks[i]):
                items, n = chunks[i], 2
                break
            complement = [x for j, c in enumerate(chunks) if j != i for x in c]
            if len(chunks) > 2 and test(complement):
                items, n = complement, max(n - 1, 2)
                break
        else:
            if n >= len(items):
                break
            n = min(len(items), n * 2)
    return items


def shorten(text, limit=600):
    text = text.strip("\n")
    if len(text) <= limit:
        return text
    return text[:limit // 2] + " … [%d characters] … " % (len(text) - limit) + text[-limit // 2:]


def indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.splitlines())


def common_arguments(parser, default_count):
    parser.add_argument("count", nargs="?", type=int, default=default_count, help="number of inputs")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed (same seed, same inputs)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes at once")
    parser.add_argument("--batch", type=int, default=50, help="inputs per process")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one input may take")
    parser.add_argument("--binary", default=".build/debug/qat-repl", help="the qat-repl to run")
    parser.add_argument("--out", default=None, help="where failing inputs are saved (default: a new temp dir)")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print the generated inputs instead of running them")
    parser.add_argument("--digest", action="store_true", help="print only a hash of the generated inputs")
    parser.add_argument("--strict", action="store_true",
                        help="inputs over the time limit that Ctrl-C stops fail too (by default they are listed)")
    parser.add_argument("--replay", metavar="FILE", help="run one saved failure-NNN.qats (or -batch.qats) again")


def replay(runner, path):
    """Runs a saved input again, in a folder set up as the fuzzer set it up, and says how it ended."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    runner.prelude = ""
    status, mark, stderr, seconds = runner.execute(text)
    sys.stdout.write(stderr[-4000:])
    print("%s: %s %s after %.1f s" % (path, status[0], status[1], seconds))
    return 0 if status[0] == "exit" else 1


def finish(runner, name, count, started, seed, strict=False):
    """Prints the summary. Crashes and hangs fail; inputs that Ctrl-C stopped after the time limit
    ("slow": the user can stop them, and a loaded machine makes some) fail only with --strict."""
    print(runner.summary(name, count, time.monotonic() - started, seed))
    sys.stdout.flush()
    return 1 if any(f.kind != "slow" or strict for f in runner.failures) else 0
