// R1Tokenizer module.
