import Foundation

/// Arithmetic helpers.
enum MathBuiltins {
  static func all() -> [Builtin] {
    var list: [Builtin] = [
      Builtin(
        "abs", topic: "math", summary: "The absolute value.", parameters: [.required("x", .number, "a number")],
        returns: "int or float"
      ) { call in
        if case .int(let i) = call.value("x") {
          guard i != Int.min else { throw call.error("the absolute value of \(i) does not fit in 64 bits") }
          return .int(abs(i))
        }
        return .float(abs(call.double("x")))
      },
      extremum("min", "The smallest of a list, or of the arguments.", <),
      extremum("max", "The largest of a list, or of the arguments.", >),
      Builtin(
        "sum", topic: "math", summary: "The sum of a list of numbers (integers stay integers).",
        parameters: [.required("list", .listOf(.number), "numbers")], returns: "int or float"
      ) { call in
        var intSum = 0, floatSum = 0.0, isFloat = false
        for v in call.list("list") {
          switch v {
          case .int(let i):
            let (s, o) = intSum.addingReportingOverflow(i)
            if o { throw call.error("integer overflow; convert to floats first") }
            intSum = s
          default: isFloat = true; floatSum += v.number ?? 0
          }
        }
        return isFloat ? .float(Double(intSum) + floatSum) : .int(intSum)
      },
      Builtin(
        "mean", topic: "math", summary: "The arithmetic mean of a non-empty list of numbers.",
        parameters: [.required("list", .listOf(.number), "numbers")], returns: "float"
      ) { call in
        let xs = call.list("list").compactMap(\.number)
        guard !xs.isEmpty else { throw call.error("the list is empty", argument: "list") }
        return .float(xs.reduce(0, +) / Double(xs.count))
      },
      Builtin(
        "round", topic: "math",
        summary: "Rounds half to even (as the quantizer does); with `digits`, to that many decimals.",
        parameters: [
          .required("x", .number, "a number"),
          .optional("digits", .nonNegativeInt, "decimal places (result is a float)"),
        ],
        returns: "int, or float with digits"
      ) { call in
        if case .int = call.value("x") { return call.value("x") }
        let x = call.double("x")
        if let digits = call.optionalInt("digits") {
          let scale = Foundation.pow(10.0, Double(min(digits, 300)))
          return .float((x * scale).rounded(.toNearestOrEven) / scale)
        }
        return try toInt(x.rounded(.toNearestOrEven), call)
      },
      Builtin(
        "floor", topic: "math", summary: "The largest integer not above x.",
        parameters: [.required("x", .number, "a number")], returns: "int"
      ) { call in
        try toInt(call.double("x").rounded(.down), call)
      },
      Builtin(
        "ceil", topic: "math", summary: "The smallest integer not below x.",
        parameters: [.required("x", .number, "a number")], returns: "int"
      ) { call in
        try toInt(call.double("x").rounded(.up), call)
      },
      Builtin(
        "clamp", topic: "math", summary: "x limited to the range [lo, hi].",
        parameters: [
          .required("x", .number, "a number"), .required("lo", .number, "lower bound"),
          .required("hi", .number, "upper bound"),
        ], returns: "int or float"
      ) { call in
        let (x, lo, hi) = (call.value("x"), call.value("lo"), call.value("hi"))
        guard (lo.number ?? 0) <= (hi.number ?? 0) else { throw call.error("`lo` is above `hi`", argument: "lo") }
        if (x.number ?? 0) < (lo.number ?? 0) { return lo }
        if (x.number ?? 0) > (hi.number ?? 0) { return hi }
        return x
      },
      Builtin(
        "random", topic: "math", summary: "A float uniformly in [0, 1) from the session's seeded generator.",
        returns: "float"
      ) { call in
        .float(call.interpreter.random.nextUnit())
      },
    ]
    let unaryFunctions: [(String, String, (Double) -> Double, (Double) -> Bool)] = [
      ("sqrt", "The square root (x ≥ 0).", { $0.squareRoot() }, { $0 >= 0 }),
      ("exp", "e raised to x.", { Foundation.exp($0) }, { _ in true }),
      ("log", "The natural logarithm (x > 0).", { Foundation.log($0) }, { $0 > 0 }),
      ("log2", "The base-2 logarithm (x > 0).", { Foundation.log2($0) }, { $0 > 0 }),
      ("sin", "The sine of x radians.", { Foundation.sin($0) }, { _ in true }),
      ("cos", "The cosine of x radians.", { Foundation.cos($0) }, { _ in true }),
      ("tanh", "The hyperbolic tangent.", { Foundation.tanh($0) }, { _ in true }),
    ]
    for (name, summary, f, domain) in unaryFunctions {
      list.append(
        Builtin(
          name, topic: "math", summary: summary, parameters: [.required("x", .number, "a number")],
          returns: "float"
        ) { call in
          let x = call.double("x")
          guard domain(x) else {
            throw call.error("\(Value.formatFloat(x)) is outside the domain of `\(name)`", argument: "x")
          }
          return .float(f(x))
        })
    }
    return list
  }

  static func toInt(_ d: Double, _ call: BuiltinCall) throws -> Value {
    guard let i = Int(exactly: d) else { throw call.error("\(Value.formatFloat(d)) does not fit in an integer") }
    return .int(i)
  }

  static func extremum(_ name: String, _ summary: String, _ better: @escaping (Double, Double) -> Bool) -> Builtin {
    Builtin(name, topic: "math", summary: summary, variadic: ("values", .any), returns: "the chosen value") { call in
      var items = call.rest
      if items.count == 1, case .list(let inner) = items[0] { items = inner }
      guard let first = items.first else { throw call.error("needs a non-empty list or at least one argument") }
      var best = first
      for v in items {
        guard let x = v.number, let b = best.number else {
          throw call.error("compares numbers only, got \(v.typeName)")
        }
        if better(x, b) { best = v }
      }
      guard best.number != nil else { throw call.error("compares numbers only, got \(best.typeName)") }
      return best
    }
  }
}
