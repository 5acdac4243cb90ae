import Foundation
import OnnxProto

/// ONNX's element types (TensorProto.DataType), the ones qat-repl writes or reads.
public enum OnnxElementType: Int32, Sendable {
  case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, uint4 = 21, int4 = 22

  /// The name ONNX's documentation uses ("float", "uint8", …).
  public var name: String {
    switch self {
    case .float: return "float"
    case .uint8: return "uint8"
    case .int8: return "int8"
    case .int32: return "int32"
    case .int64: return "int64"
    case .uint4: return "uint4"
    case .int4: return "int4"
    }
  }
}

/// Builds initializers: values are stored little-endian in `raw_data`, as every ONNX writer does.
enum OnnxTensor {
  static func make(_ name: String, dims: [Int], type: OnnxElementType, raw: Data) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dims = dims.map(Int64.init)
    t.dataType = type.rawValue
    t.rawData = raw
    return t
  }

  static func float(_ name: String, _ values: [Float], dims: [Int]? = nil) -> Onnx_TensorProto {
    var raw = Data(capacity: values.count * 4)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
    return make(name, dims: dims ?? [values.count], type: .float, raw: raw)
  }

  static func int32(_ name: String, _ values: [Int32], dims: [Int]? = nil) -> Onnx_TensorProto {
    var raw = Data(capacity: values.count * 4)
    for v in values { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
    return make(name, dims: dims ?? [values.count], type: .int32, raw: raw)
  }

  static func int64(_ name: String, _ values: [Int64], dims: [Int]? = nil) -> Onnx_TensorProto {
    var raw = Data(capacity: values.count * 8)
    for v in values { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
    return make(name, dims: dims ?? [values.count], type: .int64, raw: raw)
  }

  static func int8(_ name: String, _ values: [Int8], dims: [Int]? = nil) -> Onnx_TensorProto {
    make(name, dims: dims ?? [values.count], type: .int8, raw: Data(values.map { UInt8(bitPattern: $0) }))
  }

  static func uint8(_ name: String, _ values: [UInt8], dims: [Int]? = nil) -> Onnx_TensorProto {
    make(name, dims: dims ?? [values.count], type: .uint8, raw: Data(values))
  }

  /// INT4/UINT4 (opset 21): two values a byte, the first in the low nibble.
  static func packed4(_ name: String, _ values: [Int8], signed: Bool, dims: [Int]) -> Onnx_TensorProto {
    var raw = Data(count: (values.count + 1) / 2)
    for (i, v) in values.enumerated() {
      let nibble = UInt8(bitPattern: v) & 0x0F
      raw[i / 2] |= i % 2 == 0 ? nibble : nibble << 4
    }
    return make(name, dims: dims, type: signed ? .int4 : .uint4, raw: raw)
  }
}

/// Builds node attributes.
enum OnnxAttribute {
  static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .ints
    a.ints = values.map(Int64.init)
    return a
  }

  static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .int
    a.i = Int64(value)
    return a
  }

  static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .float
    a.f = value
    return a
  }
}

/// Builds graph inputs and outputs: a float tensor whose first dimension is the batch, `N`.
enum OnnxValueInfo {
  static func tensor(_ name: String, type: OnnxElementType, batchDims dims: [Int]) -> Onnx_ValueInfoProto {
    var v = Onnx_ValueInfoProto()
    v.name = name
    var shape = Onnx_TensorShapeProto()
    var batch = Onnx_TensorShapeProto.Dimension()
    batch.dimParam = "N"
    shape.dim =
      [batch]
      + dims.map { d in
        var dim = Onnx_TensorShapeProto.Dimension()
        dim.dimValue = Int64(d)
        return dim
      }
    var tensorType = Onnx_TypeProto.Tensor()
    tensorType.elemType = type.rawValue
    tensorType.shape = shape
    var type = Onnx_TypeProto()
    type.tensorType = tensorType
    v.type = type
    return v
  }
}
