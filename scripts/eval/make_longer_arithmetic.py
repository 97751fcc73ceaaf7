#!/usr/bin/env python3
"""One step beyond the default model's training in length only: the operations of builtin:arithmetic difficulty 1
(two-digit + and −, two digits × one digit, up to three digits ÷ one digit, exact), each operand one digit longer
(three-digit + and −, three digits × one digit, four digits ÷ one digit, exact), in the same words. Writes JSONL lines
{"id", "question", "answer"} for `r1 eval run FILE` (the question plus R1's \\boxed{} instruction, checked by rule).
--digits N sets the operand length (default 3: + and − of N digits, N digits × one digit, N + 1 digits ÷ one digit);
the default output is the held-out set of docs/MODEL.md.

Usage: python3 scripts/eval/make_longer_arithmetic.py OUT.jsonl [--count 200] [--seed 0] [--digits 3]
"""
import argparse
import json
import random


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--digits", type=int, default=3)
    args = ap.parse_args()
    lo, hi = 10 ** (args.digits - 1), 10 ** args.digits - 1
    rng = random.Random(args.seed)
    with open(args.out, "w") as f:
        for i in range(args.count):
            op = "+−×÷"[i % 4]
            if op == "+":
                a, b = rng.randint(lo, hi), rng.randint(lo, hi); ans = a + b
            elif op == "−":
                a, b = rng.randint(lo, hi), rng.randint(lo, hi); ans = a - b
            elif op == "×":
                a, b = rng.randint(lo, hi), rng.randint(2, 9); ans = a * b
            else:
                b = rng.randint(2, 9); ans = rng.randint(10 * lo // b + 1, (10 * hi + 9) // b); a = ans * b
            pid = f"longer-{i}" if (args.digits, args.seed) == (3, 0) else f"longer{args.digits}-{args.seed}-{i}"
            f.write(json.dumps({"id": pid, "question": f"What is {a} {op} {b}?", "answer": str(ans)},
                               ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
