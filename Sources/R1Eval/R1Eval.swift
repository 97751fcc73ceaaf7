// R1Eval: rule-checked answers (as math-verify), datasets, pass@k / cons@k, the eval harness, the code sandbox.
