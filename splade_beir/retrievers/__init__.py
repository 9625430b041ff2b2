"""The model kinds (SPLADE, and the BM25 and dense baselines): each turns a dataset into a Run."""
