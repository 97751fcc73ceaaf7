#!/usr/bin/env bash
# End-to-end: build r1, start `r1 serve` on a tiny fixture model, drive it with the official openai and ollama clients.
# Usage: scripts/server/e2e.sh [MODEL]   (default: Tests/Fixtures/models/qwen2-tiny). VENV=... picks the venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-Tests/Fixtures/models/qwen2-tiny}
VENV=${VENV:-/opt/r1venv}
PORT=${PORT:-$((20000 + RANDOM % 20000))}
if ! "$VENV/bin/python" -c "import openai, ollama" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet openai "ollama>=0.6,<0.7"
fi
# R1_BIN (a built r1, as scripts/test.sh passes it) is used as it is; else R1_BUILD_FLAGS (swift build's flags) picks
# the build, the debug one by default.
source scripts/lib/r1_binary.sh
BIN=$(r1_binary ${R1_BUILD_FLAGS:-})
LOG=$(mktemp)
"$BIN" serve "$MODEL" --port "$PORT" --model-name e2e-model --queue 4 >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { cat "$LOG"; exit 1; }
  sleep 0.2
done
"$VENV/bin/python" scripts/server/e2e.py "http://127.0.0.1:$PORT" e2e-model
"$VENV/bin/python" scripts/server/ollama_e2e.py "http://127.0.0.1:$PORT" e2e-model
kill -0 $PID || { echo "server died"; cat "$LOG"; exit 1; }
