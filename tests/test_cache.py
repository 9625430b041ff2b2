import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_beir
from splade_beir.cache import CorpusCache, cache_key, digest_texts
from splade_beir.errors import UserError


def _rows(start, end):
    return sp.csr_matrix(np.arange(start, end, dtype=np.float32)[:, None] + 1)


def test_second_encode_reads_everything_from_disk(tmp_path):
    cache, calls = CorpusCache(tmp_path, chunk_size=3), []

    def encode_rows(a, b):
        calls.append((a, b))
        return _rows(a, b)

    first = cache.encode({"m": 1}, 8, encode_rows, show_progress=False)
    assert calls == [(0, 3), (3, 6), (6, 8)]
    second = cache.encode({"m": 1}, 8, encode_rows, show_progress=False)
    assert len(calls) == 3 and (first != second).nnz == 0 and first[7, 0] == 8
    cache.encode({"m": 2}, 8, encode_rows, show_progress=False)  # another model: another entry
    assert len(calls) == 6 and len(cache.entries()) == 2
    assert cache.clear() == 2 and cache.entries() == []


def test_resume_encodes_only_missing_chunks(tmp_path):
    cache = CorpusCache(tmp_path, chunk_size=2)
    cache.encode({"m": 1}, 6, _rows, show_progress=False)
    entry = cache.entries()[0]
    (entry / "chunk-000002.npz").unlink()
    calls = []
    M = cache.encode({"m": 1}, 6, lambda a, b: calls.append((a, b)) or _rows(a, b), show_progress=False)
    assert calls == [(4, 6)] and M.shape == (6, 1)


def test_key_covers_texts_and_ids():
    assert digest_texts(["a"], ["x"]) != digest_texts(["a"], ["y"]) != digest_texts(["b"], ["y"])
    assert digest_texts(["a", "b"], ["", "x"]) != digest_texts(["a", "b"], ["x", ""])
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})


def test_unreadable_chunk_is_a_clear_error(tmp_path):
    cache = CorpusCache(tmp_path, chunk_size=4)
    cache.encode({"m": 1}, 4, _rows, show_progress=False)
    (cache.entries()[0] / "chunk-000000.npz").write_bytes(b"garbage")
    with pytest.raises(UserError, match="chunk-000000.npz: unreadable cache file"):
        cache.encode({"m": 1}, 4, _rows, show_progress=False)


def _corpus(tmp_path, n_docs):
    return random_beir(tmp_path / "big", n_docs, 20, 30, 0)


def test_sigkill_during_encoding_then_resume(tiny_mlm, tmp_path):
    data = _corpus(tmp_path, 4000)
    args = [sys.executable, "-m", "splade_beir.evaluate", "--model", str(tiny_mlm), "--datasets", str(data),
            "--cache-chunk-size", "40", "--batch-size", "8", "--name", "tiny"]  # not -q: the resume line is logged
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    proc = subprocess.Popen(args + ["--output", str(tmp_path / "killed"), "--cache-dir", str(tmp_path / "cache")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    chunks = lambda: sorted((tmp_path / "cache").glob("*/chunk-*.npz"))  # noqa: E731
    deadline = time.time() + 120
    while len(chunks()) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in chunks()}
    assert 3 <= len(saved) < 100, f"the kill should land mid-encoding, {len(saved)} of 100 chunks were saved"
    assert not (tmp_path / "killed" / "tiny" / "big.json").exists()

    resumed = subprocess.run(args + ["--output", str(tmp_path / "killed"), "--cache-dir", str(tmp_path / "cache")],
                             env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(saved)} of 100 chunks already encoded, resuming" in resumed.stderr
    for p in chunks():  # the chunks saved before the kill were not encoded again
        if p.name in saved:
            assert (p.stat().st_ino, p.stat().st_mtime_ns) == saved[p.name]

    # an uninterrupted run with the same arguments (chunking included: batches are formed within chunks)
    clean = subprocess.run(args + ["--output", str(tmp_path / "clean"), "--cache-dir", str(tmp_path / "cache2")],
                           env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    for name in ("big.run.gz",):
        assert (tmp_path / "killed" / "tiny" / name).read_bytes() == (tmp_path / "clean" / "tiny" / name).read_bytes()
    import json
    killed = json.loads((tmp_path / "killed" / "tiny" / "big.json").read_text())
    cleanr = json.loads((tmp_path / "clean" / "tiny" / "big.json").read_text())
    assert killed["metrics"] == cleanr["metrics"] and killed["flops"] == cleanr["flops"]
