"""Stage 2, encoding: masked-LM checkpoints, SPLADE pooling, texts -> CSR vectors, the corpus cache."""
