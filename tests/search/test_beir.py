"""splade_beir.search.beir: ExactSparseSearch, BeirSparseSearch, and SpladeEncoder inside beir's own searches,
all through beir's EvaluateRetrieval, against ``python -m splade_beir.evaluate``."""

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.search.beir import BeirSparseSearch, ExactSparseSearch


def test_exact_sparse_search_keeps_top_k_after_dropping_the_query_itself():
    D = sp.csr_matrix(np.array([[3, 0], [2, 0], [1, 0]], dtype=np.float32))
    Q = sp.csr_matrix(np.array([[1, 0]], dtype=np.float32))
    run = ExactSparseSearch(model=None, show_progress=False).search_matrices(Q, D, ["d0"], ["d0", "d1", "d2"], 2)
    assert run == {"d0": {"d1": 2.0, "d2": 1.0}}


class BagOfWords:
    """A model with the encoder interface: one column per word of a fixed vocabulary, CSR out."""

    VOCAB = ["cat", "dog", "fish", "river"]
    threads = 1

    def _encode(self, texts):
        return sp.csr_matrix(np.array([[t.split().count(w) for w in self.VOCAB] for t in texts], dtype=np.float32))

    def encode_queries(self, queries, batch_size=32, **kwargs):
        return self._encode(queries)

    def encode_corpus(self, corpus, batch_size=32, **kwargs):
        return self._encode([(d.get("title", "") + " " + d["text"]).strip() for d in corpus])

    def encode_query(self, query, **kwargs):
        return self._encode([query]).toarray()[0]


CORPUS = {"d1": {"title": "cat", "text": "cat dog"}, "d2": {"text": "fish river"}, "q2": {"text": "fish"}}
QUERIES = {"q1": "cat", "q2": "fish river"}


def test_search_encodes_and_returns_beir_results():
    search = ExactSparseSearch(BagOfWords(), show_progress=False)
    assert search.searcher.threads == 1  # the encoder's threads, when it has them
    results = search.search(CORPUS, QUERIES, top_k=5)
    assert type(results) is dict and results == {"q1": {"d1": 2.0}, "q2": {"d2": 2.0}}  # q2 never retrieves q2


def test_beir_sparse_search_works_around_beir():
    """beir 2.2.0's SparseSearch cannot be instantiated (abstract methods), weighs queries as binary by default,
    and fails on a corpus smaller than top_k: the subclass does none of these."""
    from beir.retrieval.search.sparse import SparseSearch

    with pytest.raises(TypeError, match="abstract"):
        SparseSearch(BagOfWords())
    results = BeirSparseSearch(BagOfWords()).search(CORPUS, QUERIES, top_k=1000, score_function="dot")
    assert results["q1"]["d1"] == 2.0 and results["q2"]["d2"] == 2.0 and "q2" not in results["q2"]
    assert results["q1"]["d2"] == 0.0  # beir keeps every one of the top_k, zero scores included


def test_file_based_calls_are_refused():
    for search in (ExactSparseSearch(BagOfWords()), BeirSparseSearch(BagOfWords())):
        with pytest.raises(NotImplementedError):
            search.encode()
        with pytest.raises(NotImplementedError):
            search.search_from_files()


# --- SpladeEncoder through EvaluateRetrieval: beir's DRES, beir's SparseSearch and ours vs the CLI ---------------


def beir_searches(encoder):
    from beir.retrieval.search.dense import DenseRetrievalExactSearch

    return {"beir DenseRetrievalExactSearch": DenseRetrievalExactSearch(encoder, batch_size=32, corpus_chunk_size=2000,
                                                                        show_progress_bar=False),
            "beir SparseSearch": BeirSparseSearch(encoder, batch_size=32),
            "ExactSparseSearch": ExactSparseSearch(encoder, show_progress=False)}


def beir_metrics(qrels: dict, results: dict) -> dict[str, float]:
    """Our measure names, computed by beir (relevance level 1: beir has no other)."""
    from beir.retrieval.evaluation import EvaluateRetrieval

    results = {q: dict(hits) for q, hits in results.items()}
    ndcg, _, recall, _ = EvaluateRetrieval.evaluate(qrels, results, [10, 100, 1000])
    rr = EvaluateRetrieval.evaluate_custom(qrels, results, [10], "mrr")
    return {"nDCG@10": ndcg["NDCG@10"], "R@100": recall["Recall@100"], "R@1000": recall["Recall@1000"],
            "RR@10": rr["MRR@10"]}


def top10(hits: dict[str, float]) -> list[str]:
    """The first 10 documents, by score descending then id descending (trec_eval's order, as our run files)."""
    by_id = sorted(hits.items(), reverse=True)
    return [d for d, s in sorted(by_id, key=lambda x: -x[1])[:10] if s > 0]


def compare_with_cli(dataset, result, cli_run, measures, encoder):
    """Each search through EvaluateRetrieval: the same metrics as the CLI's result (beir rounds to 5 decimals)
    and the same top 10 per query, with the same scores to float rounding."""
    from beir.retrieval.evaluation import EvaluateRetrieval

    corpus, qrels = dict(dataset.corpus), {q: dict(r) for q, r in dataset.qrels.items()}
    for name, search in beir_searches(encoder).items():
        results = EvaluateRetrieval(search, k_values=[10, 100, 1000], score_function="dot").retrieve(
            corpus, dataset.queries)
        ours = {q: top10(h) for q, h in cli_run.items()}
        theirs = {q: top10({d: float(s) for d, s in h.items() if d != q}) for q, h in results.items()}
        assert theirs == ours, name
        for q, docs in ours.items():
            assert np.allclose([results[q][d] for d in docs], [cli_run[q][d] for d in docs], rtol=1e-5, atol=1e-6)
        metrics = beir_metrics(qrels, results)
        for m in measures:
            assert abs(metrics[m] - result.metrics[m]) <= 5e-6, (name, m, metrics[m], result.metrics[m])


def test_three_beir_searches_equal_the_cli_on_the_demo(splade_tiny, tmp_path):
    from splade_beir.cli import run_cli
    from splade_beir.data.loader import load_folder
    from splade_beir.data.names import DEMO_DIR
    from splade_beir.encode.encoder import SpladeEncoder
    from splade_beir.evaluate import main
    from splade_beir.evaluation.store import ResultStore

    assert run_cli(main, ["--model", "splade-tiny", "--datasets", "demo", "--output", str(tmp_path), "--name", "t",
                          "--no-cache", "-q"]) == 0
    store = ResultStore(tmp_path)
    encoder = SpladeEncoder("splade-tiny", show_progress=False)
    compare_with_cli(load_folder(DEMO_DIR, "test", name="demo"), store.read("t", "demo"), store.read_run("t", "demo"),
                     ("nDCG@10", "R@100", "R@1000", "RR@10"), encoder)


@pytest.mark.slow  # the CLI and three retrievals of 5,000 passages with splade-tiny: minutes on 2 cores
def test_three_beir_searches_equal_the_cli_on_msmarco_5k(msmarco_5k, msmarco_5k_tiny):
    """TREC DL judgements: the CLI counts grade >= 2 as relevant for recall and MRR (--relevance-level 2), beir
    cannot, so nDCG@10 (graded, the same either way) and the runs are compared."""
    from splade_beir.data.loader import load_folder
    from splade_beir.encode.encoder import SpladeEncoder
    from splade_beir.evaluation.store import ResultStore

    store = ResultStore(msmarco_5k_tiny.parent)
    encoder = SpladeEncoder("splade-tiny", show_progress=False)
    compare_with_cli(load_folder(msmarco_5k, "test"), store.read("tiny", "msmarco-5k"),
                     store.read_run("tiny", "msmarco-5k"), ("nDCG@10",), encoder)
