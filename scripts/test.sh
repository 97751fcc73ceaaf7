#!/usr/bin/env bash
# The project's test command (README, .ci/run): the Swift test suite, then the end-to-end checks that need Python
# clients, in a venv this script makes: the server with the official `openai` client (scripts/server/e2e.sh), structured
# output validated with `jsonschema` through the same client and server (scripts/server/structured_e2e.sh), `r1 pull`
# against a loopback hub that the real `huggingface_hub` also downloads from (scripts/hub/e2e.sh), and HumanEval's 164
# canonical solutions through r1's code sandbox (scripts/eval/humaneval_check.sh), and a tool-calling loop through the
# official `openai` and `ollama` clients against a scripted model (ClientToolLoopTests, scripts/server/tools_e2e.py).
# First, without Python, an installed r1 running on its built-in default model away from the build folder
# (scripts/tests/install_check.sh), and the ARM (NEON / dotprod / i8mm) kernels cross-compiled for aarch64 and tested
# under qemu-aarch64 (scripts/tests/neon_qemu.sh; it installs gcc-aarch64-linux-gnu and qemu-user when missing).
# One build serves the whole command: release with -enable-testing (what @testable imports need), tests included; the
# scripts below run that build's r1 (R1_BUILD_FLAGS names it to them). Before, a debug build for the tests and a
# release build for structured_e2e took ~16 of CI's ~23 minutes on 2 cores; from a clean clone this one took 611 s
# (packages resolved included) and the whole command 817 s (2-vCPU AMD EPYC, 2026-12-05).
set -euo pipefail
cd "$(dirname "$0")/.."
export R1_BUILD_FLAGS="-c release -Xswiftc -enable-testing"
swift build $R1_BUILD_FLAGS --build-tests
swift test $R1_BUILD_FLAGS --skip-build --parallel
# The scripts below take this r1 as it is (R1_BIN, scripts/lib/r1_binary.sh) instead of building `--product r1`.
R1="$(swift build $R1_BUILD_FLAGS --show-bin-path)/r1"
export R1_BIN=$R1
bash scripts/tests/install_check.sh
bash scripts/tests/neon_qemu.sh
VENV=${VENV:-/opt/r1venv}
if ! "$VENV/bin/python" -c "import openai, huggingface_hub, ollama, jsonschema, rfc3339_validator, numpy" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet openai huggingface_hub "ollama>=0.6,<0.7" "jsonschema==4.26.0" "rfc3339-validator==0.1.4" numpy
fi
export VENV
R1_E2E_PYTHON="$VENV/bin/python" swift test $R1_BUILD_FLAGS --skip-build --filter ClientToolLoopTests
bash scripts/server/e2e.sh
bash scripts/server/structured_e2e.sh
PATH="$VENV/bin:$PATH" bash scripts/hub/e2e.sh "$R1"
PATH="$VENV/bin:$PATH" bash scripts/eval/humaneval_check.sh "$R1"
