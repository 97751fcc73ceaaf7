#!/usr/bin/env bash
# Tokens/s of `r1 eval run` on the local engine with --concurrency 8 vs 1 (issue 13 asks for at least 2.5x).
# The same problems and seeded samples both times; tokens/s is generated tokens over the run's wall time (prompt
# processing and checking included). Usage (from the repository root, after `swift build -c release`):
#   scripts/bench/eval_concurrency.sh [MODEL] [R1_BINARY] [MAX_TOKENS]
# MODEL defaults to a random-weight Qwen2.5-0.5B-shaped folder made by scripts/bench/make_eval_bench_model.py under
# scripts/fixtures/work/ (kept out of git).
set -euo pipefail
model="${1:-scripts/fixtures/work/qwen2.5-0.5b-shaped}"
r1="${2:-.build/release/r1}"
max_tokens="${3:-64}"
if [ ! -e "$model" ]; then python3 scripts/bench/make_eval_bench_model.py "$model"; fi
work="$(mktemp -d "${TMPDIR:-/tmp}/r1-eval-bench-XXXXXX")"
trap 'rm -rf "$work"' EXIT
python3 - "$work/set.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(16):
        f.write(json.dumps({"problem": f"What is {i * 7} plus {i + 3}?", "answer": str(8 * i + 3), "id": f"p{i}"}) + "\n")
PY
for c in 1 8; do
  "$r1" eval run "$work/set.jsonl" --model "$model" --samples 1 --max-tokens "$max_tokens" --seed 0 \
    --concurrency "$c" --json 2>/dev/null > "$work/c$c.json"
done
python3 - "$work" "$model" <<'PY'
import json, sys
work, model = sys.argv[1], sys.argv[2]
one, eight = (json.load(open(f"{work}/c{c}.json")) for c in (1, 8))
for c, r in ((1, one), (8, eight)):
    print(f"concurrency {c}: {r['tokens']} tokens in {r['seconds']:.1f} s = {r['tokens_per_second']:.1f} tokens/s")
print(f"speedup {eight['tokens_per_second'] / one['tokens_per_second']:.2f}x on {model}")
PY
