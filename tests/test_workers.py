import json
import os
import queue
import random
import signal
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import WORDS, write_beir
from splade_beir import workers as workers_module
from splade_beir.cache import CorpusCache, digest_texts
from splade_beir.datasets import document_text, load_folder
from splade_beir.errors import UserError
from splade_beir.evaluate import evaluate
from splade_beir.shards import EncoderSpec, ShardJob, merge_shards, missing_chunks
from splade_beir.workers import LocalWorkers

# Documents of msmarco-5k the acceptance tests use (all 5,000 with SPLADE_BEIR_SCALE_DOCS=5000).
SCALE_DOCS = int(os.environ.get("SPLADE_BEIR_SCALE_DOCS", "200"))


def test_worker_slots_share_gpus_or_cores(monkeypatch):
    assert LocalWorkers(2, device="cpu", cpus=2).slots() == [("cpu", 1), ("cpu", 1)]
    assert LocalWorkers(3, device="cpu", cpus=16).slots() == [("cpu", 5)] * 3
    assert LocalWorkers(4, device="cpu", cpus=2).slots() == [("cpu", 1)] * 4
    monkeypatch.setattr(workers_module, "visible_gpus", lambda: ["2", "5"])  # CUDA_VISIBLE_DEVICES=2,5
    assert LocalWorkers(cpus=8).slots() == [("cuda=2", 4), ("cuda=5", 4)]
    assert LocalWorkers(3, cpus=8).slots() == [("cuda=2", 2), ("cuda=5", 2), ("cuda=2", 2)]
    assert LocalWorkers(2, device="cuda:1", cpus=8).slots() == [("cuda=5", 4), ("cuda=5", 4)]
    assert LocalWorkers(2, device="cpu", cpus=4).slots() == [("cpu", 2), ("cpu", 2)]
    with pytest.raises(UserError, match="at least 1"):
        LocalWorkers(0)


def msmarco_slice(source, folder, n_docs):
    """The first ``n_docs`` passages of msmarco-5k, every query, the judgements of those passages."""
    folder.mkdir(parents=True)
    with open(source / "corpus.jsonl") as f:
        lines = [next(f) for _ in range(n_docs)] if n_docs < 5000 else f.readlines()
    (folder / "corpus.jsonl").write_text("".join(lines))
    (folder / "queries.jsonl").write_text((source / "queries.jsonl").read_text())
    ids = {json.loads(line)["_id"] for line in lines}
    (folder / "qrels").mkdir()
    qrels = [r for r in (source / "qrels" / "test.tsv").read_text().splitlines() if r.split("\t")[1] in ids]
    (folder / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n")
    return folder


def assert_identical(a, b, dataset, chunk):
    """Same run file bytes, metrics and costs in results folders ``a/`` and ``b/``, and the same corpus
    matrices in their caches ``a/cache``, ``b/cache``: the same non-zeros, the same values to the bit
    but for torch's CPU rounding under another thread count (relative difference below 1e-5)."""
    ra, rb = (json.loads((x / "tiny" / f"{dataset}.json").read_text()) for x in (a, b))
    for key in ("metrics", "flops", "nnz_query", "nnz_doc", "n_docs", "per_query"):
        assert ra[key] == rb[key], key
    assert (a / "tiny" / f"{dataset}.run.gz").read_bytes() == (b / "tiny" / f"{dataset}.run.gz").read_bytes()
    [ea], [eb] = CorpusCache(a / "cache", chunk).entries(), CorpusCache(b / "cache", chunk).entries()
    assert ea.name == eb.name  # the same fingerprint
    for chunk_file in sorted(ea.glob("chunk-*.npz")):
        A, B = sp.load_npz(chunk_file), sp.load_npz(eb / chunk_file.name)
        assert np.array_equal(A.indptr, B.indptr) and np.array_equal(A.indices, B.indices)
        # A CPU worker has its share of the cores: with 1 torch thread instead of 2, a rare value rounds
        # differently (1 of 640,326 on all of msmarco-5k, by 1.4e-6 relative); with equal threads none.
        np.testing.assert_allclose(B.data, A.data, rtol=1e-5, atol=0)


def run_msmarco(data, folder, chunk, **options):
    evaluate("splade-tiny", [str(data)], name="tiny", output=folder, show_progress=False, cache_dir=folder / "cache",
             cache_chunk_size=chunk, **options)
    return folder


@pytest.fixture
def msmarco_single(splade_tiny, msmarco_5k, tmp_path_factory):
    """The first SCALE_DOCS passages of msmarco-5k, evaluated by one process (once per test session):
    ``(data folder, results folder, chunk size)``; 4 chunks, so 4 shards."""
    root = tmp_path_factory.getbasetemp() / f"msmarco-single-{SCALE_DOCS}"
    chunk = -(-SCALE_DOCS // 4)
    data = root / "msmarco-slice"
    if not (root / "single" / "tiny" / "msmarco-slice.json").is_file():
        if not data.is_dir():
            msmarco_slice(msmarco_5k, data, SCALE_DOCS)
        run_msmarco(data, root / "single", chunk)
    return data, root / "single", chunk


def test_two_local_workers_equal_one_process_on_msmarco(msmarco_single, tmp_path):
    data, single, chunk = msmarco_single
    sharded = run_msmarco(data, tmp_path / "workers", chunk, workers=2)  # 4 shards dealt to 2 processes
    assert_identical(single, sharded, "msmarco-slice", chunk)


def _corpus(tmp_path, n_docs):
    rng = random.Random(2)
    corpus = {f"d{i}": {"title": "", "text": " ".join(rng.choices(WORDS, k=20))} for i in range(n_docs)}
    queries = {f"q{i}": " ".join(rng.choices(WORDS, k=3)) for i in range(5)}
    return write_beir(tmp_path / "small", corpus, queries, [(f"q{i}", f"d{i}", 1) for i in range(5)])


def _job(tiny_mlm, tmp_path, spec_class=EncoderSpec, n_docs=60, chunk=10):
    dataset = load_folder(_corpus(tmp_path, n_docs), "test")
    doc_ids = list(dataset.corpus)
    texts = [document_text(dataset.corpus[d]) for d in doc_ids]
    encoder = EncoderSpec(str(tiny_mlm), batch_size=8).load("cpu")
    fingerprint = {**encoder.fingerprint(), "corpus": digest_texts(doc_ids, texts)}
    job = ShardJob(spec_class(str(tiny_mlm), batch_size=8), fingerprint, str(tmp_path / "cache"), chunk, n_docs,
                   n_docs // chunk)
    reference = sp.vstack([encoder.encode_texts(texts[a:a + chunk], encoder.doc, 8) for a in range(0, n_docs, chunk)])
    return job, texts, reference.tocsr()


class KilledOnceSpec(EncoderSpec):
    """Kills its own worker process when it starts on row 30, the first time only (a marker file remembers)."""

    def encode(self, encoder, texts):
        marker = Path(os.environ["SPLADE_TEST_MARKER_DIR"]) / "killed"
        if texts[0].endswith("#30") and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return super().encode(encoder, texts)


def test_killed_worker_then_rerun_resumes_and_matches(tiny_mlm, tmp_path, monkeypatch):
    monkeypatch.setenv("SPLADE_TEST_MARKER_DIR", str(tmp_path))  # spawned workers inherit it
    job, texts, _ = _job(tiny_mlm, tmp_path, KilledOnceSpec)
    texts = [f"{t} #{i}" for i, t in enumerate(texts)]  # the row number travels with the text
    job = ShardJob(job.spec, {**job.fingerprint, "corpus": digest_texts([], texts)}, job.cache_root, job.chunk_size,
                   job.n_texts, job.n_shards)
    with pytest.raises(UserError, match="worker process died"):
        LocalWorkers(1, device="cpu").encode(job, list(range(job.n_shards)), texts, show_progress=False)
    assert (tmp_path / "killed").exists()
    left = missing_chunks(job.cache, job.fingerprint, job.n_texts)
    assert left == [3, 4, 5]  # one worker, shards in order: killed on shard 3
    saved = {p.name: p.stat().st_mtime_ns for p in job.cache.root.glob("*/chunk-*.npz")}
    # resumed here by the single-process cache: the workers' shards are its chunks
    encoder, calls = EncoderSpec(job.spec.model).load("cpu"), []

    def encode_rows(a, b):
        calls.append(a // 10)
        return encoder.encode_texts(texts[a:b], encoder.doc, 8)

    merged = job.cache.encode(job.fingerprint, job.n_texts, encode_rows, show_progress=False)
    assert calls == left
    for p in job.cache.root.glob("*/chunk-*.npz"):  # what was saved before the kill was not encoded again
        if p.name in saved:
            assert p.stat().st_mtime_ns == saved[p.name]
    single = sp.vstack([encoder.encode_texts(texts[a:a + 10], encoder.doc, 8) for a in range(0, 60, 10)]).tocsr()
    assert np.array_equal(merged.indptr, single.indptr) and np.array_equal(merged.indices, single.indices)
    assert merged.data.tobytes() == single.data.tobytes()


class OtherWeightsSpec(EncoderSpec):
    """A worker whose checkpoint differs from the driver's (as on a node with another version)."""

    def load(self, device=None):
        encoder = super().load(device)
        encoder.doc.bias.add_(0.25)
        return encoder


def test_merge_refuses_a_worker_with_other_weights(tiny_mlm, tmp_path, monkeypatch):
    # the worker's task, run here: it fingerprints its own encoder, not the driver's
    job, texts, _ = _job(tiny_mlm, tmp_path, OtherWeightsSpec, n_docs=20)
    monkeypatch.setattr(workers_module, "_WORKER", {"device": "cpu", "progress": queue.Queue()})
    manifest = workers_module._encode_shard(job, 0, texts[:10])
    with pytest.raises(UserError, match="shard 0/2 does not match this run: its model weights"):
        merge_shards(job.cache, job.fingerprint, job.n_texts, [manifest])
