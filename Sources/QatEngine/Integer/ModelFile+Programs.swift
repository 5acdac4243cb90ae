extension ModelFile {
  /// The file of an fp32 network, with the normalization and class names deployment needs.
  public static func fp32(_ network: Network, mean: [Double], std: [Double], classNames: [String]) -> ModelFile {
    var file = ModelFile(kind: .fp32, mean: mean, std: std, classNames: classNames, layers: network.fileLayers())
    file.describeInput(network.inputShape)
    return file
  }

  /// The file of an integer program: the layer specs it was made from (to show them), then the program.
  public static func integer(_ program: IntegerNetwork, specs: [LayerSpec], mean: [Double], std: [Double],
                             classNames: [String]) -> ModelFile {
    let info = program.info
    var file = ModelFile(kind: .integer, mean: mean, std: std, classNames: classNames,
                         properties: [.init("method", info.method.rawValue), .init("weight_bits", "\(info.weightBits)"),
                                      .init("act_bits", "\(info.activationBits)"), .init("output", "\(program.outputIndex)")],
                         layers: LayerSpec.fileLayers(specs) + program.fileLayers())
    file.describeInput(program.inputShape)
    return file
  }

  mutating func describeInput(_ shape: ActivationShape) {
    inputShape = shape.dimensions
    colorMode = shape.channels == 1 ? "gray" : shape.channels == 3 ? "rgb" : "channels"
  }
}
