"""Stage 5, fusion: normalized-score ensembles of runs."""
