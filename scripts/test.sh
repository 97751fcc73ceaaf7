#!/usr/bin/env bash
# The project's test command (README, .ci/run): the Swift test suite, then the server end-to-end check with the
# official `openai` Python client against `r1 serve` on a tiny fixture model (scripts/server/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
swift test --parallel
bash scripts/server/e2e.sh
