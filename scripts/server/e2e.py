#!/usr/bin/env python3
"""End-to-end check of `r1 serve` with the official openai client: models, chat (streaming and not, reading
reasoning_content), completions, bad requests, a disconnect mid-stream, Ollama's /api/chat, /metrics.
Usage: e2e.py BASE_URL MODEL_ID  (the server must already be running)."""
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import openai

base, model = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key="none", max_retries=0, timeout=120)
failures = []
passed = 0


def check(name, cond, detail=""):
    global passed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failures.append(name)
        print(f"FAIL {name} {detail}")


models = client.models.list()
check("models lists the served model", [m.id for m in models.data] == [model], [m.id for m in models.data])

messages = [{"role": "user", "content": "What is 2+2?"}]
r = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0)
msg = r.choices[0].message
reasoning = getattr(msg, "reasoning_content", None) or (msg.model_extra or {}).get("reasoning_content")
check("chat: chatcmpl id and object", r.id.startswith("chatcmpl-") and r.object == "chat.completion", r)
check("chat: finish_reason", r.choices[0].finish_reason in ("stop", "length"), r.choices[0].finish_reason)
check("chat: text in reasoning_content or content", bool((reasoning or "") + (msg.content or "")), msg)
check("chat: usage adds up", r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens and r.usage.completion_tokens > 0, r.usage)
details = r.usage.completion_tokens_details
check("chat: reasoning_tokens reported", details is not None and details.reasoning_tokens is not None, r.usage)

r2 = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0)
check("chat: temperature 0 is deterministic", (r2.choices[0].message.content, r2.usage.completion_tokens) == (msg.content, r.usage.completion_tokens))

history = messages + [{"role": "assistant", "content": msg.content or "4", "reasoning_content": reasoning or "x"},
                      {"role": "user", "content": "And 3+3?"}]
r3 = client.chat.completions.create(model=model, messages=history, max_tokens=8, seed=1)
check("chat: history with reasoning_content accepted", r3.choices[0].finish_reason in ("stop", "length"))

stream = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0, stream=True,
                                        stream_options={"include_usage": True})
roles, s_reasoning, s_content, finish, usage, n = [], "", "", None, None, 0
for chunk in stream:
    n += 1
    if chunk.usage:
        usage = chunk.usage
    for c in chunk.choices:
        d = c.delta
        if d.role:
            roles.append(d.role)
        s_reasoning += (d.model_extra or {}).get("reasoning_content") or getattr(d, "reasoning_content", None) or ""
        s_content += d.content or ""
        finish = c.finish_reason or finish
check("stream: role first and once", roles == ["assistant"], roles)
check("stream: same text as non-streaming", (s_reasoning, s_content) == (reasoning or "", msg.content or ""),
      (s_reasoning, s_content, reasoning, msg.content))
check("stream: finish_reason and usage chunk", finish in ("stop", "length") and usage is not None and usage.completion_tokens == r.usage.completion_tokens, (finish, usage))

c = client.completions.create(model=model, prompt="Once upon a time", max_tokens=8, temperature=0)
check("completions: text_completion", c.object == "text_completion" and c.usage.completion_tokens > 0, c)

rn = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0, n=3)
check("chat n=3: three choices, each the greedy answer", [ch.index for ch in rn.choices] == [0, 1, 2]
      and all(ch.message.content == msg.content for ch in rn.choices)
      and rn.usage.completion_tokens == 3 * r.usage.completion_tokens, rn)
texts = {}
for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=12, temperature=0.8, seed=3, n=2, stream=True):
    for ch in chunk.choices:
        texts[ch.index] = texts.get(ch.index, "") + (ch.delta.content or "") + ((ch.delta.model_extra or {}).get("reasoning_content") or "")
check("stream n=2: chunks for both choices", sorted(texts) == [0, 1] and all(texts.values()), texts)

def expect_error(name, status, **kwargs):
    try:
        client.chat.completions.create(**kwargs)
        check(name, False, "no error")
    except openai.APIStatusError as e:
        body = e.response.json()
        check(name, e.status_code == status and set(body["error"]) >= {"message", "type", "param", "code"}, (e.status_code, body))

expect_error("error: empty messages", 400, model=model, messages=[])
expect_error("error: unknown role", 400, model=model, messages=[{"role": "wizard", "content": "x"}])
expect_error("error: max_tokens 0", 400, model=model, messages=messages, max_tokens=0)
expect_error("error: unknown model", 404, model="gpt-4o", messages=messages)
expect_error("error: prompt longer than context", 400, model=model, messages=[{"role": "user", "content": "hello " * 5000}])

def raw(path, body, method="POST"):
    req = urllib.request.Request(base + path, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

status, body = raw("/v1/chat/completions", b'{"messages": [')
check("error: malformed JSON is 400 with an error object", status == 400 and "error" in json.loads(body), (status, body))

# a client that leaves mid-stream stops its generation and frees its slot: once through the openai client
# (close after the first chunks), once with a raw socket closed right after the response head
s = client.chat.completions.create(model=model, messages=messages, max_tokens=200, stream=True)
for i, _ in enumerate(s):
    if i >= 2:
        break
s.close()
import socket
body = json.dumps({"model": model, "stream": True, "max_tokens": 200, "messages": messages}).encode()
u = urllib.parse.urlparse(base)
sock = socket.create_connection((u.hostname, u.port))
sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             + b"Content-Length: %d\r\n\r\n" % len(body) + body)
head = sock.recv(64)
sock.close()
for _ in range(50):
    health = json.loads(raw("/health", None, "GET")[1])
    if health["running"] == 0 and health["waiting"] == 0:
        break
    time.sleep(0.1)
check("disconnect: nothing left running", head.startswith(b"HTTP/1.1 200") and health["running"] == 0 and health["waiting"] == 0, health)
metrics = raw("/metrics", None, "GET")[1].decode()
check("disconnect: the generation was cancelled", "r1_cancelled_total 0" not in metrics,
      [l for l in metrics.splitlines() if l.startswith("r1_cancelled")])

# a non-streaming client that hangs up (FIN, nothing unread) while its answer is generated
def cancelled_total():
    text = raw("/metrics", None, "GET")[1].decode()
    return int(next(l.split()[1] for l in text.splitlines() if l.startswith("r1_cancelled_total")))
before = cancelled_total()
body = json.dumps({"model": model, "max_tokens": 200, "messages": messages}).encode()
sock = socket.create_connection((u.hostname, u.port))
sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             + b"Content-Length: %d\r\n\r\n" % len(body) + body)
time.sleep(0.3)
was_running = json.loads(raw("/health", None, "GET")[1])["running"] == 1
sock.close()
for _ in range(50):
    health = json.loads(raw("/health", None, "GET")[1])
    if health["running"] == 0:
        break
    time.sleep(0.1)
if was_running:
    check("disconnect (non-streaming): generation cancelled", cancelled_total() == before + 1 and health["running"] == 0, health)
else:
    print("skip disconnect (non-streaming): the answer was done before the hang-up")

status, body = raw("/api/chat", json.dumps({"model": model, "messages": messages, "options": {"num_predict": 12, "temperature": 0}}).encode())
lines = [json.loads(l) for l in body.decode().splitlines() if l.strip()]
check("ollama: NDJSON ending with done", status == 200 and lines[-1]["done"] is True and lines[-1]["eval_count"] > 0, lines[-1:])
check("ollama: thinking/content split", all("thinking" not in l["message"] or l["message"]["content"] == "" for l in lines))

metrics = raw("/metrics", None, "GET")[1].decode()
check("metrics: requests by status", 'r1_requests_total{route="/v1/chat/completions",status="200"}' in metrics and 'status="400"' in metrics)
check("metrics: ttft histogram", "r1_time_to_first_token_seconds_count" in metrics)

print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
