#!/usr/bin/env python3
"""One step beyond the default model's training in length only: the operations of builtin:arithmetic difficulty 1
(two-digit + and −, two digits × one digit, up to three digits ÷ one digit, exact), each operand one digit longer
(three-digit + and −, three digits × one digit, four digits ÷ one digit, exact), in the same words. Writes JSONL lines
{"id", "question", "answer"} for `r1 eval run FILE` (the question plus R1's \\boxed{} instruction, checked by rule).
--digits N sets the operand length (default 3: + and − of N digits, N digits × one digit, N + 1 digits ÷ one digit);
the default output is the held-out set of docs/MODEL.md. --two-ops is one step beyond in the number of operations
instead: two-digit operands as at difficulty 1, one more + or − (`59 + 63 − 15`, `61 × 7 + 71`, `184 ÷ 4 − 74`).
--mixed-lengths N is training data for lengths: the same four operations with each operand's length drawn on its own
from 1..N digits (× and ÷ by one digit as above), never the lengths of difficulty 1 (`7 + 985`, `64 − 3`, `5 × 4`).

Usage: python3 scripts/eval/make_longer_arithmetic.py OUT.jsonl [--count 200] [--seed 0]
           [--digits 3 | --two-ops | --mixed-lengths N]
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
    ap.add_argument("--two-ops", action="store_true")
    ap.add_argument("--mixed-lengths", type=int, metavar="N")
    args = ap.parse_args()
    if args.digits < 1 or (args.mixed_lengths is not None and args.mixed_lengths < 1):
        ap.error("--digits and --mixed-lengths take a length of at least 1 digit")
    if args.two_ops:
        two_ops(args)
        return
    if args.mixed_lengths is not None:
        mixed_lengths(args)
        return
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


def two_ops(args) -> None:
    rng = random.Random(args.seed)
    with open(args.out, "w") as f:
        for i in range(args.count):
            a, b, c = (rng.randint(10, 99) for _ in range(3))
            kind = i % 4
            if kind == 0:
                q, ans = f"{a} + {b} − {c}", a + b - c
            elif kind == 1:
                q, ans = f"{a} − {b} + {c}", a - b + c
            elif kind == 2:
                d = rng.randint(2, 9); q, ans = f"{a} × {d} + {c}", a * d + c
            else:
                d, quotient = rng.randint(2, 9), rng.randint(10, 99); q, ans = f"{quotient * d} ÷ {d} − {c}", quotient - c
            f.write(json.dumps({"id": f"twoops-{args.seed}-{i}", "question": f"What is {q}?", "answer": str(ans)},
                               ensure_ascii=False) + "\n")


def mixed_lengths(args) -> None:
    rng = random.Random(args.seed)

    def num(d):
        return rng.randint(10 ** (d - 1) if d > 1 else 0, 10 ** d - 1)

    with open(args.out, "w") as f:
        i = 0
        while i < args.count:
            op = "+−×÷"[i % 4]
            la, lb = rng.randint(1, args.mixed_lengths), rng.randint(1, args.mixed_lengths)
            if op in "+−":
                if la == 2 and lb == 2:
                    continue
                a, b = num(la), num(lb); ans = a + b if op == "+" else a - b
            elif op == "×":
                if la == 2:
                    continue
                a, b = num(la), rng.randint(2, 9); ans = a * b
            else:
                b = rng.randint(2, 9); q = num(la)
                if la == 2 or q == 0:
                    continue
                a, ans = q * b, q
            f.write(json.dumps({"id": f"mixed-{args.seed}-{i}", "question": f"What is {a} {op} {b}?", "answer": str(ans)},
                               ensure_ascii=False) + "\n")
            i += 1


if __name__ == "__main__":
    main()
