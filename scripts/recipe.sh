#!/usr/bin/env bash
# The R1 recipe at small scale, from nothing, on a laptop CPU: search-program traces -> tokenizer -> SFT from scratch
# -> GRPO -> held-out evaluation (8 samples, temperature 0.6, top-p 0.95, seed 0 problems never trained on).
# Every step is seeded; every training step checkpoints and resumes, so an interrupted run picks up where it stopped
# (rerun the script). Usage: scripts/recipe.sh [WORKDIR]   (default .recipe; R1=path/to/r1 to use a built binary)
# Stages can be picked by STAGES="data tokenizer sft eval grpo eval-grpo lengths-data lengths-sft lengths-grpo
# eval-lengths student distill student-distill student-grpo eval-students" (default: these; they run in this order).
# Stage 6's lengths_grpo is the shipped model and stage 7's teacher; stage 6's replay SFT after its GRPO runs only when
# named (lengths-replay). Stage 7 of sessions 9-16 (a length curriculum) is this script at 28ad1a6.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-.recipe}
R1=${R1:-}
if [[ -z "$R1" ]]; then swift build -c release --product r1 >&2; R1=$(swift build -c release --show-bin-path)/r1; fi
THREADS=${THREADS:-2}
ALL_STAGES="data tokenizer sft eval grpo eval-grpo lengths-data lengths-sft lengths-grpo eval-lengths"
ALL_STAGES+=" student distill student-distill student-grpo eval-students"
STAGES=${STAGES:-"$ALL_STAGES"}
EVAL_COUNT=${EVAL_COUNT:-1000}
mkdir -p "$W"
has() { [[ " $STAGES " == *" $1 "* ]]; }
# Runs `r1 train KIND --config FILE` into OUT, resuming from its last checkpoint, unless OUT is finished.
train() {  # KIND CONFIG OUT
  local last; last=$(ls -d "$3"/checkpoint-* 2>/dev/null | sort -t- -k2 -n | tail -1 || true)
  if [[ -s "$3/model.safetensors" ]]; then :
  elif [[ -n "$last" ]]; then "$R1" train "$1" --config "$2" --resume "$last"
  else "$R1" train "$1" --config "$2"; fi
}

# 1. SFT traces: difficulty-1 arithmetic (two-digit +, −, ×, ÷), written by a randomised search program (random trial
#    digits, checked and corrected), held-out seed-0 problems excluded; a small validation set from another seed.
data() {  # FILE TASK DIFFICULTY COUNT SEED [--repeats]
  [[ -s "$W/$1" ]] || "$R1" train data --task "builtin:$2" --difficulty "$3" --count "$4" --seed "$5" --out "$W/$1" ${6:-}
}
if has data; then
  # The task's own mix (a third each of ±, × and ÷; held-out questions never drawn), one fresh example per step.
  data d1_sft.jsonl arithmetic 1 48000 1000 --repeats
  data d1_val.jsonl arithmetic 1 200 2000 --repeats
  data d2_tok.jsonl arithmetic 2 2000 3000
  data cd_tok.jsonl countdown 1 2000 3000
fi

# 2. A byte-level BPE tokenizer trained on the traces, with R1's chat template and special tokens.
if has tokenizer && [[ ! -s "$W/tok/tokenizer.json" ]]; then
  cat "$W/d1_sft.jsonl" "$W/d2_tok.jsonl" "$W/cd_tok.jsonl" > "$W/tokcorpus.jsonl"
  "$R1" train tokenizer --corpus "$W/tokcorpus.jsonl" --vocab-size 512 --pre-tokenizer qwen2 --out "$W/tok"
fi

# SFT settings: START is a shape (HIDDEN,INTERMEDIATE,LAYERS; 4 heads, tied embeddings) for training from scratch
# or a checkpoint folder to continue from; AdamW with warm-up and cosine decay to a tenth, 32 sequences a step.
# STRETCH (randomised RoPE positions, `position_stretch`) and EVAL_DATA (the held-out loss's lines) when set.
sft_yaml() {  # START DATA OUTPUT STEPS LR WARMUP [SEQ_LEN]
  if [[ -d "$1" ]]; then echo "model: $1"
  else IFS=, read -r hidden inter layers <<<"$1"; cat <<YAML
shape:
  model_type: qwen2
  hidden_size: $hidden
  intermediate_size: $inter
  num_hidden_layers: $layers
  num_attention_heads: 4
  num_key_value_heads: 4
  tie_word_embeddings: true
  max_position_embeddings: 1024
tokenizer: $W/tok
YAML
  fi
  cat <<YAML
data: $2
eval_data: ${EVAL_DATA:-$W/d1_val.jsonl}
output: $3
steps: $4
batch_size: 32
seq_len: ${7:-256}
learning_rate: $5
warmup_steps: $6
min_lr_ratio: 0.1
eval_every: 100
save_every: 100
seed: 1
threads: $THREADS
${STRETCH:+position_stretch: $STRETCH}
YAML
}

# 3. SFT from scratch: a 4-layer qwen2 (hidden 192), ~2.0M parameters.
if has sft; then
  sft_yaml 192,576,4 "$W/d1_sft.jsonl" "$W/sft_d1" 1000 0.001 50 > "$W/sft_d1.yaml"
  train sft "$W/sft_d1.yaml" "$W/sft_d1"
fi


# 4. Held-out evaluation: 1,000 seed-0 problems per difficulty, 8 samples each, R1's sampling settings.
evaluate() {  # MODEL NAME DIFFICULTY
  "$R1" eval run builtin:arithmetic --model "$1" --difficulty "$3" --count "$EVAL_COUNT" --seed 0 --samples 8 \
    --temperature 0.6 --top-p 0.95 --max-tokens 768 --concurrency 16 --threads "$THREADS" \
    --out "$W/eval_$2_d$3.jsonl" --report "$W/eval_$2_d$3.md" --json | tee "$W/eval_$2_d$3.json"
}
if has eval; then evaluate "$W/sft_d1" sft 1; evaluate "$W/sft_d1" sft 2; fi

# 5. GRPO from the SFT model on difficulty-1 training problems (seed 1, held-out questions skipped): 8 prompts x 8
#    samples per step, DAPO's clip-higher and dynamic sampling, token-level loss, no KL term.
grpo_yaml() {  # MODEL OUTPUT STEPS [MAX_SECONDS]   (MAX_NEW_TOKENS: 256 unless set)
  cat <<YAML
model: $1
output: $2
task: arithmetic
difficulty: [1]
train_seed: 1
steps: $3
${4:+max_seconds: $4}
prompts_per_step: 8
group_size: 8
max_new_tokens: ${MAX_NEW_TOKENS:-256}
temperature: 1.0
top_p: 1.0
learning_rate: 0.0001
warmup_steps: 5
schedule: constant
beta: 0
epsilon_low: 0.2
epsilon_high: 0.28
loss_type: token
dynamic_sampling: true
format_reward: 0.1
save_every: 10
seed: 1
threads: $THREADS
YAML
}
if has grpo; then
  grpo_yaml "$W/sft_d1" "$W/grpo_d1" "${GRPO_STEPS:-450}" > "$W/grpo_d1.yaml"
  train grpo "$W/grpo_d1.yaml" "$W/grpo_d1"
fi
if has eval-grpo; then evaluate "$W/grpo_d1" grpo 1; evaluate "$W/grpo_d1" grpo 2; fi

longer() { [[ -s "$W/$1" ]] || python3 scripts/eval/make_longer_arithmetic.py "$W/$1" "${@:2}"; }
evaluate_file() {  # MODEL NAME SET
  "$R1" eval run "$W/$3.jsonl" --question question --answer answer --model "$1" --samples 8 --temperature 0.6 \
    --top-p 0.95 --max-tokens 768 --concurrency 16 --threads "$THREADS" --out "$W/eval_$2_$3.jsonl" --json \
    | tee "$W/eval_$2_$3.json"
}

# 6. Lengths: a 3-layer qwen2 (hidden 128, ~0.7M parameters) trained from scratch on one-operation problems with
#    operands of 1 to 5 digits in the masked trace style (each column step hands on its operands with the used digits
#    as `_`; `r1 train data --trace masked`) with randomised RoPE positions (position_stretch 2): difficulty 1 (seed
#    1000, the task's mix), one-digit operands (x3), 3-, 4- and 5-digit ones (make_longer_arithmetic.py, seed 1, the
#    held-out seed-0 sets left out) and mixed lengths (--mixed-lengths 5, seed 8). Then GRPO (stage 5's settings, up
#    to 512 new tokens, 100 steps) on difficulty 1 and the 3-, 4- and 5-digit training questions in turn (a quarter
#    each; the held-out sets left out): the shipped model (lengths_grpo). Six- and seven-digit operands are never
#    trained: the steps beyond. lengths-replay (named only) adds a short SFT on the same mix after GRPO, which GRPO on
#    difficulty 1 alone needed (it unlearned the lengths; docs/MODEL.md).
if has lengths-data && [[ ! -s "$W/lengths_mix.jsonl" ]]; then
  for d in 3 4 5 6 7; do longer longer$d.jsonl --digits $d; done
  longer long1_q.jsonl --digits 1 --seed 1 --count 2000; longer long3_q.jsonl --digits 3 --seed 1 --count 12000
  longer long4_q.jsonl --digits 4 --seed 1 --count 6000; longer long5_q.jsonl --digits 5 --seed 1 --count 6000
  longer mixed5_q.jsonl --mixed-lengths 5 --seed 8 --count 12000
  masked() {  # OUT ARGS...
    [[ -s "$W/$1" ]] || "$R1" train data --trace masked --out "$W/$1" "${@:2}"
  }
  held="$W/longer3.jsonl,$W/longer4.jsonl,$W/longer5.jsonl"
  masked lengths_d1.jsonl --task builtin:arithmetic --difficulty 1 --count 16000 --seed 1000 --repeats
  masked lengths_val.jsonl --task builtin:arithmetic --difficulty 1 --count 200 --seed 2000
  masked lengths_1.jsonl --questions "$W/long1_q.jsonl" --seed 1
  for q in long3 long4 long5 mixed5; do masked lengths_$q.jsonl --questions "$W/${q}_q.jsonl" --exclude "$held" --seed 1; done
  cat "$W/lengths_d1.jsonl" "$W/lengths_1.jsonl" "$W/lengths_1.jsonl" "$W/lengths_1.jsonl" "$W/lengths_long3.jsonl" \
    "$W/lengths_long4.jsonl" "$W/lengths_long5.jsonl" "$W/lengths_mixed5.jsonl" > "$W/lengths_mix.jsonl"
fi
if has lengths-sft; then
  STRETCH=2 EVAL_DATA="$W/lengths_val.jsonl" sft_yaml 128,384,3 "$W/lengths_mix.jsonl" "$W/lengths_sft" \
    "${LENGTHS_SFT_STEPS:-3000}" 0.002 50 512 > "$W/lengths_sft.yaml"
  train sft "$W/lengths_sft.yaml" "$W/lengths_sft"
fi
if has lengths-grpo; then
  { MAX_NEW_TOKENS=512 grpo_yaml "$W/lengths_sft" "$W/lengths_grpo" "${LENGTHS_GRPO_STEPS:-100}"
    cat <<YAML
questions: [$W/long3_q.jsonl, $W/long4_q.jsonl, $W/long5_q.jsonl]
question_field: question
answer_field: answer
exclude: [$W/longer3.jsonl, $W/longer4.jsonl, $W/longer5.jsonl]
YAML
  } > "$W/lengths_grpo.yaml"
  train grpo "$W/lengths_grpo.yaml" "$W/lengths_grpo"
fi
if has lengths-replay; then
  STRETCH=2 EVAL_DATA="$W/lengths_val.jsonl" sft_yaml "$W/lengths_grpo" "$W/lengths_mix.jsonl" "$W/lengths_replay" \
    "${LENGTHS_REPLAY_STEPS:-300}" 0.0003 20 512 > "$W/lengths_replay.yaml"
  train sft "$W/lengths_replay.yaml" "$W/lengths_replay"
fi
if has eval-lengths; then
  for m in lengths_sft lengths_grpo lengths_replay; do
    [[ -s "$W/$m/model.safetensors" ]] || continue
    evaluate "$W/$m" $m 1
    for set in longer3 longer4 longer5 longer6 longer7; do evaluate_file "$W/$m" $m $set; done
  done
fi

# 7. Distillation against RL at equal compute (R1 §4.1): stage 6's model (lengths_grpo: 3 layers, hidden 128, ~0.7M
#    parameters) teaches a smaller student (2 layers, hidden 128, ~0.49M parameters; STUDENT_SHAPE) that first gets
#    its own SFT start on the teacher's search-program traces (stage 6's mix and settings, 1,000 steps as the student
#    of sessions 9-15 had; STUDENT_SFT_STEPS): it follows the format and the procedure and is right about half the
#    time, the part of R1's base model (docs/MODEL.md also measures a start trained as long as its teacher). Then,
#    from that start:
#    (a) distilled: SFT on the teacher's verified samples of fresh difficulty-1 training problems (seed 5000) in the
#        task's own mix (--repeats, as the SFT data and GRPO's problems; distinct questions would cut ÷ to a sixth), the
#        shortest correct one of each problem's 4 samples (docs/MODEL.md: +2.1 points over keeping every correct one);
#    (b) control: GRPO on the student itself, with the settings of stage 5.
#    Equal compute is equal wall-clock time on the same cores, the teacher's sampling counted on the distillation
#    side: the control's `max_seconds` is the teacher's sampling time (distill_d1.done) plus the distillation SFT's
#    (student_distill/metrics.jsonl), measured in this run; STUDENT_GRPO_SECONDS sets it by hand (e.g. when those
#    stages were resumed, whose files hold only their last part's time). STUDENT_GRPO_STEPS caps the steps (1000);
#    DISTILL_PROBLEMS (3000) and DISTILL_SAMPLES (4) size the teacher's sampling (docs/MODEL.md tried 1500 and 1).
#    The comparison of sessions 9-15 (stage 5's teacher, a 3-layer student on the columns traces) is this script at
#    28ad1a6.
TEACHER=${TEACHER:-$W/lengths_grpo}
if has student; then
  STRETCH=2 EVAL_DATA="$W/lengths_val.jsonl" sft_yaml "${STUDENT_SHAPE:-128,384,2}" "$W/lengths_mix.jsonl" \
    "$W/student_sft" "${STUDENT_SFT_STEPS:-1000}" 0.002 50 512 > "$W/student_sft.yaml"
  train sft "$W/student_sft.yaml" "$W/student_sft"
fi
if has distill && [[ ! -s "$W/distill_d1.done" ]]; then
  "$R1" train distill --teacher "$TEACHER" --task arithmetic --difficulty 1 --count "${DISTILL_PROBLEMS:-3000}" \
    --seed 5000 --samples "${DISTILL_SAMPLES:-4}" --temperature 0.6 --top-p 0.95 --max-tokens 512 --batch 16 --threads "$THREADS" \
    --keep shortest-correct --repeats --out "$W/distill_d1.jsonl" --json | tee "$W/distill_d1.done"
fi
if has student-distill; then
  EVAL_DATA="$W/lengths_val.jsonl" sft_yaml "$W/student_sft" "$W/distill_d1.jsonl" "$W/student_distill" \
    "${DISTILL_STEPS:-600}" 0.0005 20 > "$W/student_distill.yaml"
  train sft "$W/student_distill.yaml" "$W/student_distill"
fi
# The distillation side's seconds: the teacher's ("seconds" of `r1 train distill --json`; "... in S s" in a summary
# line of an earlier recipe) plus the SFT's last elapsed_s.
distill_seconds() {
  local teacher sft
  teacher=$(sed -n -e 's/.*"seconds":\([0-9.eE+-]*\).*/\1/p' -e 's/.* tokens in \([0-9.]*\) s,.*/\1/p' \
    "$W/distill_d1.done" 2>/dev/null | tail -1)
  sft=$(tail -1 "$W/student_distill/metrics.jsonl" 2>/dev/null | sed -n 's/.*"elapsed_s":\([0-9.]*\).*/\1/p')
  if [[ -z "$teacher" || -z "$sft" ]]; then
    echo "recipe: the control's time budget needs $W/distill_d1.done and $W/student_distill/metrics.jsonl (run the" \
      "distill and student-distill stages first) or STUDENT_GRPO_SECONDS" >&2
    return 1
  fi
  awk -v a="$teacher" -v b="$sft" 'BEGIN { printf "%.0f", a + b }'
}
if has student-grpo; then
  budget=${STUDENT_GRPO_SECONDS:-$(distill_seconds)}
  echo "recipe: the GRPO control gets $budget s (the distillation's teacher sampling + SFT)" >&2
  grpo_yaml "$W/student_sft" "$W/student_grpo" "${STUDENT_GRPO_STEPS:-1000}" "$budget" > "$W/student_grpo.yaml"
  train grpo "$W/student_grpo.yaml" "$W/student_grpo"
fi
if has eval-students; then
  evaluate "$W/student_sft" student_sft 1; evaluate "$W/student_distill" student_distill 1
  evaluate "$W/student_grpo" student_grpo 1
  "$R1" eval compare "$W/eval_student_grpo_d1.jsonl" "$W/eval_student_distill_d1.jsonl" | tee "$W/compare_students.txt"
fi

