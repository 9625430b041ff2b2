"""splade_beir.evaluation.result: the Result record, its JSON, schema checks, the schema-1 upgrade, means."""

import json
from dataclasses import asdict, fields

import pytest

from splade_beir.errors import UserError
from splade_beir.evaluation.measures import Measure
from splade_beir.evaluation.result import SCHEMA, Result, versions


def full_result() -> Result:
    """A Result with every field set to something other than its default."""
    return Result(model="tiny", dataset="cqadupstack/android", kind="splade",
                  metrics={"nDCG@10": 0.5, "R(rel=2)@1000": 0.75}, split="test", flops=1.5, nnz_query=3.0,
                  nnz_doc=40.25, n_queries=2, n_docs=7, n_judgements=3, top_k=100,
                  timings={"search_s": 0.1}, config={"pooling": "max", "kind": "splade"}, fingerprint="abc",
                  data="cqadupstack/android", versions={"python": "3.11"}, warnings=["w"],
                  run_file="android.run.gz", run_sha256="0" * 64, parts=None,
                  per_query={"q1": {"nDCG@10": 1.0, "R(rel=2)@1000": 1.0}, "q2": {"nDCG@10": 0.0,
                                                                             "R(rel=2)@1000": 0.5}})


def test_json_round_trip_keeps_every_field():
    r = full_result()
    text = r.to_json()
    data = json.loads(text)
    assert data["schema"] == SCHEMA == 2 and list(data)[0] == "schema" and text.endswith("\n")
    assert set(data) == {f.name for f in fields(Result)}
    back = Result.from_json(text)
    assert back == r and asdict(back) == asdict(r)
    assert Result.from_json(back.to_json()).to_json() == text


def test_value_and_find():
    r = full_result()
    assert r.value("nDCG@10") == 0.5 and r.value(Measure("nDCG", 10)) == 0.5
    assert r.value("R@1000") is None  # exactly that measure: the level is part of it
    assert r.find(Measure("R", 1000)) == (Measure("R", 1000, 2), 0.75)
    assert r.find(Measure("RR", 10)) is None


@pytest.mark.parametrize("text,message", [
    ('{"model": "m", "dataset": "d", "metrics": {}, "schema": 3}', r"src: result schema 3, but this version reads 2"),
    ('{"model": "m", "dataset": "d", "metrics": {}}', r"src: result schema None"),
    ('{"model": "m", "metrics": {}, "schema": 2}', r"src: not a splade_beir result"),
    ('[1, 2]', r"src: not a splade_beir result"),
    ('{"model": "m",\n "dataset": ', r"src:2: not valid JSON"),
])
def test_schema_is_checked(text, message):
    with pytest.raises(UserError, match=message):
        Result.from_json(text, source="src")


def test_unknown_fields_are_ignored_and_a_missing_kind_is_none():
    r = Result.from_json(json.dumps({"schema": 2, "model": "m", "dataset": "d", "metrics": {"nDCG@10": 1.0},
                                     "future_field": 1}))
    assert r.kind is None and r.metrics == {"nDCG@10": 1.0}


@pytest.mark.parametrize("level,recall,mrr", [(None, "R@1000", "RR@10"), (1, "R@1000", "RR@10"),
                                               (2, "R(rel=2)@1000", "RR(rel=2)@10")])
def test_schema_1_results_are_upgraded(level, recall, mrr):
    old = {"schema": 1, "model": "m", "dataset": "trec-dl-2019", "kind": "splade",
           "metrics": {"ndcg@10": 0.7, "recall@100": 0.4, "recall@1000": 0.8, "mrr@10": 0.9},
           "per_query": {"q1": {"ndcg@10": 0.7, "recall@100": 0.4, "recall@1000": 0.8, "mrr@10": 0.9}},
           "flops": 2.0, "n_queries": 1}
    if level is not None:
        old["relevance_level"] = level
    r = Result.from_json(json.dumps(old))
    recall100 = recall.replace("1000", "100")
    assert r.metrics == {"nDCG@10": 0.7, recall100: 0.4, recall: 0.8, mrr: 0.9}
    assert r.per_query == {"q1": r.metrics} and r.schema == SCHEMA and r.flops == 2.0
    assert json.loads(r.to_json())["schema"] == 2 and "relevance_level" not in json.loads(r.to_json())


def test_mean_of_parts():
    a = Result("m", "cqadupstack/android", "splade", metrics={"nDCG@10": 0.2, "R@100": 0.5}, flops=1.0,
               nnz_query=2.0, nnz_doc=None, n_queries=3, n_docs=10, top_k=100, config={"pooling": "max"})
    b = Result("m", "cqadupstack/english", "splade", metrics={"nDCG@10": 0.4, "R@100": 0.7}, flops=3.0,
               nnz_query=4.0, nnz_doc=5.0, n_queries=5, n_docs=20, top_k=100)
    mean = Result.mean("m", "cqadupstack", [a, b])
    assert mean.model == "m" and mean.dataset == "cqadupstack" and mean.kind == "splade"
    assert mean.parts == ["cqadupstack/android", "cqadupstack/english"]
    assert mean.metrics == {"nDCG@10": pytest.approx(0.3), "R@100": pytest.approx(0.6)}  # unweighted
    assert (mean.flops, mean.nnz_query, mean.nnz_doc) == (2.0, 3.0, None)  # a cost missing in a part: none
    assert (mean.n_queries, mean.n_docs, mean.top_k, mean.config) == (8, 30, 100, {"pooling": "max"})
    assert mean.per_query == {} and mean.run_file is None
    assert Result.from_json(mean.to_json()) == mean


def test_versions_name_python_and_the_packages():
    v = versions()
    assert "python" in v and "torch" in v and "numpy" in v
