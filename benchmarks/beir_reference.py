"""The reference that splade_beir's msmarco-5k figure is checked against: beir's own SPLADE model with its
dense exact search, on the same data, with the qrels loaded without losing the first judgement.

    python benchmarks/beir_reference.py [--data ../shared/data/msmarco-5k] [--model splade-tiny]

Prints beir's nDCG@10 / Recall@100 / Recall@1000 and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from beir.retrieval.evaluation import EvaluateRetrieval
from beir.retrieval.models import SPLADE
from beir.retrieval.search.dense import DenseRetrievalExactSearch

from splade_beir.datasets import load_folder
from splade_beir.models import resolve_checkpoint


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(here.parent / "shared" / "data" / "msmarco-5k"))
    p.add_argument("--model", default="splade-tiny")
    args = p.parse_args()
    ds = load_folder(args.data)  # header-aware qrels; beir's GenericDataLoader would drop one judgement
    print(f"{len(ds.corpus)} documents, {len(ds.queries)} judged queries, "
          f"{sum(map(len, ds.qrels.values()))} judgements")
    t0 = time.perf_counter()
    search = DenseRetrievalExactSearch(SPLADE(resolve_checkpoint(args.model)), batch_size=32,
                                       corpus_chunk_size=50000)
    retriever = EvaluateRetrieval(search, score_function="dot", k_values=[1, 10, 100, 1000])
    results = retriever.retrieve(ds.corpus, ds.queries)
    ndcg, _, recall, _ = retriever.evaluate(ds.qrels, results, [10, 100, 1000])
    print(f"seconds {time.perf_counter() - t0:.1f}")
    print(f"NDCG@10 {ndcg['NDCG@10']}  Recall@100 {recall['Recall@100']}  Recall@1000 {recall['Recall@1000']}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
