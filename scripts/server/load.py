#!/usr/bin/env python3
"""Load test for `r1 serve` on loopback: N concurrent streaming chat clients for D seconds (bounded in both),
each sending requests back to back. Reports completions, 429s, errors, and aggregate decode tokens/s.
Usage: load.py BASE_URL MODEL_ID [--clients 32] [--seconds 60] [--max-tokens 64]"""
import argparse
import asyncio
import json
import time
import urllib.parse

p = argparse.ArgumentParser()
p.add_argument("base")
p.add_argument("model")
p.add_argument("--clients", type=int, default=32)
p.add_argument("--seconds", type=float, default=60)
p.add_argument("--max-tokens", type=int, default=64)
p.add_argument("--grace", type=float, default=30, help="seconds in-flight requests may finish after the deadline")
a = p.parse_args()
url = urllib.parse.urlparse(a.base)
assert url.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
a.clients = max(1, min(a.clients, 256))
a.seconds = max(1.0, min(a.seconds, 600.0))

stats = {"completions": 0, "rejected_429": 0, "errors": 0, "unfinished": 0, "tokens": 0, "ttft": []}


async def one_request(i):
    body = json.dumps({"model": a.model, "stream": True, "max_tokens": a.max_tokens, "temperature": 0.6,
                       "stream_options": {"include_usage": True},
                       "messages": [{"role": "user", "content": f"Client {i}: count to ten."}]}).encode()
    t0 = time.monotonic()
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        if status == 429:
            stats["rejected_429"] += 1
            await reader.read()
            return "429"
        if status != 200:
            print("error: HTTP", status, (await reader.read())[:200])
            stats["errors"] += 1
            return "error"
        first, usage, done = None, None, False
        async for raw in reader:
            line = raw.strip()
            if not line.startswith(b"data: "):
                continue
            data = line[6:]
            if data == b"[DONE]":
                done = True
                break
            obj = json.loads(data)
            if "error" in obj:
                break
            delta = (obj.get("choices") or [{}])[0].get("delta") or {}
            if first is None and (delta.get("content") or delta.get("reasoning_content") or delta.get("reasoning")):
                first = time.monotonic() - t0  # first generated text, not the role chunk
            if obj.get("usage"):
                usage = obj["usage"]
        if done and usage:
            stats["completions"] += 1
            stats["tokens"] += usage["completion_tokens"]
            if first is not None:
                stats["ttft"].append(first)
            return "ok"
        print("error: stream ended without [DONE] and usage")
        stats["errors"] += 1
        return "error"
    finally:
        writer.close()


async def client(i, deadline):
    while time.monotonic() < deadline:
        try:
            r = await asyncio.wait_for(one_request(i), timeout=max(1.0, deadline - time.monotonic() + a.grace))
        except asyncio.TimeoutError:
            stats["unfinished"] += 1  # still queued or generating when the run's time was up
            r = "unfinished"
        except Exception as e:
            print("error:", repr(e))
            stats["errors"] += 1
            r = "error"
        if r == "429":
            await asyncio.sleep(0.5)


async def main():
    start = time.monotonic()
    deadline = start + a.seconds
    await asyncio.gather(*(client(i, deadline) for i in range(a.clients)))
    elapsed = time.monotonic() - start
    ttft = sorted(stats["ttft"])
    p50 = ttft[len(ttft) // 2] if ttft else float("nan")
    print(json.dumps({"clients": a.clients, "seconds": round(elapsed, 1), "completions": stats["completions"],
                      "rejected_429": stats["rejected_429"], "errors": stats["errors"],
                      "unfinished_at_deadline": stats["unfinished"],
                      "completion_tokens": stats["tokens"], "aggregate_tokens_per_s": round(stats["tokens"] / elapsed, 1),
                      "ttft_p50_s": round(p50, 3)}))
    return 1 if stats["errors"] else 0

raise SystemExit(asyncio.run(main()))
