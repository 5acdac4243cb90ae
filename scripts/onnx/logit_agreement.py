"""Compares ONNX Runtime's logits with the ones qat-repl wrote (`write(evaluate(m, data).logits, FILE)`).

For an fp32 graph the tolerance is absolute (1e-4: the two sum in different orders in float32). For a
QDQ graph the logits are dequantized integers, so the difference is counted in integer steps (LSB) of the
output's DequantizeLinear scale, and "agree" means within 1 LSB.
"""
import numpy as np
from onnx import numpy_helper

FP32_TOLERANCE = 1e-4


def read_logits(header, rows, csv_path, error):
    """The logit columns (`logit0`, `logit1`, …) of qat-repl's CSV as an [images, classes] array, or None
    when the CSV has none (`per_image` rather than `logits`)."""
    columns = [i for i, name in enumerate(header) if name.startswith("logit") and name[5:].isdigit()]
    if not columns:
        return None
    if [header[i] for i in columns] != [f"logit{k}" for k in range(len(columns))]:
        raise error(f"'{csv_path}': the logit columns are not logit0, logit1, … in order")
    values = []
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        try:
            values.append([float(row[i]) for i in columns])
        except (IndexError, ValueError) as e:
            raise error(f"{csv_path}:{number}: a logit is missing or not a number ({e})") from e
    return np.asarray(values, dtype=np.float64)


def output_scale(model, output_name):
    """The scale of the DequantizeLinear that gives `output_name`, or None for a float output."""
    initializers = {t.name: t for t in model.graph.initializer}
    writers = {out: node for node in model.graph.node for out in node.output}
    name = output_name
    for _ in range(len(model.graph.node)):  # through Identity nodes, never in a cycle
        node = writers.get(name)
        if node is None:
            return None
        if node.op_type == "Identity" and node.input:
            name = node.input[0]
            continue
        if node.op_type != "DequantizeLinear" or len(node.input) < 2 or node.input[1] not in initializers:
            return None
        values = numpy_helper.to_array(initializers[node.input[1]]).astype(np.float64).ravel()
        return float(values[0]) if values.size == 1 and values[0] > 0 else None
    return None


def compare(ours, theirs, scale):
    """(summary line, share within tolerance in %) of ONNX Runtime's logits against qat-repl's."""
    if ours.shape != theirs.shape:
        return (f"logits vs qat-repl's: shapes differ (ONNX Runtime {list(ours.shape)}, "
                f"qat-repl {list(theirs.shape)})", 0.0)
    diff = np.abs(ours.astype(np.float64) - theirs)
    total = max(1, diff.size)
    if scale is None:
        within = 100.0 * np.count_nonzero(diff <= FP32_TOLERANCE) / total
        return (f"logits vs qat-repl's: max |Δ| {diff.max(initial=0):.3g}; within {FP32_TOLERANCE:g}: "
                f"{within:.2f} % of {diff.size} values", within)
    steps = np.rint(diff / scale)
    within = 100.0 * np.count_nonzero(steps <= 1) / total
    equal = 100.0 * np.count_nonzero(steps == 0) / total
    return (f"logits vs qat-repl's: max |Δ| {int(steps.max(initial=0))} LSB (scale {scale:.6g}); within 1 LSB: "
            f"{within:.2f} %, equal {equal:.2f} % of {diff.size} values", within)
