#!/usr/bin/env bash
# `r1 eval run` against `r1 serve` (as an OpenAI endpoint) and against the local engine, on the same seeded samples:
# every sample's text and the pass@1 must be equal. Usage (from the repository root):
#   scripts/eval/endpoint_vs_local.sh [MODEL] [R1_BINARY]   (default: the tiny Qwen2 test model, .build/debug/r1)
set -euo pipefail
model="${1:-Tests/Fixtures/models/qwen2-tiny}"
r1="${2:-.build/debug/r1}"
work="$(mktemp -d "${TMPDIR:-/tmp}/r1-eval-parity-XXXXXX")"
port=$((20000 + RANDOM % 20000))
python3 - "$work/set.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(8):
        f.write(json.dumps({"problem": f"What is {i} + {i + 1}?", "answer": str(2 * i + 1), "id": f"sum-{i}"}) + "\n")
PY
"$r1" serve "$model" --port "$port" --parallel 4 --queue 16 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
common=(--samples 3 --temperature 0.6 --top-p 0.95 --max-tokens 24 --seed 11 --concurrency 4 --json)
"$r1" eval run "$work/set.jsonl" --endpoint "http://127.0.0.1:$port" --out "$work/endpoint.jsonl" "${common[@]}" 2>/dev/null >"$work/endpoint.json"
"$r1" eval run "$work/set.jsonl" --model "$model" --out "$work/local.jsonl" "${common[@]}" 2>/dev/null >"$work/local.json"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def samples(name):
    out = {}
    for line in open(f"{work}/{name}.jsonl"):
        r = json.loads(line)
        if "run" in r:  # the first line names the run
            continue
        for s in r["samples"]:
            out[(r["id"], s["index"])] = (s["reasoning"], s["content"], s["correct"])
    return out
e, l = samples("endpoint"), samples("local")
pe, pl = json.load(open(f"{work}/endpoint.json"))["pass@1"]["value"], json.load(open(f"{work}/local.json"))["pass@1"]["value"]
same = sum(e[k] == l.get(k) for k in e)
print(f"{len(e)} endpoint samples, {len(l)} local; {same} identical; pass@1 endpoint {pe} local {pl}")
ok = len(e) == len(l) == 24 and same == len(e) and pe == pl
print("OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
