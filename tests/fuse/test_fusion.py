"""Fusion math against hand-computed examples."""

from __future__ import annotations

import pytest

from splade_beir.fuse.fusion import fuse, normalize_scores

# q1: run 1 scores in [1, 4] (mid 2.5, span 3); run 2 in [5, 9]; d1, d3 missing from run 2, d4 from run 1.
# q2: every hit of run 2 has the same score.
RUN1 = {"q1": {"d1": 4.0, "d2": 2.0, "d3": 1.0}, "q2": {"d5": 3.0, "d6": 1.0}}
RUN2 = {"q1": {"d2": 9.0, "d4": 5.0}, "q2": {"d6": 2.0, "d7": 2.0}}


def test_normalize_maps_min_to_minus_half_and_max_to_half():
    assert normalize_scores({"d1": 4.0, "d2": 2.0, "d3": 1.0}) == pytest.approx(
        {"d1": 0.5, "d2": -1 / 6, "d3": -0.5})


def test_normalize_equal_scores_and_edge_cases():
    assert normalize_scores({"a": 2.0, "b": 2.0}) == {"a": 0.0, "b": 0.0}
    assert normalize_scores({"a": -3.5}) == {"a": 0.0}
    assert normalize_scores({}) == {}


def test_fuse_hand_computed():
    fused = fuse([RUN1, RUN2])
    # q1: d1 = 0.5 + (-0.5, missing) = 0; d2 = -1/6 + 0.5 = 1/3; d3 = -0.5 - 0.5 = -1; d4 = -0.5 - 0.5 = -1
    assert list(fused["q1"]) == ["d2", "d1", "d4", "d3"]  # d3 and d4 tie: id descending, as trec_eval
    assert fused["q1"] == pytest.approx({"d2": 1 / 3, "d1": 0.0, "d3": -1.0, "d4": -1.0})
    # q2: run 2 is all ties -> 0.0 each; d5 = 0.5 - 0.5 = 0; d6 = -0.5 + 0 = -0.5; d7 = -0.5 + 0 = -0.5
    assert list(fused["q2"]) == ["d5", "d7", "d6"]
    assert fused["q2"] == pytest.approx({"d5": 0.0, "d6": -0.5, "d7": -0.5})


def test_fuse_weights_change_the_ranking():
    fused = fuse([RUN1, RUN2], weights=[2.0, 1.0])
    # q1: d1 = 2 * 0.5 - 0.5 = 0.5; d2 = 2 * (-1/6) + 0.5 = 1/6; d3 = d4 = -1.5
    assert list(fused["q1"]) == ["d1", "d2", "d4", "d3"]
    assert fused["q1"] == pytest.approx({"d1": 0.5, "d2": 1 / 6, "d3": -1.5, "d4": -1.5})


def test_fuse_query_missing_from_a_run_and_top_k():
    fused = fuse([{"q1": {"a": 2.0, "b": 1.0}}, {"q2": {"c": 1.0}}], top_k=1)
    assert fused == {"q1": {"a": 0.0}, "q2": {"c": -0.5}}  # the absent member adds -0.5 to every document


def test_fuse_is_deterministic_whatever_the_input_order():
    reordered = [{q: dict(reversed(list(h.items()))) for q, h in reversed(list(r.items()))} for r in (RUN1, RUN2)]
    a, b = fuse([RUN1, RUN2]), fuse(reordered)
    assert {q: list(h) for q, h in a.items()} == {q: list(h) for q, h in b.items()}


def test_fuse_rejects_wrong_number_of_weights():
    with pytest.raises(ValueError):
        fuse([RUN1, RUN2], weights=[1.0])
