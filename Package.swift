// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "qat-repl",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "qat-repl", targets: ["qat-repl"]),
    .executable(name: "qat-bench", targets: ["qat-bench"]),
    .library(name: "QatsLanguage", targets: ["QatsLanguage"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    // ONNX files are protocol buffers: the Swift code for onnx.proto is generated once and committed
    // (scripts/onnx/generate-proto), so builds need only the runtime library, never the plugin.
    .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
  ],
  targets: [
    // MARK: - The base under everything: seeded random numbers, the monotonic clock, units,
    // atomic file writes, "did you mean" suggestions (no dependencies)
    .target(name: "QatSupport"),

    // MARK: - The output layer: renderables (text/Markdown/HTML), aligned tables, Unicode and SVG charts
    .target(name: "QatOutput", dependencies: ["QatSupport"]),

    // MARK: - The language: syntax, runtime, built-in registry, table and chart values (no ML, no terminal)
    .target(name: "QatsLanguage", dependencies: ["QatSupport", "QatOutput"]),

    // MARK: - System libraries through small C shims
    .target(
      name: "CLineEdit",
      linkerSettings: [.linkedLibrary("edit")]
    ),

    .target(
      name: "CPNG",
      linkerSettings: [.linkedLibrary("png"), .linkedLibrary("z")]
    ),

    // MARK: - Numeric kernels in C, one folder per family (common/, fp32/, int8/): reference, portable and
    // AVX-512 versions chosen at run time
    .target(name: "CKernels"),

    // MARK: - The model file container (.qnet), engine-free: signature, version, CRC-32 checksums, varint
    // fields, packed tensors, generic layer-table records, metadata and properties, strict decoding that
    // names foreign, truncated and corrupted files, reading and atomic writing
    .target(name: "QatModelFile", dependencies: ["QatSupport"]),

    // MARK: - The fp32 engine: tensors, layers, networks, optimizers, the train loop; what its models put in
    // a model file (layer tables, typed metadata)
    .target(name: "QatEngine", dependencies: ["CKernels", "QatModelFile", "QatSupport"]),

    // MARK: - ONNX's protocol-buffer messages (onnx.proto), generated code only
    .target(
      name: "OnnxProto",
      dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),

    // MARK: - The bridge to ONNX: export of fp32 and quantized (QDQ) models, import of fp32 graphs
    .target(name: "QatOnnx", dependencies: ["QatEngine", "QatModelFile", "OnnxProto", "QatSupport"]),

    // MARK: - The image library: PNG decoding, folder scans, resizing, normalization, datasets (no language)
    .target(name: "QatImages", dependencies: ["QatSupport", "CPNG"]),

    // MARK: - Images in the language: images(), show(), datasets and splits as values
    .target(name: "QatImagesLanguage", dependencies: ["QatImages", "QatsLanguage", "QatOutput", "QatSupport"]),

    // MARK: - Models in the language: model { … }, layers, train, evaluate, predict
    .target(
      name: "QatModels",
      dependencies: [
        "QatEngine", "QatModelFile", "QatOnnx", "QatImages", "QatImagesLanguage", "QatsLanguage", "QatOutput",
        "QatSupport",
      ]),

    // MARK: - The shell: sessions, notebooks, reports, line editing
    .target(
      name: "QatShell",
      dependencies: [
        "QatsLanguage", "QatImages", "QatImagesLanguage", "QatModels", "QatOutput", "QatSupport", "CLineEdit",
      ]),

    // MARK: - The executable: argument parsing only
    .executableTarget(
      name: "qat-repl",
      dependencies: [
        "QatShell",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // MARK: - The benchmark executable (release builds; scripts/bench)
    .executableTarget(
      name: "qat-bench", dependencies: ["QatSupport", "QatImages", "CPNG", "CKernels", "QatEngine", "QatModelFile"]),

    // MARK: - Tests
    .testTarget(name: "QatsLanguageTests", dependencies: ["QatsLanguage", "QatOutput", "QatSupport"]),
    .testTarget(
      name: "QatImagesTests", dependencies: ["QatImages", "QatImagesLanguage", "CPNG", "QatsLanguage", "QatSupport"],
      exclude: ["Fixtures"]),
    .testTarget(name: "CKernelsTests", dependencies: ["CKernels", "QatSupport"]),
    .testTarget(name: "QatModelFileTests", dependencies: ["QatModelFile", "QatSupport"]),
    .testTarget(
      name: "QatEngineTests", dependencies: ["QatEngine", "QatModelFile", "CKernels", "QatSupport", "QatImages"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "QatShellTests", dependencies: ["QatShell", "QatsLanguage", "QatOutput", "QatImages"], exclude: ["Golden"]),
    .testTarget(
      name: "QatOnnxTests", dependencies: ["QatOnnx", "QatEngine", "QatModelFile", "OnnxProto", "QatSupport"]),
    .testTarget(
      name: "QatModelsTests", dependencies: ["QatModels", "QatEngine", "QatsLanguage", "QatOutput", "QatSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
