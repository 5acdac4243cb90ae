import QatEngine
import Foundation
import QatModelFile
import QatOnnx
import QatOutput
import QatSupport
import QatsLanguage

/// `save` and `load`: models in the versioned binary format of docs/model-format.md.
enum ModelFileBuiltins {
  static func all() -> [Builtin] { [save, load] }

  static var save: Builtin {
    Builtin(
      "save", topic: "models",
      summary:
        """
        Saves a model — fp32, or the integer model from `quantize`/`convert` with its weights packed to their bits \
        — to a `.qnet` file, atomically (a temporary file, fsync, rename). The file carries the input shape, colour \
        mode, normalization and class names, so `predict(load(path), \"x.png\")` works on its own. Its byte count \
        is the size every table reports.
        """,
      parameters: [
        .required("model", .object(["model"]), "the model"), .required("path", .string, "the file to write (.qnet)"),
      ]
    ) { call in
      guard let model = ModelArguments.model(call) else { return .none }
      let path = call.string("path")
      let file: ModelFile
      do throws(ModelFileMapping.Refusal) {
        file = try ModelFileMapping.file(for: model)
      } catch {
        throw call.error(error.message, argument: "model", hint: error.hint)
      }
      do throws(ModelFileError) {
        let size = try file.write(to: path)
        call.emit(PlainText("saved \(path) (\(Units.bytes(size)))"))
      } catch {
        throw call.error(error.message, argument: "path", hint: error.hint)
      }
      return .none
    }
  }

  static var load: Builtin {
    Builtin(
      "load", topic: "models",
      summary:
        """
        Reads a model saved by `save` (.qnet), or an fp32 ONNX file (.onnx) such as `torch.onnx.export` writes: \
        Conv, BatchNormalization, Relu, Clip, pooling, Flatten, Gemm/MatMul, residual Add. Truncated, corrupted \
        (every byte of a .qnet is covered by a CRC-32) or foreign files are refused with the reason; an ONNX \
        node qat-repl cannot express is named with its op type. An integer model runs inference only \
        (`evaluate`, `predict`); an imported ONNX model is an ordinary fp32 model. `mean:`/`std:` say what an \
        ONNX model was trained with (0..1 pixels, as torchvision's Normalize) when its graph does not normalize.
        """,
      parameters: [
        .required("path", .string, "the .qnet or .onnx file"),
        .optional("mean", .listOf(.number), "ONNX files: the per-channel mean the model was trained with (0..1 scale)"),
        .optional("std", .listOf(.number), "ONNX files: the per-channel standard deviation (0..1 scale)"),
      ], returns: "model"
    ) { call in
      let path = call.inputPath("path")
      let mean = call.list("mean").compactMap(\.number), std = call.list("std").compactMap(\.number)
      if (path as NSString).pathExtension.lowercased() == "onnx" {
        return .object(try OnnxLoading.model(path: path, mean: mean, std: std, call: call))
      }
      for name in ["mean", "std"] where !call.list(name).isEmpty {
        throw call.error(
          "`\(name):` is for ONNX files; a .qnet file carries its own normalization", argument: name,
          hint: "load(\"\(path)\")")
      }
      let file: ModelFile
      do throws(ModelFileError) {
        file = try ModelFile.read(path: path, budget: call.interpreter.memoryBudget)
      } catch {
        throw call.error(error.message, argument: "path", hint: error.hint)
      }
      do throws(ModelFileMapping.Refusal) {
        return .object(try ModelFileMapping.model(from: file, budget: call.interpreter.memoryBudget))
      } catch {
        throw call.error("cannot load '\(path)': \(error.message)", argument: "path", hint: error.hint)
      }
    }
  }
}

/// `load("net.onnx")`: an fp32 ONNX graph through the importer, then the same path as a `.qnet` file.
enum OnnxLoading {
  static func model(path: String, mean: [Double], std: [Double], call: BuiltinCall) throws -> ModelValue {
    guard mean.isEmpty == std.isEmpty else {
      throw call.error(
        "give both `mean:` and `std:`, or neither", argument: mean.isEmpty ? "std" : "mean",
        hint: "load(\"\(path)\", mean: [0.5], std: [0.25]) for a model trained on 0..1 pixels normalized that way")
    }
    if let bad = std.first(where: { !($0 > 0 && $0.isFinite) }) {
      throw call.error("every `std` must be a positive number, got \(bad)", argument: "std")
    }
    let imported: ImportedOnnxModel
    do throws(OnnxImportError) {
      imported = try OnnxImport.read(
        path: path, mean: mean.isEmpty ? nil : mean, std: std.isEmpty ? nil : std,
        budget: call.interpreter.memoryBudget)
    } catch {
      throw call.error("cannot import '\(path)': \(error.message)", argument: "path", hint: error.hint)
    }
    let value: ModelValue
    do throws(ModelFileMapping.Refusal) {
      value = try ModelFileMapping.model(from: imported.file, budget: call.interpreter.memoryBudget)
    } catch {
      throw call.error("cannot import '\(path)': \(error.message)", argument: "path", hint: error.hint)
    }
    let producer = imported.producer.isEmpty ? "" : "\(imported.producer), "
    let normalization: String
    switch imported.normalization {
    case .graph: normalization = "normalization from the graph"
    case .arguments: normalization = "normalization from mean:/std:"
    case .metadata: normalization = "normalization from the file's metadata"
    case .unknown:
      normalization = "normalization unknown: pixels 0..1 as they are (give mean:/std: if it was trained otherwise)"
    }
    value.origin = "imported from ONNX (\(producer)opset \(imported.opset)) · \(normalization)"
    return value
  }
}
