#!/usr/bin/env python3
"""swift-r1 against llama.cpp on DeepSeek-R1-Distill-Qwen-1.5B-shaped GGUFs: prefill and decode tokens/s, ratios,
bandwidth-roofline shares, peak RSS; writes a Markdown table (BENCHMARKS.md holds the latest one).

Makes the random-weight files with make_shaped_gguf.py if missing; uses llama-bench from the llama-cpp-python 0.3.36
sdist build (LLAMA_BENCH, default /opt/llamacpp/.../build/bin/llama-bench), building it from that sdist if absent
(pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36, then cmake). Engines are alternated run by run
(llama.cpp, r1, llama.cpp, r1, ...) and medians taken over --rounds runs of each.

Run:  swift build -c release && python3 scripts/bench/compare_llamacpp.py [--rounds 5] [--depth 0] [--out table.md]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LCP = Path(os.environ.get("LLAMA_CPP_PYTHON_DIR", "/opt/llamacpp/llama_cpp_python-0.3.36"))
STEM = "r1-distill-qwen-1.5b-shaped"


def ensure_llama_bench(path: Path) -> Path:
    if path.exists():
        return path
    src = LCP / "vendor" / "llama.cpp"
    if not src.exists():
        LCP.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "llama-cpp-python==0.3.36", "-d", str(LCP.parent)], check=True)
        with tarfile.open(LCP.parent / "llama_cpp_python-0.3.36.tar.gz") as t:
            t.extractall(LCP.parent)
    subprocess.run(["cmake", "-B", "build", "-DCMAKE_BUILD_TYPE=Release"], cwd=src, check=True)
    subprocess.run(["cmake", "--build", "build", "-j2", "--target", "llama-quantize", "llama-bench"], cwd=src, check=True)
    return src / "build" / "bin" / "llama-bench"


def run_measured(cmd: list[str]) -> tuple[str, int]:
    """stdout and peak RSS in bytes of one child process (wait4's rusage)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {' '.join(cmd)}")
    return out, ru.ru_maxrss * 1024


def llama(bench: Path, model: Path, a) -> dict:
    out, rss = run_measured([str(bench), "-m", str(model), "-p", str(a.prompt), "-n", str(a.gen), "-d", str(a.depth),
                             "-t", str(a.threads), "-r", "1", "-o", "json"])
    res = {"rss": rss}
    for r in json.loads(out):
        res["pp" if r["n_prompt"] > 0 else "tg"] = r["avg_ts"]
    return res


def r1(binary: Path, model: Path, a, bandwidth: bool = False) -> dict:
    cmd = [str(binary), "bench", str(model), "--prompt-tokens", str(a.prompt), "--gen-tokens", str(a.gen),
           "--depth", str(a.depth), "--threads", str(a.threads), "--repetitions", "1", "--json"]
    out, rss = run_measured(cmd + (["--bandwidth"] if bandwidth else []))
    j = json.loads(out.strip().splitlines()[-1])
    return {"pp": j["prompt_tokens_per_second"], "tg": j["generate_tokens_per_second"], "rss": rss,
            "kv": j["kv_cache_bytes"], "wbytes": j["weight_bytes_per_token"],
            "bw": j.get("read_bandwidth_bytes_per_second")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=Path("/work/bench-models"))
    ap.add_argument("--types", default="Q4_K_M,Q8_0,Q4_0,F16")
    ap.add_argument("--stem", default=STEM, help="file name before -TYPE.gguf: the 1.5B-shaped files by default, or "
                    "e.g. deepseek-v3-shaped-L2 (make_deepseek_shaped_gguf.py, not made here)")
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--depth", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5, help="alternated runs of each engine; medians are reported")
    ap.add_argument("--r1", type=Path, default=ROOT / ".build" / "release" / "r1")
    ap.add_argument("--llama-bench", type=Path, default=Path(os.environ.get(
        "LLAMA_BENCH", LCP / "vendor" / "llama.cpp" / "build" / "bin" / "llama-bench")))
    ap.add_argument("--out", type=Path, help="write the Markdown table here too")
    a = ap.parse_args()

    bench = ensure_llama_bench(a.llama_bench)
    types = a.types.split(",")
    missing = [t for t in types if not (a.models / f"{a.stem}-{t}.gguf").exists()]
    if missing and a.stem != STEM:
        sys.exit(f"missing {', '.join(missing)} of {a.stem} in {a.models}")
    if missing:
        subprocess.run([sys.executable, str(HERE / "make_shaped_gguf.py"), str(a.models),
                        "--types", ",".join(t for t in missing if t != "F16") or "Q8_0"], check=True)
    load = os.getloadavg()
    bw = r1(a.r1, a.models / f"{a.stem}-{types[0]}.gguf", argparse.Namespace(**{**vars(a), "prompt": 0, "gen": 1}),
            bandwidth=True)["bw"]
    rows = []
    for t in types:
        model = a.models / f"{a.stem}-{t}.gguf"
        L, R = [], []
        for i in range(a.rounds):
            # alternate which engine goes first, so drift in machine load hits both alike
            if i % 2 == 0:
                L.append(llama(bench, model, a)); R.append(r1(a.r1, model, a))
            else:
                R.append(r1(a.r1, model, a)); L.append(llama(bench, model, a))
            print(f"{t} round {i + 1}: llama.cpp pp {L[-1].get('pp', 0):.2f} tg {L[-1].get('tg', 0):.2f} | "
                  f"r1 pp {R[-1]['pp']:.2f} tg {R[-1]['tg']:.2f}", file=sys.stderr, flush=True)
        med = lambda xs, k: statistics.median(x.get(k, 0) for x in xs)
        rows.append((t, model.stat().st_size, med(L, "pp"), med(R, "pp"), med(L, "tg"), med(R, "tg"),
                     R[0]["wbytes"], med(L, "rss"), med(R, "rss"), R[0]["kv"]))
        write_table(a, rows, bw, load)  # after every type, so a cut-short run still leaves its table


def write_table(a, rows, bw: float, load) -> None:
    gb = lambda b: f"{b / 1e9:.2f}"
    what = "DeepSeek-R1-Distill-Qwen-1.5B-shaped" if a.stem == STEM else a.stem
    lines = [f"{what} random weights, {a.threads} threads, prompt {a.prompt}, "
             f"generate {a.gen}, depth {a.depth}; medians of {a.rounds} alternated runs each. "
             f"Read bandwidth ({a.threads} threads, r1 bench --bandwidth): {bw / 1e9:.1f} GB/s. "
             f"Load average at start: {load[0]:.2f}.", "",
             f"| type | file GB | weights read/token GB | llama.cpp pp{a.prompt} | r1 pp{a.prompt} | ratio | "
             f"llama.cpp tg{a.gen} | r1 tg{a.gen} | ratio | roofline share llama.cpp / r1 | peak RSS GB llama.cpp / r1 | r1 KV cache MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for t, size, lpp, rpp, ltg, rtg, wb, lrss, rrss, kv in rows:
        roof = bw / wb
        lines.append(f"| {t} | {gb(size)} | {gb(wb)} | {lpp:.2f} | {rpp:.2f} | {rpp / lpp if lpp else 0:.2f}x | "
                     f"{ltg:.2f} | {rtg:.2f} | {rtg / ltg if ltg else 0:.2f}x | {ltg / roof:.0%} / {rtg / roof:.0%} | "
                     f"{gb(lrss)} / {gb(rrss)} | {kv / 1e6:.1f} |")
    table = "\n".join(lines)
    print(table)
    if a.out:
        a.out.write_text(table + "\n")



if __name__ == "__main__":
    main()
