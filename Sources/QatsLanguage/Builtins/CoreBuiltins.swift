import QatOutput
/// The language's own built-ins: values, lists and text. ML built-ins live in their own modules.
public enum CoreBuiltins {
  /// Every built-in the language itself provides.
  public static func all() -> [Builtin] { core() + MathBuiltins.all() + IOBuiltins.all() + ChartBuiltins.all() }

  /// Largest list `range` will build, so `range(1e12)`-style typos fail fast instead of exhausting memory.
  static let maxRangeCount = 10_000_000

  /// How many numbers `range(start, stop, step: step)` holds, computed without overflow for any
  /// 64-bit arguments (the distance between them needs 64 unsigned bits).
  static func rangeCount(start: Int, stop: Int, step: Int) -> UInt {
    guard step != 0, step > 0 ? stop > start : start > stop else { return 0 }
    let distance = step > 0 ? UInt(bitPattern: stop &- start) : UInt(bitPattern: start &- stop)
    return (distance - 1) / step.magnitude + 1
  }

  static func core() -> [Builtin] {
    [
      Builtin(
        "print", topic: "core", summary: "Show values as text, separated by spaces.",
        parameters: [.optional("sep", .string, default: .string(" "), "text placed between values")],
        variadic: ("values", .any)
      ) { call in
        // Host objects (tables, charts, models) show in full, as a cell shows them; the plain
        // values between them are joined by `sep` on lines of their own.
        var text: [String] = []
        func flush() {
          if !text.isEmpty { call.emit(PlainText(text.joined(separator: call.string("sep")))) }
          text = []
        }
        for value in call.rest {
          if case .object = value {
            flush()
            call.emit(ValueView(value))
          } else {
            text.append(value.displayString)
          }
        }
        if !text.isEmpty || call.rest.isEmpty { call.emit(PlainText(text.joined(separator: call.string("sep")))) }
        return .none
      },
      Builtin(
        "display", topic: "core",
        summary: """
          Shows each value in full, as a cell's result shows it (tables, charts, images, models), wherever it \
          is called: inside loops and functions too.
          """,
        variadic: ("values", .any)
      ) { call in
        for value in call.rest { call.emit(ValueView(value)) }
        return .none
      },
      Builtin(
        "len", topic: "core", summary: "The number of items in a list, characters in a string or fields in a record.",
        parameters: [.required("x", .oneOf([.list, .string, .record]), "a list, string or record")],
        returns: "int"
      ) { call in
        switch call.value("x") {
        case .list(let items): return .int(items.count)
        case .string(let s): return .int(s.count)
        case .record(let r): return .int(r.count)
        default: return .int(0)
        }
      },
      Builtin(
        "range", topic: "core", summary: "The integers from `start` up to (not including) `stop`, by `step`.",
        parameters: [
          .required("a", .int, "stop, or start when `b` is given"),
          .optional("b", .int, "stop"),
          .optional("step", .int, default: .int(1), "the increment (not 0)"),
        ], returns: "list"
      ) { call in
        let (start, stop) =
          call.isGiven("b") && !call.value("b").isNil ? (call.int("a"), call.int("b")) : (0, call.int("a"))
        let step = call.int("step")
        guard step != 0 else { throw call.error("`step` must not be 0", argument: "step") }
        let count = rangeCount(start: start, stop: stop, step: step)
        guard count <= UInt(maxRangeCount) else {
          throw call.error("would make \(count) numbers; the limit is \(maxRangeCount)")
        }
        // start + i·step lies between start and stop, so the wrapping arithmetic is exact.
        return .list((0..<Int(count)).map { .int(start &+ $0 &* step) })
      },
      Builtin(
        "type", topic: "core", summary: "The type name of a value (int, float, string, list, record, …).",
        parameters: [.required("x", .any, "any value")], returns: "string"
      ) { call in
        .string(call.value("x").typeName)
      },
      Builtin(
        "str", topic: "core", summary: "A value as text (strings unchanged).",
        parameters: [.required("x", .any, "any value")], returns: "string"
      ) { call in
        .string(call.value("x").displayString)
      },
      Builtin(
        "int", topic: "core",
        summary: "Converts a float (truncating toward zero), a numeric string or a bool to an integer.",
        parameters: [.required("x", .oneOf([.number, .string, .bool]), "the value to convert")], returns: "int"
      ) { call in
        switch call.value("x") {
        case .int(let i): return .int(i)
        case .float(let d):
          guard let i = Int(exactly: d.rounded(.towardZero)) else {
            throw call.error("\(Value.formatFloat(d)) does not fit in an integer", argument: "x")
          }
          return .int(i)
        case .bool(let b): return .int(b ? 1 : 0)
        case .string(let s):
          guard let i = Int(s.trimmingWhitespace) else {
            throw call.error("\(Value.quote(s)) is not an integer", argument: "x")
          }
          return .int(i)
        default: return .none
        }
      },
      Builtin(
        "float", topic: "core", summary: "Converts an integer or a numeric string to a float.",
        parameters: [.required("x", .oneOf([.number, .string]), "the value to convert")], returns: "float"
      ) { call in
        if case .string(let s) = call.value("x") {
          guard let d = Double(s.trimmingWhitespace) else {
            throw call.error("\(Value.quote(s)) is not a number", argument: "x")
          }
          return .float(d)
        }
        return .float(call.double("x"))
      },
      Builtin(
        "append", topic: "core",
        summary: "A new list: `list` with `item` added at the end (the original is unchanged).",
        parameters: [.required("list", .list, "the list"), .required("item", .any, "the value to add")],
        returns: "list"
      ) { call in
        let item = call.value("item")
        if 1 + item.depth > Value.maxDepth { throw Value.tooDeep(1 + item.depth, at: call.location(of: "item")) }
        var items = call.list("list")
        guard items.count < Interpreter.maxRepeatedLength else {
          throw call.error(
            "the list already has \(items.count) items, the most a list may hold", argument: "list",
            hint:
              "lists are limited to \(Interpreter.maxRepeatedLength) items so that a runaway loop cannot exhaust memory"
          )
        }
        items.append(item)
        return .list(items)
      },
      Builtin(
        "keys", topic: "core", summary: "The field names of a record, in order.",
        parameters: [.required("record", .record, "the record")], returns: "list"
      ) { call in
        guard case .record(let r) = call.value("record") else { return .list([]) }
        return .list(r.keys.map { .string($0) })
      },
      Builtin(
        "sort", topic: "core", summary: "A sorted copy of a list of numbers or of strings.",
        parameters: [
          .required("list", .list, "numbers or strings"),
          .optional("reverse", .bool, default: .bool(false), "largest first"),
        ], returns: "list"
      ) { call in
        let items = call.list("list")
        let sorted: [Value]
        if items.allSatisfy({ $0.number != nil }) {
          sorted = items.sorted { ($0.number ?? 0) < ($1.number ?? 0) }
        } else if items.allSatisfy({ if case .string = $0 { return true } else { return false } }) {
          sorted = items.sorted { $0.displayString < $1.displayString }
        } else {
          throw call.error("can sort a list of numbers or a list of strings, not a mix", argument: "list")
        }
        return .list(call.bool("reverse") ? sorted.reversed() : sorted)
      },
    ]
  }
}

extension String {
  var trimmingWhitespace: String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
  }
}
