"""Stage 3, search: exact top-k over CSR matrices, and the Run it produces (TREC run files)."""
