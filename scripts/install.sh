#!/usr/bin/env bash
# Builds r1 and installs it: PREFIX/bin/r1, and the built-in default model in PREFIX/share/swift-r1/default-model,
# where an installed r1 finds it (`r1`, `r1 run default`). Usage: scripts/install.sh [PREFIX]   (default /usr/local)
# CONFIGURATION=debug installs the debug build (what scripts/tests/install_check.sh uses, to reuse `swift test`'s build).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${1:-${PREFIX:-/usr/local}}
CONFIGURATION=${CONFIGURATION:-release}
swift build -c "$CONFIGURATION" --product r1
BIN=$(swift build -c "$CONFIGURATION" --show-bin-path)
MODEL="$PREFIX/share/swift-r1/default-model"
mkdir -p "$PREFIX/bin" "$(dirname "$MODEL")"
install -m 755 "$BIN/r1" "$PREFIX/bin/r1"
rm -rf "$MODEL"
cp -R Sources/R1DefaultModel/DefaultModel "$MODEL"
echo "installed $PREFIX/bin/r1 and $MODEL"
