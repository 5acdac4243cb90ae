import Foundation
import QatImages

// qat-bench: the performance figures of SPEC §8, measured in a release build (scripts/bench).
// Usage: qat-bench [images] [dataset] [engine] [quantization] [gemm] [int8] [integer] [scale] [--threads N]
//        [--net c|d]
//        qat-bench profile-fp32|profile-integer|profile-training [--net a|b|c|d]: only that, for about 10 s,
//        for `perf record`

var sections: [String] = []
var threads = min(2, max(1, ProcessInfo.processInfo.activeProcessorCount))
var onlyNet: String?
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
  let argument = arguments.removeFirst()
  if argument == "--threads", let value = arguments.first.flatMap(Int.init), value > 0 {
    threads = value
    arguments.removeFirst()
  } else if argument == "--net", let value = arguments.first?.lowercased(), ["a", "b", "c", "d"].contains(value) {
    onlyNet = value
    arguments.removeFirst()
  } else if [
    "images", "dataset", "engine", "quantization", "gemm", "int8", "integer", "scale", "profile-fp32",
    "profile-training", "profile-integer",
  ].contains(argument) {
    sections.append(argument)
  } else {
    FileHandle.standardError.write(
      Data(
        """
        usage: qat-bench [images] [dataset] [engine] [quantization] [gemm] [int8] [integer] [scale] \
        [--threads N] [--net a|b|c|d]\n
        """.utf8))
    exit(64)
  }
}
if sections.isEmpty { sections = ["images", "engine", "quantization", "integer", "gemm", "int8", "scale"] }

#if DEBUG
  print("warning: this is a debug build; figures are meaningless (use scripts/bench)")
#endif
print(
  """
  qat-bench · \(threads) threads · \(ProcessInfo.processInfo.activeProcessorCount) cores · libpng \
  \(PNGCodec.libpngVersion)
  """
)
do {
  for section in sections {
    print("")
    switch section {
    case "images":
      try ImageLoadingBenchmark.run(threads: threads)
      print("")
      try DatasetLoadingBenchmark.run(threads: threads)
    case "dataset": try DatasetLoadingBenchmark.run(threads: threads)
    case "engine": try EngineBenchmark.run(threads: threads)
    case "quantization": try QuantizationBenchmark.run(threads: threads)
    case "gemm": GemmBenchmark.run()
    case "int8": Int8GemmBenchmark.run()
    case "integer": try IntegerBenchmark.run(threads: threads)
    case "scale": try ScaleBenchmark.run(threads: threads, only: onlyNet)
    case "profile-fp32": try ScaleBenchmark.profileInference(threads: threads, only: onlyNet, integer: false)
    case "profile-integer": try ScaleBenchmark.profileInference(threads: threads, only: onlyNet, integer: true)
    case "profile-training": try ScaleBenchmark.profileTraining(threads: threads, only: onlyNet)
    default: break
    }
  }
} catch {
  FileHandle.standardError.write(Data("qat-bench: \(error)\n".utf8))
  exit(1)
}
