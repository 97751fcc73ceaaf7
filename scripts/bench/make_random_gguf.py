#!/usr/bin/env python3
"""Random-weight qwen2 GGUF of a given shape and type mix, written by gguf-py alone (no llama.cpp), for `r1 bench`.

Quantized blocks are random bytes with every f16 scale set to a small fixed value (finite sums, realistic speed);
norms are ones, biases zeros. --type Q4_K_M follows llama-quantize's Q4_K_M mix for this shape: q4_K everywhere, q6_K
for the output and for attn_v / ffn_down in the layers its use_more_bits picks; Q8_0 and F16 are uniform. Not a
substitute for make_shaped_gguf.py's files (which carry the real tokenizer); enough for speed comparisons.
Shapes: --shape 1.5b (DeepSeek-R1-Distill-Qwen-1.5B: hidden 1536, 28 layers, 12/2 heads, intermediate 8960) or 0.5b
(Qwen2.5-0.5B: hidden 896, 24 layers, 14/2 heads, intermediate 4864); vocab 151936.
Run: python3 scripts/bench/make_random_gguf.py OUT.gguf --type Q4_K_M|Q8_0|F16 [--shape 1.5b|0.5b]
"""
import argparse

import numpy as np
from gguf import GGUFWriter, GGMLQuantizationType as T

SHAPES = {"1.5b": (1536, 28, 12, 2, 8960), "0.5b": (896, 24, 14, 2, 4864)}
BLOCK = {T.Q8_0: (32, 34, [0]), T.Q4_K: (256, 144, [0, 2]), T.Q6_K: (256, 210, [208]), T.F16: (1, 2, [])}

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--type", default="Q4_K_M", choices=["Q4_K_M", "Q8_0", "F16"])
ap.add_argument("--shape", default="1.5b", choices=sorted(SHAPES))
args = ap.parse_args()
h, n_layers, heads, kv, inter = SHAPES[args.shape]
vocab, hd = 151936, h // heads
rng = np.random.default_rng(0)
scale = np.frombuffer(np.float16(0.002).tobytes(), dtype=np.uint8)


def more_bits(i):  # llama.cpp's use_more_bits(i, n)
    return i < n_layers // 8 or i >= 7 * n_layers // 8 or (i - n_layers // 8) % 3 == 2


def weight_type(name, layer):
    if args.type == "F16":
        return T.F16
    if args.type == "Q8_0":
        return T.Q8_0
    if name == "output.weight" or (name.endswith(("attn_v.weight", "ffn_down.weight")) and more_bits(layer)):
        return T.Q6_K
    return T.Q4_K


def matrix(rows, cols, t):
    if t == T.F16:
        return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16)
    per, size, scales = BLOCK[t]
    blocks = rng.integers(0, 256, size=(rows * cols // per, size), dtype=np.uint8)
    for off in scales:
        blocks[:, off:off + 2] = scale
    return blocks.reshape(rows, cols // per * size)


w = GGUFWriter(args.out, "qwen2")
w.add_name(f"random qwen2 {args.shape} {args.type}")
w.add_block_count(n_layers)
w.add_context_length(131072)
w.add_embedding_length(h)
w.add_feed_forward_length(inter)
w.add_head_count(heads)
w.add_head_count_kv(kv)
w.add_rope_freq_base(10000.0)
w.add_layer_norm_rms_eps(1e-6)


def add(name, rows, cols, layer=-1):
    t = weight_type(name, layer)
    w.add_tensor(name, matrix(rows, cols, t), raw_dtype=t)


add("token_embd.weight", vocab, h)
for i in range(n_layers):
    b = f"blk.{i}."
    w.add_tensor(b + "attn_norm.weight", np.ones(h, dtype=np.float32))
    w.add_tensor(b + "ffn_norm.weight", np.ones(h, dtype=np.float32))
    for n, rows in (("attn_q", h), ("attn_k", kv * hd), ("attn_v", kv * hd)):
        add(b + n + ".weight", rows, h, i)
        w.add_tensor(b + n + ".bias", np.zeros(rows, dtype=np.float32))
    add(b + "attn_output.weight", h, h, i)
    add(b + "ffn_gate.weight", inter, h, i)
    add(b + "ffn_up.weight", inter, h, i)
    add(b + "ffn_down.weight", h, inter, i)
w.add_tensor("output_norm.weight", np.ones(h, dtype=np.float32))
add("output.weight", vocab, h)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print(args.out)
