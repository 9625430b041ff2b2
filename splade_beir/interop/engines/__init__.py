"""interop/engines/: real retrieval engines run on exported vectors (PISA through pyterrier-pisa, the
``[engines]`` extra), to check their top-k against the exact search."""
