// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "qat-repl",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "qat-repl", targets: ["qat-repl"]),
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

    // MARK: - The shell: sessions, notebooks, reports, line editing
    .target(name: "QatShell", dependencies: ["QatsLanguage", "CLineEdit"]),

    // MARK: - The executable: argument parsing only
    .executableTarget(
      name: "qat-repl",
      dependencies: [
        "QatShell",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // MARK: - Tests
    .testTarget(name: "QatsLanguageTests", dependencies: ["QatsLanguage"]),
    .testTarget(name: "QatShellTests", dependencies: ["QatShell", "QatsLanguage"]),
  ],
  swiftLanguageModes: [.v6]
)
