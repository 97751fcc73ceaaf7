#!/usr/bin/env bash
# An installed r1 runs on its built-in default model with no source tree or build folder: scripts/install.sh into a
# temporary prefix (R1_BIN when set, else the build R1_BUILD_FLAGS names, else the debug build), then, from
# another folder with R1_DEFAULT_MODEL unset, `r1` (the demo), `r1 list` and `r1 info default` must use
# PREFIX/share/swift-r1/default-model, and without that folder `r1` must fail with an error naming where it looked.
# Usage: scripts/tests/install_check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=$(mktemp -d /tmp/r1install-XXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $1" >&2; exit 1; }
CONFIGURATION=${CONFIGURATION:-debug} scripts/install.sh "$WORK/prefix" >"$WORK/install.log" 2>&1 \
  || fail "scripts/install.sh: $(tail -20 "$WORK/install.log")"
MODEL="$WORK/prefix/share/swift-r1/default-model"
# The build folder's resource bundle is not beside the installed binary; nothing of the source tree is on the way.
[[ ! -e "$WORK/prefix/bin/swift-r1_R1DefaultModel.resources" ]] || fail "a resource bundle beside the installed binary"
mkdir -p "$WORK/elsewhere"
cd "$WORK/elsewhere"
unset R1_DEFAULT_MODEL
export HF_HUB_OFFLINE=1 HF_HUB_CACHE="$WORK/hf" OLLAMA_MODELS="$WORK/ollama"
out=$(NO_COLOR=1 "$WORK/prefix/bin/r1" 2>"$WORK/stderr") || fail "r1 exited $?: $(cat "$WORK/stderr")"
for want in "$MODEL" "Question: What is" "r1 chat" "r1 pull unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF:Q4_K_M"; do
  grep -qF -- "$want" <<<"$out" || fail "r1's output lacks '$want':"$'\n'"$out"
done
grep -qE "✓|✗" <<<"$out" || fail "no verdict in r1's output:"$'\n'"$out"
"$WORK/prefix/bin/r1" list 2>/dev/null | grep -qE "^default .*builtin$" || fail "r1 list does not show the default model"
"$WORK/prefix/bin/r1" info default | grep -qF "$MODEL" || fail "r1 info default does not use $MODEL"
mv "$MODEL" "$WORK/moved"
if "$WORK/prefix/bin/r1" 2>"$WORK/stderr" >/dev/null; then fail "r1 ran without its default model"; fi
grep -qF "$MODEL" "$WORK/stderr" || fail "the error does not name $MODEL: $(cat "$WORK/stderr")"
grep -q "Fatal error" "$WORK/stderr" && fail "r1 crashed: $(cat "$WORK/stderr")"
echo "install check: OK ($(sed -n '/✓\|✗/p' <<<"$out"))"
