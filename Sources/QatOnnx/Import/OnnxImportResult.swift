import QatEngine
import QatModelFile

/// Why an ONNX file cannot be imported: what is wrong (naming the node when one is at fault) and,
/// when there is one, what to change in the export.
public struct OnnxImportError: Error, Sendable, CustomStringConvertible {
  public let message: String
  public let hint: String?

  public init(_ message: String, hint: String? = nil) {
    self.message = message
    self.hint = hint
  }

  public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}

/// Where an imported model's input normalization came from.
public enum NormalizationSource: String, Sendable, Equatable {
  /// The graph's own leading Sub and Div (or Mul) nodes, removed from the layers.
  case graph
  /// The caller's `mean:` and `std:`.
  case arguments
  /// The file's `metadata_props` keys `mean` and `std`.
  case metadata
  /// Nowhere: mean 0 and std 1 are assumed, and the model's summary must say so.
  case unknown
}

/// An ONNX graph converted to qat-repl's fp32 model: the same layer table and metadata a `.qnet`
/// file holds, so it loads through `Network.fromFileLayers` like any saved model.
public struct ImportedOnnxModel: Sendable {
  /// Kind `.fp32`: the layer table with its tensors, the input shape, mean/std and class names.
  public var file: ModelFile
  /// The layers, as `Network.fromFileLayers` read them back from `file`.
  public var specs: [LayerSpec]
  /// Where the normalization came from: the graph's leading Sub/Div (or Sub/Mul), the caller's
  /// mean/std, the file's metadata_props, or nowhere (then mean 0, std 1 and the summary must say so).
  public var normalization: NormalizationSource
  /// The version of the default ONNX operator set the file imports.
  public var opset: Int
  /// `producer_name` and `producer_version` ("pytorch 2.5.1"), empty when the file names none.
  public var producer: String
}
