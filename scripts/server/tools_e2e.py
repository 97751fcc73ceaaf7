#!/usr/bin/env python3
"""A tool-calling loop (call, tool result, final answer) through the official Python clients, streaming and not.

Usage: tools_e2e.py BASE_URL openai|ollama. OpenAI's side also sends tool_choice "required" once. The server is Tests/R1ServerTests/ClientToolLoopTests.swift's: a scripted
model that calls get_weather(city="Paris") until its rendered prompt holds that call and the result "sunny", then
answers "It is sunny in Paris." Exits 1 on any failed check. Needs `openai` (scripts/test.sh's venv) and `ollama`
(pip install ollama).
"""
import json
import sys

base, which = sys.argv[1], sys.argv[2]
failures = []

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
]
QUESTION = [{"role": "user", "content": "What is the weather in Paris?"}]
FINAL = "It is sunny in Paris."


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f" {detail}"))
    if not cond:
        failures.append(name)


def openai_loop(stream):
    import openai

    client = openai.OpenAI(base_url=base + "/v1", api_key="none", max_retries=0, timeout=60)
    tag = "stream" if stream else "whole"

    def ask(messages):
        if not stream:
            r = client.chat.completions.create(model="tools-e2e", messages=messages, tools=TOOLS)
            c = r.choices[0]
            return c.message.content, c.message.tool_calls or [], c.finish_reason
        content, calls, finish = "", {}, None
        for chunk in client.chat.completions.create(model="tools-e2e", messages=messages, tools=TOOLS, stream=True):
            for c in chunk.choices:
                content += c.delta.content or ""
                for d in c.delta.tool_calls or []:
                    entry = calls.setdefault(d.index, {"id": "", "name": "", "arguments": ""})
                    entry["id"] += d.id or ""
                    if d.function:
                        entry["name"] += d.function.name or ""
                        entry["arguments"] += d.function.arguments or ""
                finish = c.finish_reason or finish
        calls = [openai.types.chat.ChatCompletionMessageToolCall(
            id=e["id"], type="function", function={"name": e["name"], "arguments": e["arguments"]})
            for _, e in sorted(calls.items())]
        return content or None, calls, finish

    content, calls, finish = ask(QUESTION)
    check(f"openai {tag}: finish_reason tool_calls", finish == "tool_calls", finish)
    check(f"openai {tag}: one call to get_weather", [c.function.name for c in calls] == ["get_weather"], (content, calls))
    if not calls:
        return
    args = json.loads(calls[0].function.arguments)
    check(f"openai {tag}: arguments parse", args == {"city": "Paris"}, args)
    check(f"openai {tag}: call id", calls[0].id.startswith("call_"), calls[0].id)
    history = QUESTION + [
        {"role": "assistant", "content": content,
         "tool_calls": [{"id": c.id, "type": "function",
                         "function": {"name": c.function.name, "arguments": c.function.arguments}} for c in calls]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "sunny"},
    ]
    content, calls, finish = ask(history)
    check(f"openai {tag}: final answer after the tool result", content == FINAL and not calls, (content, calls))
    check(f"openai {tag}: finish_reason stop", finish == "stop", finish)
    if not stream:
        # tool_choice "required" is accepted (the real server constrains the answer to one call; this scripted
        # model calls anyway) and the call comes back as tool_calls
        r = client.chat.completions.create(model="tools-e2e", messages=QUESTION, tools=TOOLS, tool_choice="required")
        c = r.choices[0]
        check("openai required: one call to get_weather",
              [t.function.name for t in c.message.tool_calls or []] == ["get_weather"], c.message)
        check("openai required: finish_reason tool_calls", c.finish_reason == "tool_calls", c.finish_reason)


def ollama_loop(stream):
    import ollama

    client = ollama.Client(host=base, timeout=60)
    tag = "stream" if stream else "whole"

    def ask(messages):
        if not stream:
            r = client.chat(model="tools-e2e", messages=messages, tools=TOOLS)
            return r.message.content, list(r.message.tool_calls or [])
        content, calls = "", []
        for part in client.chat(model="tools-e2e", messages=messages, tools=TOOLS, stream=True):
            content += part.message.content or ""
            calls += part.message.tool_calls or []
        return content, calls

    content, calls = ask(QUESTION)
    check(f"ollama {tag}: one call to get_weather", [c.function.name for c in calls] == ["get_weather"], (content, calls))
    if not calls:
        return
    check(f"ollama {tag}: arguments are an object", dict(calls[0].function.arguments) == {"city": "Paris"}, calls[0])
    history = QUESTION + [
        {"role": "assistant", "content": content, "tool_calls": calls},
        {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
    ]
    content, calls = ask(history)
    check(f"ollama {tag}: final answer after the tool result", content == FINAL and not calls, (content, calls))


loop = openai_loop if which == "openai" else ollama_loop
for stream in (False, True):
    try:
        loop(stream)
    except Exception as e:  # noqa: BLE001 - a client error is a failed check, with its message
        check(f"{which} stream={stream}: no client error", False, repr(e))
print(f"{which}: {len(failures)} failed")
sys.exit(1 if failures else 0)
