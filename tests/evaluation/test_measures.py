"""splade_beir.evaluation.measures: Measure names and levels, and the values against pytrec_eval / by hand."""

import math

import pytest
import pytrec_eval

from splade_beir.data.qrels import Qrels
from splade_beir.evaluation.measures import DEFAULT, Measure, evaluate_run, measures_at
from splade_beir.evaluation.store import ResultStore
from splade_beir.search.run import ranked


def test_measure_names_parse_and_print_back():
    for name in ("nDCG@10", "R@100", "R@1000", "RR@10", "R(rel=2)@1000", "RR(rel=2)@10"):
        assert str(Measure.parse(name)) == name
    assert Measure.parse("R(rel=2)@1000") == Measure("R", 1000, 2)
    assert [str(m) for m in DEFAULT] == ["nDCG@10", "R@100", "R@1000", "RR@10"]
    assert [str(m) for m in measures_at(2)] == ["nDCG@10", "R(rel=2)@100", "R(rel=2)@1000", "RR(rel=2)@10"]
    assert [m.label for m in measures_at(2)] == ["nDCG@10", "R@100", "R@1k", "MRR@10"]
    assert Measure.parse("nDCG@10").at(2) == Measure("nDCG", 10)  # graded gains: no level


@pytest.mark.parametrize("bad", ["ndcg@10", "recall@1000", "R@0", "nDCG(rel=2)@10", "P@10", "R(rel=0)@10"])
def test_bad_measure_names(bad):
    with pytest.raises(ValueError):
        Measure.parse(bad)


def test_graded_ndcg_hand_example():
    qrels = {"q": {"a": 2, "b": 1, "c": 0}}
    run = {"q": {"b": 3.0, "a": 2.0, "x": 1.0}}
    means, per_query = evaluate_run(qrels, run)
    dcg = 1 / math.log2(2) + 2 / math.log2(3)  # trec_eval: the gain is the relevance grade itself
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert means["nDCG@10"] == pytest.approx(dcg / idcg)
    assert means["RR@10"] == 1.0 and means["R@100"] == 1.0
    assert list(means) == ["nDCG@10", "R@100", "R@1000", "RR@10"] and per_query["q"] == means


def test_matches_pytrec_eval_directly_and_counts_empty_runs():
    qrels = {"q1": {"a": 1, "b": 2}, "q2": {"c": 1}, "q3": {"d": 1}}
    run = {"q1": {"a": 1.0, "z": 2.0}, "q2": {"c": 0.5}, "q3": {}}
    means, per_query = evaluate_run(qrels, run)
    direct = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"}).evaluate({k: v for k, v in run.items() if v})
    for q in ("q1", "q2"):
        assert per_query[q]["nDCG@10"] == pytest.approx(direct[q]["ndcg_cut_10"])
    assert per_query["q3"]["nDCG@10"] == 0.0  # a judged query with no hits counts as 0
    assert means["nDCG@10"] == pytest.approx((direct["q1"]["ndcg_cut_10"] + 1.0) / 3)


def test_unjudged_queries_are_ignored():
    means, per_query = evaluate_run({"q1": {"a": 1}}, {"q1": {"a": 1.0}, "q9": {"a": 1.0}})
    assert set(per_query) == {"q1"} and means["nDCG@10"] == 1.0


def test_mrr_cut_at_10():
    qrels = {"q": {"rel": 1}}
    run = {"q": {**{f"n{i}": 100.0 - i for i in range(10)}, "rel": 1.0}}
    assert evaluate_run(qrels, run)[0]["RR@10"] == 0.0
    run["q"]["rel"] = 95.5
    assert evaluate_run(qrels, run)[0]["RR@10"] == pytest.approx(1 / 6)


# --- the TREC DL convention (relevance level 2 for the binary measures) --------------------

def test_relevance_level_moves_recall_and_mrr_but_not_ndcg():
    qrels = {"q": {"a": 1, "b": 2, "c": 3, "d": 0}}
    run = {"q": {"a": 4.0, "x": 3.0, "b": 2.0, "d": 1.0}}
    level1, _ = evaluate_run(qrels, run)
    level2, per_query = evaluate_run(qrels, run, measures_at(2))
    assert level1["R@1000"] == pytest.approx(2 / 3) and level1["RR@10"] == 1.0
    assert level2["R(rel=2)@1000"] == pytest.approx(1 / 2)  # b of {b, c}
    assert level2["RR(rel=2)@10"] == pytest.approx(1 / 3)   # b is the first grade >= 2, at rank 3
    dcg = 1 / math.log2(2) + 2 / math.log2(4)             # graded gains, whatever the level
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert level1["nDCG@10"] == level2["nDCG@10"] == pytest.approx(dcg / idcg)
    assert per_query["q"]["R(rel=2)@100"] == pytest.approx(1 / 2)
    assert "R@1000" not in level2  # a number is only ever stored under its own level
    with pytest.raises(ValueError, match="not a measure"):
        measures_at(0)


def test_both_levels_in_one_evaluation():
    qrels = {"q": {"a": 1, "b": 2, "c": 3, "d": 0}}
    run = {"q": {"a": 4.0, "x": 3.0, "b": 2.0, "d": 1.0}}
    means, _ = evaluate_run(qrels, run, [Measure("R", 1000), Measure("R", 1000, 2), Measure("RR", 10, 2)])
    assert means == {"R@1000": pytest.approx(2 / 3), "R(rel=2)@1000": pytest.approx(1 / 2),
                     "RR(rel=2)@10": pytest.approx(1 / 3)}


def hand_measures(qrels, run, level):
    """nDCG@10 from pytrec_eval; R@1k and MRR@10 at ``level`` computed by hand, in trec_eval's order."""
    ndcg = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"}).evaluate(run)
    recall, rr = [], []
    for qid, rels in qrels.items():
        relevant = {d for d, r in rels.items() if r >= level}
        hits = [d for d, _ in ranked(run.get(qid, {}))]
        recall.append(len(relevant & set(hits[:1000])) / len(relevant))
        rr.append(next((1 / rank for rank, d in enumerate(hits[:10], 1) if d in relevant), 0.0))
    n = len(qrels)
    return {"nDCG@10": sum(ndcg[q]["ndcg_cut_10"] for q in qrels) / n,
            str(Measure("R", 1000, level)): sum(recall) / n, str(Measure("RR", 10, level)): sum(rr) / n}


@pytest.mark.slow
def test_msmarco_5k_trec_dl_measures_equal_a_direct_computation(msmarco_5k_tiny, msmarco_5k):
    """splade-tiny on the judged TREC DL 2019 sample, evaluated with --relevance-level 2 through the CLI."""
    store = ResultStore(msmarco_5k_tiny.parent)
    result = store.read("tiny", "msmarco-5k")
    assert set(result.metrics) == {"nDCG@10", "R(rel=2)@100", "R(rel=2)@1000", "RR(rel=2)@10"}
    assert result.n_queries == 43
    qrels = Qrels.read_tsv(msmarco_5k / "qrels" / "test.tsv")
    run = store.read_run("tiny", "msmarco-5k")
    direct = pytrec_eval.RelevanceEvaluator(qrels, {"recall.1000"}, relevance_level=2).evaluate(run)
    assert result.metrics["R(rel=2)@1000"] == pytest.approx(sum(direct[q]["recall_1000"] for q in qrels) / 43,
                                                            abs=1e-12)
    by_hand = hand_measures(qrels, run, level=2)
    for measure, value in by_hand.items():
        assert result.metrics[measure] == pytest.approx(value, abs=1e-12), measure
    assert hand_measures(qrels, run, level=1)["R@1000"] != pytest.approx(by_hand["R(rel=2)@1000"])
    print(f"msmarco-5k, splade-tiny, relevance >= 2: {result.metrics}")
