// swift-tools-version:6.1
// swift-r1: DeepSeek-R1-style reasoning models in Swift. Layer diagram: docs/ARCHITECTURE.md.
import PackageDescription

// No unsafeFlags: Swift code is compiled for the target's baseline (SSE2 on x86-64), so another package can depend on
// this one by version and the binary runs on any x86-64. Code that needs AVX2/FMA/F16C or AVX-512 lives in
// R1KernelsC, each function with its own target attribute, chosen at run time by a KernelPolicy (R1Kernels).

let package = Package(
    name: "swift-r1",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "R1Kernels", targets: ["R1Kernels"]),
        .library(name: "R1Formats", targets: ["R1Formats"]),
        .library(name: "R1Sampling", targets: ["R1Sampling"]),
        .library(name: "R1Constrain", targets: ["R1Constrain"]),
        .library(name: "R1Tokenizer", targets: ["R1Tokenizer"]),
        .library(name: "R1Models", targets: ["R1Models"]),
        .library(name: "R1Runtime", targets: ["R1Runtime"]),
        .library(name: "R1Server", targets: ["R1Server"]),
        .library(name: "R1Eval", targets: ["R1Eval"]),
        .library(name: "R1Train", targets: ["R1Train"]),
        .library(name: "R1Hub", targets: ["R1Hub"]),
        .library(name: "R1DefaultModel", targets: ["R1DefaultModel"]),
        .executable(name: "r1", targets: ["r1"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // layer 0
        .target(name: "R1KernelsC"),  // AVX2 int8 dot products, per-function target attributes, runtime dispatch
        .target(name: "R1Kernels", dependencies: ["R1KernelsC"]),
        // layer 1
        .target(name: "R1Formats", dependencies: [
            "R1Kernels", .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        .target(name: "R1Sampling", dependencies: ["R1Kernels"]),
        // R1Constrain: GBNF, regex and JSON Schema compiled to a byte-level grammar; token masks over a vocabulary
        .target(name: "R1Constrain"),
        // layer 2
        .target(name: "R1Tokenizer", dependencies: ["R1Formats"]),
        .target(name: "R1Models", dependencies: ["R1Kernels", "R1Formats"]),
        // layer 3
        .target(name: "R1Runtime", dependencies: ["R1Models", "R1Tokenizer", "R1Sampling", "R1Formats", "R1Constrain"]),
        // layer 4
        .target(name: "R1Server", dependencies: [
            "R1Runtime", "R1Models", "R1Kernels", "R1Tokenizer", "R1Sampling", "R1Formats", "R1Constrain",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        // R1Eval: answer checking, datasets, pass@k, the eval harness (local engine or an HTTP endpoint), code sandbox
        .target(name: "R1Eval", dependencies: [
            "R1Runtime", "R1Models", "R1Tokenizer", "R1Sampling", "R1Formats",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // R1Train: forward with saved activations, backward, AdamW, SFT/GRPO loops, tokenizer trainer, checkpoints
        .target(name: "R1Train", dependencies: [
            "R1Models", "R1Formats", "R1Kernels", "R1KernelsC", "R1Tokenizer", "R1Sampling", "R1Runtime", "R1Eval",
            .product(name: "HeapModule", package: "swift-collections"),
        ]),
        // R1DefaultModel: the built-in default model (a Hugging Face folder as a resource) and where to find it at run time
        .target(name: "R1DefaultModel", resources: [.copy("DefaultModel")]),
        // R1Hub: model references (`default` included), the Hugging Face cache and Hub protocol, Ollama's local store
        .target(name: "R1Hub", dependencies: [
            "R1Formats", "R1DefaultModel",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // layer 5
        .executableTarget(name: "r1", dependencies: [
            "R1Runtime", "R1Models", "R1Formats", "R1Tokenizer", "R1Sampling", "R1Constrain", "R1Server", "R1Eval", "R1Train", "R1Hub",
            "R1DefaultModel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "R1KernelsTests", dependencies: ["R1Kernels"]),
        .testTarget(name: "R1FormatsTests", dependencies: ["R1Formats"]),
        .testTarget(name: "R1SamplingTests", dependencies: ["R1Sampling"]),
        .testTarget(name: "R1ConstrainTests", dependencies: ["R1Constrain", "R1Tokenizer"]),
        .testTarget(name: "R1TokenizerTests", dependencies: ["R1Tokenizer", "R1Formats"]),
        .testTarget(name: "R1ModelsTests", dependencies: ["R1Models", "R1Formats", "R1Kernels"]),
        .testTarget(name: "R1RuntimeTests", dependencies: ["R1Runtime", "R1Constrain", "r1"]),
        .testTarget(name: "R1EvalTests", dependencies: ["R1Eval", "R1Runtime"]),
        .testTarget(name: "R1TrainTests", dependencies: [
            "R1Train", "R1Eval", "R1Models", "R1Runtime", "R1Formats", "R1Tokenizer", "R1Kernels", "R1KernelsC",
        ]),
        .testTarget(name: "R1HubTests", dependencies: ["R1Hub", "R1DefaultModel"]),
        .testTarget(name: "R1ServerTests", dependencies: [
            "R1Server", "R1Runtime",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ]
)
