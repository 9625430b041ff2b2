"""Stage 4, evaluation: Run + Qrels -> measures and FLOPS -> a Result, kept by a ResultStore."""
