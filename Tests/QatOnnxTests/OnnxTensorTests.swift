import OnnxProto
import Testing

@testable import QatOnnx

@Suite struct OnnxTensorTests {
  @Test func int4PacksTwoValuesPerByteLowNibbleFirst() {
    let t = OnnxTensor.packed4("w", [1, -1, 7], signed: true, dims: [3])
    #expect(Array(t.rawData) == [0xF1, 0x07])
    #expect(t.dataType == OnnxElementType.int4.rawValue)
  }

  @Test func floatsAreLittleEndianRawData() {
    let t = OnnxTensor.float("x", [1.0])
    #expect(Array(t.rawData) == [0, 0, 0x80, 0x3F])
  }
}
