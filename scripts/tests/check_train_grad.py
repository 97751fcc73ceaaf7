#!/usr/bin/env python3
"""Compares `r1 train grad` with PyTorch on any dense checkpoint folder (llama, qwen2, qwen3; f32 or bf16 safetensors).

Random ids (seeded) and a prompt/answer mask; the reference is transformers in float64 on the checkpoint's weights
(bf16 weights are exactly representable), the loss as transformers' `labels` (mean over counted next-token terms).
Passes when every gradient tensor is within 1e-4 of that tensor's largest |gradient| and the loss within 1e-5 relative.

Reference versions: torch 2.13.0 (CPU), transformers 5.24.0, safetensors 0.8.0.
Usage: scripts/tests/check_train_grad.py MODEL_FOLDER [--r1 .build/debug/r1] [--tokens 24] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--r1", default=".build/debug/r1")
    ap.add_argument("--tokens", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    model = AutoModelForCausalLM.from_pretrained(args.model, attn_implementation="eager").double().eval()
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(args.seed)
    ids = torch.randint(0, vocab, (args.tokens,), generator=gen).tolist()
    prompt = args.tokens // 3
    mask = [0] * prompt + [1] * (args.tokens - prompt)

    logits = model(input_ids=torch.tensor([ids])).logits[0]
    logp = torch.log_softmax(logits[:-1], -1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
    m = torch.tensor(mask[1:], dtype=torch.float64)
    loss = -(logp * m).sum() / m.sum()
    loss.backward()
    want = {n: p.grad.float() for n, p in model.named_parameters()}

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "grads.safetensors"
        cmd = [args.r1, "train", "grad", str(args.model), "--ids", ",".join(map(str, ids)),
               "--loss-mask", ",".join(map(str, mask)), "--out", str(out), "--json"]
        res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        got = load_file(out)

    ok = abs(res["loss"] - loss.item()) <= 1e-5 * abs(loss.item())
    print(f"loss r1 {res['loss']:.8f} torch {loss.item():.8f}")
    if set(got) != set(want):
        print(f"tensor names differ: only r1 {sorted(set(got) - set(want))}, only torch {sorted(set(want) - set(got))}")
        return 1
    for name in want:
        scale = want[name].abs().max().item()
        err = (got[name] - want[name]).abs().max().item()
        bad = err > 1e-4 * scale
        ok &= not bad
        if bad or args.tokens < 0:
            print(f"{name}: max |diff| {err:.3e} vs max |g| {scale:.3e}")
    print("PASS" if ok else "FAIL", f"({len(want)} tensors)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
