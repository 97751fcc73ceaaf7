#!/usr/bin/env python3
"""Random-weight GGUF shaped like DeepSeek-V3 / R1 with fewer layers, for speed benchmarks (not used by tests).

Every width is the real release's (config.json of deepseek-ai/DeepSeek-V3, as R1): hidden 7168, 128 heads, q_lora_rank
1536, kv_lora_rank 512, qk nope 128 + rope 64, v 128, dense intermediate 18432, 256 routed experts of width 2048 (top 8
of 8 groups, 4 groups kept, sigmoid router with correction bias), 1 shared expert, YaRN factor 40, vocabulary 129280
with the real tokenizer. Only the layer count is cut: --layers 2 --dense 1 keeps one dense layer and one MoE layer
(12.9 B weights, 13.7 GB in Q8_0; a decoded token reads 2.3 B of them).

Writes <out>/deepseek-v3-shaped-L<layers>-Q8_0.gguf directly in Q8_0 (random int8 values under a block scale of
1/sqrt(fan-in), no F16 copy on disk: an F16 file would be 26 GB), in the tensor layout llama.cpp's converter writes
(attn_k_b / attn_v_b split, 3-D ffn_*_exps, F32 norms, router and correction bias), with the metadata the converter
writes for the real config (a --vocab-only conversion), then llama-quantize's Q4_K_M from it (--allow-requantize).

Install: pip install numpy transformers (the converter imports them); llama.cpp built as in make_shaped_gguf.py.
Reference versions: llama.cpp 0c1e57098bba (vendored in llama-cpp-python 0.3.36).
Run:     python scripts/bench/make_deepseek_shaped_gguf.py [OUT_DIR] [--layers 2] [--dense 1] [--types Q4_K_M]
         (R1_V3_TOKENIZER_DIR defaults to /work/shared/fixtures/tokenizers/deepseek-v3)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_shaped_gguf as msg  # noqa: E402  (LCP, vocab_only_gguf, copy_metadata)

TOKENIZER = Path(os.environ.get("R1_V3_TOKENIZER_DIR", "/work/shared/fixtures/tokenizers/deepseek-v3"))

# config.json of deepseek-ai/DeepSeek-V3 (R1 has the same architecture fields), without quantization_config
DEEPSEEK_V3 = {
    "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "attention_bias": False,
    "attention_dropout": 0.0, "aux_loss_alpha": 0.001, "bos_token_id": 0, "eos_token_id": 1,
    "ep_size": 1, "first_k_dense_replace": 3, "hidden_act": "silu", "hidden_size": 7168, "initializer_range": 0.02,
    "intermediate_size": 18432, "kv_lora_rank": 512, "max_position_embeddings": 163840, "moe_intermediate_size": 2048,
    "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 256, "n_shared_experts": 1, "norm_topk_prob": True,
    "num_attention_heads": 128, "num_experts_per_tok": 8, "num_hidden_layers": 61, "num_key_value_heads": 128,
    "num_nextn_predict_layers": 1, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
    "rms_norm_eps": 1e-06, "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0,
                                            "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096,
                                            "type": "yarn"},
    "rope_theta": 10000, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "seq_aux": True,
    "tie_word_embeddings": False, "topk_group": 4, "topk_method": "noaux_tc", "torch_dtype": "bfloat16",
    "transformers_version": "4.46.3", "use_cache": True, "v_head_dim": 128, "vocab_size": 129280,
}


def tensor_shapes(c: dict) -> list[tuple[str, tuple[int, ...]]]:
    """GGUF tensor names and numpy shapes (last dim = ggml's ne0, the row length), in the converter's order."""
    d, v, h = c["hidden_size"], c["vocab_size"], c["num_attention_heads"]
    qr, r, nope, rope, vd = (c["q_lora_rank"], c["kv_lora_rank"], c["qk_nope_head_dim"], c["qk_rope_head_dim"],
                             c["v_head_dim"])
    e, fe, f = c["n_routed_experts"], c["moe_intermediate_size"], c["intermediate_size"]
    out = [("token_embd.weight", (v, d))]
    for i in range(c["num_hidden_layers"]):
        b = f"blk.{i}."
        out += [(b + "attn_norm.weight", (d,)), (b + "attn_q_a_norm.weight", (qr,)),
                (b + "attn_kv_a_norm.weight", (r,)),
                (b + "attn_q_a.weight", (qr, d)), (b + "attn_q_b.weight", (h * (nope + rope), qr)),
                (b + "attn_kv_a_mqa.weight", (r + rope, d)),
                (b + "attn_k_b.weight", (h, r, nope)), (b + "attn_v_b.weight", (h, vd, r)),
                (b + "attn_output.weight", (d, h * vd)), (b + "ffn_norm.weight", (d,))]
        if i < c["first_k_dense_replace"]:
            out += [(b + "ffn_gate.weight", (f, d)), (b + "ffn_up.weight", (f, d)), (b + "ffn_down.weight", (d, f))]
        else:
            s = fe * c["n_shared_experts"]
            out += [(b + "ffn_gate_inp.weight", (e, d)), (b + "exp_probs_b.bias", (e,)),
                    (b + "ffn_gate_exps.weight", (e, fe, d)), (b + "ffn_up_exps.weight", (e, fe, d)),
                    (b + "ffn_down_exps.weight", (e, d, fe)),
                    (b + "ffn_gate_shexp.weight", (s, d)), (b + "ffn_up_shexp.weight", (s, d)),
                    (b + "ffn_down_shexp.weight", (d, s))]
    out += [("output_norm.weight", (d,)), ("output.weight", (v, d))]
    return out


def is_f32(name: str, shape: tuple[int, ...]) -> bool:
    """Kept in F32 by the converter: vectors, the router (ffn_gate_inp) and the correction bias."""
    return len(shape) == 1 or "ffn_gate_inp" in name


class RandomQ8_0:
    """A Q8_0 tensor of random int8 values under one f16 scale per block, written in slices of whole rows (the
    writer asks only for nbytes and tofile)."""

    def __init__(self, rng: np.random.Generator, shape: tuple[int, ...], std: float):
        self.rng, self.shape = rng, shape
        self.rows, self.cols = int(np.prod(shape[:-1])), shape[-1]
        assert self.cols % 32 == 0, shape
        self.nbytes = self.rows * self.cols // 32 * 34
        # int8 uniform on [-127, 127] has std 73.6: the block scale gives the tensor `std`
        self.scale = np.frombuffer(np.float16(std / 73.6).tobytes(), dtype=np.uint8)

    def tofile(self, fout) -> None:
        per = max(1, (16 << 20) // self.cols)  # ~16 M values a slice
        for r0 in range(0, self.rows, per):
            n = min(per, self.rows - r0) * self.cols // 32
            blocks = np.empty((n, 34), dtype=np.uint8)
            blocks[:, :2] = self.scale
            blocks[:, 2:] = self.rng.integers(-127, 128, size=(n, 32), dtype=np.int8).view(np.uint8)
            blocks.tofile(fout)


def random_f32(rng: np.random.Generator, name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name.endswith("norm.weight"):
        return (1 + 0.2 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
    if name.endswith(".bias"):
        return (0.01 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
    return (shape[-1] ** -0.5 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)


def write_q8_0(llama_dir: Path, out: Path, work: Path, seed: int, config: dict) -> None:
    sys.path.insert(0, str(llama_dir / "gguf-py"))
    import gguf
    reader = gguf.GGUFReader(str(msg.vocab_only_gguf(llama_dir, work, config, tokenizer=TOKENIZER)))
    writer = gguf.GGUFWriter(str(out), "deepseek2")
    msg.copy_metadata(gguf, reader, writer, {
        "general.name": f"DeepSeek-V3 shaped, {config['num_hidden_layers']} layers, random weights",
        "general.file_type": int(gguf.LlamaFileType.MOSTLY_Q8_0)})
    assert reader.fields["deepseek2.expert_gating_func"].contents() == 2, "the converter wrote no sigmoid gating"
    shapes = tensor_shapes(config)
    for name, shape in shapes:
        if is_f32(name, shape):
            writer.add_tensor_info(name, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
        else:
            byte_shape = (*shape[:-1], shape[-1] // 32 * 34)
            writer.add_tensor_info(name, byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)),
                                   raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    rng = np.random.default_rng(seed)
    for name, shape in shapes:  # streamed
        if is_f32(name, shape):
            writer.write_tensor_data(random_f32(rng, name, shape))
        else:
            writer.write_tensor_data(RandomQ8_0(rng, shape, 1.0 if name == "token_embd.weight" else shape[-1] ** -0.5))
    writer.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, default=HERE / "work")
    ap.add_argument("--llama-cpp-python", type=Path, default=msg.LCP)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--dense", type=int, default=1, help="leading dense layers (first_k_dense_replace)")
    ap.add_argument("--experts", type=int, default=256, help="routed experts (256 as released; fewer for a quick try)")
    ap.add_argument("--types", default="Q4_K_M", help="llama-quantize types made from the Q8_0 file ('' for none)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    llama_dir = args.llama_cpp_python / "vendor" / "llama.cpp"
    config = dict(DEEPSEEK_V3, num_hidden_layers=args.layers, first_k_dense_replace=args.dense,
                  n_routed_experts=args.experts, num_nextn_predict_layers=0)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"deepseek-v3-shaped-L{args.layers}" + ("" if args.experts == 256 else f"-E{args.experts}")
    q8 = args.out / f"{stem}-Q8_0.gguf"
    if not q8.exists():
        t = time.time()
        with tempfile.TemporaryDirectory() as work:
            write_q8_0(llama_dir, q8.with_suffix(".tmp"), Path(work), args.seed, config)
        q8.with_suffix(".tmp").rename(q8)
        print(f"wrote {q8} ({q8.stat().st_size / 1e9:.2f} GB) in {time.time() - t:.0f} s", flush=True)
    for q in filter(None, args.types.split(",")):
        dst = args.out / f"{stem}-{q}.gguf"
        if not dst.exists():
            t = time.time()
            subprocess.run([str(llama_dir / "build" / "bin" / "llama-quantize"), "--allow-requantize", str(q8),
                            str(dst.with_suffix(".tmp")), q, str(args.threads)], check=True, capture_output=True)
            dst.with_suffix(".tmp").rename(dst)
            print(f"wrote {dst} ({dst.stat().st_size / 1e9:.2f} GB) in {time.time() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
