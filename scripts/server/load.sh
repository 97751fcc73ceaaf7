#!/usr/bin/env bash
# Load test: start `r1 serve MODEL` on loopback and run load.py against it (32 clients, 60 s by default),
# then check the server is still alive and report its resident memory before and after.
# Usage: [CONFIG=debug] [QUEUE=8] [PARALLEL=8] [CONTEXT=N] [MAX_TOKENS=64] scripts/server/load.sh [MODEL] [CLIENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-Tests/Fixtures/models/qwen2-k-gguf/qwen2-k-q4_k_m.gguf}
CLIENTS=${2:-32}
SECONDS_=${3:-60}
QUEUE=${QUEUE:-8}
PORT=${PORT:-$((20000 + RANDOM % 20000))}
# CONFIG=release (default) builds in .build (SCRATCH=.build-NAME for a folder of its own)
CONFIG=${CONFIG:-release}
SCRATCH=${SCRATCH:-.build}
swift build -c "$CONFIG" --scratch-path "$SCRATCH" --product r1 >/dev/null
BIN=$(swift build -c "$CONFIG" --scratch-path "$SCRATCH" --show-bin-path)/r1
LOG=$(mktemp)
"$BIN" serve "$MODEL" --port "$PORT" --model-name load-model --queue "$QUEUE" --parallel "${PARALLEL:-8}" ${CONTEXT:+--context $CONTEXT} >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { cat "$LOG"; exit 1; }
  sleep 0.2
done
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
echo "rss_kb_before=$(rss)"
status=0
python3 scripts/server/load.py "http://127.0.0.1:$PORT" load-model --clients "$CLIENTS" --seconds "$SECONDS_" ${MAX_TOKENS:+--max-tokens $MAX_TOKENS} || status=$?
kill -0 $PID || { echo "server died"; cat "$LOG"; exit 1; }
# clients that gave up at the deadline disconnected: their generations must end and leave the server idle
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health" | grep -q '"running":0,"waiting":0' && break
  sleep 0.1
done
echo "rss_kb_after=$(rss)"
curl -fs "http://127.0.0.1:$PORT/health"; echo
curl -fs "http://127.0.0.1:$PORT/metrics" | grep -E '^r1_(requests_total|completion_tokens_total|rejected|cancelled|decode_tokens_per_second_(sum|count))' 
exit $status
