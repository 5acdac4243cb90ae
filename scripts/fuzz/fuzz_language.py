"""Random qats programs for scripts/fuzz-language.

Two sources, from one seed:
- generated programs over the built-in registry: every built-in, every parameter, well-typed values,
  wrong types and extreme values (0, -1, Int64.max and .min, 1e308, nan, inf, huge strings, deep and
  empty lists, missing and special files), models with random layers, deep nesting, growth loops,
  recursion and meta commands;
- mutations of samples/*.qats (numbers and strings swapped for extreme ones, lines dropped,
  repeated and swapped, names replaced), pointed at two tiny image folders instead of the sample
  data so that a program runs in milliseconds.

The registry is read from the generated "Built-ins" section of docs/language.md, which a test keeps
equal to the registry (scripts/update-docs), so a new built-in or parameter is fuzzed without a change
here.
"""

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzlib  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# MARK: - The registry, from docs/language.md


class Builtin:
    def __init__(self, name, topic):
        self.name = name
        self.topic = topic
        self.params = []  # (name, type, required)
        self.variadic = None  # type
        self.block = "none"

    def __repr__(self):
        return "Builtin(%s, %s, %s, %s)" % (self.name, self.params, self.variadic, self.block)


def parse_type(desc):
    """The registry's wording of a parameter type ("a list of positive integers", "one of "a", "b"")
    back into a small tree: a tag, or (tag, argument)."""
    desc = desc.strip()
    if desc.startswith("one of "):
        return ("choice", re.findall(r'"([^"]*)"', desc))
    prefix = "a list of items that are each "
    if desc.startswith(prefix):
        return ("listof", parse_type(desc[len(prefix):]))
    s = desc.replace("true or false", "BOOL")
    if " or " in s:
        return ("oneof", [parse_type(part.replace("BOOL", "true or false")) for part in s.split(" or ")])
    plural = {"integers": "int", "positive integers": "posint", "numbers": "number", "strings": "string"}
    if desc.startswith("a list of ") and desc[len("a list of "):] in plural:
        return ("listof", plural[desc[len("a list of "):]])
    simple = {
        "a value": "any", "an integer": "int", "a positive integer": "posint", "a non-negative integer": "nonnegint",
        "a number": "number", "a positive number": "posnumber", "a non-negative number": "nonnegnumber",
        "a string": "string", "true or false": "bool", "a list": "list", "a record": "record",
        "a function": "function",
    }
    if desc in simple:
        return simple[desc]
    m = re.match(r"an? (\w+)$", desc)
    if m:
        return ("object", m.group(1))
    return "any"


def parse_registry(path):
    text = open(path, encoding="utf-8").read()
    begin, end = text.index("<!-- BEGIN BUILTINS -->"), text.index("<!-- END BUILTINS -->")
    builtins, topic, current = [], "", None
    for line in text[begin:end].splitlines():
        if line.startswith("### "):
            topic = line[4:].strip()
        elif line.startswith("#### `"):
            current = Builtin(line[6:line.index("`", 6)], topic)
            builtins.append(current)
        elif current and line.startswith("| `") and not line.startswith("| `parameter"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            name, accepts, default = cells[0].strip("`"), cells[1], cells[2]
            if name.endswith("…"):
                current.variadic = parse_type(accepts)
            else:
                current.params.append((name, parse_type(accepts), default == "required"))
        elif current and line.startswith("Takes a `{ … }` block"):
            current.block = "required" if "(required)" in line else "optional"
    return builtins


# MARK: - Values

INT_MAX = "9223372036854775807"
INT_MIN = "(-9223372036854775807 - 1)"
EXTREME_INTS = ["0", "1", "-1", "2", "-2", "3", "7", "8", "9", "16", "255", "256", "1024", "65535", "65536",
                "2147483647", "2147483648", "-2147483648", "4294967296", "9007199254740993", "4611686018427387904",
                INT_MAX, "-" + INT_MAX, INT_MIN, "9223372036854775808", "1_000_000", "10000000", "10000001",
                "2 ** 62", "2 ** 63", "-(2 ** 31)"]
EXTREME_FLOATS = ["0.0", "-0.0", "0.5", "1.0", "-1.0", "1e-9", "1e308", "-1e308", "1.7976931348623157e308",
                  "5e-324", "2.2250738585072014e-308", "1e308 * 10", "-(1e308 * 10)", "(1e308 * 10) - (1e308 * 10)",
                  "float(\"nan\")", "float(\"inf\")", "float(\"-inf\")", "0.0 / 0.0", "1 / 3", "99.99", "100.0",
                  "9.223372036854776e18", "-9.223372036854776e18", "1e19", "4294967296.5"]
READ_PATHS = ["\"/dev/zero\"", "\"/dev/null\"", "\"/dev/urandom\"", "\"/dev/stdin\"", "\"/proc/self/mem\"",
              "\"/proc/self/maps\"", "\"/etc\"", "\"/nonexistent/x\"", "\"\"", "\".\"", "\"tiny\"", "\"tinyrgb\"",
              "\"tiny/train\"", "\"tiny/train/3/0.png\"", "\"fifo\"", "\"loop\"", "\"m.qnet\"", "\"empty\"",
              "\"notpng.png\"", "\"" + "x" * 5000 + "\"", "\"dir/\"", "\"tiny/train/3/0.png/x\"", "\"\\u{0}\""]
WRITE_PATHS = ["\"out.txt\"", "\"m.qnet\"", "\"m2.qnet\"", "\"missing/dir/x.qnet\"", "\"\"", "\".\"",
               "\"tiny\"", "\"/dev/null\"", "\"/dev/full\"", "\"" + "y" * 300 + "\"", "\"dir/\"", "\"fifo\"",
               "\"out.png\"", "\"notes.md\"", "\"r.html\"", "\"a\\u{0}b\""]
STRINGS = ["\"\"", "\"x\"", "\"ptq\"", "\"qat\"", "\"histogram\"", "\"minmax\"", "\"weights\"", "\"é\\u{301}\"",
           "\"\\u{1F600}\"", "\"\\n\\t\\\"\"", "\"nan\"", "\"inf\"", "\"-1\"", "\"9223372036854775808\"", "\"1e999\"",
           "\" 42 \"", "\"abc\" * 1000", "\"z\" * 10000000", "\"\\u{0}\""] + READ_PATHS[:6]
MEMBERS = ["train", "test", "classes", "count", "skipped", "shape", "color", "mean", "std", "path", "seconds",
           "counts", "labels", "paths", "label", "class", "values", "pixels", "history", "layers", "parameters",
           "input", "output", "summary", "size", "method", "bits", "weight_bits", "act_bits", "accuracy",
           "quantized", "prepared", "quantizers", "steps", "loss", "epochs", "lr", "kind", "weights",
           "weight_shape", "weight", "bias", "gamma", "beta", "running_mean", "running_var", "min", "max", "std",
           "wrong", "confusion", "histogram", "scale", "zero_point", "rows", "nothing", "__proto__"]
OBJECTS = {
    "dataset": ["D", "DR"],
    "split": ["D.train", "D.test", "DR.train", "DR.test"],
    "model": ["M", "Q", "P", "C", "MR", "L"],
    "image": ["IMG", "D.test[0]", "DR.train[-1]"],
    "tensor": ["M.layers[0].weight", "M.layers[0].bias", "MR.layers[-1].weight"],
}
BINARY_OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or"]

PRELUDE = """D = images("tiny")
DR = images("tinyrgb", split: 0.5)
IMG = D.test[0]
M = model(D) { conv(2, kernel: 3, pad: 1); relu(); flatten(); dense(10) }
train(M, D, epochs: 1, batch: 4)
MR = model(DR) { conv(2, kernel: 3, pad: 1); batchnorm(); relu(); maxpool(2); flatten(); dense(4) }
Q = quantize(M, D, samples: 4, epochs: 1)
P = prepare(M, D, samples: 4)
C = convert(P)
save(Q, "m.qnet")
L = load("m.qnet")
F = fn(x) { return x }
XS = [3, 1, 2]
R = {bits: 4, per_channel: true}"""


class Generator:
    def __init__(self, builtins, rng, samples):
        self.rng = rng
        self.builtins = builtins
        self.layers = [b for b in builtins if b.topic.startswith("Layers")]
        self.calls = [b for b in builtins if not b.topic.startswith("Layers")]
        self.samples = samples
        self.vars = ["D", "DR", "IMG", "M", "MR", "Q", "P", "C", "L", "F", "XS", "R", "pi", "ptq", "qat"]

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p):
        return self.rng.random() < p

    # Values of a type: mostly right, sometimes extreme, sometimes wrong.

    def value(self, t, depth=0):
        if self.chance(0.15):
            return self.any_value(depth + 1)
        tag, arg = (t, None) if isinstance(t, str) else t
        r = self.rng
        if tag == "int":
            return self.pick(EXTREME_INTS) if self.chance(0.6) else str(r.randint(-5, 40))
        if tag in ("posint", "nonnegint"):
            return self.pick(EXTREME_INTS) if self.chance(0.4) else str(r.randint(1, 6))
        if tag in ("number", "posnumber", "nonnegnumber"):
            return self.pick(EXTREME_FLOATS + EXTREME_INTS[:12]) if self.chance(0.5) else repr(round(r.random(), 3))
        if tag == "string":
            return self.pick(STRINGS + READ_PATHS)
        if tag == "bool":
            return self.pick(["true", "false"])
        if tag == "list":
            return self.list_value(depth)
        if tag == "record":
            return self.record_value(depth)
        if tag == "function":
            return self.pick(["F", "print", "len", "fn() { return 1 }", "fn(a, b) { return a / b }",
                              "fn(x) { return x * x }", "fn(x) { return [x] }"])
        if tag == "choice":
            if self.chance(0.85):
                return '"%s"' % self.pick(arg)
            return self.pick(['""', '"%s"' % self.pick(arg).upper(), '"%s "' % self.pick(arg), "ptq"])
        if tag == "listof":
            n = self.pick([0, 1, 2, 3, 3, 4, 5, 8])
            return "[" + ", ".join(self.value(arg, depth + 1) for _ in range(n)) + "]"
        if tag == "object":
            return self.pick(OBJECTS.get(arg, ["nil"]))
        if tag == "oneof":
            return self.value(self.pick(arg), depth)
        return self.any_value(depth + 1)

    def list_value(self, depth):
        r = self.rng
        k = r.randrange(9)
        if k == 0:
            return "[]"
        if k == 1:
            return "[[]]"
        if k == 2:
            return "range(%s)" % self.pick(["0", "1", "100", "100000"])
        if k == 3:
            return "[%s] * %s" % (self.pick(["0", "0.5", "nil", '"a"']), self.pick(["0", "3", "1000", "-1"]))
        if k == 4 and depth < 3:
            return "[" + ", ".join(self.any_value(depth + 1) for _ in range(r.randrange(1, 5))) + "]"
        if k == 5:
            d = self.pick([2, 10, 150, 199])
            return "[" * d + "1" + "]" * d
        if k == 6:
            return "[%s]" % ", ".join(self.pick(EXTREME_FLOATS) for _ in range(r.randrange(1, 5)))
        return "[" + ", ".join(str(r.randint(-3, 9)) for _ in range(r.randrange(1, 6))) + "]"

    def record_value(self, depth):
        if self.chance(0.2):
            return "{}"
        keys = ["bits", "a", "per_channel", "label", "value", "x", "y", "\"with space\"", "\"\""]
        n = self.rng.randrange(1, 4)
        return "{" + ", ".join("%s: %s" % (self.pick(keys), self.any_value(depth + 1) if depth < 3 else "1")
                               for _ in range(n)) + "}"

    def any_value(self, depth=0):
        k = self.rng.randrange(12)
        if depth > 3:
            k = self.rng.randrange(4)
        if k == 0:
            return self.pick(EXTREME_INTS)
        if k == 1:
            return self.pick(EXTREME_FLOATS)
        if k == 2:
            return self.pick(STRINGS)
        if k == 3:
            return self.pick(["true", "false", "nil"] + self.vars)
        if k == 4:
            return self.list_value(depth)
        if k == 5:
            return self.record_value(depth)
        if k == 6:
            return self.pick(sum(OBJECTS.values(), []))
        if k == 7:
            return self.pick(READ_PATHS)
        if k == 8:
            return "%s.%s" % (self.pick(self.vars[:10]), self.pick(MEMBERS))
        if k == 9:
            return "%s[%s]" % (self.pick(self.vars + ["D.train", "M.layers"]), self.pick(EXTREME_INTS + STRINGS[:3]))
        if k == 10:
            return self.expression(2)
        return str(self.rng.randint(-3, 20))

    def expression(self, depth):
        if depth <= 0 or self.chance(0.3):
            return self.any_value(4)
        k = self.rng.randrange(6)
        if k == 0:
            return "-" + self.expression(depth - 1)
        if k == 1:
            return "not " + self.expression(depth - 1)
        if k == 2:
            return "(%s)" % self.expression(depth - 1)
        if k == 3:
            return "%s(%s)" % (self.pick(self.calls).name, self.expression(depth - 1))
        return "%s %s %s" % (self.expression(depth - 1), self.pick(BINARY_OPERATORS), self.expression(depth - 1))

    # Calls.

    def call(self, b, path_kind=None):
        args = []
        params = list(b.params)
        positional = self.rng.randrange(len(params) + 1)
        for i, (name, t, required) in enumerate(params):
            if not required and self.chance(0.5):
                continue
            if required and self.chance(0.03):
                continue  # a missing argument
            v = self.argument(b, name, t)
            args.append(v if i < positional and self.chance(0.9) else "%s: %s" % (name, v))
        if b.variadic is not None:
            args += [self.value(b.variadic) for _ in range(self.pick([0, 1, 2, 3, 5]))]
        if self.chance(0.05):
            args.append("%s: %s" % (self.pick(["nope", "bits", "x", "data", "path"]), self.any_value()))
        if self.chance(0.04):
            args.append(self.any_value())  # one too many
        if self.chance(0.03) and args:
            args.append(args[-1])  # a repeated argument
        text = "%s(%s)" % (b.name, ", ".join(args))
        if b.block != "none" and (b.block == "required" or self.chance(0.5)) or self.chance(0.02):
            text += " " + self.block_for(b)
        return text

    def argument(self, b, name, t):
        writes = b.name in ("write", "save", "show") and name == "path"
        reads = name == "path" and not writes or b.name in ("predict", "trace") and name == "image"
        if writes and self.chance(0.8):
            return self.pick(WRITE_PATHS)
        if reads and self.chance(0.6):
            return self.pick(READ_PATHS)
        if b.name == "sleep":
            # Long sleeps are interruptible waits, not hangs: refused values and short ones only.
            return self.pick(["0", "0.001", "-1", "-1e308", "(1e308 * 10) - (1e308 * 10)", "\"1\"", "nil"])
        if name == "epochs" and self.chance(0.9):
            return self.pick(["1", "2", "0", "-1", INT_MAX, INT_MIN, "1_000_001", "1.5", "\"3\""])
        return self.value(t)

    def block_for(self, b):
        if b.name in ("model", "residual"):
            return self.layer_block(2)
        if b.name == "time":
            return "{ %s }" % self.pick(["1 + 1", "x = 2", self.expression(2), "", "time { 1 }"])
        return "{ %s }" % self.expression(1)

    def layer_block(self, depth):
        lines = []
        for _ in range(self.pick([0, 1, 2, 3, 4, 6])):
            if depth > 0 and self.chance(0.1):
                lines.append("residual() " + self.layer_block(depth - 1))
            elif self.chance(0.05):
                lines.append(self.call(self.pick(self.calls)))  # a non-layer inside a model block
            else:
                lines.append(self.call(self.pick(self.layers)))
        return "{ " + "; ".join(lines) + " }"

    def model_program(self):
        source = self.pick(["D", "DR", "D.train", "input: [1, 8, 8]", "input: [3, 8, 8]", "",
                            "input: [%s]" % ", ".join(self.pick(EXTREME_INTS[:14] + [INT_MAX]) for _ in range(
                                self.pick([0, 1, 2, 3, 3, 3, 4])))])
        layers = []
        for _ in range(self.rng.randrange(1, 6)):
            layers.append(self.call(self.pick(self.layers)) if self.chance(0.7) else self.pick(
                ["conv(2, kernel: 3, pad: 1)", "relu()", "maxpool(2)", "batchnorm()", "flatten()", "dense(10)",
                 "globalavgpool()", "residual() { conv(%d, kernel: 3, pad: 1); relu() }" % self.pick([1, 2, 3])]))
        if self.chance(0.6):
            layers += ["flatten()", "dense(%s)" % self.pick(["10", "10", "4", "1", "0"])]
        lines = ["N = model(%s) { %s }" % (source, "; ".join(layers))]
        follow = ["summary(N)", "N", "N.layers", "train(N, %s, epochs: 1, batch: %s)" % (
            self.pick(["D", "DR", "D.train"]), self.pick(["1", "4", INT_MAX, "0"])),
            "predict(N, %s)" % self.pick(["IMG", "DR.train[0]", "\"tiny/test/7/0.png\""]),
            "quantize(N, D, samples: 2, epochs: 1, bits: %s)" % self.pick(["2", "4", "8", "1", "9"]),
            "evaluate(N, D)", "save(N, \"n.qnet\")", "load(\"n.qnet\")", "copy(N)", "trace(N, IMG)",
            "compare(N, on: D)", "N.layers[%s]" % self.pick(["0", "-1", INT_MAX, INT_MIN]),
            "inspect(N, 0, data: D, samples: 2)", "sensitivity(N, D, samples: 2, epochs: 1)"]
        for _ in range(self.rng.randrange(0, 4)):
            lines.append(self.pick(follow))
        return "\n".join(lines)

    def statement_program(self):
        r = self.rng
        k = r.randrange(14)
        n = self.pick(["0", "1", "10", "199", "200", "201", "999", "1000", "1001", "5000", "100000"])
        if k == 0:  # growth: doubling strings and lists
            start = self.pick(['"ab"', "[1, 2]", "[[]]", "{a: 1}", "1", "2.0"])
            op = self.pick(["s + s", "s * 2", "[s, s]", "s ** 2", "s * s"])
            return "s = %s\nfor i in range(%d) { s = %s }\nlen(str(s))" % (start, r.choice([5, 20, 40, 64, 70]), op)
        if k == 1:  # recursion depth of user functions
            return "fn f(n) { if n <= 0 { return 0 }\n return 1 + f(n - 1) }\nf(%s)" % n
        if k == 2:  # deep values built at run time, then printed, compared, copied, serialized
            wrap = self.pick(["[l]", "{a: l}", "[l, 1]", "[[l]]"])
            use = self.pick(["l", "str(l)", "json(l)", "l == l", "len(l)", "sort([l, l])", "type(l)", "l + l",
                             "[l] * 2", "print(l)", "m = l\nm == l", "keys(l)", "l[0]", "table([l])",
                             "write(l, \"deep.json\")", "append(l, l)", "max(l, l)", "bars(l)"])
            return "l = []\nfor i in range(%s) { l = %s }\n%s" % (n, wrap, use)
        if k == 3:  # deep syntax
            d = int(self.pick(["50", "199", "200", "201", "1000", "20000"]))
            shape = r.randrange(7)
            if shape == 0:
                return "(" * d + "1" + ")" * d
            if shape == 1:
                return "x = " + "[" * d + "]" * d
            if shape == 2:
                return "-" * d + "1"
            if shape == 3:
                return "not " * d + "true"
            if shape == 4:
                return "{a: " * d + "1" + "}" * d
            if shape == 5:
                return "if true { " * d + "1" + " }" * d
            return "2 " + "** 2 " * d
        if k == 4:  # long operator chains
            d = int(self.pick(["100", "1000", "10000", "100000"]))
            operator = self.pick(["+", "*", "-", "==", "and"])
            return self.pick(["1", "\"a\"", "[1]", "1.5"]) + (" %s 1" % operator) * d
        if k == 5:  # closures
            return ("fn mk(d) { if d == 0 { return fn() { return 0 } }\n g = mk(d - 1)\n"
                    " return fn() { return g() + 1 } }\nmk(%s)()" % n)
        if k == 6:  # integer edge arithmetic
            a, b = self.pick(EXTREME_INTS), self.pick(EXTREME_INTS)
            return "%s %s %s" % (a, self.pick(["+", "-", "*", "//", "%", "**", "/"]), b)
        if k == 7:
            numbers = EXTREME_INTS + EXTREME_FLOATS
            return "x = %s\nx %s %s\nx" % (self.pick(numbers), self.pick(["+=", "-=", "*=", "/="]), self.pick(numbers))
        if k == 8:  # indexing with extreme indices
            target = self.pick(["XS", "\"abc\"", "[]", "range(10)", "D.train", "D.test", "R", "M.layers",
                                "M.history.loss"])
            return "%s[%s]" % (target, self.pick(EXTREME_INTS + STRINGS[:4] + EXTREME_FLOATS[:4]))
        if k == 9:  # assignment through indices and fields
            return "y = [1, 2, 3]\ny[%s] = %s\ny" % (self.pick(EXTREME_INTS), self.any_value())
        if k == 10:  # while with a bound
            return "i = 0\nwhile i < %s { i += 1\n if i > 100000 { break } }\ni" % self.pick(EXTREME_INTS)
        if k == 11:
            return "for c in %s { c }" % self.pick(["\"é\\u{1F600}\"", "R", "XS", "range(3)", "D", "nil", "1",
                                                     "range(%s, %s, %s)" % (self.pick(EXTREME_INTS), self.pick(
                                                         EXTREME_INTS), self.pick(EXTREME_INTS))])
        if k == 12:
            return "mode %s\n%s\nmode ptq" % (self.pick(["qat", "ptq", ""]), self.call(self.pick(self.calls)))
        return "seed(%s)\nrandom()" % self.pick(EXTREME_INTS)

    def meta_program(self):
        k = self.rng.randrange(8)
        if k == 0:
            return ":help %s" % self.pick([b.name for b in self.builtins] + ["", "language", "models", "zzz",
                                                                              "x" * 3000, "\\u{0}"])
        if k == 1:
            return ":vars"
        if k == 2:
            return ":time %s" % self.expression(2)
        if k == 3:
            return ":save %s" % self.pick(WRITE_PATHS).strip('"')
        if k == 4:
            return ":load %s" % self.pick(READ_PATHS + ["\"session.qats\""]).strip('"')
        if k == 5:
            return ":export %s" % self.pick(["r.html", "r.md", "r.txt", "", "missing/r.md", "/dev/full.md"])
        if k == 6:
            return ":%s" % self.pick(["", "nope", "help help", "vars x", "time", "reset extra"])
        return ":reset\n" + PRELUDE if self.chance(0.2) else ":vars"

    def mutated_sample(self):
        # A sample's statements that load data and define or train the network, and a few of the others
        # (whole samples take seconds: sweeps and QAT), then edited.
        statements = self.pick(self.samples)
        kept = [st for st in statements if SETUP.search(st) or self.chance(0.25)]
        lines = "\n".join(kept).splitlines()
        for _ in range(self.rng.randrange(1, 4)):
            if not lines:
                break
            i = self.rng.randrange(len(lines))
            k = self.rng.randrange(8)
            if k == 0:
                lines[i] = re.sub(r"\b\d+(\.\d+)?\b", lambda m: self.pick(EXTREME_INTS + EXTREME_FLOATS)
                                  if self.chance(0.5) else m.group(0), lines[i])
            elif k == 1:
                lines[i] = re.sub(r'"[^"\n]*"', lambda m: self.pick(STRINGS + READ_PATHS)
                                  if self.chance(0.5) else m.group(0), lines[i])
            elif k == 2:
                del lines[i]
            elif k == 3:
                lines.insert(i, lines[i])
            elif k == 4:
                j = self.rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            elif k == 5:
                names = [b.name for b in self.builtins]
                lines[i] = re.sub(r"\b[a-z_]+(?=\()", lambda m: self.pick(names) if self.chance(0.5) else m.group(0),
                                  lines[i])
            elif k == 6:
                lines.insert(i, self.call(self.pick(self.calls)))
            else:
                cut = self.rng.randrange(len(lines[i]) + 1)
                lines[i] = lines[i][:cut] + self.pick(["(", ")", "[", "{", "}", ",", "\"", "**", "..", "#", "-"]) \
                    + lines[i][cut:]
        return close_brackets("\n".join(lines))

    def program(self):
        k = self.rng.random()
        if k < 0.45:
            b = self.pick(self.calls)
            text = self.call(b)
            if self.chance(0.3):
                text = "r = " + text + "\n" + self.pick(["r", "str(r)", "json(r)", "type(r)", "r.%s" % self.pick(
                    MEMBERS), "r[%s]" % self.pick(EXTREME_INTS[:4] + STRINGS[:3]), "len(r)", "r == r"])
            return text
        if k < 0.55:
            return self.model_program()
        if k < 0.70:
            return self.statement_program()
        if k < 0.86:
            return self.expression(4)
        if k < 0.93:
            return self.meta_program()
        return self.mutated_sample()


SETUP = re.compile(r"^\w+ = (images|model)\(|^(train|seed)\(|^mode ")


def statements(text):
    """The top-level statements of a script (narrative lines dropped), each with its continuation lines."""
    out, current = [], ""
    for line in text.splitlines():
        if not current and (line.startswith("#") or not line.strip()):
            continue
        current += line + "\n"
        if close_brackets(current).strip() == current.strip() and not re.search(r"[-+*/,=(\[{]\s*$", line):
            out.append(current.rstrip("\n"))
            current = ""
    if current:
        out.append(current.rstrip("\n"))
    return out


def close_brackets(text):
    """Closes what a mutation left open, so one program does not swallow the rest of its batch."""
    stack, quote, i = [], None, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
        elif c in "\"'":
            quote = c
        elif c in "([{":
            stack.append({"(": ")", "[": "]", "{": "}"}[c])
        elif c in ")]}" and stack:
            stack.pop()
        i += 1
    tail = (quote or "") + "".join(reversed(stack))
    text = text.rstrip()
    while text.endswith(("+", "-", "*", "/", ",", "=", "%", "and", "or", "not", "<", ">")):
        text += " 1"
        break
    return text + ("\n" + tail if tail else "")


def load_samples(tiny, rgb):
    out = []
    folder = os.path.join(ROOT, "samples")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".qats"):
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            text = text.replace('"samples/digits"', '"tiny"').replace('"samples/shapes"', '"tinyrgb"')
            # Keep training short: the samples train for real.
            text = re.sub(r"epochs: \d+", "epochs: 1", text)
            text = re.sub(r"samples: \d+", "samples: 4", text)
            out.append(statements(text))
    return out


def generate(count, seed):
    builtins = parse_registry(os.path.join(ROOT, "docs", "language.md"))
    gen = Generator(builtins, random.Random(seed), load_samples("tiny", "tinyrgb"))
    programs = [gen.program() for _ in range(count)]
    # Every built-in is called at least once, whatever the count.
    for i, b in enumerate(gen.calls):
        if i < len(programs) and not any(b.name + "(" in p for p in programs):
            programs[(i * 7919) % len(programs)] += "\n" + gen.call(b)
    return programs, builtins


def prepare_workdir(work):
    fuzzlib.make_tiny_datasets(work)
    os.mkfifo(os.path.join(work, "fifo"))
    os.symlink("loop", os.path.join(work, "loop"))
    os.mkdir(os.path.join(work, "dir"))
    open(os.path.join(work, "empty"), "w").close()
    with open(os.path.join(work, "notpng.png"), "w") as f:
        f.write("not a png\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fuzzlib.common_arguments(parser, 2000)
    args = parser.parse_args()
    if args.replay:
        work = tempfile.mkdtemp(prefix="qat-fuzz-language-")
        try:
            return fuzzlib.replay(fuzzlib.Runner(args.binary, work, work, setup=prepare_workdir,
                                                 timeout=args.timeout), args.replay)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    programs, builtins = generate(args.count, args.seed)
    if args.digest:
        print(fuzzlib.digest(programs))
        return 0
    if args.print_only:
        for i, p in enumerate(programs):
            print("# --- input %d\n%s" % (i, p))
        return 0
    work = tempfile.mkdtemp(prefix="qat-fuzz-language-")
    out = args.out or tempfile.mkdtemp(prefix="qat-fuzz-language-failures-")
    try:
        runner = fuzzlib.Runner(args.binary, work, out, prelude=PRELUDE, setup=prepare_workdir,
                                timeout=args.timeout, jobs=args.jobs, batch=args.batch)
        started = time.monotonic()
        runner.run(programs)
        print("%d built-ins from docs/language.md" % len(builtins))
        status = fuzzlib.finish(runner, "fuzz-language", len(programs), started, args.seed, args.strict)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not os.listdir(out):
            os.rmdir(out)
    return status


if __name__ == "__main__":
    sys.exit(main())
