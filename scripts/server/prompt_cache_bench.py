#!/usr/bin/env python3
"""Time to first token of turn 5 of a conversation with the shared prompt cache on and off (`r1 serve`, loopback).

Each round is a new conversation: a ~1,900-token document in the first user message, then four short turns whose
assistant answers the client sends back (as a client keeps its history; the R1 template drops earlier turns'
<think> blocks, so the cache can only match what the template renders identically). Turns 1-4 run with the cache;
turn 5 is then sent twice: with the cache, then with `"cache_prompt": false` (llama.cpp's field: the prompt is
read in full). TTFT is the time to the first streamed token chunk (content or
reasoning); `usage.prompt_tokens_details.cached_tokens` is checked against what turn 4 left.

Usage: prompt_cache_bench.py BIN MODEL [--rounds 3] [--port N] [--threads 2]
       (BIN: a release r1, e.g. `swift build -c release --product r1` then .build/release/r1)
"""
import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import urllib.request

p = argparse.ArgumentParser()
p.add_argument("bin")
p.add_argument("model")
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--port", type=int, default=18431)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--doc-words", type=int, default=1400, help="words in the first message (about 1.35 tokens each)")
a = p.parse_args()
base = f"http://127.0.0.1:{a.port}"

WORDS = ("river stone lantern orbit maple quartz signal harbor violet engine meadow copper thunder pixel garden "
         "falcon marble echo cedar prism vector canyon ember tundra sonnet glacier").split()


def post(path, body, stream=False):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=3600)


def ttft(messages, cache):
    """(seconds to the first token chunk, usage) of one streamed request with 1 completion token."""
    body = {"model": "bench", "messages": messages, "max_tokens": 1, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}, "cache_prompt": cache}
    t0 = time.monotonic()
    first, usage = None, None
    with post("/v1/chat/completions", body) as r:
        for raw in r:
            line = raw.strip()
            if not line.startswith(b"data: ") or line == b"data: [DONE]":
                continue
            obj = json.loads(line[6:])
            if obj.get("usage"):
                usage = obj["usage"]
            for c in obj.get("choices") or []:
                d = c.get("delta") or {}
                if first is None and (d.get("content") or d.get("reasoning_content") or c.get("finish_reason")):
                    first = time.monotonic() - t0
    return first, usage


def conversation(seed):
    rng = random.Random(seed)
    doc = " ".join(rng.choice(WORDS) for _ in range(a.doc_words))
    msgs = [{"role": "user", "content": f"Here is a log of sensor words, conversation {seed}:\n{doc}\nRemember it."}]
    turns = []
    for t in range(1, 5):
        answer = f"Turn {t}: noted. " + " ".join(rng.choice(WORDS) for _ in range(25))
        question = f"Question {t + 1}: how often does '{rng.choice(WORDS)}' appear after '{rng.choice(WORDS)}'?"
        turns.append((answer, question))
    return msgs, turns


server = subprocess.Popen([a.bin, "serve", a.model, "--port", str(a.port), "--model-name", "bench", "--parallel", "1",
                           "--threads", str(a.threads), "--context", "8192"], stderr=subprocess.PIPE, text=True)
try:
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except Exception:
            if server.poll() is not None:
                sys.exit("server exited: " + server.stderr.read())
            time.sleep(0.5)
    on, off = [], []
    for round_ in range(a.rounds):
        msgs, turns = conversation(round_)
        # turns 1-4, as a client would send them (the cache fills as it goes)
        for t, (answer, question) in enumerate(turns):
            s, u = ttft(msgs, True)
            print(f"round {round_} turn {t + 1}: prompt {u['prompt_tokens']}, cached {u['prompt_tokens_details']['cached_tokens']}, "
                  f"ttft {s:.2f} s", flush=True)
            msgs = msgs + [{"role": "assistant", "content": answer}, {"role": "user", "content": question}]
        # with the cache first: the run without it reads nothing from the cache, but what any run leaves there would
        # make a later cached run of the same prompt a whole-prompt hit
        for cache in (True, False):
            s, u = ttft(msgs, cache)
            cached = u["prompt_tokens_details"]["cached_tokens"]
            print(f"round {round_} turn 5 cache {'on ' if cache else 'off'}: prompt {u['prompt_tokens']}, cached {cached}, "
                  f"ttft {s:.3f} s", flush=True)
            (on if cache else off).append((s, u["prompt_tokens"], cached))
    m_on, m_off = statistics.median(x[0] for x in on), statistics.median(x[0] for x in off)
    print(json.dumps({"model": a.model, "threads": a.threads, "rounds": a.rounds,
                      "turn5_prompt_tokens": on[0][1], "turn5_cached_tokens": [x[2] for x in on],
                      "ttft_on_s": [round(x[0], 3) for x in on], "ttft_off_s": [round(x[0], 3) for x in off],
                      "median_on_s": round(m_on, 3), "median_off_s": round(m_off, 3),
                      "speedup": round(m_off / m_on, 2)}))
finally:
    server.terminate()
    server.wait()
