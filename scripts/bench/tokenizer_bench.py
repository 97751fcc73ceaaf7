#!/usr/bin/env python3
"""Encode throughput: Hugging Face `tokenizers` (one thread) against R1Tokenizer (release build).

Makes a deterministic ~1 MB mixed corpus (English prose, code, LaTeX, CJK, emoji, digits), times
`Tokenizer.encode(corpus, add_special_tokens=False)` (median of 5), then runs the Swift side through
`R1_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter TokenizerBench` (the test target uses
`@testable import`) and prints a Markdown table.

Run: /opt/r1venv/bin/python scripts/bench/tokenizer_bench.py [--no-swift]
"""
import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import json
import random
import re
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIX = os.path.join(REPO, "Tests", "Fixtures", "tokenizers")
NAMES = ["r1-distill-qwen-1.5b", "deepseek-v3", "llama3-synthetic"]  # gpt2-synthetic is for goldens only

WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at which but have an "
         "they you were her all she there would their we him been has when who will more no if out so said what up "
         "its about into than them can only other new some could time these two may then do first any my now such "
         "like our over man me even most made after also did many before must through back years where much your "
         "way well down should because each just those people how too little state good very make world still own "
         "see men work long get here between both life being under never day same another know while last might us "
         "great old year off come since against go came right used take three reasoning model token answer proof").split()
CODE = [
    "def fibonacci(n: int) -> int:\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n\n",
    "func encode(_ text: String) -> [Int] {\n    var ids: [Int] = []\n    for word in split(text) { ids += bpe(word) }\n    return ids\n}\n\n",
    "for (int i = 0; i < 1024; ++i) {\n\tsum += a[i] * b[i]; // dot\n}\n",
    "{\"model\": \"deepseek-r1\", \"temperature\": 0.6, \"top_p\": 0.95, \"max_tokens\": 32768}\n",
    "SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY id DESC LIMIT 10;\n",
]
LATEX = [
    "$$\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}$$\n",
    "Let $f(x) = \\sum_{k=0}^{n} \\binom{n}{k} x^k$. Then \\boxed{f(1) = 2^n}.\n",
    "\\begin{align} a^2 + b^2 &= c^2 \\\\ \\frac{\\partial L}{\\partial \\theta} &= 0 \\end{align}\n",
]
CJK = ["深度求索发布了推理模型，它在数学和编程任务上表现出色。", "日本語の文章にはひらがなとカタカナと漢字が混ざっています。",
       "한국어 문장도 토큰화해야 합니다. 감사합니다!", "我们来逐步思考这个问题：首先计算面积，然后求体积。"]
EMOJI = ["😀", "🎉", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵", "🏳️‍🌈", "❤️", "🤔", "✨", "🚀"]


def make_corpus(size=1_000_000, seed=2025):
    rng = random.Random(seed)
    parts, n = [], 0
    while n < size:
        r = rng.random()
        if r < 0.45:
            s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
            s = s[0].upper() + s[1:] + rng.choice([". ", "? ", "! ", ".\n\n", ", and it's 100% true. "])
        elif r < 0.62:
            s = rng.choice(CODE)
        elif r < 0.72:
            s = rng.choice(LATEX)
        elif r < 0.84:
            s = rng.choice(CJK) + rng.choice(["", "\n", " "])
        elif r < 0.92:
            s = " ".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 4))) + " "
        else:
            s = " ".join(str(rng.randint(0, 10 ** rng.randint(1, 9))) for _ in range(rng.randint(1, 6))) + " = 3.14159, 1,000,000\n"
        parts.append(s)
        n += len(s.encode("utf-8"))
    return "".join(parts)


def time_hf(name, corpus):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(FIX, name, "tokenizer.json"))
    tok.encode(corpus[:10000], add_special_tokens=False)
    times, n = [], 0
    for _ in range(5):
        t = time.perf_counter()
        n = len(tok.encode(corpus, add_special_tokens=False).ids)
        times.append(time.perf_counter() - t)
    return statistics.median(times), n


def time_hf_lines(name, corpus):
    """Rust on the corpus cut at newlines, `encode_batch` on one thread: its speed without a 1 MB single string."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(FIX, name, "tokenizer.json"))
    lines = corpus.splitlines(keepends=True)
    tok.encode_batch(lines[:200], add_special_tokens=False)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        tok.encode_batch(lines, add_special_tokens=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    corpus = make_corpus()
    path = os.path.join(REPO, ".build", "tokenizer_bench_corpus.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(corpus)
    mb = len(corpus.encode("utf-8")) / 1e6
    hf = {name: time_hf(name, corpus) for name in NAMES}
    hf_lines = {name: time_hf_lines(name, corpus) for name in NAMES}
    swift = {}
    if "--no-swift" not in sys.argv:
        env = dict(os.environ, R1_BENCH="1", R1_BENCH_CORPUS=path)
        out = subprocess.run(["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--filter",
                              "TokenizerBench"], cwd=REPO, env=env, capture_output=True, text=True)
        for m in re.finditer(r"BENCH (\S+) seconds=([0-9.]+) tokens=(\d+) cold=([0-9.]+) load=([0-9.]+)",
                             out.stdout + out.stderr):
            swift[m.group(1)] = (float(m.group(2)), int(m.group(3)), float(m.group(4)), float(m.group(5)))
        if not swift:
            print(out.stdout[-3000:], out.stderr[-3000:])
    print(f"Corpus: {mb:.2f} MB, one thread, median of 5\n")
    print("| tokenizer | tokens | tokenizers (Rust) MB/s | R1Tokenizer (Swift) MB/s | Swift / Rust "
          "| Swift first (cold cache) MB/s | Swift load s | Rust per line (encode_batch) MB/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in NAMES:
        t, n = hf[name]
        if name in swift:
            st, sn, cold, load = swift[name]
            same = "" if sn == n else f" (Swift tokens {sn}!)"
            print(f"| {name} | {n}{same} | {mb / t:.2f} | {mb / st:.2f} | {t / st:.1f}x | {mb / cold:.2f} | {load:.2f} "
                  f"| {mb / hf_lines[name]:.2f} |")
        else:
            print(f"| {name} | {n} | {mb / t:.2f} | - | - | - | - | {mb / hf_lines[name]:.2f} |")


if __name__ == "__main__":
    main()
