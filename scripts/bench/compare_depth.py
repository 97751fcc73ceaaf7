#!/usr/bin/env python3
"""Decode deep in a chain of thought: swift-r1 against llama.cpp with flash attention off and on, at several depths.

For each depth (tokens of context already in the KV cache before decoding), runs in turn `llama-bench -fa 0`,
`llama-bench -fa 1` and `r1 bench` (decode only: -p 0 / --prompt-tokens 0), the order rotated every round so drift in
machine load hits all three alike, and reports medians; the ratio is swift-r1 over the better llama.cpp setting.
Every run is appended to --log as a JSON line and the table is made from every line in it, so a long measurement can
be split over several calls (e.g. one depth per call under /work/quiet.sh's ten-minute limit). The CPU is named from
lscpu.

Run:  swift build -c release && python3 scripts/bench/compare_depth.py [--depths 0,4096,8192] [--gen 32] [--rounds 3]
      [--log runs.jsonl] [--out table.md]; --table-only reprints the table from --log; --kbench BINARY times
      swift-r1 with scripts/bench/compare_commits/main.swift built against this tree instead of `r1 bench`.
Files as compare_llamacpp.py (make_shaped_gguf.py's random-weight 1.5B-shaped GGUFs, or --stem for others such as
make_deepseek_shaped_gguf.py's; llama-bench from the llama-cpp-python 0.3.36 sdist build, LLAMA_BENCH).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LCP = Path(os.environ.get("LLAMA_CPP_PYTHON_DIR", "/opt/llamacpp/llama_cpp_python-0.3.36"))
STEM = "r1-distill-qwen-1.5b-shaped"
ENGINES = ("llama.cpp -fa off", "llama.cpp -fa on", "r1")


def cpu_name() -> str:
    info = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    field = lambda k: next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith(k + ":")), "?")
    flags = field("Flags").split()
    isa = "AVX-512" if "avx512f" in flags else "AVX2, no AVX-512" if "avx2" in flags else "no AVX2"
    return f"{field('Model name')}, {os.cpu_count()} CPUs, {isa}"


def run(engine: str, a, model: Path, depth: int) -> float:
    if engine == "r1" and a.kbench:  # compare_commits' harness: what `r1 bench` times, on R1Models alone
        out = subprocess.run([str(a.kbench), str(model), "0", str(a.gen), str(depth), "1"], check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])["generate_tokens_per_second"]
    if engine == "r1":
        cmd = [str(a.r1), "bench", str(model), "--prompt-tokens", "0", "--gen-tokens", str(a.gen), "--depth", str(depth),
               "--threads", str(a.threads), "--repetitions", "1", "--json"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])["generate_tokens_per_second"]
    fa = "1" if engine.endswith("on") else "0"
    cmd = [str(a.llama_bench), "-m", str(model), "-p", "0", "-n", str(a.gen), "-d", str(depth), "-fa", fa,
           "-t", str(a.threads), "-r", "1", "-o", "json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return next(r["avg_ts"] for r in json.loads(out) if r["n_gen"] > 0)


def table(a, runs: list[dict]) -> str:
    by = {}
    for r in runs:
        by.setdefault((r["type"], r["depth"]), {}).setdefault(r["engine"], []).append(r["tokens_per_second"])
    cpus = sorted({r["cpu"] for r in runs})
    lines = [f"CPU: {'; '.join(cpus)}. {a.threads} threads, decode {a.gen} tokens after DEPTH tokens of context, "
             f"F16 KV cache (both engines' default); medians of alternated runs (n = runs per cell).", "",
             "| type | depth | llama.cpp -fa off | llama.cpp -fa on | swift-r1 | swift-r1 / better llama.cpp | n |",
             "|---|---|---|---|---|---|---|"]
    for (t, depth), e in sorted(by.items()):
        med = {k: statistics.median(v) for k, v in e.items()}
        best = max(med.get(ENGINES[0], 0), med.get(ENGINES[1], 0))
        r = med.get("r1", 0)
        n = min(len(v) for v in e.values())
        cell = lambda k: f"{med[k]:.2f}" if k in med else "-"
        lines.append(f"| {t} | {depth} | {cell(ENGINES[0])} | {cell(ENGINES[1])} | {cell('r1')} | "
                     f"{r / best if best else 0:.2f}x | {n} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=Path("/work/bench-models"))
    ap.add_argument("--types", default="Q4_K_M")
    ap.add_argument("--stem", default=STEM, help="file name before -TYPE.gguf, e.g. deepseek-v3-shaped-L2 "
                    "(make_deepseek_shaped_gguf.py)")
    ap.add_argument("--depths", default="0,4096,8192")
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--engines", default=",".join(ENGINES), help="a subset of: " + ", ".join(ENGINES))
    ap.add_argument("--r1", type=Path, default=ROOT / ".build" / "release" / "r1")
    ap.add_argument("--kbench", type=Path, help="time swift-r1 with a scripts/bench/compare_commits harness binary "
                    "(built against this tree) instead of r1, where the full r1 build is not at hand")
    ap.add_argument("--llama-bench", type=Path, default=Path(os.environ.get(
        "LLAMA_BENCH", LCP / "vendor" / "llama.cpp" / "build" / "bin" / "llama-bench")))
    ap.add_argument("--log", type=Path, default=Path("depth-runs.jsonl"))
    ap.add_argument("--out", type=Path, help="write the Markdown table here too")
    ap.add_argument("--table-only", action="store_true")
    a = ap.parse_args()

    engines = a.engines.split(",")
    cpu = cpu_name()
    if not a.table_only:
        for t in a.types.split(","):
            model = a.models / f"{a.stem}-{t}.gguf"
            for depth in (int(d) for d in a.depths.split(",")):
                for i in range(a.rounds):
                    for e in engines[i % len(engines):] + engines[:i % len(engines)]:
                        tps = run(e, a, model, depth)
                        rec = {"type": t if a.stem == STEM else f"{a.stem} {t}", "depth": depth, "engine": e, "tokens_per_second": tps, "cpu": cpu,
                               "load": os.getloadavg()[0], "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
                        print(json.dumps(rec), file=sys.stderr, flush=True)
                        with a.log.open("a") as f:
                            f.write(json.dumps(rec) + "\n")
    runs = [json.loads(l) for l in a.log.read_text().splitlines() if l.strip()]
    text = table(a, runs)
    print(text)
    if a.out:
        a.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
