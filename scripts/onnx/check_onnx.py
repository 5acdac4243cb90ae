#!/usr/bin/env python3
"""Runs an ONNX model in ONNX Runtime on a folder of PNG images prepared exactly as qat-repl prepares
them, and says how far ONNX Runtime agrees with qat-repl.

Called by scripts/check-onnx (which supplies the pinned venv); see `--help` for the arguments.

What it prints:
  - the ONNX Runtime version and the CPU, the images used, ONNX Runtime's accuracy on them;
  - with --predictions (the CSV `path,class` that qat-repl writes), how many predictions are
    identical to qat-repl's, listing the first disagreeing paths; when that CSV carries the logits
    (`write(evaluate(m, data).logits, FILE)`), how close ONNX Runtime's logits are to qat-repl's;
  - the node types of ONNX Runtime's optimized graph, and whether it runs integer kernels;
  - for a quantized (QDQ) graph, the per-layer agreement between ONNX Runtime's integer kernels
    and the reference float QDQ semantics, in integer steps (LSB) of every QuantizeLinear output.

Exit codes: 0 when it ran (even with disagreements), 1 for failures (and for --min-agreement not
met), 2 for usage errors.
"""
import argparse
import collections
import csv
import json
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

import logit_agreement

# Fused operators that mean ONNX Runtime computes in integers rather than in float.
INTEGER_KERNELS = {"QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger", "QGemm", "QLinearAdd",
                   "QLinearAveragePool", "QLinearGlobalAveragePool"}
# qat-repl multiplies by the float32 reciprocal (`Float(p) * (1 / 255)`); dividing by 255 can differ
# in the last bit, so the reciprocal is computed in float32 too.
INV_255 = np.float32(1) / np.float32(255)
MAX_LISTED = 10


class CheckError(Exception):
    """A failure to report as one clear message (exit code 1)."""


class UsageError(Exception):
    """A mistake in the command line (exit code 2)."""


# ----------------------------------------------------------------------------------------------
# The model


def load_model(path):
    """The ModelProto at `path`, or a CheckError that says what is wrong with the file."""
    if not os.path.exists(path):
        raise UsageError(f"there is no file at '{path}'")
    if os.path.isdir(path):
        raise UsageError(f"'{path}' is a folder; give the .onnx file")
    try:
        return onnx.load(path)
    except Exception as e:  # onnx raises protobuf's DecodeError, OSError, ValidationError…
        raise CheckError(f"'{path}' is not a readable ONNX model ({type(e).__name__}: {e}); "
                         "export it again, or check that it is not truncated") from e


def input_spec(model, path):
    """(name, batch, C, H, W) of the model's image input; batch is None when it is dynamic.

    The input must be float32 [N, C, H, W] with fixed C, H, W: that is the layout qat-repl exports
    and the one PyTorch writes for image models."""
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if not inputs:
        raise CheckError(f"'{path}' has no graph input")
    chosen = next((i for i in inputs if i.name == "input"), inputs[0])
    if len(inputs) > 1 and chosen.name != "input":
        names = ", ".join(i.name for i in inputs)
        raise CheckError(f"'{path}' has several inputs ({names}) and none is named 'input'")
    tensor = chosen.type.tensor_type
    if tensor.elem_type != onnx.TensorProto.FLOAT:
        kind = onnx.TensorProto.DataType.Name(tensor.elem_type)
        raise CheckError(f"the input '{chosen.name}' of '{path}' is {kind}; check-onnx feeds float32 images")
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    if len(dims) != 4 or any(d is None or d <= 0 for d in dims[1:]):
        shown = ["?" if d is None else str(d) for d in dims]
        raise CheckError(f"the input '{chosen.name}' of '{path}' has shape [{', '.join(shown)}]; "
                         "check-onnx needs [N, C, H, W] with fixed C, H and W")
    batch = dims[0] if dims[0] and dims[0] > 0 else None
    return chosen.name, batch, dims[1], dims[2], dims[3]


def metadata_classes(model, path):
    """The class names in the model's metadata (`classes`, a JSON array of strings), or None."""
    for prop in model.metadata_props:
        if prop.key == "classes":
            try:
                names = json.loads(prop.value)
            except json.JSONDecodeError as e:
                raise CheckError(f"the metadata 'classes' of '{path}' is not JSON ({e})") from e
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise CheckError(f"the metadata 'classes' of '{path}' is not a JSON array of strings")
            # An empty list names no classes: the folder's names are used, as for a file without it.
            return names or None
    return None


def opset_of(model):
    """The default-domain opset the model imports."""
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)


# ----------------------------------------------------------------------------------------------
# The images, the way qat-repl finds and decodes them


def visible_entries(folder):
    """The names in `folder` that qat-repl sees: no names starting with '.', sorted by their bytes."""
    names = [n for n in os.listdir(os.fsencode(folder)) if not n.startswith(b".")]
    return [os.fsdecode(n) for n in sorted(names)]


def scan_folder(root):
    """(class names, [(path, class name)], description) for DATA_DIR, as qat-repl's images() scans it.

    Layout ROOT/<class>/* or ROOT/train/<class>/* + ROOT/test/<class>/*; with a split, the test
    images. Every regular file is a candidate; the ones that do not decode are skipped later."""
    if not os.path.isdir(root):
        raise UsageError(f"there is no folder at '{root}'")
    entries = visible_entries(root)
    folders = [n for n in entries if os.path.isdir(os.path.join(root, n))]
    split = "train" in folders and "test" in folders
    base = os.path.join(root, "test") if split else root
    classes = [n for n in visible_entries(base) if os.path.isdir(os.path.join(base, n))]
    if not classes:
        raise CheckError(f"'{base}' has no class folders; expected {root}/<class>/*.png, "
                         f"or {root}/train/<class>/… and {root}/test/<class>/…")
    if split:
        train = os.path.join(root, "train")
        train_classes = [n for n in visible_entries(train) if os.path.isdir(os.path.join(train, n))]
        if train_classes != classes:
            raise CheckError(f"the class folders of '{train}' and '{base}' differ; they must be the same")
    files = []
    for name in classes:
        folder = os.path.join(base, name)
        for f in visible_entries(folder):
            p = os.path.join(folder, f)
            if os.path.isfile(p):
                files.append((p, name))
    where = f"the test split of {root}" if split else \
        f"every image of {root} (no train/test split; pass --predictions to check qat-repl's own test split)"
    return classes, files, where


def read_predictions(csv_path):
    """[(path, true class, qat-repl's class)] from qat-repl's CSV, in its order, and its logits (None
    unless the CSV is `evaluate(…).logits`).

    The true class is the image's parent folder name, as in qat-repl's layout."""
    if not os.path.isfile(csv_path):
        raise UsageError(f"there is no predictions file at '{csv_path}'")
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = [c.strip() for c in rows[0]] if rows else []
    if header[:2] != ["path", "class"]:
        raise CheckError(f"'{csv_path}' does not start with the header 'path,class'; "
                         "give the CSV that qat-repl writes (write(evaluate(model, data).per_image, FILE))")
    # Further columns (qat-repl writes label and correct too) are for people; the label is the folder.
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) < 2:
            raise CheckError(f"{csv_path}:{number}: expected the columns path,class, found {len(row)}")
        path, predicted = row[0], row[1]
        out.append((path, os.path.basename(os.path.dirname(path)), predicted))
    if not out:
        raise CheckError(f"'{csv_path}' has a header but no rows")
    return out, logit_agreement.read_logits(header, rows[1:], csv_path, CheckError)


def png_samples(image):
    """(samples uint8 [H, W, k], k, gray source) for a Pillow image, after the same transforms
    qat-repl's libpng decoder asks for: palette expanded to RGB, transparency to alpha, low bit
    depths expanded to 8 bits, 16-bit samples cut to their high byte. `gray source` says whether
    the file is gray (or an all-gray palette), which decides what `auto` colour gives."""
    mode = image.mode
    transparent = "transparency" in image.info
    if mode == "P":
        palette = np.array(image.getpalette() or [], dtype=np.uint8).reshape(-1, 3)
        gray = bool(palette.size) and bool(np.all(palette[:, 0] == palette[:, 1]) and
                                           np.all(palette[:, 1] == palette[:, 2]))
        if transparent or "A" in image.palette.mode:
            return np.asarray(image.convert("RGBA")), 4, gray
        return np.asarray(image.convert("RGB")), 3, gray
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit gray: libpng's strip_16 keeps the high byte.
        samples = (np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8)
        if transparent:
            raise CheckError("16-bit gray with a transparent colour is not supported by check-onnx")
        return samples, 1, True
    if mode in ("1", "L"):
        samples = np.asarray(image.convert("L"))
        if transparent:
            # A tRNS colour: that gray value becomes alpha 0, every other one alpha 255.
            alpha = np.where(samples == image.info["transparency"], 0, 255).astype(np.uint8)
            return np.stack([samples, alpha], axis=-1), 2, True
        return samples, 1, True
    if mode == "LA":
        return np.asarray(image), 2, True
    if mode == "RGB":
        if transparent:
            return np.asarray(image.convert("RGBA")), 4, False
        return np.asarray(image), 3, False
    if mode == "RGBA":
        return np.asarray(image), 4, False
    raise CheckError(f"PNG mode {mode} is not supported by check-onnx")


def to_channels(samples, k, channels):
    """8-bit samples [H, W, k] converted to `channels` (1 or 3) the way qat-repl's decoder does:
    alpha composited over black with round-to-nearest, colour to gray by Rec. 601 in integers."""
    s = samples.reshape(samples.shape[0], samples.shape[1], k).astype(np.uint32)
    if k <= 2:
        r = g = b = s[..., 0]
    else:
        r, g, b = s[..., 0], s[..., 1], s[..., 2]
    if k in (2, 4):
        a = s[..., k - 1]
        # v·a/255 is never exactly halfway, so +127 rounds to nearest (same as qat-repl's C code).
        r, g, b = (r * a + 127) // 255, (g * a + 127) // 255, (b * a + 127) // 255
    if channels == 1:
        gray = r if k <= 2 else (299 * r + 587 * g + 114 * b + 500) // 1000
        return gray.astype(np.uint8)[..., None]
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def load_images(items, channels, height, width):
    """float32 [N, C, H, W] in 0..1 for the image paths, and the list of (path, reason) skipped.

    qat-repl resizes images of another size; check-onnx does not reproduce its resampling, so it
    requires the model's size. Pixels are float32(v) * float32(1/255), no normalization (the graph
    normalizes)."""
    if channels not in (1, 3):
        raise CheckError(f"the model takes {channels} channels; check-onnx feeds gray (1) or RGB (3) images")
    batch = np.empty((len(items), channels, height, width), dtype=np.float32)
    kept, skipped = [], []
    for path in items:
        try:
            with Image.open(path) as image:
                if image.format != "PNG":
                    skipped.append((path, f"not a PNG file ({image.format})"))
                    continue
                image.load()
                samples, k, _ = png_samples(image)
        except FileNotFoundError:
            raise CheckError(f"there is no image at '{path}' (paths in the CSV are relative to the "
                             "current folder: run check-onnx from where qat-repl ran)")
        except (OSError, SyntaxError, ValueError) as e:
            skipped.append((path, f"unreadable ({e})"))
            continue
        if samples.shape[0] != height or samples.shape[1] != width:
            raise CheckError(f"'{path}' is {samples.shape[1]}×{samples.shape[0]} but the model takes "
                             f"{width}×{height}; check-onnx does not resize (qat-repl's resampling is not "
                             "reproduced): give images of the model's size")
        pixels = to_channels(samples, k, channels)
        batch[len(kept)] = np.transpose(pixels, (2, 0, 1)).astype(np.float32) * INV_255
        kept.append(path)
    return batch[:len(kept)], kept, skipped


# ----------------------------------------------------------------------------------------------
# ONNX Runtime


def threads():
    """Intra-op threads: QAT_THREADS if set, else 2 (the machine qat-repl is measured on)."""
    value = os.environ.get("QAT_THREADS", "2")
    try:
        n = int(value)
    except ValueError:
        raise UsageError(f"QAT_THREADS={value!r} is not a number")
    if n < 1:
        raise UsageError(f"QAT_THREADS={value!r} must be at least 1")
    return n


def make_session(model_bytes, level, optimized_path=None):
    """An ONNX Runtime CPU session at graph optimization `level`, optionally saving its optimized graph."""
    options = ort.SessionOptions()
    options.graph_optimization_level = level
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: saving an NCHWc-optimized graph warns every time
    if optimized_path:
        options.optimized_model_filepath = optimized_path
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def run_batches(session, input_name, batch_size, x, output_names=None):
    """Yields the outputs of `session` for x in batches; a model with a fixed batch dimension gets
    exactly that many images per run (the last batch padded with zeros and cut back)."""
    step = batch_size or 256
    for start in range(0, len(x), step):
        chunk = x[start:start + step]
        n = len(chunk)
        if batch_size and n < batch_size:
            chunk = np.concatenate([chunk, np.zeros((batch_size - n,) + chunk.shape[1:], np.float32)])
        outputs = session.run(output_names, {input_name: chunk})
        yield [o[:n] for o in outputs]


def cpu_name():
    """The CPU's model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "unknown CPU"


def op_counts(model):
    """Op types of a graph with their counts, most frequent first (ties by name)."""
    counts = collections.Counter(node.op_type for node in model.graph.node)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def zero_point_type(model, node):
    """The element type of a QuantizeLinear's output: that of its zero point (uint8 without one)."""
    if len(node.input) < 3 or not node.input[2]:
        return onnx.TensorProto.UINT8
    name = node.input[2]
    for t in model.graph.initializer:
        if t.name == name:
            return t.data_type
    for n in model.graph.node:
        if n.op_type == "Constant" and name in n.output:
            for a in n.attribute:
                if a.name == "value":
                    return a.t.data_type
    raise CheckError(f"cannot tell the type of zero point '{name}' of QuantizeLinear '{node.name}'")


def with_quantizer_outputs(model):
    """A copy of `model` whose every QuantizeLinear output is also a graph output, and the list of
    (output name, label) in graph order. The label is the node's doc_string (qat-repl says there
    which layer of `summary` the node comes from), else its name."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    existing = {o.name for o in copy.graph.output}
    probes = []
    for node in copy.graph.node:
        if node.op_type != "QuantizeLinear":
            continue
        name = node.output[0]
        probes.append((name, node.doc_string.strip().replace("\n", " ") or node.name))
        if name not in existing:
            copy.graph.output.append(onnx.helper.make_tensor_value_info(name, zero_point_type(model, node), None))
            existing.add(name)
    return copy, probes


# ----------------------------------------------------------------------------------------------
# Report


def percent(part, whole):
    """`part` of `whole` as a percentage string with two decimals."""
    return f"{100.0 * part / whole:.2f} %" if whole else "n/a"


def per_layer(model, input_name, batch_size, x, quiet):
    """Runs the QDQ graph with every quantizer exposed, once with ONNX Runtime's integer kernels
    (ORT_ENABLE_ALL) and once as reference float QDQ (ORT_DISABLE_ALL), and prints per quantizer
    the max difference in LSB and the share of equal values, then the logits' agreement."""
    probed, probes = with_quantizer_outputs(model)
    data = probed.SerializeToString()
    fused = make_session(data, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    reference = make_session(data, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    logits_name = model.graph.output[0].name
    names = [logits_name] + [p[0] for p in probes]
    worst = [0] * len(probes)
    equal = [0] * len(probes)
    total = [0] * len(probes)
    logit_diff = 0.0
    same_predictions = 0
    for a, b in zip(run_batches(fused, input_name, batch_size, x, names),
                    run_batches(reference, input_name, batch_size, x, names)):
        logit_diff = max(logit_diff, float(np.max(np.abs(a[0].astype(np.float64) - b[0]))) if a[0].size else 0.0)
        same_predictions += int(np.sum(np.argmax(a[0], axis=1) == np.argmax(b[0], axis=1)))
        for i in range(len(probes)):
            d = np.abs(a[i + 1].astype(np.int32) - b[i + 1].astype(np.int32))
            worst[i] = max(worst[i], int(d.max()) if d.size else 0)
            equal[i] += int(np.sum(d == 0))
            total[i] += d.size
    print(f"per-layer agreement, integer kernels (ORT_ENABLE_ALL) vs reference QDQ (ORT_DISABLE_ALL), "
          f"{len(probes)} quantizers:")
    if not quiet:
        name_width = max([len("quantizer output")] + [len(p[0]) for p in probes])
        label_width = max([len("layer")] + [len(p[1]) for p in probes])
        print(f"  {'quantizer output':<{name_width}}  {'layer':<{label_width}}  max |Δ| LSB  equal")
        for i, (name, label) in enumerate(probes):
            print(f"  {name:<{name_width}}  {label:<{label_width}}  {worst[i]:>11}  {percent(equal[i], total[i]):>8}")
    else:
        worst_layer = max(range(len(probes)), key=lambda i: worst[i]) if probes else None
        if worst_layer is not None:
            print(f"  largest: {worst[worst_layer]} LSB at {probes[worst_layer][0]}")
    print(f"logits, integer kernels vs reference QDQ: max |Δ| {logit_diff:.6g}; identical predictions "
          f"{same_predictions}/{len(x)} ({percent(same_predictions, len(x))})")
    unfused = {op for op, _ in op_counts(model)} - INTEGER_KERNELS
    return unfused


def write_logits(path, paths, logits):
    """Writes `path,logit0,logit1,…` per image, full float32 precision (repr of the float)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path"] + [f"logit{i}" for i in range(logits.shape[1])])
        for p, row in zip(paths, logits):
            w.writerow([p] + [repr(float(v)) for v in row])


def parse_arguments(argv):
    """The command line, with argparse's usage errors turned into exit code 2."""
    parser = argparse.ArgumentParser(
        prog="check-onnx",
        description="Runs MODEL.onnx in ONNX Runtime on a PNG folder prepared exactly as qat-repl prepares it.")
    parser.add_argument("model", metavar="MODEL.onnx")
    parser.add_argument("data", metavar="DATA_DIR", help="DATA/<class>/*.png or DATA/{train,test}/<class>/*.png")
    parser.add_argument("--predictions", metavar="PRED.csv",
                        help="qat-repl's predictions (header path,class): check exactly those images against them")
    parser.add_argument("--quiet", action="store_true",
                        help="summary lines only: no per-layer table, no list of disagreements")
    parser.add_argument("--min-agreement", metavar="PCT", type=float,
                        help="exit 1 if the predictions identical to the CSV's are below PCT percent")
    parser.add_argument("--min-logit-agreement", metavar="PCT", type=float,
                        help="with a CSV of logits (write(evaluate(m, data).logits, FILE)): exit 1 if fewer than "
                             "PCT percent of the logits are within 1e-4 (fp32) or 1 LSB (QDQ) of qat-repl's")
    parser.add_argument("--dump-logits", metavar="FILE.csv", help="write ONNX Runtime's logits per image")
    parser.add_argument("--mean", metavar="M[,M,M]", type=float_list,
                        help="for a graph without its own normalization (e.g. from PyTorch): per-channel mean "
                             "on the 0..1 scale, applied as (x - mean) / std in float32 like torchvision")
    parser.add_argument("--std", metavar="S[,S,S]", type=float_list, help="per-channel std (with --mean)")
    args = parser.parse_args(argv)
    if (args.min_agreement is not None or args.min_logit_agreement is not None) and not args.predictions:
        parser.error("--min-agreement and --min-logit-agreement need --predictions")
    if (args.mean is None) != (args.std is None):
        parser.error("--mean and --std go together")
    if args.std is not None and any(v <= 0 for v in args.std):
        parser.error("--std values must be positive")
    return args


def float_list(text):
    """`0.5` or `0.485,0.456,0.406` as a list of floats (an argparse type)."""
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}")


def normalize(x, mean, std):
    """(x - mean) / std per channel in float32, the way torchvision's Normalize computes it: a graph
    exported from PyTorch usually expects its caller to normalize."""
    if len(mean) != x.shape[1] or len(std) != x.shape[1]:
        raise UsageError(f"--mean and --std need {x.shape[1]} values (one per input channel)")
    m = np.array(mean, dtype=np.float32).reshape(1, -1, 1, 1)
    s = np.array(std, dtype=np.float32).reshape(1, -1, 1, 1)
    return (x - m) / s


def check(args):
    """The whole check; returns the exit code."""
    model = load_model(args.model)
    input_name, batch_size, channels, height, width = input_spec(model, args.model)
    if len(model.graph.output) < 1:
        raise CheckError(f"'{args.model}' has no graph output")

    folder_classes, folder_files, where = scan_folder(args.data)
    classes = metadata_classes(model, args.model)
    class_source = "the model's metadata"
    if classes is None:
        classes, class_source = folder_classes, f"the folders of {args.data}"

    if args.predictions:
        rows, their_logits = read_predictions(args.predictions)
        paths = [r[0] for r in rows]
        truth = [r[1] for r in rows]
        theirs = [r[2] for r in rows]
        where = f"the {len(rows)} rows of {args.predictions}"
    else:
        paths = [p for p, _ in folder_files]
        truth = [c for _, c in folder_files]
        theirs = their_logits = None
    unknown = sorted({t for t in truth if t not in classes})
    if unknown:
        raise CheckError(f"the folders {', '.join(unknown)} are not among the model's classes "
                         f"({', '.join(classes)}, from {class_source})")

    x, kept, skipped = load_images(paths, channels, height, width)
    if skipped:
        if args.predictions:
            path, reason = skipped[0]
            raise CheckError(f"'{path}' from {args.predictions} could not be read: {reason}")
        print(f"skipped {len(skipped)} files that are not readable PNGs (as qat-repl does), e.g. "
              f"{skipped[0][0]}: {skipped[0][1]}")
        keep = set(kept)
        truth = [t for p, t in zip(paths, truth) if p in keep]
        paths = kept
    if not paths:
        raise CheckError(f"no readable PNG images in {args.data}")
    if args.mean is not None:
        x = normalize(x, args.mean, args.std)

    print(f"ONNX Runtime {ort.__version__} (CPUExecutionProvider, {threads()} threads) on {cpu_name()}")
    print(f"model: {args.model} (opset {opset_of(model)}, input '{input_name}' "
          f"[{batch_size or 'N'}, {channels}, {height}, {width}], {len(classes)} classes from {class_source})")
    print(f"images: {len(paths)} ({where})")
    if args.mean is not None:
        print(f"normalized outside the graph: mean {args.mean}, std {args.std}")

    with tempfile.TemporaryDirectory(prefix="check-onnx-") as tmp:
        optimized_path = os.path.join(tmp, "optimized.onnx")
        try:
            session = make_session(model.SerializeToString(), ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                                   optimized_path)
        except Exception as e:  # ONNX Runtime raises its own exception types for bad graphs
            raise CheckError(f"ONNX Runtime cannot load '{args.model}': {e}") from e
        optimized = onnx.load(optimized_path)
    output_name = model.graph.output[0].name
    logits = np.concatenate([o[0] for o in run_batches(session, input_name, batch_size, x, [output_name])])
    if logits.ndim != 2 or logits.shape[1] != len(classes):
        raise CheckError(f"the output '{output_name}' has shape {list(logits.shape)}, but there are "
                         f"{len(classes)} classes (from {class_source})")
    predicted = np.argmax(logits, axis=1)
    correct = sum(1 for p, t in zip(predicted, truth) if classes[p] == t)
    print(f"accuracy: {correct}/{len(paths)} = {percent(correct, len(paths))}")

    exit_code = 0
    if theirs is not None:
        differing = [(p, classes[q], c) for p, q, c in zip(paths, predicted, theirs) if classes[q] != c]
        same = len(paths) - len(differing)
        print(f"identical to qat-repl's predictions: {same}/{len(paths)} = {percent(same, len(paths))}")
        if not args.quiet:
            for path, ours, qat in differing[:MAX_LISTED]:
                print(f"  {path}: ONNX Runtime {ours}, qat-repl {qat}")
            if len(differing) > MAX_LISTED:
                print(f"  … and {len(differing) - MAX_LISTED} more")
        if args.min_agreement is not None and 100.0 * same / len(paths) < args.min_agreement:
            print(f"error: agreement {percent(same, len(paths))} is below --min-agreement {args.min_agreement} %",
                  file=sys.stderr)
            exit_code = 1
    if their_logits is not None:
        line, within = logit_agreement.compare(logits, their_logits,
                                               logit_agreement.output_scale(model, output_name))
        print(line)
        if args.min_logit_agreement is not None and within < args.min_logit_agreement:
            print(f"error: logits within tolerance {within:.2f} % is below --min-logit-agreement "
                  f"{args.min_logit_agreement} %", file=sys.stderr)
            exit_code = 1

    counts = op_counts(optimized)
    print("optimized graph: " + ", ".join(f"{op} ×{n}" for op, n in counts))
    integer = [op for op, _ in counts if op in INTEGER_KERNELS]
    if integer:
        print(f"integer kernels: yes ({', '.join(integer)})")
    else:
        print("integer kernels: no (ONNX Runtime runs this graph in float)")

    if any(node.op_type == "QuantizeLinear" for node in model.graph.node):
        per_layer(model, input_name, batch_size, x, args.quiet)

    if args.dump_logits:
        write_logits(args.dump_logits, paths, logits)
        print(f"wrote the logits to {args.dump_logits}")
    return exit_code


def main(argv=None):
    """Entry point: maps the two error kinds to exit codes 2 and 1."""
    args = parse_arguments(argv)
    try:
        return check(args)
    except UsageError as e:
        print(f"check-onnx: error: {e}", file=sys.stderr)
        return 2
    except CheckError as e:
        print(f"check-onnx: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
