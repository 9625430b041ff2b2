"""End to end: a damaged cache chunk is never used; the run after it equals an uninterrupted run, byte for byte.

Each damage is tried twice: as it is (the chunk's bytes no longer match its record), and with its record
rewritten to match the damaged bytes (as a copy made with a tool that knows the format would), which
leaves only the content checks (shape, indices in the vocabulary, finite positive weights) to catch it.
"""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.cli import run_cli
from splade_beir.encode.cache import CorpusCache
from splade_beir.evaluate import main


def npz_bytes(matrix: sp.spmatrix) -> bytes:
    buffer = io.BytesIO()
    sp.save_npz(buffer, sp.csr_matrix(matrix), compressed=False)
    return buffer.getvalue()


def damaged(kind: str, M: sp.csr_matrix, other: bytes) -> bytes:
    """The bytes of a damaged copy of chunk ``M`` (``other``: another chunk's file)."""
    M = M.copy()
    if kind == "fewer rows":
        return npz_bytes(M[:-1])
    if kind == "more rows":
        return npz_bytes(sp.vstack([M, M[:1]]))
    if kind == "extra column":
        return npz_bytes(sp.hstack([M, sp.csr_matrix(np.ones((M.shape[0], 1), dtype=np.float32))]))
    if kind == "index outside the vocabulary":
        M.indices[0] = M.shape[1] + 7  # scipy would read past its arrays (a segfault) if this were used
        return npz_bytes(sp.csr_matrix((M.data, M.indices, M.indptr), shape=M.shape))
    if kind in ("nan", "inf", "negative"):
        M.data[0] = {"nan": np.nan, "inf": np.inf, "negative": -0.5}[kind]
        return npz_bytes(M)
    if kind == "truncated":
        return npz_bytes(M)[:-25]
    if kind == "empty":
        return b""
    if kind == "not a zip":
        return b"this is not an npz file"
    if kind == "another slot":
        return other
    raise ValueError(kind)


KINDS = ["fewer rows", "more rows", "extra column", "index outside the vocabulary", "nan", "inf", "negative",
         "truncated", "empty", "not a zip", "another slot"]


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(splade_tiny, random_beir, tmp_path_factory):
    """An uninterrupted run of splade-tiny (chunks of 4 documents; the random tiny model gives these texts
    one vector, which would make a chunk copied from another slot identical): results, cache, arguments."""
    root = tmp_path_factory.mktemp("faults")
    data = random_beir(root / "corpus", 17, 6, 10, 3)
    args = ["--model", "splade-tiny", "--datasets", str(data), "--name", "tiny", "--cache-chunk-size", "4", "-q"]
    assert run_cli(main, [*args, "--output", str(root / "ref"), "--cache-dir", str(root / "cache")]) == 0
    return root, args


@pytest.mark.parametrize("forge", [False, True], ids=["as-is", "record-forged"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_chunk_is_encoded_again_and_the_run_is_identical(reference, tmp_path, kind, forge, caplog):
    import shutil

    root, args = reference
    cache = tmp_path / "cache"
    shutil.copytree(root / "cache", cache)
    [(folder, meta)] = [(f, m) for f, m in CorpusCache(cache).entries() if m["about"]["tower"] == "doc"]
    entry = CorpusCache(cache).find(folder.name)
    target, other = entry.chunk_path(1), entry.chunk_path(2).read_bytes()
    assert other != target.read_bytes()
    bad = damaged(kind, entry.read(1), other)
    target.write_bytes(bad)
    if forge:  # the record made to match the damaged bytes: only the content checks are left
        record = json.loads(target.with_suffix(".json").read_text())
        record["sha256"] = hashlib.sha256(f"{entry.key}\x001\x00".encode() + bad).hexdigest()
        target.with_suffix(".json").write_text(json.dumps(record))
    with caplog.at_level("WARNING"):
        assert run_cli(main, [*args, "--output", str(tmp_path / "out"), "--cache-dir", str(cache)]) == 0
    assert any(str(target) in r.getMessage() and "encoded again" in r.getMessage() for r in caplog.records), kind
    ref, out = root / "ref" / "tiny", tmp_path / "out" / "tiny"
    assert (out / "corpus.run.gz").read_bytes() == (ref / "corpus.run.gz").read_bytes()
    assert json.loads((out / "corpus.json").read_text())["metrics"] == json.loads((ref / "corpus.json").read_text())[
        "metrics"]
    assert entry.read(1).nnz == CorpusCache(root / "cache").find(folder.name).read(1).nnz  # repaired on disk
