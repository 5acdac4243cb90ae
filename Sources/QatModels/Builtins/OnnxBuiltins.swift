import Foundation
import QatEngine
import QatOnnx
import QatOutput
import QatSupport
import QatsLanguage

/// `export`: models out as ONNX files that ONNX Runtime runs (docs/onnx.md). `load` reads them back
/// (ModelFileBuiltins).
enum OnnxBuiltins {
  static func all() -> [Builtin] { [export] }

  static var export: Builtin {
    Builtin(
      "export", topic: "models",
      summary:
        """
        Writes the model as an ONNX file that ONNX Runtime and other runtimes run. An fp32 model becomes an \
        inference graph (batch norm folded into the convolutions); a quantized model (PTQ, QAT, any bits) a QDQ \
        graph of its integer program: uint8 activations with zero points, int8 weights per channel, int32 biases, \
        which ONNX Runtime runs with its integer kernels. The graph takes `input`, float32 [N, C, H, W] pixels in \
        0..1 (value / 255), normalizes inside, and gives `logits` and `probabilities`; class names, mean/std and \
        bits are in its metadata. `opset: 21` stores weights of 4 bits or fewer as INT4.
        """,
      parameters: [
        .required("model", .object(["model"]), "the model"),
        .required("path", .string, "the file to write (.onnx)"),
        .optional("opset", .positiveInt, default: .int(13), "the ONNX opset, 13 (default) to 21"),
      ]
    ) { call in
      guard let model = ModelArguments.model(call) else { return .none }
      let path = call.string("path")
      let opset = call.int("opset")
      guard OnnxExport.opsets.contains(opset) else {
        throw call.error(
          "qat-repl writes ONNX opsets 13 to 21, not \(opset)", argument: "opset",
          hint: "leave it out for 13, which every ONNX Runtime since 1.8 runs; 21 stores ≤ 4-bit weights as INT4")
      }
      guard (path as NSString).pathExtension.lowercased() == "onnx" else {
        throw call.error(
          "an ONNX file's name ends in .onnx", argument: "path",
          hint: "export(\(call.variableName(of: "model") ?? "net"), \"\(((path as NSString).deletingPathExtension))"
            + ".onnx\"); save() writes qat-repl's own .qnet files")
      }
      let onnx = try exported(model, opset: opset, call: call)
      do throws(OnnxExportError) {
        let size = try onnx.document.write(to: path)
        call.emit(PlainText("exported \(path) (\(Units.bytes(size)), \(onnx.kind), opset \(opset))"))
      } catch {
        throw call.error(error.message, argument: "path", hint: error.hint)
      }
      return .none
    }
  }

  /// The ONNX model of `model` and what kind of graph it is ("fp32", "QDQ int8", "QDQ 4-bit").
  static func exported(_ model: ModelValue, opset: Int, call: BuiltinCall) throws -> (
    document: OnnxDocument, kind: String
  ) {
    let input = model.input
    let info = OnnxExportInfo(
      classNames: input?.classes ?? [], mean: input?.mean ?? [], std: input?.std ?? [], opset: opset,
      producerVersion: Version.number)
    let program = try integerProgram(of: model, call: call)
    guard program != nil || model.network != nil else {
      throw call.error(
        "the model has no weights yet", argument: "model",
        hint: "give it data or `input:` when you define it, train it, then export it")
    }
    do throws(OnnxExportError) {
      if let program {
        let i = program.info
        let bits =
          !i.layerBits.isEmpty
          ? QuantizedModelText.mixed(i.layerBits)
          : i.weightBits == i.activationBits ? "\(i.weightBits)-bit" : "W\(i.weightBits)A\(i.activationBits)"
        return (try OnnxExport.quantized(program, info: info), "QDQ \(bits) \(i.method.rawValue.uppercased())")
      }
      guard let network = model.network else { throw OnnxExportError("the model has no weights yet") }
      return (try OnnxExport.float(network, info: info), "fp32")
    } catch {
      throw call.error(error.message, argument: "model", hint: error.hint)
    }
  }

  /// The integer program of a quantized model (prepared QAT models as they would be converted now),
  /// nil for an fp32 model.
  static func integerProgram(of model: ModelValue, call: BuiltinCall) throws -> IntegerNetwork? {
    if let integer = model.integer { return integer }
    guard let network = model.network, network.quantization != nil else { return nil }
    do throws(IntegerConversionError) {
      return try network.integerProgram()
    } catch {
      throw call.error(
        "this model has no integer form to export: \(error.message)", argument: "model",
        hint: "a model quantized only in part (as `sensitivity` makes them) runs in simulation only")
    }
  }
}
