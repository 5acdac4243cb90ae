import Foundation
import QatOutput
import QatSupport
import QatsLanguage

/// `predict(model, image)`: shown as `class 3 · 99.8 %` with the most probable classes as bars,
/// and behind it the record it always was (`label`, `class`, `confidence`, `true_label`,
/// `probabilities`) for members, `p["class"]`, `json` and `write`.
public final class PredictionValue: HostObject {
  /// The most classes drawn as bars.
  static let shownClasses = 5
  /// Cells of a full bar (probability 1).
  static let barCells = 20

  let record: Record
  let best: Int
  let names: [String]
  let probabilities: [Double]
  let trueLabel: Int?

  init(best: Int, names: [String], probabilities: [Double], trueLabel: Int?) {
    self.best = best
    self.names = names
    self.probabilities = probabilities
    self.trueLabel = trueLabel
    let confidence = best < probabilities.count ? probabilities[best] : 0
    var pairs: [(String, Value)] = [
      ("label", .int(best)), ("class", .string(Self.name(best, in: names))), ("confidence", .float(confidence)),
    ]
    if let trueLabel { pairs.append(("true_label", .int(trueLabel))) }
    pairs.append(("probabilities", .record(Record(zip(names, probabilities).map { ($0, .float($1)) }))))
    record = Record(pairs)
  }

  public var typeName: String { "prediction" }
  public var memberNames: [String] { record.keys }
  public func member(_ name: String) throws -> Value? { record[name] }
  public func index(_ key: Value) throws -> Value? {
    if case .string(let name) = key { return record[name] }
    return nil
  }
  public func plainValue() -> Value? { .record(record) }

  /// `class 3 · 99.8 %`, with the true class when the image came from a split.
  public var summary: String {
    let confidence = best < probabilities.count ? probabilities[best] : 0
    var text = "class \(Self.name(best, in: names)) · \(Self.percent(confidence))"
    if let trueLabel {
      text += trueLabel == best ? " · correct" : " · true class \(Self.name(trueLabel, in: names))"
    }
    return text
  }

  /// The classes drawn as bars: the most probable first, at most `shownClasses`.
  var topClasses: [Int] {
    let order = probabilities.indices.sorted {
      probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1)
    }
    return Array(order.prefix(Self.shownClasses))
  }

  public func render(_ format: RenderFormat) -> String {
    switch format {
    case .text, .markdown:
      let width = topClasses.map { Self.name($0, in: names).count }.max() ?? 1
      let rows = topClasses.map { i -> String in
        let name = Self.name(i, in: names)
        let padded = name + String(repeating: " ", count: max(0, width - name.count))
        return "  \(padded)  \(Self.bar(probabilities[i])) \(Self.percent(probabilities[i]))"
      }
      let text = ([summary] + rows).joined(separator: "\n")
      return format == .markdown ? PlainText(text).render(.markdown) : text
    case .html:
      let rows = topClasses.map { i -> String in
        let share = String(format: "%.1f", max(0, min(1, probabilities[i])) * 100)
        return "<tr><td>\(HTMLEscaping.escape(Self.name(i, in: names)))</td>"
          + "<td style=\"width:12em\"><div style=\"background:#4c78a8;height:0.9em;width:\(share)%\"></div></td>"
          + "<td style=\"text-align:right\">\(HTMLEscaping.escape(Self.percent(probabilities[i])))</td></tr>"
      }
      return "<div class=\"prediction\"><p>\(HTMLEscaping.escape(summary))</p><table>" + rows.joined()
        + "</table></div>"
    }
  }

  /// A bar of `barCells` cells, in eighths of a cell, for a probability in [0, 1].
  static func bar(_ probability: Double) -> String {
    let eighths = Int((max(0, min(1, probability.isFinite ? probability : 0)) * Double(barCells * 8)).rounded())
    let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
    let drawn = String(repeating: "█", count: eighths / 8) + partial
    return drawn + String(repeating: " ", count: barCells - drawn.count)
  }

  /// "99.8 %": one decimal, as the terminal line shows it.
  static func percent(_ probability: Double) -> String {
    probability.isFinite ? String(format: "%.1f %%", probability * 100) : "—"
  }

  static func name(_ index: Int, in names: [String]) -> String {
    index >= 0 && index < names.count ? names[index] : "\(index)"
  }
}
