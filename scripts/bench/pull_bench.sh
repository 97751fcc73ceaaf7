#!/usr/bin/env bash
# Download speed: `r1 pull` against huggingface_hub's hf_hub_download of the same 1 GB file from the loopback fake hub
# (scripts/hub/fake_hub.py), in the same run, each into a fresh cache; prints seconds and MB/s for each, and checks
# both files' sha256. Usage: scripts/bench/pull_bench.sh [R1_BINARY] [SIZE_MB]   (default .build/release/r1, 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-.build/release/r1}
MB=${2:-1000}
[[ -x "$BIN" ]] || { echo "no binary $BIN (swift build -c release --product r1)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/r1-pull-bench-XXXX)
SERVER_PID=
trap '[[ -n "$SERVER_PID" ]] && kill $SERVER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/repos/bench/big"
head -c $((MB * 1000 * 1000)) /dev/urandom > "$WORK/repos/bench/big/weights.bin"
python3 scripts/hub/fake_hub.py "$WORK/repos" --port-file "$WORK/port" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
export HF_ENDPOINT=http://127.0.0.1:$(cat "$WORK/port") HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1
want=$(sha256sum "$WORK/repos/bench/big/weights.bin" | cut -d' ' -f1)
now() { date +%s.%N; }

t0=$(now)
HF_HUB_CACHE=$WORK/hf-py python3 -c "from huggingface_hub import hf_hub_download; hf_hub_download('bench/big', 'weights.bin')"
t1=$(now)
HF_HUB_CACHE=$WORK/hf-r1 "$BIN" pull bench/big --include weights.bin --quiet > /dev/null
t2=$(now)
for c in hf-py hf-r1; do
  got=$(sha256sum "$WORK/$c"/models--bench--big/snapshots/*/weights.bin | cut -d' ' -f1)
  [[ "$got" == "$want" ]] || { echo "FAIL: $c sha256 $got != $want" >&2; exit 1; }
done
python3 - "$t0" "$t1" "$t2" "$MB" <<'PY'
import sys
t0, t1, t2, mb = map(float, sys.argv[1:])
print(f"{'client':<18}{'seconds':>9}{'MB/s':>9}")
print(f"{'huggingface_hub':<18}{t1 - t0:>9.2f}{mb / (t1 - t0):>9.0f}")
print(f"{'r1 pull':<18}{t2 - t1:>9.2f}{mb / (t2 - t1):>9.0f}")
print(f"r1 / huggingface_hub speed: {(t1 - t0) / (t2 - t1):.2f}x")
PY
