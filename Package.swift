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

    // MARK: - Image folders: PNG decoding, resizing, datasets and their built-ins
    .target(name: "QatImages", dependencies: ["QatsLanguage", "CPNG"]),

    // MARK: - The shell: sessions, notebooks, reports, line editing
    .target(name: "QatShell", dependencies: ["QatsLanguage", "QatImages", "CLineEdit"]),

    // MARK: - The executable: argument parsing only
    .executableTarget(
      name: "qat-repl",
      dependencies: [
        "QatShell",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // MARK: - The benchmark executable (release builds; scripts/bench)
    .executableTarget(name: "qat-bench", dependencies: ["QatImages", "QatsLanguage", "CPNG"]),

    // MARK: - Tests
    .testTarget(name: "QatsLanguageTests", dependencies: ["QatsLanguage"]),
    .testTarget(name: "QatImagesTests", dependencies: ["QatImages", "CPNG", "QatsLanguage"], exclude: ["Fixtures"]),
    .testTarget(name: "QatShellTests", dependencies: ["QatShell", "QatsLanguage"], exclude: ["Golden"]),
  ],
  swiftLanguageModes: [.v6]
)
