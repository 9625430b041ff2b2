"""Peers of splade_beir's search that ``search_bench.py`` runs and that no package ships as such."""
