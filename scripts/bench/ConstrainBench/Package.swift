// swift-tools-version:6.1
// Release-mode bench of R1Constrain alone (its sources through a symlink), so a mask's cost is measured optimized
// without building the whole project: swift build -c release --package-path scripts/bench/ConstrainBench
import PackageDescription

let package = Package(
    name: "ConstrainBench",
    targets: [
        .target(name: "R1Constrain"),
        .executableTarget(name: "constrain-bench", dependencies: ["R1Constrain"]),
    ]
)
