// R1Train: the training engine (forward keeping activations, hand-written backward, AdamW) and its loops.
