"""splade_beir.encode.corpus: encoding only what the cache lacks, resuming, and a SIGKILL mid-encoding."""

import json
import logging
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.encode.cache import CorpusCache
from splade_beir.encode.corpus import InProcess, encode_corpus
from splade_beir.encode.encoder import SpladeEncoder


def rows(start, stop):
    return sp.csr_matrix(np.arange(start, stop, dtype=np.float32)[:, None] + 1)


class Rows:
    """A corpus encoder whose row i is [i + 1]; it records the row ranges it encodes."""

    def __init__(self):
        self.calls = []

    def encode(self, entry, chunks, texts, show_progress=True):
        for chunk in chunks:
            start, stop = entry.rows(chunk)
            assert texts(start, stop) == [f"t{i}" for i in range(start, stop)]
            self.calls.append((start, stop))
            entry.write(chunk, rows(start, stop))


def texts(start, stop):
    return [f"t{i}" for i in range(start, stop)]


def test_second_encode_reads_everything_from_disk(tmp_path, caplog):
    cache, encoder = CorpusCache(tmp_path, chunk_size=3), Rows()
    first = encode_corpus(cache.entry({"m": 1, "vocab_size": 1}, 8), encoder, texts, show_progress=False)
    assert encoder.calls == [(0, 3), (3, 6), (6, 8)]
    with caplog.at_level(logging.INFO):
        second = encode_corpus(cache.entry({"m": 1, "vocab_size": 1}, 8), encoder, texts, show_progress=False)
    assert len(encoder.calls) == 3 and (first != second).nnz == 0 and first[7, 0] == 8
    assert any("corpus cache hit" in r.getMessage() for r in caplog.records)
    encode_corpus(cache.entry({"m": 2, "vocab_size": 1}, 8), encoder, texts, show_progress=False)  # another model
    assert len(encoder.calls) == 6 and len(cache.entries()) == 2
    assert cache.clear() == 2 and cache.entries() == []


def test_resume_encodes_only_missing_chunks(tmp_path, caplog):
    cache = CorpusCache(tmp_path, chunk_size=2)
    encode_corpus(cache.entry({"m": 1, "vocab_size": 1}, 6), Rows(), texts, show_progress=False)
    folder = cache.entries()[0][0]
    (folder / "chunk-000002.npz").unlink()
    encoder = Rows()
    with caplog.at_level(logging.INFO):
        M = encode_corpus(cache.entry({"m": 1, "vocab_size": 1}, 6), encoder, texts, show_progress=False)
    assert encoder.calls == [(4, 6)] and M.shape == (6, 1) and M.toarray().ravel().tolist() == [1, 2, 3, 4, 5, 6]
    assert any("2 of 3 chunks already encoded, resuming" in r.getMessage() for r in caplog.records)


def test_an_invalid_chunk_is_encoded_again_with_a_warning(tmp_path, caplog):
    cache = CorpusCache(tmp_path, chunk_size=4)
    entry = cache.entry({"m": 1, "vocab_size": 1}, 8)
    encode_corpus(entry, Rows(), texts, show_progress=False)
    entry.chunk_path(0).write_bytes(b"garbage")
    encoder = Rows()
    with caplog.at_level(logging.WARNING):
        M = encode_corpus(entry, encoder, texts, show_progress=False)
    assert encoder.calls == [(0, 4)] and M.toarray().ravel().tolist() == list(range(1, 9))
    assert any("chunk-000000.npz" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_in_process_through_the_cache_equals_direct_encoding(tiny_mlm, tmp_path):
    encoder = SpladeEncoder(str(tiny_mlm), show_progress=False)
    docs = ["the cat and the dog", "", "sparse retrieval", "a tree", "music science history", "dog", "fish river"]
    entry = CorpusCache(tmp_path, chunk_size=3).entry(encoder.fingerprint(), len(docs))
    cached = encode_corpus(entry, InProcess(encoder, batch_size=2), lambda a, b: docs[a:b], show_progress=False)
    # batches are formed within chunks, so compare with chunk-wise direct encoding
    direct = sp.vstack([encoder.encode_texts(docs[a:a + 3], encoder.doc, 2) for a in range(0, len(docs), 3)])
    assert cached.shape == (len(docs), encoder.vocab_size) and abs(cached - direct).max() == 0
    assert abs(cached - encoder.encode_corpus(docs, batch_size=2)).max() < 1e-6


@pytest.mark.slow
def test_sigkill_during_encoding_then_resume(tiny_mlm, random_beir, tmp_path):
    data = random_beir(tmp_path / "big", 4000, 20, 30, 0)
    args = [sys.executable, "-m", "splade_beir.evaluate", "--model", str(tiny_mlm), "--datasets", str(data),
            "--cache-chunk-size", "40", "--batch-size", "8", "--name", "tiny"]  # not -q: the resume line is logged
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    proc = subprocess.Popen(args + ["--output", str(tmp_path / "killed"), "--cache-dir", str(tmp_path / "cache")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def chunks():  # the chunks saved whole: the file, then its record
        return sorted(p for p in (tmp_path / "cache").glob("*/chunk-*.npz") if p.with_suffix(".json").is_file())

    deadline = time.time() + 120
    while len(chunks()) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in chunks()}  # the corpus's: no queries yet
    assert 3 <= len(saved) < 100, f"the kill should land mid-encoding, {len(saved)} of 100 chunks were saved"
    assert not (tmp_path / "killed" / "tiny" / "big.json").exists()

    resumed = subprocess.run(args + ["--output", str(tmp_path / "killed"), "--cache-dir", str(tmp_path / "cache")],
                             env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(saved)} of 100 chunks already encoded, resuming" in resumed.stderr
    for p in chunks():  # the chunks saved before the kill were not encoded again
        if p in saved:
            assert (p.stat().st_ino, p.stat().st_mtime_ns) == saved[p]

    # an uninterrupted run with the same arguments (chunking included: batches are formed within chunks)
    clean = subprocess.run(args + ["--output", str(tmp_path / "clean"), "--cache-dir", str(tmp_path / "cache2")],
                           env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    for name in ("big.run.gz",):
        assert (tmp_path / "killed" / "tiny" / name).read_bytes() == (tmp_path / "clean" / "tiny" / name).read_bytes()
    killed = json.loads((tmp_path / "killed" / "tiny" / "big.json").read_text())
    cleanr = json.loads((tmp_path / "clean" / "tiny" / "big.json").read_text())
    assert killed["metrics"] == cleanr["metrics"] and killed["flops"] == cleanr["flops"]
