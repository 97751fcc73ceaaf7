#!/usr/bin/env bash
# End-to-end test of `r1 pull` and model references against scripts/hub/fake_hub.py on loopback:
# the real huggingface_hub client downloads from the fake hub (its faithfulness), r1 pull fetches a safetensors model
# and GGUF quants, huggingface_hub (local_files_only) finds what r1 wrote and r1 generate runs what huggingface_hub
# wrote, a killed download resumes with a Range request, a corrupted transfer is refused, 401/404/unreachable errors.
# Needs python3 with huggingface_hub (tested with 2.4.0). Usage: scripts/hub/e2e.sh [R1_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${1:-}
if [[ -z "$BIN" ]]; then swift build --product r1 >/dev/null; BIN=.build/debug/r1; fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORK=$(mktemp -d /tmp/r1-hub-e2e-XXXX)
SERVER_PID=
cleanup() { kill ${SERVER_PID:-} ${SERVE_PID:-} 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $1" >&2; exit 1; }
ok() { echo "ok: $1"; }
M=$ROOT/Tests/Fixtures/models

# The hub's repositories: a safetensors model, a GGUF repository with three quants, a gated copy.
mkdir -p "$WORK/repos/test/qwen2-tiny" "$WORK/repos/test/tiny-GGUF" "$WORK/repos/test/gated-GGUF"
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json; do
  ln -s "$M/qwen2-tiny/$f" "$WORK/repos/test/qwen2-tiny/$f"
done
ln -s "$M/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf" "$WORK/repos/test/tiny-GGUF/tiny-Q8_0.gguf"
ln -s "$M/qwen2-tiny-gguf/qwen2-tiny-f16.gguf" "$WORK/repos/test/tiny-GGUF/tiny-F16.gguf"
ln -s "$M/qwen2-k-gguf/qwen2-k-q4_k_m.gguf" "$WORK/repos/test/tiny-GGUF/tiny-Q4_K_M.gguf"
echo "# tiny" > "$WORK/repos/test/tiny-GGUF/README.md"
ln -s "$M/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf" "$WORK/repos/test/gated-GGUF/gated-Q8_0.gguf"
# A quant split into three shards (gguf-py's split_max_tensors; Tests/Fixtures/models/qwen2-tiny-split).
mkdir -p "$WORK/repos/test/split-GGUF"
for k in 1 2 3; do
  ln -s "$M/qwen2-tiny-split/qwen2-tiny-q8_0-0000$k-of-00003.gguf" "$WORK/repos/test/split-GGUF/split-Q8_0-0000$k-of-00003.gguf"
done
mkdir -p "$WORK/repos/test/big" && head -c 50000000 /dev/urandom > "$WORK/repos/test/big/weights.bin"

python3 scripts/hub/fake_hub.py "$WORK/repos" --port-file "$WORK/port" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
[[ -s "$WORK/port" ]] || fail "the fake hub did not start: $(cat "$WORK/server.log")"
URL=http://127.0.0.1:$(cat "$WORK/port")
export HF_ENDPOINT=$URL HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1 OLLAMA_MODELS=$WORK/ollama
unset HF_TOKEN HF_HUB_OFFLINE HF_HOME HF_TOKEN_PATH || true
control() { curl -sf -X POST -d "$1" "$URL/_control" > /dev/null; }
clear_log() { curl -sf -X POST "$URL/_log/clear" > /dev/null; }
r1() { "$BIN" "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# 1. huggingface_hub downloads from the fake hub: the server speaks the protocol.
HF_HUB_CACHE=$WORK/hf-py python3 - <<PY || fail "huggingface_hub could not download from the fake hub"
import filecmp, os
from huggingface_hub import snapshot_download, hf_hub_download
p = snapshot_download("test/qwen2-tiny")
for f in ["config.json", "model.safetensors", "tokenizer.json"]:
    assert filecmp.cmp(os.path.join(p, f), os.path.join("$M/qwen2-tiny", f), shallow=False), f
g = hf_hub_download("test/tiny-GGUF", "tiny-Q8_0.gguf")
assert filecmp.cmp(g, "$M/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf", shallow=False)
PY
ok "huggingface_hub snapshot_download and hf_hub_download from the fake hub"

# 2. r1 pull: a safetensors model and a GGUF quant.
export HF_HUB_CACHE=$WORK/hf-r1
r1 pull test/qwen2-tiny > "$WORK/pull1.out" 2> "$WORK/pull1.err" || fail "r1 pull test/qwen2-tiny: $(cat "$WORK/pull1.err")"
r1 pull hf.co/test/tiny-GGUF:q8_0 > /dev/null 2> "$WORK/pull2.err" || fail "r1 pull hf.co/test/tiny-GGUF:q8_0: $(cat "$WORK/pull2.err")"
grep -q "tiny-Q8_0.gguf" "$WORK/pull2.err" || fail "no progress line for tiny-Q8_0.gguf: $(cat "$WORK/pull2.err")"
[[ ! -e "$HF_HUB_CACHE/models--test--tiny-GGUF/snapshots/$(cat "$HF_HUB_CACHE/models--test--tiny-GGUF/refs/main")/tiny-F16.gguf" ]] \
  || fail "r1 pull :q8_0 also fetched tiny-F16.gguf"
ok "r1 pull test/qwen2-tiny and hf.co/test/tiny-GGUF:q8_0"

# 3. The two caches are laid out alike: same blobs (named by etag), same refs, same snapshot links.
layout() { (cd "$1" && find . \( -type f -o -type l \) ! -path "*/.locks/*" ! -path "*/.cache/*" ! -name "*.json.tree" \
  -printf "%p %l\n" | grep -v "/trees/" | sort); }
diff <(layout "$WORK/hf-py") <(layout "$WORK/hf-r1") > "$WORK/layout.diff" || fail "cache layouts differ: $(cat "$WORK/layout.diff")"
ok "r1's cache layout matches huggingface_hub's (blobs, refs/main, snapshot symlinks)"

# 4. huggingface_hub, offline, finds what r1 pulled.
python3 - <<PY || fail "huggingface_hub (local_files_only) did not find r1's files"
import filecmp, os
from huggingface_hub import snapshot_download, hf_hub_download
p = snapshot_download("test/qwen2-tiny", local_files_only=True)
assert filecmp.cmp(os.path.join(p, "model.safetensors"), "$M/qwen2-tiny/model.safetensors", shallow=False)
g = hf_hub_download("test/tiny-GGUF", "tiny-Q8_0.gguf", local_files_only=True)
assert filecmp.cmp(g, "$M/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf", shallow=False)
PY
ok "huggingface_hub local_files_only=True finds what r1 pull wrote"

# 5. r1 generate runs what huggingface_hub downloaded, offline, with the same tokens as the fixture path.
gen() { r1 generate "$1" --prompt "Hello" --max-tokens 6 --temperature 0 --json | python3 -c "import json,sys; print(json.load(sys.stdin)['ids'])"; }
want=$(gen "$M/qwen2-tiny")
got=$(HF_HUB_CACHE=$WORK/hf-py HF_HUB_OFFLINE=1 gen test/qwen2-tiny) || fail "r1 generate test/qwen2-tiny from huggingface_hub's cache"
[[ "$got" == "$want" ]] || fail "ids from the cache $got differ from the path's $want"
want=$(gen "$M/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf")
got=$(HF_HUB_CACHE=$WORK/hf-py HF_HUB_OFFLINE=1 gen hf.co/test/tiny-GGUF:Q8_0) || fail "r1 generate hf.co/test/tiny-GGUF:Q8_0"
[[ "$got" == "$want" ]] || fail "GGUF ids from the cache $got differ from the path's $want"
ok "r1 generate runs huggingface_hub's downloads offline (ids $got)"

# 6. A download killed halfway resumes with a Range request and ends with the right sha256.
control '{"stall_after": 100000}'
r1 pull test/tiny-GGUF:F16 > /dev/null 2>&1 &
PULL=$!
INC=
for _ in $(seq 300); do
  INC=$(ls "$HF_HUB_CACHE"/models--test--tiny-GGUF/blobs/*.incomplete 2>/dev/null | head -1 || true)
  [[ -n "$INC" && $(stat -c %s "$INC") -ge 100000 ]] && break
  sleep 0.1
done
kill -9 $PULL 2>/dev/null; wait $PULL 2>/dev/null || true
[[ -n "$INC" && $(stat -c %s "$INC") -eq 100000 ]] || fail "no 100000-byte .incomplete file after the stalled transfer"
clear_log
r1 pull test/tiny-GGUF:F16 > /dev/null 2> "$WORK/resume.err" || fail "the resumed pull failed: $(cat "$WORK/resume.err")"
curl -sf "$URL/_log" | grep -q '"range": "bytes=100000-"' || fail "the resumed pull sent no Range: bytes=100000- ($(curl -sf "$URL/_log"))"
blob=$HF_HUB_CACHE/models--test--tiny-GGUF/blobs/$(sha "$M/qwen2-tiny-gguf/qwen2-tiny-f16.gguf")
[[ -f "$blob" && $(sha "$blob") == $(sha "$M/qwen2-tiny-gguf/qwen2-tiny-f16.gguf") && ! -e "$INC" ]] || fail "resumed blob wrong or .incomplete left"
ok "a killed download resumes with Range: bytes=100000- and ends with the right sha256"

# 7. A connection cut halfway: a one-line error saying to run again; running again resumes.
export HF_HUB_CACHE=$WORK/hf-cut
control '{"cut_after": 300000}'
if r1 pull test/tiny-GGUF:Q4_K_M > /dev/null 2> "$WORK/cut.err"; then fail "a cut transfer succeeded"; fi
grep -q "run the command again to resume" "$WORK/cut.err" || fail "cut transfer error: $(cat "$WORK/cut.err")"
INC=$(ls "$HF_HUB_CACHE"/models--test--tiny-GGUF/blobs/*.incomplete 2>/dev/null | head -1 || true)
[[ -n "$INC" ]] || fail "no .incomplete file after the cut"
have=$(stat -c %s "$INC")
(( have > 0 && have <= 300000 )) || fail ".incomplete holds $have bytes after a cut at 300000"
clear_log
r1 pull test/tiny-GGUF:Q4_K_M > /dev/null 2>&1 || fail "pull after a cut transfer"
curl -sf "$URL/_log" | grep -q "\"range\": \"bytes=$have-\"" || fail "no Range: bytes=$have- after the cut"
blob=$HF_HUB_CACHE/models--test--tiny-GGUF/blobs/$(sha "$M/qwen2-k-gguf/qwen2-k-q4_k_m.gguf")
[[ -f "$blob" && $(sha "$blob") == $(sha "$M/qwen2-k-gguf/qwen2-k-q4_k_m.gguf") ]] || fail "the resumed blob after the cut is wrong"
ok "a cut transfer says to run again, and the next pull resumes at byte $have with the right sha256"

# 8. A corrupted transfer is refused: error names sha256, nothing left in blobs/ or snapshots/.
export HF_HUB_CACHE=$WORK/hf-bad
control '{"corrupt": true}'
if r1 pull test/tiny-GGUF:Q4_K_M > /dev/null 2> "$WORK/bad.err"; then fail "a corrupted transfer was accepted"; fi
control '{"corrupt": false}'
grep -q "sha256" "$WORK/bad.err" || fail "corrupt transfer error: $(cat "$WORK/bad.err")"
[[ -z "$(find "$HF_HUB_CACHE" -path '*blobs/*' -type f)" && -z "$(find "$HF_HUB_CACHE" -path '*snapshots/*' \( -type f -o -type l \))" ]] \
  || fail "a corrupted download left files: $(find "$HF_HUB_CACHE")"
ok "a corrupted transfer is refused ($(tail -1 "$WORK/bad.err" | cut -c1-90)...)"

# 9. 401 for a gated repository without the token, success with HF_TOKEN; 404s; an unreachable host.
control '{"gated": ["test/gated-GGUF"], "token": "hf_secret"}'
if r1 pull test/gated-GGUF > /dev/null 2> "$WORK/401.err"; then fail "a gated pull without a token succeeded"; fi
grep -q "401" "$WORK/401.err" && grep -q "HF_TOKEN" "$WORK/401.err" || fail "401 error: $(cat "$WORK/401.err")"
HF_TOKEN=hf_secret r1 pull test/gated-GGUF > /dev/null 2>&1 || fail "gated pull with HF_TOKEN"
mkdir -p "$WORK/home" && echo hf_secret > "$WORK/home/token"
HF_HUB_CACHE=$WORK/hf-tok HF_HOME=$WORK/home r1 pull test/gated-GGUF > /dev/null 2>&1 || fail "gated pull with the token file"
ok "401 says to set HF_TOKEN; HF_TOKEN and huggingface_hub's token file both work"
if r1 pull test/no-such-repo > /dev/null 2> "$WORK/404.err"; then fail "a missing repo pulled"; fi
grep -q "not found" "$WORK/404.err" || fail "404 error: $(cat "$WORK/404.err")"
if r1 pull test/tiny-GGUF:Q5_K_M > /dev/null 2> "$WORK/404q.err"; then fail "a missing quant pulled"; fi
grep -q "tiny-Q8_0.gguf" "$WORK/404q.err" || fail "a missing quant's error does not list the files: $(cat "$WORK/404q.err")"
if HF_ENDPOINT=http://127.0.0.1:9 r1 pull test/x > /dev/null 2> "$WORK/down.err"; then fail "an unreachable host pulled"; fi
grep -q "cannot reach" "$WORK/down.err" || fail "unreachable error: $(cat "$WORK/down.err")"
ok "404 repo, 404 quant (files listed), unreachable host: $(tail -1 "$WORK/404q.err" | cut -c1-80)..."

# 10. A reference that is missing is pulled by the command that needs it; HF_HUB_OFFLINE=1 refuses to.
export HF_HUB_CACHE=$WORK/hf-auto
if HF_HUB_OFFLINE=1 r1 info test/tiny-GGUF:Q8_0 > /dev/null 2> "$WORK/off.err"; then fail "offline info of a missing model"; fi
grep -q "HF_HUB_OFFLINE" "$WORK/off.err" || fail "offline error: $(cat "$WORK/off.err")"
r1 info test/tiny-GGUF:Q8_0 2>/dev/null | grep -q "architecture:   qwen2" || fail "r1 info did not pull test/tiny-GGUF:Q8_0"
ok "r1 info pulls a missing reference; HF_HUB_OFFLINE=1 refuses"

# 11. A large file comes in parallel ranges, written in order and checked.
export HF_HUB_CACHE=$WORK/hf-big
clear_log
r1 pull test/big --include "*.bin" --connections 4 > /dev/null 2> "$WORK/big.err" || fail "pull of a 50 MB file: $(cat "$WORK/big.err")"
ranges=$(curl -sf "$URL/_log" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin) if (e['range'] or '').startswith('bytes=') and '_blobs' in e['path']))")
(( ranges >= 3 )) || fail "the 50 MB file came in $ranges ranges"
[[ $(sha "$HF_HUB_CACHE"/models--test--big/snapshots/*/weights.bin) == $(sha "$WORK/repos/test/big/weights.bin") ]] || fail "50 MB file differs"
ok "a 50 MB file in $ranges parallel ranges, sha256 right"

# 12. r1 list shows what was pulled.
HF_HUB_CACHE=$WORK/hf-r1 r1 list > "$WORK/list.out"
grep -q "^test/qwen2-tiny .*safetensors.*qwen2" "$WORK/list.out" && grep -q "^test/tiny-GGUF:Q8_0 .*gguf.*qwen2.*Q8_0" "$WORK/list.out" \
  || fail "r1 list: $(cat "$WORK/list.out")"
HF_HUB_CACHE=$WORK/hf-r1 r1 list --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert any(e['reference']=='test/tiny-GGUF:F16' and e['quant']=='F16' for e in d), d"
ok "r1 list (table and --json)"
# 13. A split GGUF: `r1 pull ORG/REPO:QUANT` fetches every shard, and the model runs as the unsplit file does.
export HF_HUB_CACHE=$WORK/hf-split
r1 pull test/split-GGUF:Q8_0 > /dev/null 2> "$WORK/split.err" || fail "r1 pull test/split-GGUF:Q8_0: $(cat "$WORK/split.err")"
n=$(ls "$HF_HUB_CACHE"/models--test--split-GGUF/snapshots/*/ | grep -c -- "-of-00003.gguf")
[[ "$n" == 3 ]] || fail "r1 pull of a split quant fetched $n of 3 shards"
want=$(gen "$M/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf")
got=$(HF_HUB_OFFLINE=1 gen test/split-GGUF:Q8_0) || fail "r1 generate test/split-GGUF:Q8_0"
[[ "$got" == "$want" ]] || fail "split GGUF ids $got differ from the unsplit file's $want"
ok "a split quant: 3 shards pulled, generated ids equal the unsplit file's ($got)"

# 14. An Ollama model's params layer (Tests/Fixtures/ollama: temperature 0.25, top_p 0.8, top_k 20, seed 7) gives
#     `r1 generate` its sampling defaults; flags still win.
ids() { r1 generate "$@" --prompt "Hello" --max-tokens 12 --json | python3 -c "import json,sys; print(json.load(sys.stdin)['ids'])"; }
export OLLAMA_MODELS=$PWD/Tests/Fixtures/ollama
want=$(ids "$M/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf" --temperature 0.25 --top-p 0.8 --top-k 20 --seed 7)
got=$(ids tiny) || fail "r1 generate tiny (an Ollama name)"
[[ "$got" == "$want" ]] || fail "r1 generate tiny did not take its params layer: $got, with the params as flags $want"
want=$(ids "$M/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf" --temperature 0.9 --top-p 1 --top-k 0 --seed 3)
got=$(ids tiny --temperature 0.9 --top-p 1 --top-k 0 --seed 3)
[[ "$got" == "$want" ]] || fail "flags did not override the Ollama params: $got vs $want"
ok "r1 generate takes an Ollama model's params as defaults, flags first"
# ... and `r1 serve` gives them to requests that leave sampling out (without them the seed would be random).
PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
# (the binary itself, not the r1 function: `$!` of a backgrounded function is a subshell, and killing it would leave
# the server running after the script)
"$BIN" serve tiny --port "$PORT" > "$WORK/serve-tiny.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null && break; sleep 0.2; done
ask() { curl -sf "http://127.0.0.1:$PORT/v1/chat/completions" -d "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}], \"max_tokens\": 12$1}" \
  | python3 -c "import json,sys; m=json.load(sys.stdin)['choices'][0]['message']; print(repr((m.get('reasoning_content'), m['content'])))"; }
want=$(ask ', "temperature": 0.25, "top_p": 0.8, "top_k": 20, "seed": 7') || fail "r1 serve tiny: $(cat "$WORK/serve-tiny.log")"
got=$(ask '')
kill "$SERVE_PID" 2>/dev/null || true
[[ "$got" == "$want" ]] || fail "r1 serve tiny did not default to its params: $got vs $want"
ok "r1 serve gives an Ollama model's params to requests as defaults"

echo "all hub end-to-end checks passed"
