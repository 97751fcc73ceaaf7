#!/usr/bin/env bash
# Builds r1 and installs it: PREFIX/bin/r1, and the built-in default model in PREFIX/share/swift-r1/default-model,
# where an installed r1 finds it (`r1`, `r1 run default`). Usage: scripts/install.sh [PREFIX]   (default /usr/local)
# CONFIGURATION=debug installs the debug build; R1_BUILD_FLAGS="..." (swift build's flags, as scripts/test.sh sets them)
# installs that build instead; R1_BIN=PATH/r1 installs that binary without building (scripts/lib/r1_binary.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${1:-${PREFIX:-/usr/local}}
CONFIGURATION=${CONFIGURATION:-release}
FLAGS=${R1_BUILD_FLAGS:--c $CONFIGURATION}
source scripts/lib/r1_binary.sh
R1=$(r1_binary $FLAGS)
MODEL="$PREFIX/share/swift-r1/default-model"
mkdir -p "$PREFIX/bin" "$(dirname "$MODEL")"
install -m 755 "$R1" "$PREFIX/bin/r1"
rm -rf "$MODEL"
cp -R Sources/R1DefaultModel/DefaultModel "$MODEL"
echo "installed $PREFIX/bin/r1 and $MODEL"
