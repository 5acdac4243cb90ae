import Foundation
import QatOutput
import QatSupport

/// Session helpers: seeding, timing, sleeping, JSON and files.
enum IOBuiltins {
  static func all() -> [Builtin] {
    [
      Builtin(
        "seed", topic: "io",
        summary:
          "Sets the session's random seed (every random choice derives from it); without an argument, returns it.",
        parameters: [.optional("n", .nonNegativeInt, "the new seed")], returns: "nil, or the current seed"
      ) { call in
        guard let n = call.optionalInt("n") else { return .int(Int(truncatingIfNeeded: call.interpreter.seed)) }
        call.interpreter.reseed(UInt64(n))
        return .none
      },
      Builtin("clock", topic: "io", summary: "Seconds on a monotonic clock, for timing by hand.", returns: "float") {
        _ in
        .float(MonotonicClock.seconds())
      },
      Builtin(
        "time", topic: "io", summary: "Runs the block, shows how long it took, and returns the block's last value.",
        block: .required, returns: "the block's value"
      ) { call in
        guard let block = call.block else { return .none }
        let start = MonotonicClock.seconds()
        let value = try call.interpreter.runBlock(block, in: call.environment)
        call.emit(PlainText("time: " + Units.duration(MonotonicClock.seconds() - start)))
        return value
      },
      Builtin(
        "sleep", topic: "io", summary: "Waits `seconds` (Ctrl-C interrupts it).",
        parameters: [.required("seconds", .nonNegativeNumber, "how long to wait")]
      ) { call in
        let end = MonotonicClock.seconds() + call.double("seconds")
        while true {
          try call.checkInterrupt()
          let left = end - MonotonicClock.seconds()
          if left <= 0 { return .none }
          usleep(useconds_t(min(left, 0.01) * 1e6))
        }
      },
      Builtin(
        "json", topic: "io", summary: "A value as JSON text (tables become lists of records).",
        parameters: [
          .required("value", .any, "numbers, strings, lists, records or tables"),
          .optional("indent", .bool, default: .bool(false), "pretty-print over several lines"),
        ],
        returns: "string"
      ) { call in
        do {
          return .string(
            try JSONText.encode(
              call.value("value"), pretty: call.bool("indent"), limit: Interpreter.maxRepeatedLength))
        } catch let e as JSONText.Unsupported {
          throw call.error(e.message, argument: "value")
        }
      },
      Builtin(
        "write", topic: "io",
        summary:
          """
          Writes a value to a file, atomically: `.json` as JSON, `.csv` as rows of a table or list of records, \
          `.svg` a chart as a picture, anything else as text.
          """,
        parameters: [.required("value", .any, "what to write"), .required("path", .string, "the file to write")]
      ) { call in
        let path = call.string("path")
        let value = call.value("value")
        let pathExtension = (path as NSString).pathExtension.lowercased()
        if case .object(let object) = value, object.typeName == "model" {
          throw call.error(
            "a model is not written with `write`; use save() to keep it in a .qnet file", argument: "value",
            hint: "save(\(call.variableName(of: "value") ?? "net"), \"model.qnet\"), then load(\"model.qnet\")")
        }
        if IOBuiltins.pictureExtensions.contains(pathExtension) {
          let isChart: Bool
          if case .object(let object) = value, object is any Figure { isChart = true } else { isChart = false }
          throw call.error(
            "cannot write a .\(pathExtension) picture: charts are written as .svg", argument: "path",
            hint: isChart
              ? "write(\(call.variableName(of: "value") ?? "chart"), \"\(IOBuiltins.svgName(path))\")"
              : "only a chart can be written as a picture, and only as .svg")
        }
        let text: String
        do {
          switch pathExtension {
          case "json": text = try JSONText.encode(value, pretty: true) + "\n"
          case "csv": text = try CSVText.encode(value)
          case "svg":
            // A chart (from `plot`, `bars`, or a table's figures) as a standalone SVG file.
            guard case .object(let object) = value, let figure = object as? any Figure else {
              throw call.error(
                "only a chart can be written as .svg; got \(BuiltinRegistry.describe(value))", argument: "value")
            }
            text = figure.svgFile()
          default: text = ValueView(value).render(.plain) + "\n"
          }
        } catch let e as JSONText.Unsupported {
          throw call.error(e.message, argument: "value")
        }
        do throws(AtomicFile.Failure) {
          try AtomicFile.write(Data(text.utf8), to: path)
        } catch {
          throw call.error(error.description, argument: "path")
        }
        call.emit(PlainText("wrote \(path) (\(Units.bytes(text.utf8.count)))"))
        return .none
      },
    ]
  }

  /// Picture formats `write` refuses (it writes charts as SVG only), so the error can name `.svg`
  /// instead of writing text into a file named `.png`.
  static let pictureExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "pdf", "tif", "tiff"]

  /// `path` with its extension replaced by `.svg`: `out/c.png` → `out/c.svg`.
  static func svgName(_ path: String) -> String {
    PrintableName.of((path as NSString).deletingPathExtension + ".svg")
  }
}
