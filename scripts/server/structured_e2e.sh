#!/usr/bin/env bash
# Structured output end to end on a random-weight model with the real R1-Distill vocabulary (151,936 ids, made here by
# scripts/fixtures/make_r1_vocab_model.py): `r1 serve` driven by the openai client over every fixture schema
# (structured_e2e.py, >= 1,000 answers validated with jsonschema), then llama.cpp's example grammars through
# `r1 generate --grammar`, each output checked (json.gbnf / json_arr.gbnf parse as an object / array, list, chess and
# japanese against regular expressions equivalent to their grammars).
# Usage: scripts/server/structured_e2e.sh   (VENV=... picks the venv; it needs openai and jsonschema; CONFIGURATION=debug
# uses a debug build; R1_BUILD_FLAGS="..." swift build's flags; R1_BIN=PATH a built r1, as scripts/test.sh passes it)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/opt/r1venv}
PORT=${PORT:-$((20000 + RANDOM % 20000))}
if ! "$VENV/bin/python" -c "import openai, jsonschema, rfc3339_validator, numpy" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet openai "jsonschema==4.26.0" "rfc3339-validator==0.1.4" numpy
fi
WORK=$(mktemp -d)
"$VENV/bin/python" scripts/fixtures/make_r1_vocab_model.py "$WORK/model" >/dev/null
# A release build: decoding over 151,936 logits per token is ~100x slower in a debug build (generic SIMD unspecialised).
CONFIGURATION=${CONFIGURATION:-release}
FLAGS=${R1_BUILD_FLAGS:--c $CONFIGURATION}
source scripts/lib/r1_binary.sh
BIN=$(r1_binary $FLAGS)
LOG="$WORK/serve.log"
"$BIN" serve "$WORK/model" --port "$PORT" --model-name r1-json --parallel 16 --queue 64 >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { cat "$LOG"; exit 1; }
  sleep 0.2
done
"$VENV/bin/python" scripts/server/structured_e2e.py "http://127.0.0.1:$PORT" r1-json
kill -0 $PID || { echo "server died"; cat "$LOG"; exit 1; }

seed=0
for grammar in json json_arr list chess japanese; do
  seed=$((seed + 1))
  "$BIN" generate "$WORK/model" --prompt "Go" --temperature 1 --seed $seed --think-budget 0 --max-tokens 64 \
    --grammar "Tests/Fixtures/constrain/grammars/$grammar.gbnf" --json >"$WORK/out.json"
  "$VENV/bin/python" - "$grammar" "$WORK/out.json" <<'PY'
import json, re, sys
name, out = sys.argv[1], json.load(open(sys.argv[2]))
text = out["text"]  # thinking closed in the prompt: all of it is the constrained answer
move = r"(?:(?:[a-h]x)?[a-h][1-8](?:=[NBKQR])?|[NBKQR][a-h]?[1-8]?x?[a-h][1-8]|O-O(?:-O)?)[+#]?"
patterns = {
    "list": r"(?:- [^\r\n\x0b\x0c\x85\u2028\u2029]+\n)+\Z",
    "chess": rf"1\. {move} {move}\n(?:[1-9][0-9]?\. {move} {move}\n)+\Z",
    "japanese": r"[ぁ-ゟァ-ヿ、-〾一-鿿]+(?:[ \t\n][ぁ-ゟァ-ヿ、-〾一-鿿]+)*\Z",
}
if name in ("json", "json_arr"):
    ok = isinstance(json.loads(text), dict if name == "json" else list)
else:
    ok = re.match(patterns[name], text) is not None
ok = ok and out["finish_reason"] == "stop"
print(f"{'ok  ' if ok else 'FAIL'} r1 generate --grammar {name}.gbnf: {text[:60]!r}")
sys.exit(0 if ok else 1)
PY
done
