"""splade_beir.search.run: Run.from_topk, search_run (the query's own id is never a hit), TREC files."""

import gzip

import numpy as np
import pytest

from splade_beir.errors import UserError
from splade_beir.search.run import Run, ranked, search_run


def test_from_topk_drops_identical_ids_and_cuts_to_k():
    idx = np.array([[2, 0, 1, -1], [1, -1, -1, -1]])
    sc = np.array([[3.0, 2.0, 1.0, 0.0], [5.0, 0, 0, 0]], dtype=np.float32)
    run = Run.from_topk(idx, sc, query_ids=["a", "b"], doc_ids=["x", "b", "a"], k=2)
    assert isinstance(run, Run) and run == {"a": {"x": 2.0, "b": 1.0}, "b": {}}
    assert list(run["a"]) == ["x", "b"]  # rank order kept
    kept = Run.from_topk(idx, sc, ["a", "b"], ["x", "b", "a"], k=2, drop_identical_ids=False)
    assert kept == {"a": {"a": 3.0, "x": 2.0}, "b": {"b": 5.0}}
    assert Run.from_topk(idx, sc, ["a", "b"], ["x", "b", "a"]) == {"a": {"x": 2.0, "b": 1.0}, "b": {}}  # k: all


def test_search_run_asks_for_one_more_hit_and_drops_the_query_itself():
    asked = []

    def fake_topk(Q, D, k):
        asked.append(k)
        return np.array([[0, 1, 2][:k], [1, 2, 0][:k]]), np.array([[3.0, 2.0, 1.0][:k], [6.0, 5.0, 4.0][:k]])

    run = search_run(fake_topk, "Q", "D", ["d0", "q"], ["d0", "d1", "d2"], top_k=2)
    assert asked == [3]
    assert run == {"d0": {"d1": 2.0, "d2": 1.0}, "q": {"d1": 6.0, "d2": 5.0}} and isinstance(run, Run)


def test_ranked_is_trec_eval_order():
    assert ranked({"a": 1.0, "c": 1.0, "b": 2.0}) == [("b", 2.0), ("c", 1.0), ("a", 1.0)]
    assert Run({"q": {"d1": 2.5, "d2": 3.0}}).ranked("q") == [("d2", 3.0), ("d1", 2.5)]


@pytest.mark.parametrize("name", ["run.trec", "run.gz"])
def test_trec_round_trip(tmp_path, name):
    run = Run({"q2": {"d1": 0.5, "d2": 1.25, "d3": 1.25}, "q1": {"d9": 1 / 3}, "q3": {}})
    run.write_trec(tmp_path / name, tag="tiny")
    back = Run.read_trec(tmp_path / name)
    assert back == {"q2": {"d1": 0.5, "d2": 1.25, "d3": 1.25}, "q1": {"d9": pytest.approx(1 / 3, rel=1e-8)}}
    opener = gzip.open if name.endswith(".gz") else open
    with opener(tmp_path / name, "rt") as f:
        lines = f.read().splitlines()
    assert lines[0] == "q2 Q0 d3 1 1.25 tiny" and lines[1] == "q2 Q0 d2 2 1.25 tiny"  # the rank trec_eval uses
    assert lines[3].split()[:4] == ["q1", "Q0", "d9", "1"] and len(lines) == 4  # a query with no hit: no line


def test_compressed_runs_are_reproducible(tmp_path):
    run = Run({"q": {"d": 1.0}})
    run.write_trec(tmp_path / "a.run.gz")
    run.write_trec(tmp_path / "b.run.gz")
    assert (tmp_path / "a.run.gz").read_bytes() == (tmp_path / "b.run.gz").read_bytes()


def test_malformed_run_files(tmp_path):
    with pytest.raises(UserError, match="run file missing"):
        Run.read_trec(tmp_path / "absent.run")
    (tmp_path / "short.run").write_text("q Q0 d 1 1.0 t\nq Q0 d2 2\n")
    with pytest.raises(UserError, match=r"short.run:2: expected 6 fields"):
        Run.read_trec(tmp_path / "short.run")
    (tmp_path / "score.run").write_text("q Q0 d 1 high t\n")
    with pytest.raises(UserError, match=r"score.run:1: score 'high' is not a number"):
        Run.read_trec(tmp_path / "score.run")
