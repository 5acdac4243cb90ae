"""Hostile ONNX files for `load` (scripts/fuzz-onnx).

Seeds: the PyTorch-exported sample model and the fp32 files qat-repl's own export writes. From a seed, each
input applies a few structural edits through the `onnx` package — extreme or negative dims, attributes of the
wrong type or absurd values, swapped, removed, duplicated or renamed nodes and inputs, cycles, other op types,
domains and opsets, element types, raw data cut short — or raw byte damage (flips, runs, truncations). Every
file is loaded by the binary under test in one session (an error keeps the session alive); a crash (a
signal, or an exit status other than the session's own) or a hang fails, and the batch is kept.
Usage: python3 fuzz_onnx.py N --seed S --binary PATH --out DIR
"""

import argparse
import os
import random
import subprocess
import sys

import onnx
from onnx import TensorProto, helper


def mutate(model, rng):
    """One structural edit of `model` (a copy is edited in place)."""
    g = model.graph
    choice = rng.randrange(14)
    nodes = list(g.node)
    if choice == 0 and g.initializer:
        t = rng.choice(g.initializer)
        i = rng.randrange(len(t.dims)) if t.dims else None
        if i is not None:
            t.dims[i] = rng.choice([0, -1, 1 << 40, (1 << 63) - 1, 3, 7])
    elif choice == 1 and nodes:
        n = rng.choice(nodes)
        if n.attribute:
            a = rng.choice(n.attribute)
            if a.ints:
                a.ints[rng.randrange(len(a.ints))] = rng.choice([0, -1, 1 << 62, -(1 << 62), 2, 100000])
            else:
                a.i = rng.choice([0, -1, 1 << 62, 5])
                a.f = rng.choice([float("nan"), float("inf"), -1e30, 0.0])
    elif choice == 2 and nodes:
        rng.choice(nodes).op_type = rng.choice(
            ["Conv", "Gemm", "MatMul", "Add", "Relu", "Clip", "MaxPool", "AveragePool", "Flatten", "Reshape",
             "BatchNormalization", "GlobalAveragePool", "Sigmoid", "Identity", "Dropout", "Softmax", "Constant"])
    elif choice == 3 and len(nodes) > 1:
        del g.node[rng.randrange(len(g.node))]
    elif choice == 4 and nodes:
        n = rng.choice(nodes)
        if n.input:
            n.input[rng.randrange(len(n.input))] = rng.choice(
                [o for m in nodes for o in m.output] + [t.name for t in g.initializer] + ["", "missing"])
    elif choice == 5 and nodes:
        g.node.append(rng.choice(nodes))
    elif choice == 6:
        model.opset_import[0].version = rng.choice([1, 7, 11, 13, 21, 22, 1 << 40, -5])
    elif choice == 7 and g.initializer:
        t = rng.choice(g.initializer)
        if t.raw_data:
            t.raw_data = t.raw_data[: rng.randrange(len(t.raw_data) + 1)]
        t.data_type = rng.choice([TensorProto.FLOAT, TensorProto.INT64, TensorProto.DOUBLE, TensorProto.INT8, 99])
    elif choice == 8:
        d = g.input[0].type.tensor_type.shape.dim
        if d:
            d[rng.randrange(len(d))].dim_value = rng.choice([0, 1, 65, 5000, 1 << 40])
    elif choice == 9 and nodes:
        rng.choice(nodes).domain = rng.choice(["com.microsoft", "ai.onnx", "x"])
    elif choice == 10 and nodes:
        n = rng.choice(nodes)
        n.attribute.append(helper.make_attribute(rng.choice(["pads", "strides", "group", "axis", "transB"]),
                                                 rng.choice([[0, 1, 2, 3], 7, -1, "x", 1.5])))
    elif choice == 11 and len(nodes) > 2:
        # A cycle: a node reads its own output.
        n = rng.choice(nodes)
        if n.input and n.output:
            n.input[0] = n.output[0]
    elif choice == 12:
        g.output[0].name = rng.choice(["nowhere", g.input[0].name, "logits"])
    else:
        model.metadata_props.append(onnx.StringStringEntryProto(
            key=rng.choice(["mean", "std", "classes"]), value=rng.choice(["[1e400]", "[-1]", "[\"a\"]", "x", "[]"])))


def damage(data, rng):
    """Raw byte damage: flips, runs or a truncation."""
    b = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        if not b:
            break
        kind = rng.randrange(3)
        at = rng.randrange(len(b))
        if kind == 0:
            b[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            b[at:at + 8] = bytes([rng.choice([0, 0xFF, 0x7F, 0x80])]) * 8
        else:
            b = b[:at]
    return bytes(b)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seeds", nargs="+", required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    seeds = [open(p, "rb").read() for p in args.seeds]
    batch, failures = 50, 0
    for start in range(0, args.count, batch):
        folder = os.path.join(args.out, f"batch-{start}")
        os.makedirs(folder, exist_ok=True)
        lines = []
        for i in range(start, min(args.count, start + batch)):
            data = rng.choice(seeds)
            if rng.random() < 0.7:
                model = onnx.load_from_string(data)
                for _ in range(rng.randrange(1, 4)):
                    try:
                        mutate(model, rng)
                    except Exception:
                        pass
                try:
                    data = model.SerializeToString()
                except Exception:
                    continue
            else:
                data = damage(data, rng)
            path = os.path.join(folder, f"{i}.onnx")
            with open(path, "wb") as f:
                f.write(data)
            lines.append(f'try_load = load("{path}", mean: [0.3], std: [0.4])')
            lines.append(f'm{i} = load("{path}")')
        script = "\n".join(lines) + "\nprint(\"end of batch\")\n"
        try:
            run = subprocess.run([args.binary], input=script, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            print(f"HANG in {folder}", file=sys.stderr)
            failures += 1
            continue
        if run.returncode < 0 or "end of batch" not in run.stdout:
            print(f"CRASH (status {run.returncode}) in {folder}:\n{run.stderr[-2000:]}", file=sys.stderr)
            failures += 1
            continue
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
    print(f"{args.count} ONNX files, {failures} failing batches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
