import math

import numpy as np
import pytest
import pytrec_eval
import scipy.sparse as sp

from splade_beir.metrics import activation_rate, evaluate_run, flops, mean_nnz


def test_flops_hand_example():
    Q = sp.csr_matrix(np.array([[1, 0, 1, 0], [1, 0, 0, 2], [0, 0, 3, 0]], dtype=np.float32))
    D = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0]], dtype=np.float32))
    # p_q = [2/3, 0, 2/3, 1/3], p_d = [1/2, 1, 1/2, 0] -> 1/3 + 0 + 1/3 + 0
    assert np.allclose(activation_rate(Q), [2 / 3, 0, 2 / 3, 1 / 3])
    assert flops(Q, D) == pytest.approx(2 / 3)
    assert mean_nnz(Q) == pytest.approx(5 / 3) and mean_nnz(D) == 2


def test_graded_ndcg_hand_example():
    qrels = {"q": {"a": 2, "b": 1, "c": 0}}
    run = {"q": {"b": 3.0, "a": 2.0, "x": 1.0}}
    means, per_query = evaluate_run(qrels, run)
    dcg = 1 / math.log2(2) + 2 / math.log2(3)  # trec_eval: the gain is the relevance grade itself
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert means["ndcg@10"] == pytest.approx(dcg / idcg)
    assert means["mrr@10"] == 1.0 and means["recall@100"] == 1.0


def test_matches_pytrec_eval_directly_and_counts_empty_runs():
    qrels = {"q1": {"a": 1, "b": 2}, "q2": {"c": 1}, "q3": {"d": 1}}
    run = {"q1": {"a": 1.0, "z": 2.0}, "q2": {"c": 0.5}, "q3": {}}
    means, per_query = evaluate_run(qrels, run)
    direct = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"}).evaluate({k: v for k, v in run.items() if v})
    for q in ("q1", "q2"):
        assert per_query[q]["ndcg@10"] == pytest.approx(direct[q]["ndcg_cut_10"])
    assert per_query["q3"]["ndcg@10"] == 0.0  # a judged query with no hits counts as 0
    assert means["ndcg@10"] == pytest.approx((direct["q1"]["ndcg_cut_10"] + 1.0) / 3)


def test_mrr_cut_at_10():
    qrels = {"q": {"rel": 1}}
    run = {"q": {**{f"n{i}": 100.0 - i for i in range(10)}, "rel": 1.0}}
    assert evaluate_run(qrels, run)[0]["mrr@10"] == 0.0
    run["q"]["rel"] = 95.5
    assert evaluate_run(qrels, run)[0]["mrr@10"] == pytest.approx(1 / 6)


# --- issue 7: the TREC DL convention (relevance level 2 for the binary measures) --------------------

def test_relevance_level_moves_recall_and_mrr_but_not_ndcg():
    qrels = {"q": {"a": 1, "b": 2, "c": 3, "d": 0}}
    run = {"q": {"a": 4.0, "x": 3.0, "b": 2.0, "d": 1.0}}
    level1, _ = evaluate_run(qrels, run)
    level2, per_query = evaluate_run(qrels, run, relevance_level=2)
    assert level1["recall@1000"] == pytest.approx(2 / 3) and level1["mrr@10"] == 1.0
    assert level2["recall@1000"] == pytest.approx(1 / 2)  # b of {b, c}
    assert level2["mrr@10"] == pytest.approx(1 / 3)        # b is the first grade >= 2, at rank 3
    dcg = 1 / math.log2(2) + 2 / math.log2(4)             # graded gains, whatever the level
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert level1["ndcg@10"] == level2["ndcg@10"] == pytest.approx(dcg / idcg)
    assert per_query["q"]["recall@100"] == pytest.approx(1 / 2)
    with pytest.raises(ValueError, match="relevance_level"):
        evaluate_run(qrels, run, relevance_level=0)


def _hand_measures(qrels, run, level):
    """nDCG@10 from pytrec_eval; R@1k and MRR@10 at ``level`` computed by hand, in trec_eval's order."""
    from splade_beir.run import ranked

    ndcg = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"}).evaluate(run)
    recall, rr = [], []
    for qid, rels in qrels.items():
        relevant = {d for d, r in rels.items() if r >= level}
        hits = [d for d, _ in ranked(run.get(qid, {}))]
        recall.append(len(relevant & set(hits[:1000])) / len(relevant))
        rr.append(next((1 / rank for rank, d in enumerate(hits[:10], 1) if d in relevant), 0.0))
    n = len(qrels)
    return {"ndcg@10": sum(ndcg[q]["ndcg_cut_10"] for q in qrels) / n, "recall@1000": sum(recall) / n,
            "mrr@10": sum(rr) / n}


def test_msmarco_5k_trec_dl_measures_equal_a_direct_computation(msmarco_5k_tiny, msmarco_5k):
    """splade-tiny on the judged TREC DL 2019 sample, evaluated with --relevance-level 2 through the CLI."""
    import json

    from splade_beir.datasets import read_qrels
    from splade_beir.run import Run

    result = json.loads((msmarco_5k_tiny / "msmarco-5k.json").read_text())
    assert result["relevance_level"] == 2 and result["n_queries"] == 43
    qrels = read_qrels(msmarco_5k / "qrels" / "test.tsv")
    run = Run.read_trec(msmarco_5k_tiny / "msmarco-5k.run.gz")
    direct = pytrec_eval.RelevanceEvaluator(qrels, {"recall.1000"}, relevance_level=2).evaluate(run)
    assert result["metrics"]["recall@1000"] == pytest.approx(sum(direct[q]["recall_1000"] for q in qrels) / 43,
                                                             abs=1e-12)
    by_hand = _hand_measures(qrels, run, level=2)
    for measure, value in by_hand.items():
        assert result["metrics"][measure] == pytest.approx(value, abs=1e-12), measure
    assert _hand_measures(qrels, run, level=1)["recall@1000"] != pytest.approx(by_hand["recall@1000"])
    print(f"msmarco-5k, splade-tiny, relevance >= 2: {result['metrics']}")
