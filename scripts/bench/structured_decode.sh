#!/usr/bin/env bash
# Decode speed with a JSON Schema against unconstrained decode on the same model (release build): `r1 generate` with
# thinking off (every token is the answer, constrained from the first), temperature 1, the same seed per round and the
# same token limit, tokens/s from its --json timings; a constrained run that completes early is counted at its own
# length. ROUNDS rounds (seed 7, 8, ...), each the unconstrained run then every schema; medians at the end. Each run is
# a new process, so every grammar state's mask is built inside the run (the cold case). On a shared machine run it
# under /work/quiet.sh. Schema compile times and per-mask costs: scripts/bench/ConstrainBench; against llama.cpp:
# scripts/bench/structured_vs_llamacpp.py.
# Usage: scripts/bench/structured_decode.sh MODEL [TOKENS=64] [ROUNDS=3] [THREADS=2]   (BIN=path/to/r1 to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=$1
TOKENS=${2:-64}
ROUNDS=${3:-3}
THREADS=${4:-2}
SCHEMAS="01-person 06-recursive-tree 09-formats 16-array-of-objects 20-numbers"
if [ -z "${BIN:-}" ]; then
  swift build -c release --product r1 >/dev/null
  BIN=$(swift build -c release --show-bin-path)/r1
fi
run() {  # seed [r1 options...]: prints tokens/s and tokens
  "$BIN" generate "$MODEL" --prompt "Answer in JSON." --think-budget 0 --temperature 1 --seed "$1" --threads "$THREADS" \
    --max-tokens "$TOKENS" --json "${@:2}" | python3 -c 'import json, sys
t = json.load(sys.stdin)["timings"]
print("%.2f %d" % (t["generated_tokens"] / t["generate_ms"] * 1000, t["generated_tokens"]))'
}
LOG=$(mktemp)
echo "model: $MODEL, $TOKENS tokens, $ROUNDS rounds, $THREADS threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
run 1 >/dev/null  # warm the page cache
for r in $(seq 1 "$ROUNDS"); do
  seed=$((6 + r))
  echo "unconstrained $(run $seed)" | tee -a "$LOG"
  for s in $SCHEMAS; do
    echo "$s $(run $seed --json-schema "Tests/Fixtures/constrain/schemas/$s.json")" | tee -a "$LOG"
  done
done
python3 - "$LOG" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, tps, n = line.split()
    runs.setdefault(name, []).append((float(tps), int(n)))
base = statistics.median(t for t, _ in runs["unconstrained"])
print("| run | tokens/s (median) | tokens (median) | vs unconstrained |\n|---|---|---|---|")
for name, xs in runs.items():
    m = statistics.median(t for t, _ in xs)
    print(f"| {name} | {m:.2f} | {statistics.median(n for _, n in xs):.0f} | {m / base:.2f}x |")
EOF
rm -f "$LOG"
