"""splade_beir.encode.cache: entries keyed without the chunk size, chunks verified on every read, assembly."""

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.encode.cache import (CorpusCache, InvalidChunk, cache_key, default_cache_dir,
                                      make_cache)
from splade_beir.data.corpus import digest_texts
from splade_beir.encode.csr import check_csr
from splade_beir.errors import UserError

FP = {"m": 1, "vocab_size": 1}  # a fingerprint: vocab_size is the number of columns


def rows(start, stop):
    """Rows ``start..stop-1`` of a test corpus: row i is the 1-column vector [i + 1]."""
    return sp.csr_matrix(np.arange(start, stop, dtype=np.float32)[:, None] + 1)


def fill(entry, chunks=None):
    for chunk in entry.missing() if chunks is None else chunks:
        entry.write(chunk, rows(*entry.rows(chunk)))


def test_layout_and_assembly(tmp_path):
    entry = CorpusCache(tmp_path, chunk_size=3).entry(FP, 8, about={"dataset": "x"})
    assert entry.n_chunks == 3 and [entry.rows(c) for c in range(3)] == [(0, 3), (3, 6), (6, 8)]
    assert entry.missing() == [0, 1, 2] and entry.folder.parent == tmp_path
    fill(entry)
    assert entry.missing() == []
    assert sorted(p.name for p in entry.folder.iterdir()) == [
        "chunk-000000.json", "chunk-000000.npz", "chunk-000001.json", "chunk-000001.npz",
        "chunk-000002.json", "chunk-000002.npz", "meta.json"]
    meta = json.loads((entry.folder / "meta.json").read_text())
    assert meta["chunk_size"] == 3 and meta["n_texts"] == 8 and meta["about"] == {"dataset": "x"}
    M = entry.assemble()
    assert isinstance(M, sp.csr_matrix) and M.dtype == np.float32 and M.shape == (8, 1)
    assert M.toarray().ravel().tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert (entry.read(1) != rows(3, 6)).nnz == 0


def test_entries_and_clear(tmp_path):
    cache = CorpusCache(tmp_path, chunk_size=3)
    fill(cache.entry(FP, 8))
    fill(cache.entry({**FP, "m": 2}, 8))  # another model: another entry
    assert len(cache.entries()) == 2
    assert all(meta["n_texts"] == 8 for _, meta in cache.entries())
    assert cache.clear() == 2 and cache.entries() == []
    assert CorpusCache(tmp_path / "absent").entries() == []


def test_key_covers_texts_and_ids():
    assert digest_texts(["a"], ["x"]) != digest_texts(["a"], ["y"]) != digest_texts(["b"], ["y"])
    assert digest_texts(["a", "b"], ["", "x"]) != digest_texts(["a", "b"], ["x", ""])
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})


def test_the_key_leaves_out_the_chunk_size(tmp_path):
    first = CorpusCache(tmp_path, chunk_size=3).entry(FP, 8)
    fill(first)
    again = CorpusCache(tmp_path).entry(FP, 8)  # no chunk size asked: the entry's own
    assert again.folder == first.folder and again.chunk_size == 3 and again.missing() == []
    assert CorpusCache(tmp_path, chunk_size=3).entry(FP, 8).folder == first.folder
    with pytest.raises(UserError, match="cached in chunks of 3 documents, not 4"):
        CorpusCache(tmp_path, chunk_size=4).entry(FP, 8)
    assert CorpusCache(tmp_path).entry(FP, 9).folder != first.folder  # the corpus size is in the key
    assert CorpusCache(tmp_path / "new").entry(FP, 8).chunk_size == 10_000  # the default for a new entry


def test_default_folder_and_make_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "splade_beir"
    assert CorpusCache().root == tmp_path / "xdg" / "splade_beir"
    assert make_cache(True).root == tmp_path / "xdg" / "splade_beir"
    assert make_cache(tmp_path / "c", 5).root == tmp_path / "c" and make_cache(tmp_path / "c", 5).chunk_size == 5
    assert make_cache(False) is None and make_cache(None) is None
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "splade_beir"
    for bad in (0, -1, 2.5, True):
        with pytest.raises(UserError, match="chunk size must be a positive integer"):
            CorpusCache(tmp_path, chunk_size=bad)


def test_unreadable_chunk_is_a_clear_error(tmp_path):
    entry = CorpusCache(tmp_path, chunk_size=4).entry(FP, 4)
    fill(entry)
    (entry.folder / "chunk-000000.npz").write_bytes(b"garbage")
    with pytest.raises(InvalidChunk, match="chunk-000000.npz: its bytes do not match its record"):
        entry.read(0)
    with pytest.raises(UserError, match="chunk-000000.npz: invalid cache chunk removed"):
        entry.assemble()
    assert entry.missing() == [0]  # removed: the next run encodes it again


@pytest.mark.parametrize("damage,message", [
    ("truncate", "its bytes do not match its record"),
    ("swap", "its bytes do not match its record"),       # copied from another slot, record and all
    ("other entry", "no matching record"),                # copied from another entry, record and all
    ("no record", "no matching record"),
    ("record nnz", "non-zeros where its record says"),
])
def test_every_read_verifies_the_chunk(tmp_path, damage, message):
    cache = CorpusCache(tmp_path, chunk_size=2)
    entry = cache.entry(FP, 4)
    fill(entry)
    npz, record = entry.chunk_path(0), entry.chunk_path(0).with_suffix(".json")
    if damage == "truncate":
        npz.write_bytes(npz.read_bytes()[:-10])
    elif damage == "swap":
        npz.write_bytes(entry.chunk_path(1).read_bytes())
        rec1 = json.loads(entry.chunk_path(1).with_suffix(".json").read_text())
        record.write_text(json.dumps({**rec1, "chunk": 0}))
    elif damage == "other entry":
        other = cache.entry({**FP, "m": 2}, 4)
        fill(other)
        npz.write_bytes(other.chunk_path(0).read_bytes())
        record.write_bytes(other.chunk_path(0).with_suffix(".json").read_bytes())
    elif damage == "no record":
        record.unlink()
    elif damage == "record nnz":  # a record edited to another count (its digest covers the bytes only)
        entry.write(0, sp.csr_matrix((2, 1), dtype=np.float32))
        record.write_text(json.dumps({**json.loads(record.read_text()), "nnz": 2}))
    with pytest.raises(InvalidChunk, match=message):
        entry.read(0)
    if damage in ("no record", "other entry"):
        assert entry.missing() == [0]  # never counted as encoded


def test_repair_encodes_invalid_chunks_again(tmp_path, caplog):
    entry = CorpusCache(tmp_path, chunk_size=3).entry(FP, 8)
    fill(entry)
    entry.chunk_path(1).write_bytes(b"garbage")
    repaired = []
    with caplog.at_level(logging.WARNING):
        M = entry.assemble(repair=lambda bad: repaired.append(bad) or fill(entry, bad))
    assert repaired == [[1]] and M.toarray().ravel().tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert any("chunk-000001.npz" in r.getMessage() and "encoded again" in r.getMessage() for r in caplog.records)


def test_assembly_needs_every_chunk(tmp_path):
    entry = CorpusCache(tmp_path, chunk_size=3).entry(FP, 8)
    fill(entry, [0, 2])
    with pytest.raises(UserError, match="1 of 3 chunks are not encoded yet .*rows from 3"):
        entry.assemble()


def test_malformed_chunks_are_never_written(tmp_path):
    entry = CorpusCache(tmp_path, chunk_size=2).entry(FP, 4)
    for bad in (rows(0, 3), sp.csr_matrix(np.array([[-1.0], [1.0]], dtype=np.float32)),
                sp.csr_matrix(np.array([[np.inf], [1.0]], dtype=np.float32)), sp.csr_matrix((2, 2), dtype=np.float32)):
        with pytest.raises(RuntimeError, match="refusing to cache chunk 0"):
            entry.write(0, bad)
    assert entry.missing() == [0, 1] and not list(entry.folder.glob("chunk-*"))


def test_check_csr():
    good = sp.csr_matrix(np.array([[0, 1.5], [2.0, 0]], dtype=np.float32))
    assert check_csr(good, 2, 2) is None
    assert "shape" in check_csr(good, 3, 2)
    out_of_range = sp.csr_matrix((np.array([1.0], dtype=np.float32), np.array([5]), np.array([0, 1, 1])),
                                 shape=(2, 2))
    assert check_csr(out_of_range, 2, 2) == "column indices outside the vocabulary"
    nan = sp.csr_matrix(np.array([[np.nan, 1.0]], dtype=np.float32))
    assert check_csr(nan, 1, 2) == "weights that are not finite and positive"
