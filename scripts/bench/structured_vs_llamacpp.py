#!/usr/bin/env python3
"""Decode speed with a JSON Schema against unconstrained decode, r1 against llama.cpp's grammar sampling (issue 15).

On one GGUF (default: the 1.5B-shaped Q4_K_M of make_shaped_gguf.py, vocabulary 151,936), for each round and in
alternating engine order: `r1 generate` (a new process per run, so every grammar state and mask is built inside the
run: the cold case; --think-budget 0, so the constraint holds from the first token) and llama.cpp's llama-server
(`/completion` with `json_schema`, which llama.cpp turns into a GBNF grammar; tokens/s from its `timings`,
predicted_per_second, wall-clock from the first generated token, sampling included), each unconstrained and with
every schema. Both sample the full distribution at temperature 1 (llama.cpp: top_k 0, top_p 1, min_p 0), same seed
per run, same token limit. A constrained run that completes early is counted at its own length. Medians over the
rounds; the schema compile time is r1's (Grammar(jsonSchema:) in a release build, from constrain-bench).

Usage: python3 scripts/bench/structured_vs_llamacpp.py [--model GGUF] [--rounds 3] [--gen 128] [--threads 2]
           [--schemas 01-person,06-recursive-tree,...] [--r1 PATH] [--llama-server PATH] [--out table.md]
Needs: a release r1 (swift build -c release --product r1), llama-server built from the llama-cpp-python 0.3.36 sdist
(cmake --build build --target llama-server), the GGUF (make_shaped_gguf.py --types Q4_K_M).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LCP = Path(os.environ.get("LLAMA_CPP_PYTHON_DIR", "/opt/llamacpp/llama_cpp_python-0.3.36"))
SCHEMAS = ROOT / "Tests" / "Fixtures" / "constrain" / "schemas"
PROMPT = "Answer in JSON."


def r1_run(binary: Path, model: Path, schema: Path | None, a, seed: int) -> tuple[float, int]:
    cmd = [str(binary), "generate", str(model), "--prompt", PROMPT, "--think-budget", "0", "--temperature", "1",
           "--seed", str(seed), "--threads", str(a.threads), "--max-tokens", str(a.gen), "--json"]
    if schema:
        cmd += ["--json-schema", str(schema)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    t = json.loads(out)["timings"]
    return t["generated_tokens"] / t["generate_ms"] * 1000, t["generated_tokens"]


class LlamaServer:
    def __init__(self, binary: Path, model: Path, threads: int):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.p = subprocess.Popen([str(binary), "-m", str(model), "-t", str(threads), "-tb", str(threads), "-c", "2048",
                                   "-np", "1", "--host", "127.0.0.1", "--port", str(self.port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception:
                time.sleep(0.5)
        raise RuntimeError("llama-server did not come up")

    def run(self, schema: Path | None, a, seed: int) -> tuple[float, int]:
        body = {"prompt": PROMPT, "n_predict": a.gen, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "min_p": 0.0,
                "seed": seed, "cache_prompt": False}
        if schema:
            body["json_schema"] = json.loads(schema.read_text())
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/completion", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            t = json.loads(r.read())["timings"]
        return t["predicted_per_second"], t["predicted_n"]

    def close(self):
        self.p.terminate()
        self.p.wait()


def compile_ms(bench: Path | None) -> dict[str, float]:
    """Schema compile times from constrain-bench's table (one line per schema), when its binary is there."""
    if not bench or not bench.exists():
        return {}
    out = subprocess.run([str(bench), str(ROOT), "1"], capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0].endswith(".json"):
            res[parts[0][:-5]] = float(parts[1])
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=Path("/work/bench-models/r1-distill-qwen-1.5b-shaped-Q4_K_M.gguf"))
    ap.add_argument("--schemas", default="01-person,06-recursive-tree,09-formats,16-array-of-objects,20-numbers")
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--r1", type=Path, default=ROOT / ".build" / "release" / "r1")
    ap.add_argument("--llama-server", type=Path, default=LCP / "vendor" / "llama.cpp" / "build" / "bin" / "llama-server")
    ap.add_argument("--constrain-bench", type=Path,
                    default=HERE / "ConstrainBench" / ".build" / "release" / "constrain-bench")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()

    runs = [("unconstrained", None)] + [(s, SCHEMAS / f"{s}.json") for s in a.schemas.split(",")]
    R = {name: [] for name, _ in runs}
    L = {name: [] for name, _ in runs}
    load = os.getloadavg()
    server = LlamaServer(a.llama_server, a.model, a.threads)
    try:
        server.run(None, argparse.Namespace(**{**vars(a), "gen": 8}), 1)  # warm both page caches
        r1_run(a.r1, a.model, None, argparse.Namespace(**{**vars(a), "gen": 8}), 1)
        for i in range(a.rounds):
            seed = a.seed + i
            for name, schema in runs:
                order = [("r1", R), ("llama", L)] if i % 2 == 0 else [("llama", L), ("r1", R)]
                for engine, store in order:
                    try:
                        res = r1_run(a.r1, a.model, schema, a, seed) if engine == "r1" else server.run(schema, a, seed)
                    except Exception as e:  # a schema llama.cpp cannot convert: reported, not fatal
                        print(f"round {i + 1} {name} {engine}: failed: {e}", file=sys.stderr, flush=True)
                        continue
                    store[name].append(res)
                    print(f"round {i + 1} {name:24s} {engine:6s} {res[0]:8.2f} tok/s {res[1]:4d} tokens",
                          file=sys.stderr, flush=True)
    finally:
        server.close()

    compile = compile_ms(a.constrain_bench)
    med = lambda xs, k: statistics.median(x[k] for x in xs) if xs else float("nan")
    r_base, l_base = med(R["unconstrained"], 0), med(L["unconstrained"], 0)
    lines = [f"`python3 scripts/bench/structured_vs_llamacpp.py --rounds {a.rounds} --gen {a.gen} --threads {a.threads}`"
             f" on {a.model.name}; load average at start {load[0]:.1f}; medians of {a.rounds} alternated rounds",
             "",
             "| run | r1 compile ms | r1 tok/s | r1 tokens | r1 vs unconstrained | llama.cpp tok/s | llama.cpp tokens "
             "| llama.cpp vs unconstrained | r1 / llama.cpp |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, _ in runs:
        r, l = med(R[name], 0), med(L[name], 0)
        c = f"{compile[name]:.2f}" if name in compile else "-"
        lines.append(f"| {name} | {c} | {r:.2f} | {med(R[name], 1):.0f} | {r / r_base:.2f}x | {l:.2f} | "
                     f"{med(L[name], 1):.0f} | {l / l_base:.2f}x | {r / l:.2f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        a.out.write_text(text)


if __name__ == "__main__":
    main()
