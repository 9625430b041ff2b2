"""Shared fixtures: a tiny random masked-LM checkpoint, small BEIR folders, the shared msmarco-5k data.

Test modules import nothing from here: they ask for fixtures (``write_beir`` and ``random_beir`` are
builders). The corpus cache of every test run goes to a fresh temporary ``XDG_CACHE_HOME``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

# Before any module is imported or any subprocess started: nothing a test does touches ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="splade-beir-tests-cache-")

SHARED_MSMARCO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "msmarco-5k"
WORDS = ("the a of sparse dense retrieval vector query document model token cat dog fish bird tree river "
         "mountain city music science history water fire energy light sound computer network data").split()


@pytest.fixture(scope="session")
def tiny_mlm(tmp_path_factory) -> Path:
    """A randomly initialised BertForMaskedLM with a generated 40-word vocabulary, saved to a folder."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-mlm")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    model = BertForMaskedLM(config).eval()
    with torch.no_grad():  # random heads are centred on 0; a positive bias gives non-trivial ReLU output
        model.get_output_embeddings().bias.normal_(0.5, 0.5)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _write_beir(folder: Path, corpus: dict, queries: dict, qrels: list[tuple[str, str, int]],
               header: bool = True, split: str = "test") -> Path:
    """Write a BEIR-format folder from Python objects."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w") as f:
        for _id, doc in corpus.items():
            f.write(json.dumps({"_id": _id, **doc}) + "\n")
    with open(folder / "queries.jsonl", "w") as f:
        for _id, text in queries.items():
            f.write(json.dumps({"_id": _id, "text": text}) + "\n")
    (folder / "qrels").mkdir(exist_ok=True)
    lines = (["query-id\tcorpus-id\tscore"] if header else []) + [f"{q}\t{d}\t{r}" for q, d, r in qrels]
    (folder / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n")
    return folder


def _random_beir(folder: Path, n_docs: int, n_queries: int, words_per_doc: int, seed: int) -> Path:
    """A BEIR folder of random texts over the tiny model's vocabulary, one judgement per query."""
    import random

    rng = random.Random(seed)
    corpus = {f"d{i}": {"title": "", "text": " ".join(rng.choices(WORDS, k=words_per_doc))} for i in range(n_docs)}
    queries = {f"q{i}": " ".join(rng.choices(WORDS, k=3)) for i in range(n_queries)}
    qrels = [(f"q{i}", f"d{rng.randrange(n_docs)}", 1) for i in range(n_queries)]
    return _write_beir(folder, corpus, queries, qrels)


@pytest.fixture(scope="session")
def write_beir():
    """``write_beir(folder, corpus, queries, qrels, header=True, split="test")``: a BEIR folder from Python objects."""
    return _write_beir


@pytest.fixture(scope="session")
def random_beir():
    """``random_beir(folder, n_docs, n_queries, words_per_doc, seed)``: random texts over the tiny vocabulary."""
    return _random_beir


@pytest.fixture(scope="session")
def vocabulary_words() -> tuple[str, ...]:
    """The words of the tiny model's vocabulary."""
    return WORDS


@pytest.fixture
def small_beir(tmp_path) -> Path:
    """Five documents in the tiny model's vocabulary, three judged queries (one id equals a doc id)."""
    corpus = {
        "d1": {"title": "cat", "text": "the cat and the dog"},
        "d2": {"title": "", "text": "fish in the river"},
        "d3": {"title": "music", "text": "sound and light"},
        "d4": {"title": "", "text": "computer network data"},
        "q3": {"title": "tree", "text": "a tree on the mountain"},
    }
    queries = {"q1": "cat dog", "q2": "river fish water", "q3": "tree mountain", "q4": "unjudged query"}
    qrels = [("q1", "d1", 2), ("q1", "d2", 0), ("q2", "d2", 1), ("q3", "d4", 1)]
    return _write_beir(tmp_path / "small", corpus, queries, qrels)


@pytest.fixture(scope="session")
def msmarco_5k() -> Path:
    if not (SHARED_MSMARCO / "corpus.jsonl").is_file():
        pytest.skip(f"{SHARED_MSMARCO} is absent")
    return SHARED_MSMARCO


@pytest.fixture(scope="session")
def splade_tiny() -> str:
    pytest.importorskip("cognition", reason="splade-tiny needs the [demo] extra")
    from splade_beir.encode.embedded import resolve_checkpoint

    return resolve_checkpoint("splade-tiny")


@pytest.fixture(scope="session")
def msmarco_5k_tiny(splade_tiny, msmarco_5k, tmp_path_factory) -> Path:
    """splade-tiny evaluated once per session on msmarco-5k through the CLI, with the TREC DL convention
    (--relevance-level 2); returns the folder holding msmarco-5k.json and msmarco-5k.run.gz."""
    from splade_beir.cli import run_cli
    from splade_beir.evaluate import main

    out = tmp_path_factory.mktemp("msmarco-5k-results")
    assert run_cli(main, ["--model", "splade-tiny", "--datasets", str(msmarco_5k), "--relevance-level", "2",
                          "--output", str(out), "--name", "tiny", "--no-cache", "-q"]) == 0
    return out / "tiny"


# --- scaling out: the same corpus encoded by one process and by workers --------------------------

# Documents of msmarco-5k the scale-out tests use (all 5,000 with SPLADE_BEIR_SCALE_DOCS=5000).
SCALE_DOCS = int(os.environ.get("SPLADE_BEIR_SCALE_DOCS", "200"))


def _msmarco_slice(source: Path, folder: Path, n_docs: int) -> Path:
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


def _run_msmarco(data: Path, folder: Path, chunk: int, **options) -> Path:
    from splade_beir.evaluation.api import evaluate

    evaluate("splade-tiny", [str(data)], name="tiny", output=folder, show_progress=False, cache_dir=folder / "cache",
             cache_chunk_size=chunk, **options)
    return folder


@pytest.fixture(scope="session")
def run_msmarco():
    """``run_msmarco(data, folder, chunk, **options)``: splade-tiny on ``data`` into ``folder`` (cache inside)."""
    return _run_msmarco


@pytest.fixture
def msmarco_single(splade_tiny, msmarco_5k, tmp_path_factory):
    """The first SCALE_DOCS passages of msmarco-5k, evaluated by one process (once per test session):
    ``(data folder, results folder, chunk size)``; 4 chunks, so 4 shards."""
    root = tmp_path_factory.getbasetemp() / f"msmarco-single-{SCALE_DOCS}"
    chunk = -(-SCALE_DOCS // 4)
    data = root / "msmarco-slice"
    if not (root / "single" / "tiny" / "msmarco-slice.json").is_file():
        if not data.is_dir():
            _msmarco_slice(msmarco_5k, data, SCALE_DOCS)
        _run_msmarco(data, root / "single", chunk)
    return data, root / "single", chunk


def _assert_identical(a: Path, b: Path, dataset: str) -> None:
    """Same run file bytes, metrics and costs in results folders ``a/`` and ``b/``, and the same corpus
    matrices in their caches ``a/cache``, ``b/cache``: the same non-zeros, the same values to the bit
    but for torch's CPU rounding under another thread count (relative difference below 1e-5)."""
    import numpy as np
    import scipy.sparse as sp

    from splade_beir.encode.cache import CorpusCache

    ra, rb = (json.loads((x / "tiny" / f"{dataset}.json").read_text()) for x in (a, b))
    for key in ("metrics", "flops", "nnz_query", "nnz_doc", "n_docs", "per_query"):
        assert ra[key] == rb[key], key
    assert (a / "tiny" / f"{dataset}.run.gz").read_bytes() == (b / "tiny" / f"{dataset}.run.gz").read_bytes()
    [ea], [eb] = ([f for f, meta in CorpusCache(x / "cache").entries() if "corpus" in meta["fingerprint"]]
                  for x in (a, b))
    assert ea.name == eb.name  # the same fingerprint
    chunk_files = sorted(ea.glob("chunk-*.npz"))
    assert chunk_files and len(chunk_files) == len(list(eb.glob("chunk-*.npz")))
    for chunk_file in chunk_files:
        A, B = sp.load_npz(chunk_file), sp.load_npz(eb / chunk_file.name)
        assert np.array_equal(A.indptr, B.indptr) and np.array_equal(A.indices, B.indices)
        # A CPU worker has its share of the cores: with 1 torch thread instead of 2, a rare value rounds
        # differently (1 of 640,326 on all of msmarco-5k, by 1.4e-6 relative); with equal threads none.
        np.testing.assert_allclose(B.data, A.data, rtol=1e-5, atol=0)


@pytest.fixture(scope="session")
def assert_identical_results():
    """``assert_identical_results(a, b, dataset)``: two results folders hold the same results and vectors."""
    return _assert_identical


@pytest.fixture
def numbered_corpus_entry(tiny_mlm, tmp_path, write_beir):
    """``make(n_docs=60, chunk=10, number=False)``: a random corpus's cache entry under the tiny model,
    its texts (each ending in ``#<row>`` when ``number``) and the single-process matrix of those texts."""
    import random

    import scipy.sparse as sp

    from splade_beir.data.corpus import digest_texts
    from splade_beir.encode.cache import CorpusCache
    from splade_beir.scale.plan import EncoderSpec

    def make(n_docs: int = 60, chunk: int = 10, number: bool = False):
        rng = random.Random(2)
        texts = [" ".join(rng.choices(WORDS, k=20)) + (f" #{i}" if number else "") for i in range(n_docs)]
        encoder = EncoderSpec(str(tiny_mlm), batch_size=8).load("cpu")
        fingerprint = {**encoder.fingerprint(), "corpus": digest_texts([f"d{i}" for i in range(n_docs)], texts)}
        entry = CorpusCache(tmp_path / "cache").entry(fingerprint, n_docs, chunk_size=chunk)
        reference = sp.vstack([encoder.encode_texts(texts[a:a + chunk], encoder.doc, 8)
                               for a in range(0, n_docs, chunk)]).tocsr()
        return entry, texts, reference

    return make


# --- vectors in and out (interop): a result whose vectors are in a cache, without any model -------

def _cached_vectors(folder: Path, docs: dict, queries: dict, vocabulary: list, split: str = "test"):
    """A BEIR folder, a corpus cache holding the given vectors and a Result pointing at them.

    ``docs`` / ``queries``: ``{id: {token: float weight}}`` (tokens from ``vocabulary``); every query is
    judged relevant to the first document. Returns ``(result, cache, dataset folder)``.
    """
    import numpy as np
    import scipy.sparse as sp

    from splade_beir.data.corpus import digest_texts
    from splade_beir.data.loader import load_folder
    from splade_beir.encode.cache import CorpusCache
    from splade_beir.evaluation.result import Result

    column = {t: i for i, t in enumerate(vocabulary)}

    def matrix(vectors):
        rows = [sorted((column[t], w) for t, w in v.items()) for v in vectors.values()]
        indptr = np.cumsum([0] + [len(r) for r in rows])
        return sp.csr_matrix((np.array([w for r in rows for _, w in r], dtype=np.float32),
                              np.array([c for r in rows for c, _ in r], dtype=np.int32), indptr),
                             shape=(len(rows), len(vocabulary)))

    first = next(iter(docs))
    data = _write_beir(folder / "data" / "vec", {d: {"title": "", "text": f"text of {d}"} for d in docs},
                       {q: f"query {q}" for q in queries}, [(q, first, 1) for q in queries], split=split)
    dataset = load_folder(data, split)
    cache = CorpusCache(folder / "cache")
    texts = [dataset.queries[q] for q in dataset.queries]
    doc_entry = cache.entry({"corpus": dataset.corpus.digest(), "vocab_size": len(vocabulary)}, len(docs))
    query_entry = cache.entry({"queries": digest_texts(map(str, range(len(texts))), texts),
                               "vocab_size": len(vocabulary)}, len(texts), chunk_size=max(1, len(texts)))
    for entry, vectors in ((doc_entry, docs), (query_entry, {q: queries[q] for q in dataset.queries})):
        entry.write_vocabulary(list(vocabulary))
        for chunk in range(entry.n_chunks):
            entry.write(chunk, matrix(vectors)[slice(*entry.rows(chunk))])
    result = Result("synthetic", "vec", "splade", data=str(data), split=split,
                    vectors={"corpus": doc_entry.key, "queries": query_entry.key})
    return result, cache, data


@pytest.fixture(scope="session")
def cached_vectors():
    """``cached_vectors(folder, docs, queries, vocabulary)``: a result, its cache and its BEIR folder, for
    vectors given as ``{id: {token: weight}}`` (no model involved)."""
    return _cached_vectors


def _splade_tiny_cached(root: Path, data: str, level: int | None = None) -> tuple[Path, Path]:
    from splade_beir.evaluation.api import evaluate

    if not (root / "results" / "splade-tiny").is_dir():
        evaluate("splade-tiny", [data], output=root / "results", cache_dir=root / "cache", show_progress=False,
                 relevance_levels=level)
    return root / "results", root / "cache"


@pytest.fixture(scope="session")
def demo_tiny_cached(splade_tiny, tmp_path_factory):
    """splade-tiny on demo with a corpus cache: ``(results root, cache folder)``."""
    return _splade_tiny_cached(tmp_path_factory.getbasetemp() / "demo-tiny-cached", "demo")


@pytest.fixture(scope="session")
def msmarco_5k_tiny_cached(splade_tiny, msmarco_5k, tmp_path_factory):
    """splade-tiny on msmarco-5k (relevance level 2) with a corpus cache: ``(results root, cache folder)``."""
    return _splade_tiny_cached(tmp_path_factory.getbasetemp() / "msmarco-5k-tiny-cached", str(msmarco_5k), 2)


# --- the HTML report: a small config evaluated for real (SPLADE rows with cached vectors) ----------

REPORT_CONFIG = """name: report-demo
datasets: [demo]
output: {output}
baseline: A
models:
  - {{label: A, name: splade-tiny-max, checkpoint: splade-tiny, pooling: max}}
  - {{label: C, name: splade-tiny-sum, checkpoint: splade-tiny, pooling: sum}}
  - {{label: D, name: bm25, kind: bm25}}
ensembles:
  - members: [A, D]
"""


@pytest.fixture(scope="session")
def report_demo(splade_tiny, tmp_path_factory) -> tuple[Path, Path]:
    """A config of splade-tiny (max and sum pooling, vectors cached), BM25 and their ensemble on demo,
    evaluated once per session: ``(config path, cache folder)``."""
    pytest.importorskip("bm25s", reason="the report config has a BM25 row (the [bm25] extra)")
    from splade_beir.evaluation.api import evaluate_config
    from splade_beir.fuse.ensembles import ensemble_config

    root = tmp_path_factory.mktemp("report-demo")
    config = root / "report-demo.yaml"
    config.write_text(REPORT_CONFIG.format(output=root / "results"))
    evaluate_config(config, show_progress=False, cache_dir=root / "cache")
    ensemble_config(config)
    return config, root / "cache"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests keep what a person may want to look at (screenshots, PDFs): ``$SPLADE_BEIR_ARTIFACTS``,
    else ``<tmp>/splade-beir-artifacts``."""
    folder = Path(os.environ.get("SPLADE_BEIR_ARTIFACTS") or Path(tempfile.gettempdir()) / "splade-beir-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def synthetic():
    """The benchmarks' generator of SPLADE-shaped vectors (benchmarks/synthetic.py), loaded by path."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("splade_beir_benchmarks_synthetic", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synthetic_splade(synthetic):
    """``synthetic_splade(n_docs, n_queries, seed)``: SPLADE-shaped (Q, D) CSR matrices (~130 non-zeros
    per document, ~19 per query, Zipf-like terms)."""
    return synthetic.synthetic_splade


@pytest.fixture(scope="session")
def idf_weighted(synthetic):
    """``idf_weighted(Q, D)``: the weights scaled by ``log(N / df) / log(N)``, as real SPLADE weighs rare
    terms more (the case where pruning can pay)."""
    return synthetic.idf_weighted
