"""Stage 1, datasets: BEIR names and conventions, downloads, and a strict loader of BEIR folders."""
