#!/usr/bin/env python3
"""Random-weight GGUF shaped exactly like DeepSeek-R1-Distill-Qwen-1.5B, for speed benchmarks (not used by tests).

Writes <out>/r1-distill-qwen-1.5b-shaped-F16.gguf (qwen2: hidden 1536, 28 layers, 12 heads, 2 KV heads, intermediate
8960, vocab 151936, untied, QKV bias, rope theta 10000, context 131072, rms eps 1e-6), with the metadata and
tokenizer that llama.cpp's converter writes for the real checkpoint (a --vocab-only conversion of the real R1 config
plus the rebuilt R1-Distill-Qwen tokenizer), then llama-quantize's Q8_0, Q4_K_M and Q4_0 copies, and optionally
runs `llama-bench -m FILE -p 0 -n 16 -t 2` on them. Needs about 8 GB of disk and 2 GB of memory.

Install: pip install numpy sentencepiece transformers torch  (the converter imports them);
         pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36, untar, and in its vendor/llama.cpp:
         cmake -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2 --target llama-quantize llama-bench
Reference versions: llama.cpp 0c1e57098bba (vendored in llama-cpp-python 0.3.36).
Run:     python scripts/bench/make_shaped_gguf.py [OUT_DIR] [--shape 1.5b|kv-heavy] [--types Q8_0,...] [--bench]
         (LLAMA_CPP_PYTHON_DIR defaults to /opt/llamacpp/llama_cpp_python-0.3.36; R1_TOKENIZER_DIR to
         /work/shared/fixtures/tokenizers/r1-distill-qwen-1.5b)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
LCP = Path(os.environ.get("LLAMA_CPP_PYTHON_DIR", "/opt/llamacpp/llama_cpp_python-0.3.36"))
TOKENIZER = Path(os.environ.get("R1_TOKENIZER_DIR", "/work/shared/fixtures/tokenizers/r1-distill-qwen-1.5b"))

# config.json of deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B (transformers-4 layout, as published)
R1_QWEN_1_5B = {
    "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643, "eos_token_id": 151643,
    "hidden_act": "silu", "hidden_size": 1536, "initializer_range": 0.02, "intermediate_size": 8960,
    "max_position_embeddings": 131072, "max_window_layers": 21, "model_type": "qwen2", "num_attention_heads": 12,
    "num_hidden_layers": 28, "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 10000,
    "sliding_window": 4096, "tie_word_embeddings": False, "torch_dtype": "bfloat16", "transformers_version": "4.44.0",
    "use_cache": True, "use_mrope": False, "use_sliding_window": False, "vocab_size": 151936,
}
# --shape kv-heavy: the same vocabulary and tokenizer, a small body whose KV cache is large for its weights (32 KiB
# per position in F16, more than the 1.5B's 28 KiB, with 0.1 GB of layers): for memory-budget runs
# (scripts/server/kv_memory_load.py), where prefilling 32 x 4,000 tokens must take minutes, not an hour.
SHAPES = {
    "1.5b": ("r1-distill-qwen-1.5b-shaped", "DeepSeek-R1-Distill-Qwen-1.5B shaped, random weights", {}),
    "kv-heavy": ("r1-vocab-kv-heavy", "R1 vocabulary, KV-heavy small body, random weights",
                 {"hidden_size": 512, "intermediate_size": 1024, "num_hidden_layers": 16, "num_attention_heads": 8,
                  "num_key_value_heads": 8}),
}


def tensor_shapes(c: dict) -> list[tuple[str, tuple[int, ...]]]:
    """GGUF tensor names and numpy shapes (rows, cols) in the converter's order."""
    h, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    kv = c["num_key_value_heads"] * (h // c["num_attention_heads"])
    out = [("token_embd.weight", (v, h))]
    for i in range(c["num_hidden_layers"]):
        b = f"blk.{i}."
        out += [(b + "attn_norm.weight", (h,)),
                (b + "attn_q.weight", (h, h)), (b + "attn_q.bias", (h,)),
                (b + "attn_k.weight", (kv, h)), (b + "attn_k.bias", (kv,)),
                (b + "attn_v.weight", (kv, h)), (b + "attn_v.bias", (kv,)),
                (b + "attn_output.weight", (h, h)),
                (b + "ffn_norm.weight", (h,)),
                (b + "ffn_gate.weight", (f, h)), (b + "ffn_up.weight", (f, h)), (b + "ffn_down.weight", (h, f))]
    out += [("output_norm.weight", (h,)), ("output.weight", (v, h))]
    return out


def random_tensor(rng: np.random.Generator, name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name.endswith("norm.weight"):
        return (1 + 0.2 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
    if name.endswith(".bias"):
        return (0.1 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
    std = 1.0 if name == "token_embd.weight" else shape[1] ** -0.5
    return (std * rng.standard_normal(shape, dtype=np.float32)).astype(np.float16)


def vocab_only_gguf(llama_dir: Path, work: Path, config: dict, tokenizer: Path = TOKENIZER) -> Path:
    """The converter's own metadata for the real config + tokenizer (no tensors)."""
    src = work / "r1-config"
    src.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (tokenizer / name).exists():
            (src / name).write_bytes((tokenizer / name).read_bytes())
    (src / "config.json").write_text(json.dumps(config, indent=2))
    out = work / "r1-vocab.gguf"
    env = dict(os.environ, PYTHONPATH=str(llama_dir / "gguf-py"))
    subprocess.run([sys.executable, str(llama_dir / "convert_hf_to_gguf.py"), str(src), "--vocab-only",
                    "--outtype", "f16", "--outfile", str(out)], check=True, env=env, capture_output=True)
    return out


def copy_metadata(gguf, reader, writer, overrides: dict) -> None:
    """Every key of the converter's vocab-only file into `writer` (not the architecture, which the writer was made
    with), with `overrides` (key -> value) replacing values."""
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, overrides.get(key, field.contents()), vtype, sub_type=sub)


def write_f16(llama_dir: Path, out: Path, work: Path, seed: int, shape: str) -> None:
    sys.path.insert(0, str(llama_dir / "gguf-py"))
    import gguf
    _, title, changes = SHAPES[shape]
    config = dict(R1_QWEN_1_5B, **changes)
    reader = gguf.GGUFReader(str(vocab_only_gguf(llama_dir, work, config)))
    writer = gguf.GGUFWriter(str(out), "qwen2")
    copy_metadata(gguf, reader, writer, {"general.name": title})
    assert reader.fields["tokenizer.ggml.pre"].contents() == "deepseek-r1-qwen"
    shapes = tensor_shapes(config)
    for name, shape in shapes:
        dtype = np.float32 if len(shape) == 1 else np.float16
        writer.add_tensor_info(name, shape, np.dtype(dtype), int(np.prod(shape)) * np.dtype(dtype).itemsize)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    rng = np.random.default_rng(seed)
    for name, shape in shapes:  # streamed one tensor at a time
        writer.write_tensor_data(random_tensor(rng, name, shape))
    writer.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, default=HERE / "work")
    ap.add_argument("--llama-cpp-python", type=Path, default=LCP)
    ap.add_argument("--types", default="Q8_0,Q4_K_M,Q4_0")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shape", default="1.5b", choices=sorted(SHAPES))
    ap.add_argument("--bench", action="store_true", help="run llama-bench -p 0 -n 16 on Q8_0 and Q4_K_M")
    args = ap.parse_args()
    llama_dir = args.llama_cpp_python / "vendor" / "llama.cpp"
    bin_dir = llama_dir / "build" / "bin"
    args.out.mkdir(parents=True, exist_ok=True)
    stem = SHAPES[args.shape][0]
    f16 = args.out / f"{stem}-F16.gguf"
    if not f16.exists():
        t = time.time()
        with tempfile.TemporaryDirectory() as work:
            write_f16(llama_dir, f16.with_suffix(".tmp"), Path(work), args.seed, args.shape)
        f16.with_suffix(".tmp").rename(f16)
        print(f"wrote {f16} ({f16.stat().st_size / 1e9:.2f} GB) in {time.time() - t:.0f} s", flush=True)
    files = {}
    for q in args.types.split(","):
        dst = args.out / f"{stem}-{q}.gguf"
        if not dst.exists():
            t = time.time()
            subprocess.run([str(bin_dir / "llama-quantize"), str(f16), str(dst.with_suffix(".tmp")), q,
                            str(args.threads)], check=True, capture_output=True)
            dst.with_suffix(".tmp").rename(dst)
            print(f"wrote {dst} ({dst.stat().st_size / 1e9:.2f} GB) in {time.time() - t:.0f} s", flush=True)
        files[q] = dst
    if args.bench:
        for q in ("Q8_0", "Q4_K_M"):
            if q in files:
                cmd = [str(bin_dir / "llama-bench"), "-m", str(files[q]), "-p", "0", "-n", "16", "-t",
                       str(args.threads)]
                print("+", " ".join(cmd), flush=True)
                subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
