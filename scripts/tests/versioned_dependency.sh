#!/usr/bin/env bash
# A package that depends on swift-r1 by version (as another project would: `from:` a tag, where SwiftPM refuses
# unsafeFlags) builds an executable that imports and links every library product, and runs it.
# Usage: scripts/tests/versioned_dependency.sh [REPO (default: this checkout)] [WORK (default: a temporary folder)]
# It clones REPO's HEAD (commit first), tags the clone 0.0.1-test and builds from scratch: allow 10-30 minutes.
set -euo pipefail
repo=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
work=${2:-$(mktemp -d /tmp/r1-versioned.XXXXXX)}
mkdir -p "$work"
rm -rf "$work/swift-r1" "$work/consumer"
git clone --quiet "$repo" "$work/swift-r1"
git -C "$work/swift-r1" tag 0.0.1-test
products=$(cd "$work/swift-r1" && swift package dump-package |
    python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["products"] if "library" in p["type"]))')
mkdir -p "$work/consumer/Sources/consumer"
{
    echo '// swift-tools-version:6.1'
    echo 'import PackageDescription'
    echo 'let package = Package(name: "consumer", platforms: [.macOS(.v14)],'
    echo "    dependencies: [.package(url: \"file://$work/swift-r1\", from: \"0.0.1-test\")],"
    echo '    targets: [.executableTarget(name: "consumer", dependencies: ['
    for p in $products; do echo "        .product(name: \"$p\", package: \"swift-r1\"),"; done
    echo '    ])])'
} > "$work/consumer/Package.swift"
{
    for p in $products; do echo "import $p"; done
    echo 'let kernels = KernelPolicy.best'
    echo 'print("consumer: imported '"$products"'; kernels \(kernels)")'
} > "$work/consumer/Sources/consumer/main.swift"
cd "$work/consumer"
swift build 2>&1 | tail -5
swift run --skip-build consumer
echo "versioned dependency: ok ($work)"
