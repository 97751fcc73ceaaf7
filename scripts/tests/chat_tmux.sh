#!/usr/bin/env bash
# Drives `r1 chat` in a real terminal (tmux send-keys / capture-pane) on a tiny fixture model: asks a question and
# reads the answer and stats line off the screen, interrupts a long answer with Ctrl-C, checks the program survives
# and answers again, saves the conversation, quits. Exits non-zero on the first failed check.
# Usage: scripts/tests/chat_tmux.sh [R1_BINARY]   (default: builds and uses .build/debug/r1; a slow debug build
# keeps the long answer long enough to interrupt).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tmux >/dev/null || { echo "tmux is missing (apt-get install -y tmux)" >&2; exit 2; }
BIN=${1:-}
if [[ -z "$BIN" ]]; then swift build --product r1 >/dev/null; BIN=.build/debug/r1; fi
MODEL=Tests/Fixtures/models/qwen2-tiny
SESSION=r1chat-$$
SAVE=$(mktemp /tmp/r1chat-XXXX.json)
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -f "$SAVE"' EXIT

screen() { tmux capture-pane -p -t "$SESSION" -S -200; }
fail() { echo "FAIL: $1" >&2; echo "----- screen -----" >&2; screen >&2; exit 1; }
# wait_for PATTERN COUNT SECONDS: until PATTERN (grep -E) occurs on at least COUNT lines.
wait_for() {
  local deadline=$((SECONDS + $3))
  while (( SECONDS < deadline )); do
    (( $(screen | grep -cE -- "$1" || true) >= $2 )) && return 0
    sleep 0.2
  done
  fail "waited $3 s for $2 line(s) matching '$1'"
}
ask() { tmux send-keys -t "$SESSION" -l -- "$1"; tmux send-keys -t "$SESSION" Enter; }

tmux new-session -d -s "$SESSION" -x 160 -y 50 "$BIN chat $MODEL --max-tokens 12 --seed 7 --temperature 0; echo CHAT-EXITED rc=\$?; sleep 60"
wait_for '^r1 chat · ' 1 120
echo "ok: banner"

# 1. A question and its answer: the prompt line, some text, and the stats line.
ask "What is 2+2?"
wait_for '^> What is 2\+2\?' 1 10
wait_for 'prompt tokens.*generated' 1 120
echo "ok: first answer with a stats line"

# 2. A long answer, interrupted mid-stream with Ctrl-C: the program must stay, say [stopped], and prompt again.
ask "/max 400"
wait_for 'at most 400 tokens' 1 10
ask "Tell me a long story."
wait_for '^> Tell me a long story' 1 10
# Streamed thinking shows up under the question before the answer is complete.
deadline=$((SECONDS + 60))
until (( $(screen | sed -n '/^> Tell me a long story/,$p' | grep -cvE '^\s*$') >= 2 )); do
  (( SECONDS < deadline )) || fail "no streamed text under the question after 60 s"
  sleep 0.1
done
screen | sed -n '/^> Tell me a long story/,$p' | grep -q 'prompt tokens' && fail "the long answer finished before Ctrl-C (binary too fast?)"
tmux send-keys -t "$SESSION" C-c
wait_for '^\[stopped\]' 1 20
screen | grep -q CHAT-EXITED && fail "Ctrl-C ended the program"
echo "ok: Ctrl-C stopped the answer, not the program"

# 3. Ask again: a complete answer after the interruption, the second turn reusing the cache.
ask "/max 12"
wait_for 'at most 12 tokens' 1 10
ask "And 3+3?"
wait_for '^> And 3\+3\?' 1 10
wait_for 'prompt tokens.*generated' 2 120
screen | grep -E 'prompt tokens \([0-9]+ reused\)' >/dev/null || fail "the third turn did not reuse the cached prefix"
echo "ok: answered again, prefix reused"

# 4. /stats, /save, /quit.
ask "/stats"
wait_for '^3 answers|^[0-9]+ answers' 1 10
ask "/save $SAVE"
wait_for 'saved 6 messages' 1 10
python3 -c "import json,sys; m=json.load(open('$SAVE'))['messages']; assert [x['role'] for x in m]==['user','assistant']*3, m" \
  || fail "saved conversation is not 3 user/assistant pairs"
ask "/quit"
wait_for 'CHAT-EXITED rc=0' 1 10
echo "ok: /stats, /save, /quit"
echo "----- final screen -----"
screen | sed -e '/^$/d' | tail -40
echo "PASS"
