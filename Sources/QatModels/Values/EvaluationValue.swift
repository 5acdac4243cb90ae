import QatOutput
import QatSupport
import QatsLanguage

/// `evaluate(net, data)`: accuracy (a fraction, shown as a percentage), mean loss, counts, and the
/// confusion matrix when asked for (rows: true class, columns: predicted class).
public final class EvaluationValue: HostObject {
  let accuracy: Double
  let loss: Double
  let correct: Int
  let total: Int
  let classes: [String]
  let confusion: [[Int]]?
  /// The predicted class of every image, in the split's order (`data.test[i]`).
  let predictions: [Int]
  /// The true class and the file of every image, in the same order.
  let labels: [Int]
  let paths: [String]
  /// Every image's logits (dequantized for an integer program), image after image.
  let logits: [Float]

  init(
    accuracy: Double, loss: Double, correct: Int, total: Int, classes: [String], confusion: [[Int]]?,
    predictions: [Int] = [], labels: [Int] = [], paths: [String] = [], logits: [Float] = []
  ) {
    self.accuracy = accuracy
    self.loss = loss
    self.correct = correct
    self.total = total
    self.classes = classes
    self.confusion = confusion
    self.predictions = predictions
    self.labels = labels
    self.paths = paths
    self.logits = logits
  }

  /// One row per image: its file, the predicted and the true class (names), whether they agree —
  /// `write(e.per_image, "predictions.csv")` is what `scripts/check-onnx --predictions` reads.
  var perImage: TableValue {
    func name(_ c: Int) -> String { classes.indices.contains(c) ? classes[c] : "\(c)" }
    let rows = predictions.indices.map { i in
      Record([
        ("path", .string(paths.indices.contains(i) ? paths[i] : "")), ("class", .string(name(predictions[i]))),
        ("label", .string(labels.indices.contains(i) ? name(labels[i]) : "")),
        ("correct", .bool(labels.indices.contains(i) && labels[i] == predictions[i])),
      ])
    }
    return TableValue(
      title: "\(Units.grouped(rows.count)) predictions",
      columns: [.init("path"), .init("class"), .init("label"), .init("correct")],
      rows: rows)
  }

  /// One row per image: its file, the predicted class and every logit (`logit0`, … in class order) —
  /// `write(e.logits, "logits.csv")` lets `scripts/check-onnx --predictions` compare the values too.
  var logitTable: TableValue {
    let classCount = classes.count
    let rows = predictions.indices.map { i in
      var fields: [(String, Value)] = [
        ("path", .string(paths.indices.contains(i) ? paths[i] : "")),
        ("class", .string(classes.indices.contains(predictions[i]) ? classes[predictions[i]] : "\(predictions[i])")),
      ]
      for c in 0..<classCount {
        let at = i &* classCount &+ c
        fields.append(("logit\(c)", .float(logits.indices.contains(at) ? Double(logits[at]) : .nan)))
      }
      return Record(fields)
    }
    return TableValue(
      title: "\(Units.grouped(rows.count)) images' logits",
      columns: [.init("path"), .init("class")] + (0..<classCount).map { .init("logit\($0)", header: classes[$0]) },
      rows: rows)
  }

  public var typeName: String { "evaluation" }

  /// "accuracy 98.61 % (355/360) · loss 0.0512".
  public var summary: String {
    "accuracy \(Units.percent(accuracy)) (\(correct)/\(total)) · loss \(Units.loss(loss))"
  }

  public var memberNames: [String] {
    ["accuracy", "loss", "correct", "total", "wrong", "predictions", "per_image", "logits"]
      + (confusion == nil ? [] : ["confusion"])
  }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "accuracy": return .float(accuracy)
    case "loss": return .float(loss)
    case "correct": return .int(correct)
    case "total": return .int(total)
    case "wrong": return .int(total - correct)
    case "confusion": return confusion.map { .list($0.map { .list($0.map(Value.int)) }) }
    case "predictions": return .list(predictions.map(Value.int))
    case "per_image": return .object(perImage)
    case "logits": return .object(logitTable)
    default: return nil
    }
  }

  public func plainValue() -> Value? {
    var pairs: [(String, Value)] = [
      ("accuracy", .float(accuracy)), ("loss", .float(loss)), ("correct", .int(correct)), ("total", .int(total)),
    ]
    if let confusion { pairs.append(("confusion", .list(confusion.map { .list($0.map(Value.int)) }))) }
    return .record(Record(pairs))
  }

  public func render(_ format: RenderFormat) -> String {
    guard let confusion else { return PlainText(summary).render(format) }
    if format == .html { return confusionHTML(confusion) }
    let rows = confusion.enumerated().map { i, row in [classes[i]] + row.map(String.init) }
    let table = TextTable(
      title: summary + " · confusion (rows: true class, columns: predicted)",
      headers: ["true \\ predicted"] + classes, rows: rows,
      rightAligned: [false] + classes.map { _ in true })
    return table.render(format)
  }
}
