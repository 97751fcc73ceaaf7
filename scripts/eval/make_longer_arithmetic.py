#!/usr/bin/env python3
"""One step beyond the default model's training in length only: the operations of builtin:arithmetic difficulty 1
(two-digit + and −, two digits × one digit, up to three digits ÷ one digit, exact), each operand one digit longer
(three-digit + and −, three digits × one digit, four digits ÷ one digit, exact), in the same words. Writes JSONL lines
{"id", "question", "answer"} for `r1 eval run FILE` (the question plus R1's \\boxed{} instruction, checked by rule).

Usage: python3 scripts/eval/make_longer_arithmetic.py OUT.jsonl [--count 200] [--seed 0]
"""
import argparse
import json
import random


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w") as f:
        for i in range(args.count):
            op = "+−×÷"[i % 4]
            if op == "+":
                a, b = rng.randint(100, 999), rng.randint(100, 999); ans = a + b
            elif op == "−":
                a, b = rng.randint(100, 999), rng.randint(100, 999); ans = a - b
            elif op == "×":
                a, b = rng.randint(100, 999), rng.randint(2, 9); ans = a * b
            else:
                b = rng.randint(2, 9); ans = rng.randint(1000 // b + 1, 9999 // b); a = ans * b
            f.write(json.dumps({"id": f"longer-{i}", "question": f"What is {a} {op} {b}?", "answer": str(ans)},
                               ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
