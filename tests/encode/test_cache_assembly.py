"""The one assembly path: chunks filled in place give exactly scipy's vstack; missing chunks are refused."""

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.encode.cache import CorpusCache
from splade_beir.errors import UserError


def test_assembled_chunks_equal_vstack(tmp_path):
    rng = np.random.default_rng(3)
    entry = CorpusCache(tmp_path).entry({"weights": "w", "corpus": "c", "vocab_size": 40}, n_texts=17, chunk_size=5)
    parts = [sp.random(b - a, 40, density=d, format="csr", random_state=rng, dtype=np.float32)
             for (a, b), d in zip(map(entry.rows, range(entry.n_chunks)), (0.2, 0.0, 0.3, 0.1))]
    for part in parts:
        part.data += 0.5  # SPLADE weights are positive
    for chunk in (2, 0, 3, 1):  # chunks may arrive in any order (workers, shards)
        entry.write(chunk, parts[chunk])
    stacked, assembled = sp.vstack(parts, format="csr"), entry.assemble()
    assert assembled.shape == (17, 40) and assembled.dtype == np.float32 and assembled.indptr.dtype == np.int32
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(assembled, name), getattr(stacked, name)), name


def test_assembly_refuses_missing_chunks(tmp_path):
    entry = CorpusCache(tmp_path).entry({"weights": "w", "corpus": "c", "vocab_size": 3}, n_texts=6, chunk_size=2)
    entry.write(0, sp.csr_matrix(np.ones((2, 3), dtype=np.float32)))
    with pytest.raises(UserError, match=r"2 of 3 chunks are not encoded yet \(the first holds rows from 2\)"):
        entry.assemble()
