#!/usr/bin/env python3
"""Training tokens/s, swift-r1 (`r1 train bench`, release build) against PyTorch eager on the same threads.

The same Qwen2-shaped model (random init, ~10M parameters with the defaults), the same batch (sequences × tokens, every
next-token term counted), one step = forward + backward + AdamW (clipping at 1.0, decay on matrices). Runs alternate
(r1, torch, r1, torch, ...) so drift hits both; each run reports its median step after a warm-up step; the table gives
the median over runs. Also prints r1's GEMM share of the FMA peak.

Reference versions: torch 2.13.0 (CPU), transformers 5.24.0.
Usage: scripts/bench/train_bench.py [--r1 .build/release/r1] [--threads 2] [--runs 3] [--steps 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM

SHAPE = dict(vocab=4096, hidden=256, intermediate=768, layers=8, heads=8, kv_heads=4)


def torch_run(args) -> float:
    torch.set_num_threads(args.threads)
    cfg = AutoConfig.for_model("qwen2", vocab_size=SHAPE["vocab"], hidden_size=SHAPE["hidden"],
                               intermediate_size=SHAPE["intermediate"], num_hidden_layers=SHAPE["layers"],
                               num_attention_heads=SHAPE["heads"], num_key_value_heads=SHAPE["kv_heads"],
                               max_position_embeddings=4096, tie_word_embeddings=False)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.1), dict(params=rest, weight_decay=0.0)], lr=3e-4,
                            betas=(0.9, 0.95))
    ids = torch.randint(0, SHAPE["vocab"], (args.batch, args.seq))
    times = []
    for i in range(args.steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i > 0:
            times.append(time.perf_counter() - t0)
    params = sum(p.numel() for p in model.parameters())
    return args.batch * args.seq / statistics.median(times), params


def r1_run(args) -> dict:
    cmd = [args.r1, "train", "bench", "--vocab", str(SHAPE["vocab"]), "--hidden", str(SHAPE["hidden"]),
           "--intermediate", str(SHAPE["intermediate"]), "--layers", str(SHAPE["layers"]), "--heads", str(SHAPE["heads"]),
           "--kv-heads", str(SHAPE["kv_heads"]), "--batch", str(args.batch), "--seq", str(args.seq),
           "--steps", str(args.steps), "--threads", str(args.threads), "--json"]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--r1", default=".build/release/r1")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    args = ap.parse_args()
    r1, pt, last = [], [], None
    for run in range(args.runs):
        last = r1_run(args)
        r1.append(last["tokens_per_s"])
        tps, params = torch_run(args)
        pt.append(tps)
        print(f"run {run + 1}: r1 {r1[-1]:.0f} tok/s, torch {pt[-1]:.0f} tok/s")
    a, b = statistics.median(r1), statistics.median(pt)
    print(f"model: qwen2 {SHAPE}, {last['parameters']} parameters (torch {params}); batch {args.batch}×{args.seq}; "
          f"{args.threads} threads")
    print(f"| engine | training tokens/s (median of {args.runs}) |\n|---|---|\n| swift-r1 | {a:.0f} |\n"
          f"| PyTorch {torch.__version__.split('+')[0]} eager | {b:.0f} |\n| ratio | {a / b:.2f}x |")
    print(f"r1 GEMM: {last['gemm_gflops']:.1f} GFLOP/s = {100 * last['gemm_share_of_peak']:.0f}% of the "
          f"{last['fma_peak_gflops']:.0f} GFLOP/s FMA peak (kernel {last['kernel']})")


if __name__ == "__main__":
    main()
