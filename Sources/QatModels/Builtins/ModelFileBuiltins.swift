import QatEngine
import QatModelFile
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
        Reads a model saved by `save`. Truncated, corrupted (every byte is covered by a CRC-32) or foreign files \
        are refused with the reason. An integer model runs inference only (`evaluate`, `predict`).
        """,
      parameters: [.required("path", .string, "the .qnet file")], returns: "model"
    ) { call in
      let path = call.inputPath("path")
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
