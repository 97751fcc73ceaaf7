#!/usr/bin/env python3
"""Many long prompts against a server whose KV memory budget fits only some of them (`r1 serve --kv-memory`).

Starts `r1 serve MODEL --parallel P --queue C --kv-memory B` with B = P x (prompt + max tokens + a block) positions
(`--fit` sequences' worth), sends C concurrent chat requests with distinct prompts of about `--prompt-tokens`
tokens each, and samples the server's resident memory (VmRSS) every 0.2 s. Reports each request's outcome
(no request may be lost: each gets an answer or a clear error), the server's peak RSS, and that peak against the
budget's bytes + the weights file + the stated overhead (the RSS before the first request, which holds the
mapped weights touched at load, the thread pool and the HTTP server, plus `--overhead-mib` for activations).

Usage: kv_memory_load.py BIN MODEL [--clients 32] [--parallel 8] [--fit 8] [--prompt-tokens 4000] [--max-tokens 8]
"""
import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request

p = argparse.ArgumentParser()
p.add_argument("bin")
p.add_argument("model")
p.add_argument("--clients", type=int, default=32)
p.add_argument("--parallel", type=int, default=8)
p.add_argument("--fit", type=int, default=8, help="sequences the budget holds")
p.add_argument("--prompt-tokens", type=int, default=4000)
p.add_argument("--max-tokens", type=int, default=8)
p.add_argument("--words", type=int, default=None, help="words per prompt (default: 0.95 per prompt token, about right for the R1 vocabulary)")
p.add_argument("--context", type=int, default=8192)
p.add_argument("--port", type=int, default=18533)
p.add_argument("--overhead-mib", type=float, default=256, help="activations and scratch beyond the idle RSS")
a = p.parse_args()
base = f"http://127.0.0.1:{a.port}"


def gguf_position_bytes(path):
    """Bytes of one position of an F16 KV cache: layers x 2 (K, V) x kv heads x head dim x 2."""
    from gguf import GGUFReader
    r = GGUFReader(path)
    arch = bytes(r.fields["general.architecture"].parts[-1]).decode()
    def num(key):
        f = r.fields[f"{arch}.{key}"]
        return int(f.parts[-1][0])
    layers, heads, kv = num("block_count"), num("attention.head_count"), num("attention.head_count_kv")
    head_dim = num("embedding_length") // heads
    return layers * 2 * kv * head_dim * 2


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa".split()
budget_tokens = a.fit * (a.prompt_tokens + a.max_tokens + 64)
server = subprocess.Popen([a.bin, "serve", a.model, "--port", str(a.port), "--model-name", "load", "--parallel",
                           str(a.parallel), "--queue", str(a.clients), "--context", str(a.context),
                           "--kv-memory", f"{budget_tokens}tokens", "--prompt-cache", "off", "--timeout", "0"],
                          stderr=subprocess.PIPE, text=True)
peak = [0]
try:
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except Exception:
            if server.poll() is not None:
                sys.exit("server exited: " + server.stderr.read())
            time.sleep(0.5)
    idle_kb = rss_kb(server.pid)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(server.pid))
            time.sleep(0.2)
    threading.Thread(target=sample, daemon=True).start()

    def one(i):
        rng = random.Random(i)
        words = " ".join(rng.choice(WORDS) for _ in range(a.words or int(a.prompt_tokens * 0.95)))
        body = {"model": "load", "max_tokens": a.max_tokens, "temperature": 0,
                "messages": [{"role": "user", "content": f"Client {i}. {words}"}]}
        req = urllib.request.Request(base + "/v1/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=7200) as r:
                o = json.loads(r.read())
            c = o["choices"][0]
            return {"client": i, "status": 200, "finish": c["finish_reason"], "detail": c.get("finish_detail"),
                    "prompt_tokens": o["usage"]["prompt_tokens"], "seconds": round(time.monotonic() - t0, 1)}
        except urllib.error.HTTPError as e:
            return {"client": i, "status": e.code, "error": e.read().decode()[:200]}
        except Exception as e:  # a lost request
            return {"client": i, "status": None, "error": repr(e)}

    async def main():
        loop = asyncio.get_running_loop()
        return await asyncio.gather(*[loop.run_in_executor(None, one, i) for i in range(a.clients)])
    from concurrent.futures import ThreadPoolExecutor
    asyncio.get_event_loop_policy().get_event_loop().set_default_executor(ThreadPoolExecutor(a.clients))
    t0 = time.monotonic()
    results = asyncio.get_event_loop_policy().get_event_loop().run_until_complete(main())
    stop.set()
    for r in results:
        print(json.dumps(r))
    alive = server.poll() is None
    budget_bytes = budget_tokens * gguf_position_bytes(a.model)
    weights = os.path.getsize(a.model)
    bound_kb = idle_kb + budget_bytes // 1024 + int(a.overhead_mib * 1024)
    lost = [r for r in results if r["status"] is None]
    print(json.dumps({"clients": a.clients, "parallel": a.parallel, "budget_tokens": budget_tokens,
                      "budget_mib": round(budget_bytes / 2**20, 1), "weights_mib": round(weights / 2**20, 1),
                      "idle_rss_mib": round(idle_kb / 1024, 1), "peak_rss_mib": round(peak[0] / 1024, 1),
                      "bound_mib (idle + budget + overhead)": round(bound_kb / 1024, 1),
                      "under_bound": peak[0] <= bound_kb, "answered": sum(r["status"] == 200 for r in results),
                      "errors": sum(r["status"] not in (200, None) for r in results), "lost": len(lost),
                      "server_alive": alive, "seconds": round(time.monotonic() - t0, 1)}))
    sys.exit(0 if alive and not lost else 1)
finally:
    server.terminate()
    server.wait()
