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
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0")
  ],
  targets: [
    // MARK: - The language: syntax, runtime, built-in registry (no ML, no terminal)
    .target(name: "QatsLanguage"),

    // MARK: - System libraries through small C shims
    .target(
      name: "CLineEdit",
      linkerSettings: [.linkedLibrary("edit")]
    ),

    .target(
      name: "CPNG",
      linkerSettings: [.linkedLibrary("png")]
    ),

    // MARK: - Numeric kernels in C: reference, portable and AVX-512 versions chosen at run time
    .target(name: "CKernels"),

    // MARK: - The fp32 engine: tensors, layers, networks, optimizers, the train loop
    .target(name: "QatEngine", dependencies: ["CKernels", "QatsLanguage"]),

    // MARK: - Image folders: PNG decoding, resizing, datasets and their built-ins
    .target(name: "QatImages", dependencies: ["QatsLanguage", "CPNG"]),

    // MARK: - Models in the language: model { … }, layers, train, evaluate, predict
    .target(name: "QatModels", dependencies: ["QatEngine", "QatImages", "QatsLanguage"]),

    // MARK: - The shell: sessions, notebooks, reports, line editing
    .target(name: "QatShell", dependencies: ["QatsLanguage", "QatImages", "QatModels", "CLineEdit"]),

    // MARK: - The executable: argument parsing only
    .executableTarget(
      name: "qat-repl",
      dependencies: [
        "QatShell",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // MARK: - The benchmark executable (release builds; scripts/bench)
    .executableTarget(name: "qat-bench", dependencies: ["QatImages", "QatsLanguage", "CPNG", "CKernels", "QatEngine"]),

    // MARK: - Tests
    .testTarget(name: "QatsLanguageTests", dependencies: ["QatsLanguage"]),
    .testTarget(name: "QatImagesTests", dependencies: ["QatImages", "CPNG", "QatsLanguage"], exclude: ["Fixtures"]),
    .testTarget(name: "CKernelsTests", dependencies: ["CKernels", "QatsLanguage"]),
    .testTarget(
      name: "QatEngineTests", dependencies: ["QatEngine", "CKernels", "QatsLanguage", "QatImages"],
      exclude: ["Fixtures"]),
    .testTarget(name: "QatShellTests", dependencies: ["QatShell", "QatsLanguage"], exclude: ["Golden"]),
  ],
  swiftLanguageModes: [.v6]
)
