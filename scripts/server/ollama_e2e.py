#!/usr/bin/env python3
"""Ollama's API through the official `ollama` Python client (0.6.x, from PyPI) against a running `r1 serve`:
generate (streamed and not, think on and off, raw), chat, show, ps and list get what the client expects.

Usage: ollama_e2e.py BASE_URL MODEL_NAME     (scripts/server/e2e.sh runs it after e2e.py)"""
import sys

import ollama

base, model = sys.argv[1], sys.argv[2]
client = ollama.Client(host=base)
failures = 0


def check(name, cond, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))
    if not cond:
        failures += 1


opts = {"num_predict": 24, "temperature": 0, "seed": 1}
g = client.generate(model=model, prompt="What is 2+2?", options=opts)
check("generate: done with counts", g.done and g.eval_count and g.eval_count > 0 and g.prompt_eval_count > 0, g)
check("generate: a response string", isinstance(g.response, str), g)
chunks = list(client.generate(model=model, prompt="What is 2+2?", options=opts, stream=True))
check("generate stream: ends with done", chunks[-1].done and all(not c.done for c in chunks[:-1]), chunks[-1])
streamed = "".join(c.response for c in chunks)
check("generate stream = non-stream (greedy)", streamed == g.response and
      "".join(c.thinking or "" for c in chunks) == (g.thinking or ""), (streamed, g.response))
off = client.generate(model=model, prompt="What is 2+2?", options=opts, think=False)
check("generate think=false: no thinking", not off.thinking, off)
raw = client.generate(model=model, prompt="Once upon a time", options=opts, raw=True)
check("generate raw: answers", raw.done and raw.eval_count > 0, raw)
load = client.generate(model=model)
check("generate with no prompt loads", load.done and load.done_reason == "load", load)
try:
    client.generate(model=model, prompt="x", images=["aGVsbG8="])
    check("generate images: refused", False, "no error")
except ollama.ResponseError as e:
    check("generate images: refused with 400", e.status_code == 400 and "images" in str(e), e)
try:
    client.generate(model="no-such-model", prompt="x")
    check("unknown model: 404", False, "no error")
except ollama.ResponseError as e:
    check("unknown model: 404", e.status_code == 404, e)

c = client.chat(model=model, messages=[{"role": "user", "content": "What is 2+2?"}], options=opts)
check("chat: assistant message", c.message.role == "assistant" and c.done, c)
c2 = client.chat(model=model, messages=[{"role": "user", "content": "What is 2+2?"}], options=opts, think=True, stream=True)
parts = list(c2)
check("chat stream: done last", parts[-1].done, parts[-1])

s = client.show(model)
check("show: details", s.details is not None and s.details.family and s.details.parameter_size and
      s.details.quantization_level and s.details.format, s.details)
check("show: model_info", s.modelinfo and s.modelinfo.get("general.architecture") == s.details.family and
      isinstance(s.modelinfo.get("general.parameter_count"), int), s.modelinfo)
check("show: template and parameters", bool(s.template) and "temperature" in (s.parameters or ""), s.parameters)
check("show: capabilities", "completion" in (s.capabilities or []), s.capabilities)

p = client.ps()
check("ps: the loaded model", len(p.models) == 1 and p.models[0].model == model and p.models[0].size > 0 and
      p.models[0].expires_at is not None and p.models[0].context_length > 0, p)
lst = client.list()
m = lst.models[0] if lst.models else None
check("list: size and sha256 digest", m is not None and m.model == model and m.size > 0 and
      len(m.digest or "") == 64 and m.details.family == s.details.family, m)

print(f"ollama e2e: {failures} failed")
sys.exit(1 if failures else 0)
