#!/usr/bin/env python3
"""Random-weight Qwen2 safetensors folder shaped like Qwen2.5-0.5B (the base of small R1-style distills) with the
real DeepSeek-R1-Distill-Qwen tokenizer and chat template, for `scripts/bench/eval_concurrency.sh` (not for tests).

hidden 896, 24 layers, 14 heads, 2 KV heads, intermediate 4864, vocab 151936, tied embeddings, QKV bias, F16 (the dtype with C kernels for one and many tokens);
about 1 GB. torch and safetensors (transformers' versions: torch 2.13) write it.
Run: python3 scripts/bench/make_eval_bench_model.py OUT_DIR [--tokenizer DIR]
     (--tokenizer defaults to /work/shared/fixtures/tokenizers/r1-distill-qwen-1.5b)
"""
import argparse
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

ap = argparse.ArgumentParser()
ap.add_argument("out", type=Path)
ap.add_argument("--tokenizer", type=Path, default=Path("/work/shared/fixtures/tokenizers/r1-distill-qwen-1.5b"))
ap.add_argument("--layers", type=int, default=24)
args = ap.parse_args()

h, inter, heads, kv, vocab, layers = 896, 4864, 14, 2, 151936, args.layers
hd = h // heads
config = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": h, "intermediate_size": inter,
    "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv, "vocab_size": vocab,
    "max_position_embeddings": 4096, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": True,
    "hidden_act": "silu", "bos_token_id": 151646, "eos_token_id": 151643, "torch_dtype": "float16",
}
g = torch.Generator().manual_seed(0)


def w(*shape, scale=0.02):
    return (torch.randn(*shape, generator=g) * scale).to(torch.float16)


tensors = {"model.embed_tokens.weight": w(vocab, h), "model.norm.weight": torch.ones(h, dtype=torch.float16)}
for i in range(layers):
    p = f"model.layers.{i}."
    tensors.update({
        p + "input_layernorm.weight": torch.ones(h, dtype=torch.float16),
        p + "post_attention_layernorm.weight": torch.ones(h, dtype=torch.float16),
        p + "self_attn.q_proj.weight": w(heads * hd, h), p + "self_attn.q_proj.bias": w(heads * hd),
        p + "self_attn.k_proj.weight": w(kv * hd, h), p + "self_attn.k_proj.bias": w(kv * hd),
        p + "self_attn.v_proj.weight": w(kv * hd, h), p + "self_attn.v_proj.bias": w(kv * hd),
        p + "self_attn.o_proj.weight": w(h, heads * hd),
        p + "mlp.gate_proj.weight": w(inter, h), p + "mlp.up_proj.weight": w(inter, h), p + "mlp.down_proj.weight": w(h, inter),
    })
args.out.mkdir(parents=True, exist_ok=True)
save_file(tensors, str(args.out / "model.safetensors"), metadata={"format": "pt"})
(args.out / "config.json").write_text(json.dumps(config, indent=1))
for name in ["tokenizer.json", "tokenizer_config.json"]:
    shutil.copy(args.tokenizer / name, args.out / name)
print("wrote", args.out)
