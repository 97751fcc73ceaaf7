#!/usr/bin/env bash
# Decode speed with a JSON Schema against unconstrained decode on the same model (release build): `r1 generate` with
# thinking off (every token is the answer), temperature 1, the same seed and token count, tokens/s from its --json
# timings; a constrained run that completes early is counted at its own length. Schema compile times and per-mask
# costs come from scripts/bench/ConstrainBench (`swift run -c release --package-path scripts/bench/ConstrainBench
# constrain-bench .`).
# Usage: scripts/bench/structured_decode.sh MODEL [TOKENS=128] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=$1
TOKENS=${2:-128}
THREADS=${3:-2}
swift build -c release --product r1 >/dev/null
BIN=$(swift build -c release --show-bin-path)/r1
run() {  # prints tokens/s and tokens
  "$BIN" generate "$MODEL" --prompt "Answer in JSON." --think-budget 0 --temperature 1 --seed 7 --threads "$THREADS" \
    --max-tokens "$TOKENS" --json "$@" | python3 -c 'import json, sys
t = json.load(sys.stdin)["timings"]
print("%8.2f tok/s  %4d tokens" % (t["generated_tokens"] / t["generate_ms"] * 1000, t["generated_tokens"]))'
}
echo "model: $MODEL, $TOKENS tokens, $THREADS threads"
run >/dev/null  # warm the page cache
printf "%-28s %s\n" "unconstrained" "$(run)"
for schema in 01-person 06-recursive-tree 16-array-of-objects 18-any-json-object 20-numbers; do
  printf "%-28s %s\n" "$schema" "$(run --json-schema "Tests/Fixtures/constrain/schemas/$schema.json")"
done
