#!/usr/bin/env python3
"""Batched decode (what `r1 serve` does with several clients): aggregate tokens/s of B sequences decoding together,
swift-r1 (`r1 bench --batch B`) against llama.cpp (`llama-batched-bench -npl B`), on one GGUF, alternated run by run,
medians over --rounds. Reports each engine's speed-up over B = 1 and the ratio between engines; writes Markdown.

Run:  swift build -c release && python3 scripts/bench/compare_batched.py [MODEL] [--batches 1,2,4,8] [--rounds 3]
llama-batched-bench is built from the same llama-cpp-python 0.3.36 sdist as compare_llamacpp.py uses
(cmake --build build --target llama-batched-bench in its vendor/llama.cpp).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(os.environ.get("LLAMA_CPP_BIN", "/opt/llamacpp/llama_cpp_python-0.3.36/vendor/llama.cpp/build/bin"))


def llama(model: Path, b: int, a) -> float:
    env = dict(os.environ, LD_LIBRARY_PATH=str(BIN))
    out = subprocess.run([str(BIN / "llama-batched-bench"), "-m", str(model), "-c", str(max(2048, b * (a.prompt + a.gen) + 64)),
                          "-b", "512", "-ub", "512", "-npp", str(a.prompt), "-ntg", str(a.gen), "-npl", str(b),
                          "-t", str(a.threads), "--output-format", "jsonl"],
                         env=env, capture_output=True, text=True, check=True).stdout
    rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    return rows[-1]["speed_tg"]


def r1(model: Path, b: int, a) -> float:
    out = subprocess.run([str(a.r1), "bench", str(model), "--prompt-tokens", "0", "--depth", str(a.prompt),
                          "--gen-tokens", str(a.gen), "--batch", str(b), "--threads", str(a.threads),
                          "--repetitions", "1", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["generate_tokens_per_second"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", type=Path, nargs="?",
                    default=Path("/work/bench-models/r1-distill-qwen-1.5b-shaped-Q4_K_M.gguf"))
    ap.add_argument("--batches", default="1,2,4,8")
    ap.add_argument("--prompt", type=int, default=32, help="context of each sequence before decoding")
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--r1", type=Path, default=ROOT / ".build" / "release" / "r1")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    batches = [int(x) for x in a.batches.split(",")]
    res: dict[tuple[str, int], list[float]] = {}
    for i in range(a.rounds):
        for b in batches:
            order = [("llama.cpp", llama), ("swift-r1", r1)]
            if (i + b) % 2:
                order.reverse()
            for name, fn in order:
                v = fn(a.model, b, a)
                res.setdefault((name, b), []).append(v)
                print(f"round {i + 1} B={b} {name}: {v:.2f} tok/s", flush=True)
    med = {k: statistics.median(v) for k, v in res.items()}
    lines = [f"Batched decode, {a.model.name}, {a.threads} threads, {a.gen} tokens per sequence after {a.prompt} of "
             f"context, medians of {a.rounds} alternated runs (aggregate tokens/s over all sequences)", "",
             "| sequences | llama.cpp | vs 1 | swift-r1 | vs 1 | swift-r1 / llama.cpp |", "|---|---|---|---|---|---|"]
    for b in batches:
        l, s = med[("llama.cpp", b)], med[("swift-r1", b)]
        lines.append(f"| {b} | {l:.2f} | {l / med[('llama.cpp', batches[0])]:.2f}x | {s:.2f} | "
                     f"{s / med[('swift-r1', batches[0])]:.2f}x | {s / l:.2f}x |")
    table = "\n".join(lines)
    print(table)
    if a.out:
        a.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
