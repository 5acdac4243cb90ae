/// The concepts and keywords `:help` explains besides the built-ins: a few lines each, taken from
/// docs/quantization.md and docs/language.md (which have the formulas and the worked examples).
enum HelpTopics {
  struct Topic {
    let name: String
    let title: String
    let lines: [String]

    /// What `:help name` prints: the title, then the lines indented by two.
    var text: String { ([name + " — " + title] + lines.map { "  " + $0 }).joined(separator: "\n") }
  }

  /// The quantization concepts, in the order the overview lists them.
  static let concepts: [Topic] = [
    Topic(
      name: "mode", title: "the session's quantization method",
      lines: [
        "`mode ptq` or `mode qat` sets the default `method` of `quantize` and `prepare`; a bare `mode` shows it, "
          + "and so does the prompt (`[3] qat> `).",
        "A session starts in ptq mode, and `:reset` returns to it. `:save` keeps mode changes.",
        "See `:help ptq` and `:help qat`.",
      ]),
    Topic(
      name: "ptq", title: "post-training quantization",
      lines: [
        "`quantize(net, data, method: ptq)` (the default in `mode ptq`) copies the fp32 model, folds batch norm "
          + "into the conv or dense before it, attaches observers, calibrates on `samples: 256` training "
          + "images and freezes the ranges. No training: fast, and as good as QAT at 8 bits; at 2 bits QAT "
          + "keeps much more accuracy (docs/quantization.md §8).",
        "Activations use the \"histogram\" observer unless `observer:` says otherwise. `ptq` is also a "
          + "predefined name for the string \"ptq\".",
      ]),
    Topic(
      name: "qat", title: "quantization-aware training",
      lines: [
        "`quantize(net, data, method: qat)` (the default in `mode qat`) copies the model, folds batch norm "
          + "the QAT way (`:help folding`), calibrates the starting ranges with min-max on 256 training "
          + "images, then fine-tunes with fake quantization: `epochs: 3`, `lr: 0.01` (SGD, momentum 0.9, "
          + "batch 32). Gradients pass the rounding by the straight-through estimator (`:help ste`).",
        "Batch norm uses batch statistics in epoch 1 (`freeze_bn: 1`); observers move in epochs 1–2 and are "
          + "frozen after that (`freeze_observers: 2`). Activations use the \"moving_average\" observer.",
        "`prepare(net, data)` does the steps before fine-tuning, so that `train` and `evaluate` can be run "
          + "by hand and `convert` makes the integer model. `qat` is also a predefined name for \"qat\".",
      ]),
    Topic(
      name: "observers", title: "which range each tensor is quantized to",
      lines: [
        "An observer watches a tensor and proposes [min, max], from which the scale and zero point follow. "
          + "`observer:` chooses the activations' observer:",
        "\"minmax\"          the smallest and largest value ever seen",
        "\"moving_average\"  min ← min + 0.01·(batch min − min), the same for max (default for QAT)",
        "\"histogram\"       a 2048-bin histogram, then the range with the least L2 quantization error "
          + "(default for PTQ)",
        "\"percentile\"      the same histogram cut at `percentile: 99.99` % and at 100 − that",
        "\"mse\"             the clipping range (1 %, 2 %, …, 100 % of the widest) with the least mean squared "
          + "quantization error on that histogram",
        "\"kl\"              the range whose quantized histogram is closest in KL divergence to the clipped "
          + "original (TensorRT's entropy calibration)",
        "Weights always use min-max per channel (PTQ) or its moving average (QAT). One outlier stretches a "
          + "min-max range and every step with it, which matters at low bit widths.",
      ]),
    Topic(
      name: "per_channel", title: "one weight scale per output channel",
      lines: [
        "The weights of every conv and dense are quantized symmetric and signed, with one scale per output "
          + "channel by default; `per_channel: false` uses one scale for the whole layer. With its own scale "
          + "a channel of small weights keeps a fine grid instead of sharing the grid of the largest weight.",
        "Activations are always per tensor: unsigned and affine (`symmetric: true` for the symmetric grid).",
      ]),
    Topic(
      name: "bits", title: "the width of the integers",
      lines: [
        "`bits: b` sets the width of weights and activations (default 8); `weight_bits:` and `act_bits:` set "
          + "them apart. Models take 2 to 8 bits; `qparams` and `fake_quant` also accept 16 for teaching.",
        "b bits hold 2^b integers: unsigned 0 … 2^b − 1 (activations), signed −2^(b−1) … 2^(b−1) − 1 "
          + "(weights). Any width is stored in 8-bit containers.",
        "`keep: [\"first\", \"last\"]` (or layer numbers from `summary(net)`) leaves those conv or dense "
          + "layers at 8 bits.",
      ]),
    Topic(
      name: "folding", title: "batch norm folded into the weights",
      lines: [
        "A batch norm after a conv or dense is, in evaluation, an affine map per output channel, so it is "
          + "folded into the layer: W′ = W·s and b′ = (b − μ)·s + β, with s = γ/√(σ² + ε). The deployed "
          + "model has only W′ and b′, so W′ is what gets quantized.",
        "PTQ folds first and then calibrates. QAT folds the way PyTorch's ConvBn modules do: the weights are "
          + "scaled by s and fake-quantized while batch norm still learns; the final fold uses exactly the "
          + "factors training used.",
      ]),
    Topic(
      name: "equalization", title: "cross-layer equalization (Nagel et al. 2019)",
      lines: [
        "`quantize(net, data, equalize: true)` folds batch norm, then rescales each conv/dense pair that meets "
          + "through ReLU (pooling and flatten may sit between; depthwise → pointwise included): output "
          + "channel i of the first layer is divided by s_i and input channel i of the second multiplied by "
          + "it. ReLU(x/s) = ReLU(x)/s for s > 0, so the fp32 function does not change.",
        "s_i = √(r1_i/r2_i), r1_i and r2_i the two layers' weight ranges of channel i, makes both √(r1_i·r2_i); "
          + "all pairs are rescaled again until the scales stop moving. It helps one scale per layer "
          + "(`per_channel: false`) most. Not paired: ReLU6 (its cap does not scale) and a layer whose "
          + "output a residual add also reads. samples/equalization.qats shows it.",
      ]),
    Topic(
      name: "bias_correction", title: "removing the mean error rounding adds",
      lines: [
        "`quantize(net, data, bias_correction: true)` (PTQ): rounding W to W̃ shifts each output's mean by "
          + "(W̃ − W)·E[x]. For every conv and dense in turn, with the layers before it already quantized "
          + "and corrected, the mean of each output channel is measured on the calibration images in the "
          + "quantized and in the fp32 model, and the difference is subtracted from the bias.",
        "The corrected biases go into the integer program as int32 like any other. Together with "
          + "`equalize: true` this is the paper's data-free recipe.",
      ]),
    Topic(
      name: "adaround", title: "rounding each weight up or down, learned (PTQ)",
      lines: [
        "`quantize(net, data, rounding: \"adaround\")` (Nagel et al. 2020): instead of rounding every weight to its "
          + "nearest level, learn for each one whether to round up or down so that each layer's output on the "
          + "calibration images stays closest to fp32's. W̃ = s·clamp(⌊W/s⌋ + h(V), qmin, qmax) with h(V) = "
          + "clamp(σ(V)·1.2 − 0.1, 0, 1); V starts where h(V) is W/s's fractional part.",
        "Layer by layer, with the layers before already rounded, Adam on V minimizes ‖W·x − W̃·x̂‖² (x the fp32 "
          + "inputs, x̂ the quantized network's) + 0.01·Σ(1 − |2h − 1|^β), β annealed from 20 to 2 after a 20 % "
          + "warm-up; 1,000 steps per layer, nothing random. At the end h ≥ ½ rounds up. The levels become the "
          + "stored weights, so the integer program and model files take the model like any other "
          + "(`q.rounding`). PTQ only; samples/rounding.qats compares it with nearest at 4 and 3 bits.",
      ]),
    Topic(
      name: "mixed_precision", title: "a width per layer",
      lines: [
        "`quantize(net, data, bits: [8, 4, 8])` gives each conv/dense layer (in the order summary lists them) its "
          + "own width for its weights and its output; the input takes the first layer's width. The integer "
          + "program, save/load, export and compare all keep it (`q.bits` is the list).",
        "`mixed(net, data, size: 0.15)` chooses the widths: from 8 bits everywhere, each step narrows (8 → 6 → 4 "
          + "→ 3 → 2) the one layer that costs the least test accuracy, until the file is at most that share "
          + "of fp32 (or, with `mixed(net, data, accuracy: 0.97)`, while accuracy stays above the floor). "
          + "`sensitivity(net, data, bits: 2)` shows which layers are fragile; `errors(q, data)` shows where "
          + "the error enters, point by point. samples/mixed.qats walks through it.",
      ]),
    Topic(
      name: "distillation", title: "QAT that learns from its fp32 teacher",
      lines: [
        "`quantize(net, data, method: \"qat\", teacher: net)` fine-tunes the quantized student on "
          + "½·cross-entropy with the labels + ½·T²·KL(softmax(t/T) ‖ softmax(s/T)), t the teacher's logits "
          + "(computed once per training image), s the student's; `temperature: 1` is T.",
        "At 2 bits on the digits (3 seeds) it lifted QAT from 88.1 % to 90.3 % at T = 1; a high T hurt, "
          + "since a 2-bit student's logits take only four values. `sweep(net, data, seeds: 3)` shows how far "
          + "QAT moves with the seed alone.",
      ]),
    Topic(
      name: "ste", title: "the straight-through estimator",
      lines: [
        "Rounding has zero derivative almost everywhere, so QAT treats it as the identity in the backward "
          + "pass and keeps the clamp: the gradient passes where the rounded value lies in [qmin, qmax] and "
          + "is 0 where the value was clipped.",
        "Weight gradients update full-precision \"shadow\" weights, which every forward pass fake-quantizes "
          + "afresh, so small updates add up until a weight crosses a rounding boundary.",
      ]),
    Topic(
      name: "lsq", title: "learned step size",
      lines: [
        "`lsq: true` (Esser et al. 2019) makes QAT train the scales too. Every activation scale and every "
          + "per-channel weight scale starts from its calibrated value and follows its gradient (scaled "
          + "by 1/√(N·qmax)) for the whole fine-tuning; observers and `freeze_observers` no longer apply to "
          + "it, and the zero points stay as calibrated. Default: false."
      ]),
    Topic(
      name: "onnx", title: "ONNX files: export, import, agreement",
      lines: [
        "`export(model, \"net.onnx\")` writes an fp32 model as an inference graph (batch norm folded) and a "
          + "quantized one as a QDQ graph of its integer program, which ONNX Runtime runs with QLinearConv and "
          + "QGemm. Input: `input`, float32 [N, C, H, W] pixels in 0..1; outputs `logits`, `probabilities`. "
          + "`export(q, \"q.onnx\", opset: 21)` stores weights of 4 bits or fewer as INT4.",
        "`load(\"net.onnx\")` reads fp32 graphs as torch.onnx.export writes them; `mean:`/`std:` give the "
          + "normalization a graph without its own was trained with.",
        "`agree(q, data)` compares the simulation with the integer program, and `agree(q, data, onnx: \"q.onnx\")` "
          + "with the program read back from the exported file too; `write(evaluate(q, data).per_image, "
          + "\"p.csv\")` then `scripts/check-onnx net.onnx DATA --predictions p.csv` compares ONNX Runtime. "
          + "docs/onnx.md has the details.",
      ]),
    Topic(
      name: "integer", title: "the integer program",
      lines: [
        "`quantize` (and `convert` of a prepared model) compiles the model into integer-only steps: the "
          + "input is quantized once, activations are unsigned 8-bit, weights signed 8-bit with zero point "
          + "0, biases int32, and only the logits are turned back into floats.",
        "Each conv or dense step accumulates uint8 × int8 products in int32 and rescales with a fixed-point "
          + "multiplier M = s_x·s_w/s_y, stored as M0·2^−shift (see `multiplier` and `requantize`).",
        "`evaluate` on a quantized model runs this program; `trace(model, image)` shows every step's "
          + "integers.",
      ]),
  ]

  /// The reserved words and `mode`.
  static let keywords: [Topic] = [
    Topic(
      name: "fn", title: "functions",
      lines: [
        "`fn name(a, b) { … return v }` defines a function; `fn(x) { return x * 2 }` is a function value.",
        "Functions are closures over the scope they are defined in. A call gets its own scope, and "
          + "assignment inside a function always creates a local.",
        "Calls take positional arguments first, then keyword arguments: `area(2, h: 3)`.",
      ]),
    Topic(
      name: "return", title: "leave a function",
      lines: [
        "`return v` ends the function with the value v; a bare `return` gives nil. Outside a function "
          + "it is an error."
      ]),
    Topic(
      name: "if", title: "choose",
      lines: [
        "`if cond { … } else if c2 { … } else { … }`. Conditions must be true or false: `if 1 { }` is an "
          + "error (write `x != 0`). The blocks share the enclosing scope."
      ]),
    Topic(
      name: "else", title: "the other branch of `if`",
      lines: ["`if cond { … } else { … }`, or `else if c2 { … }` to test again. See `:help if`."]),
    Topic(
      name: "for", title: "loop over items",
      lines: [
        "`for x in xs { … }` runs the block once per item of a list, character of a string or key of a "
          + "record. `break` leaves the loop, `continue` goes on with the next item. The block shares the "
          + "enclosing scope, so `x` keeps its last value after the loop."
      ]),
    Topic(
      name: "in", title: "part of `for`", lines: ["`for x in xs { … }`: see `:help for`."]),
    Topic(
      name: "while", title: "loop while a condition holds",
      lines: ["`while cond { … }`: cond must be true or false. `break` and `continue` work as in `for`."]),
    Topic(
      name: "break", title: "leave a loop",
      lines: ["`break` leaves the innermost `for` or `while`; outside a loop it is an error."]),
    Topic(
      name: "continue", title: "next round of a loop",
      lines: ["`continue` skips to the next round of the innermost `for` or `while`."]),
    Topic(
      name: "true", title: "a bool", lines: ["`true` and `false` are the bools; conditions must be one of them."]),
    Topic(
      name: "false", title: "a bool", lines: ["`true` and `false` are the bools; conditions must be one of them."]),
    Topic(
      name: "nil", title: "no value",
      lines: ["`nil` is the value of statements with nothing to say; an expression that gives nil shows nothing."]),
    Topic(
      name: "and", title: "logical and",
      lines: ["`a and b` is true when both are; b is evaluated only when a is true. Both must be bools."]),
    Topic(
      name: "or", title: "logical or",
      lines: ["`a or b` is true when either is; b is evaluated only when a is false. Both must be bools."]),
    Topic(name: "not", title: "logical not", lines: ["`not a` is true when a is false; a must be a bool."]),
  ]

  /// Other spellings a user may try.
  static let aliases: [String: String] = [
    "observer": "observers", "per-channel": "per_channel", "weight_bits": "bits", "act_bits": "bits",
    "fold": "folding", "int8": "integer", "equalize": "equalization", "cle": "equalization",
    "bias-correction": "bias_correction", "mixed-precision": "mixed_precision", "distill": "distillation",
    "teacher": "distillation", "kd": "distillation", "rounding": "adaround", "function": "fn", "elif": "else",
    "qdq": "onnx",
    "agreement": "onnx",
  ]

  /// The topic called `name` (or one of its aliases).
  static func lookup(_ name: String) -> Topic? {
    let key = aliases[name] ?? name
    return concepts.first { $0.name == key } ?? keywords.first { $0.name == key }
  }

  /// Every name `:help` explains here, for "did you mean".
  static var names: [String] { concepts.map(\.name) + keywords.map(\.name) + aliases.keys.sorted() }
}
