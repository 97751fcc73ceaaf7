#!/usr/bin/env python3
"""Structured output end to end: every schema in Tests/Fixtures/constrain/schemas through `r1 serve` with the official
openai client (response_format json_schema, non-streaming and streaming, with and without a short reasoning first)
at temperature 1.0 on a random-weight model with the R1-Distill vocabulary, every answer parsed and validated with
jsonschema (Draft 2020-12 with its format checker); Ollama's `format` on /api/chat; bad schemas and tool_choice are
400s that name the problem.
Usage: structured_e2e.py BASE_URL MODEL_ID   (the server must already be running)."""
import concurrent.futures
import json
import pathlib
import sys
import urllib.request

import jsonschema
import openai

base, model = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key="none", max_retries=0, timeout=600)
SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "constrain" / "schemas"
N = 14  # choices per request; three requests per schema
# tokens per answer: random weights never close a string on their own, so most answers run to the limit and are
# completed from there (the runtime keeps a value completable counting a byte per token, so the limit must exceed
# the schema's shortest instance in bytes); the budgeted reasoning and its closing sentence take about 20 more
MAX_TOKENS = {"09-formats.json": 150}
REASONING = 24
failures, samples, schemas_seen = [], 0, 0


def fail(name, detail):
    failures.append(name)
    print(f"FAIL {name}: {detail}")


def validate(name, validator, content, finish):
    try:
        value = json.loads(content)
    except ValueError as e:
        return fail(name, f"not JSON ({e}): {content!r}")
    errors = list(validator.iter_errors(value))
    if errors:
        return fail(name, f"{errors[0].message}: {content!r}")
    if finish != "stop":
        return fail(name, f"finish_reason {finish}: {content!r}")


def run_schema(path, seed):
    schema = json.loads(path.read_text())
    fmt = {"type": "json_schema", "json_schema": {"name": path.stem.replace("-", "_"), "schema": schema, "strict": True}}
    limit = MAX_TOKENS.get(path.name, 64)
    common = dict(model=model, messages=[{"role": "user", "content": "Answer in JSON."}], temperature=1.0, top_p=1.0,
                  n=N, response_format=fmt)
    out = []
    r = client.chat.completions.create(seed=seed, max_tokens=limit, extra_body={"thinking_budget": 0}, **common)
    out += [(c.message.content, c.finish_reason, "", "plain") for c in r.choices]
    # a short free reasoning first (the budget closes it): the answer after </think> is constrained
    r = client.chat.completions.create(seed=seed + 100, max_tokens=limit + REASONING, extra_body={"thinking_budget": 3}, **common)
    out += [(c.message.content, c.finish_reason, (c.message.model_extra or {}).get("reasoning_content") or "", "reasoning")
            for c in r.choices]
    stream = client.chat.completions.create(seed=seed + 200, max_tokens=limit, stream=True, extra_body={"thinking_budget": 0},
                                            **common)
    parts, finishes = [""] * N, [None] * N
    for chunk in stream:
        for c in chunk.choices:
            parts[c.index] += c.delta.content or ""
            finishes[c.index] = c.finish_reason or finishes[c.index]
    out += [(p, f, "", "stream") for p, f in zip(parts, finishes)]
    return path, schema, out


paths = sorted(SCHEMAS.glob("*.json"))
with concurrent.futures.ThreadPoolExecutor(3) as pool:
    for path, schema, results in pool.map(run_schema, paths, range(len(paths))):
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        before = len(failures)
        for i, (content, finish, reasoning, kind) in enumerate(results):
            validate(f"{path.name} ({kind})", validator, content or "", finish)
            if kind == "reasoning" and not reasoning:
                fail(path.name, "the budgeted reasoning is missing")
        samples += len(results)
        schemas_seen += 1
        print(f"{'ok  ' if len(failures) == before else 'FAIL'} {path.name}: {len(results)} answers")


def post(route, body):
    req = urllib.request.Request(base + route, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


# Ollama: format "json" and a schema object
for fmt, check in [("json", lambda v: isinstance(v, dict)), (json.loads((SCHEMAS / "03-enum-status.json").read_text()), None)]:
    for seed in range(5):
        status, body = post("/api/chat", {"model": model, "messages": [{"role": "user", "content": "JSON"}], "stream": False,
                                          "think": False, "format": fmt, "options": {"temperature": 1.0, "top_p": 1.0, "seed": seed, "num_predict": 64}})
        content = body.get("message", {}).get("content", "")
        try:
            value = json.loads(content)
            ok = status == 200 and (check(value) if check else not list(jsonschema.Draft202012Validator(fmt).iter_errors(value)))
        except ValueError:
            ok = False
        samples += 1
        if not ok:
            fail("ollama format", f"{status} {content!r}")
print("ok   ollama format: json and a schema")

# errors: an unsupported keyword, a malformed schema, tool_choice required with a response_format
bad = [({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {"not": {}}}}}}, "not"),
       ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "(a"}}}, "pattern"),
       ({"type": "json_schema", "json_schema": {"name": "x"}}, "schema")]
for fmt, needle in bad:
    try:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}], response_format=fmt, max_tokens=4)
        fail("bad schema", f"{fmt} was accepted")
    except openai.BadRequestError as e:
        if needle not in str(e) or e.body.get("param") != "response_format":
            fail("bad schema", f"{needle!r} not named: {e}")
# tool_choice "required" constrains the answer to a call; with a response_format as well it is a 400 naming both
try:
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}], max_tokens=4, tool_choice="required",
                                   response_format={"type": "json_object"},
                                   tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}])
    fail("tool_choice", "required with response_format was accepted")
except openai.BadRequestError as e:
    if "response_format" not in str(e) or e.body.get("param") != "tool_choice":
        fail("tool_choice", str(e))
print("ok   bad schemas and tool_choice are named 400s")

print(f"{samples} answers over {schemas_seen} schemas, {len(failures)} failing")
if schemas_seen < 20 or samples < 1000:
    fail("coverage", f"{schemas_seen} schemas, {samples} answers")
sys.exit(1 if failures else 0)
