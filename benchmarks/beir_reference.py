"""The references that splade_beir's msmarco-5k figure is checked against: beir's own searches through beir's
``EvaluateRetrieval``, on the same data, with the qrels loaded without losing the first judgement.

    python benchmarks/beir_reference.py [--data ../shared/data/msmarco-5k] [--model splade-tiny]
        [--searches beir-splade dres sparse exact]

Searches:

- ``beir-splade``: beir's own ``SPLADE`` model in ``DenseRetrievalExactSearch`` (no splade_beir code but the loader);
- ``dres``: ``SpladeEncoder`` in beir's ``DenseRetrievalExactSearch`` (dense tensors, ``convert_to_tensor=True``);
- ``sparse``: ``SpladeEncoder`` in beir's ``SparseSearch`` (``BeirSparseSearch``: a CSR corpus, ``encode_query``);
- ``exact``: ``SpladeEncoder`` in splade_beir's ``ExactSparseSearch``.

Prints, per search, beir's nDCG@10 / Recall@100 / Recall@1000 (beir counts every grade >= 1 as relevant),
the seconds, and the growth of the resident set during the search (Linux ``VmHWM``, reset before each).
Compare with ``python -m splade_beir.evaluate --model splade-tiny --datasets ../shared/data/msmarco-5k
--relevance-level 2`` (the same nDCG@10; its recall counts grades >= 2).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from beir.retrieval.evaluation import EvaluateRetrieval
from beir.retrieval.search.dense import DenseRetrievalExactSearch

from memory import memory_kb, reset_peak  # benchmarks/memory.py
from splade_beir.data.loader import load_folder
from splade_beir.encode.embedded import resolve_checkpoint
from splade_beir.search.beir import BeirSparseSearch, ExactSparseSearch

SEARCHES = ("beir-splade", "dres", "sparse", "exact")


def make_search(name: str, model: str):
    if name == "beir-splade":
        from beir.retrieval.models import SPLADE

        return DenseRetrievalExactSearch(SPLADE(resolve_checkpoint(model)), batch_size=32, corpus_chunk_size=50000)
    from splade_beir import SpladeEncoder

    encoder = SpladeEncoder(model, show_progress=False)
    if name == "dres":
        return DenseRetrievalExactSearch(encoder, batch_size=32, corpus_chunk_size=5000, show_progress_bar=False)
    if name == "sparse":
        return BeirSparseSearch(encoder, batch_size=32)
    return ExactSparseSearch(encoder, show_progress=False)


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(here.parent / "shared" / "data" / "msmarco-5k"))
    p.add_argument("--model", default="splade-tiny")
    p.add_argument("--searches", nargs="+", default=list(SEARCHES), choices=SEARCHES)
    args = p.parse_args()
    ds = load_folder(args.data)  # header-aware qrels; beir's GenericDataLoader would drop one judgement
    corpus, qrels = dict(ds.corpus), {q: dict(r) for q, r in ds.qrels.items()}
    print(f"{len(corpus)} documents, {len(ds.queries)} judged queries, {sum(map(len, qrels.values()))} judgements")
    print("| search | NDCG@10 | Recall@100 | Recall@1000 | seconds | peak RSS growth (MB) |\n|---|---|---|---|---|---|")
    for name in args.searches:
        search = make_search(name, args.model)
        before = memory_kb()["VmRSS"]
        reset_peak()
        t0 = time.perf_counter()
        retriever = EvaluateRetrieval(search, score_function="dot", k_values=[1, 10, 100, 1000])
        results = retriever.retrieve(corpus, ds.queries)
        seconds = time.perf_counter() - t0
        ndcg, _, recall, _ = retriever.evaluate(qrels, results, [10, 100, 1000])
        print(f"| {name} | {ndcg['NDCG@10']} | {recall['Recall@100']} | {recall['Recall@1000']} | {seconds:.1f} | "
              f"{(memory_kb()['VmHWM'] - before) / 1024:.0f} |", flush=True)


if __name__ == "__main__":
    main()
