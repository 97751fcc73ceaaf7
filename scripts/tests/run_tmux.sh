#!/usr/bin/env bash
# Drives `r1 run` in a real terminal (tmux send-keys / capture-pane) on the committed Ollama test store: a model by
# its Ollama name, line editing (arrows, Home/End, Ctrl-A/E/K/U/W, Backspace), /set, history across runs (Up),
# """ multi-line input, a resize, /load, Ctrl-D to leave; then one prompt given on the command line.
# Exits non-zero on the first failed check. Usage: scripts/tests/run_tmux.sh [R1_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tmux >/dev/null || { echo "tmux is missing (apt-get install -y tmux)" >&2; exit 2; }
BIN=${1:-}
if [[ -z "$BIN" ]]; then swift build --product r1 >/dev/null; BIN=.build/debug/r1; fi
SESSION=r1run-$$
WORK=$(mktemp -d /tmp/r1run-XXXX)
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT
export OLLAMA_MODELS=$PWD/Tests/Fixtures/ollama XDG_CONFIG_HOME=$WORK/config HF_HUB_OFFLINE=1 HF_HUB_CACHE=$WORK/hf

screen() { tmux capture-pane -p -t "$SESSION" -S -200; }
fail() { echo "FAIL: $1" >&2; echo "----- screen -----" >&2; screen >&2; exit 1; }
wait_for() {
  local deadline=$((SECONDS + $3))
  while (( SECONDS < deadline )); do
    (( $(screen | grep -cE -- "$1" || true) >= $2 )) && return 0
    sleep 0.2
  done
  fail "waited $3 s for $2 line(s) matching '$1'"
}
keys() { tmux send-keys -t "$SESSION" "$@"; }
type_text() { tmux send-keys -t "$SESSION" -l -- "$1"; }
last_prompt() { screen | grep -E '^>( |$)' | tail -1 | sed -e 's/ *$//'; }
expect_line() {  # the current input line, as drawn (tmux drops trailing spaces)
  local want
  want=$(printf '> %s' "$1" | sed -e 's/ *$//')
  local deadline=$((SECONDS + 5))
  while (( SECONDS < deadline )); do [[ "$(last_prompt)" == "$want" ]] && return 0; sleep 0.1; done
  fail "input line is '$(last_prompt)', expected '$want'"
}
start() {
  tmux new-session -d -s "$SESSION" -x 120 -y 50 "$BIN run tiny --max-tokens 6 --seed 1; echo RUN-EXITED rc=\$?; sleep 60"
  wait_for '^r1 chat · ' 1 120
}

start
echo "ok: r1 run tiny (an Ollama name) started"

# 1. Line editing before Enter.
type_text "abc"; keys Left Left; type_text "X"; expect_line "aXbc"
keys Home; type_text "<"; keys End; type_text ">"; expect_line "<aXbc>"
keys C-a; keys Right; keys C-k; expect_line "<"
keys BSpace; type_text "foo bar baz"; keys C-w; expect_line "foo bar "
keys C-e; keys C-u; expect_line ""
type_text "hello there"; keys C-a; keys DC; expect_line "ello there"
keys C-e C-u; expect_line ""
echo "ok: arrows, Home/End, Ctrl-A/E/K/U/W, Backspace, Delete"

# 2. A question, /set, history with Up.
type_text "Hi"; keys Enter
wait_for 'prompt tokens.*generated' 1 120
type_text "/set temperature 0.5"; keys Enter
wait_for 'set temperature to 0.5' 1 10
type_text "/set top_k many"; keys Enter
wait_for "top_k: 'many' is not an integer" 1 10
keys Up Up; expect_line "/set temperature 0.5"
keys Enter
wait_for 'set temperature to 0.5' 2 10
echo "ok: answer, /set, bad /set named, Up recalls history"

# 3. Multi-line input with """: one user message holding both lines.
type_text '"""'; keys Enter
wait_for '^\.\.\.' 1 10
type_text "line one"; keys Enter
type_text 'line two"""'; keys Enter
wait_for 'prompt tokens.*generated' 2 120
type_text "/save $WORK/chat.json"; keys Enter
wait_for 'saved 4 messages' 1 10
python3 -c "import json; m=json.load(open('$WORK/chat.json'))['messages']; assert m[2]['content']=='line one\nline two', m" \
  || fail "the multi-line entry is not one message 'line one\\nline two'"
echo "ok: \"\"\" multi-line input is one message"

# 4. A resize, then a line wider than the terminal.
tmux resize-window -t "$SESSION" -x 40 -y 30 2>/dev/null || tmux resize-pane -t "$SESSION" -x 40 -y 30
sleep 0.3
long="this line is longer than forty columns so it wraps around"
type_text "$long"; keys C-a; keys C-e
sleep 0.3
screen | tr -d '\n' | grep -qF "> $long" || fail "the wrapped line is not on screen"
keys C-u
echo "ok: resize and a wrapped line"

# 5. /load another model, then Ctrl-D leaves.
type_text "/load Tests/Fixtures/models/qwen2-tiny"; keys Enter
wait_for 'loaded Tests/Fixtures/models/qwen2-tiny' 1 60
keys C-d
wait_for 'RUN-EXITED rc=0' 1 10
echo "ok: /load, Ctrl-D leaves"
grep -qx "Hi" "$XDG_CONFIG_HOME/r1/history" || fail "no history file with 'Hi' in it"
tmux kill-session -t "$SESSION"

# 6. History survives the run: Up in a new run shows the last entry.
start
keys Up; expect_line "/load Tests/Fixtures/models/qwen2-tiny"
keys C-u C-d
wait_for 'RUN-EXITED rc=0' 1 10
echo "ok: history kept across runs"

# 7. One prompt on the command line, and plain lines with stdin not a terminal.
out=$("$BIN" run tiny:q8_0 "What is 2+2?" --max-tokens 5 --seed 1 2>"$WORK/err") || fail "r1 run MODEL PROMPT failed: $(cat "$WORK/err")"
grep -q "prompt tokens" "$WORK/err" || fail "no stats line for r1 run MODEL PROMPT"
printf 'Hi\nAnd you?\n' | "$BIN" run tiny --max-tokens 4 --seed 1 > "$WORK/piped" 2>"$WORK/err" || fail "piped r1 run failed"
(( $(grep -c "prompt tokens" "$WORK/err") == 2 )) || fail "piped r1 run did not answer two lines: $(cat "$WORK/err")"
echo "ok: r1 run MODEL PROMPT, and piped lines"
echo "PASS"
