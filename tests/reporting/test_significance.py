"""Paired t-tests and Holm's correction against scipy and hand computations; tests on real demo runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from splade_beir.cli import run_cli
from splade_beir.errors import UserError
from splade_beir.evaluation.result import Result
from splade_beir.reporting.significance import compare_to_baseline, holm, paired_t_test
from splade_beir.significance import main


def test_t_statistic_by_hand_and_against_scipy():
    x = [0.50, 0.70, 0.20, 0.90, 0.40]
    y = [0.40, 0.50, 0.25, 0.60, 0.40]
    # d = .10 .20 -.05 .30 0: mean .11, sum of squared deviations .0001+.0081+.0256+.0361+.0121 = .082
    mean, sd = 0.11, math.sqrt(0.082 / 4)
    t_by_hand = mean / (sd / math.sqrt(5))  # .11 / (.14318 / 2.23607) = 1.71791
    result = paired_t_test(x, y)
    assert result.n == 5 and result.t == pytest.approx(t_by_hand, rel=1e-12)
    assert result.t == pytest.approx(1.71791, abs=1e-5)
    reference = stats.ttest_rel(x, y)
    assert result.t == pytest.approx(reference.statistic, rel=1e-12)
    assert result.p == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.p == pytest.approx(2 * stats.t.sf(t_by_hand, df=4), rel=1e-12)
    assert (result.mean_x, result.mean_y) == (pytest.approx(0.54), pytest.approx(0.43))
    assert paired_t_test(y, x).t == pytest.approx(-result.t) and paired_t_test(y, x).p == pytest.approx(result.p)


@pytest.mark.parametrize("seed", range(5))
def test_random_pairs_match_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 200))
    y = rng.random(n)
    x = np.clip(y + rng.normal(0.02 * seed, 0.1, n), 0, 1)
    ours, ref = paired_t_test(x, y), stats.ttest_rel(x, y)
    assert ours.t == pytest.approx(ref.statistic, rel=1e-10)
    assert ours.p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_degenerate_inputs():
    same = paired_t_test([0.3, 0.5, 1.0], [0.3, 0.5, 1.0])
    assert (same.t, same.p) == (0.0, 1.0)  # scipy: nan; no difference is never significant
    shifted = paired_t_test([1.0, 2.0, 3.0], [0.0, 1.0, 2.0])
    ref = stats.ttest_rel([1.0, 2.0, 3.0], [0.0, 1.0, 2.0])
    assert shifted.t == ref.statistic == math.inf and shifted.p == ref.pvalue == 0.0
    assert paired_t_test([1.0], [0.0]).n == 1 and math.isnan(paired_t_test([1.0], [0.0]).p)
    with pytest.raises(ValueError):
        paired_t_test([1.0, 2.0], [1.0])


def test_holm_by_hand():
    # sorted: .005 x4 = .02, .01 x3 = .03, .03 x2 = .06, .04 x1 = .04 -> kept monotone at .06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.6, 0.9]) == [1.0, 1.0]  # capped
    adjusted = holm([0.02, math.nan, 0.01])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.02)
    assert holm([]) == []
    # Holm rejects whatever Bonferroni rejects, and never gives a smaller p than the raw one
    ps = list(np.random.default_rng(0).random(12) / 20)
    for raw, h in zip(ps, holm(ps)):
        assert raw <= h <= min(1.0, 12 * raw) + 1e-15


def per_query(scores: dict[str, float], measure: str = "ndcg@10") -> dict[str, dict[str, float]]:
    return {q: {measure: v} for q, v in scores.items()}


def test_compare_to_baseline_corrects_over_datasets_per_row_and_measure():
    base = {"d1": per_query({"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}),
            "d2": per_query({"a": 0.5, "b": 0.5, "c": 0.6, "d": 0.2})}
    row = {"d1": per_query({"a": 0.3, "b": 0.3, "c": 0.6, "d": 0.5}),
           "d2": per_query({"a": 0.5, "b": 0.4, "c": 0.9, "d": 0.3})}
    out = compare_to_baseline({"base": base, "new": row, "empty": {}}, "base",
                              {"d1": ["ndcg@10"], "d2": ["ndcg@10"], "d3": ["ndcg@10"]})
    assert [(c.row, c.dataset) for c in out] == [("new", "d1"), ("new", "d2")]
    raw = [stats.ttest_rel([0.3, 0.3, 0.6, 0.5], [0.1, 0.2, 0.3, 0.4]).pvalue,
           stats.ttest_rel([0.5, 0.4, 0.9, 0.3], [0.5, 0.5, 0.6, 0.2]).pvalue]
    assert [c.test.p for c in out] == pytest.approx(raw)
    assert [c.p_holm for c in out] == pytest.approx(holm(raw)) and {c.family_size for c in out} == {2}
    # d1 alone would pass at .05 (p = .035), but not once corrected for testing two datasets
    assert out[0].test.p < 0.05 and out[0].p_holm == pytest.approx(2 * out[0].test.p)
    assert not out[0].significant(0.05) and out[0].significant(0.1)


def test_measures_missing_on_one_side_are_not_tested_and_query_sets_must_agree():
    base = {"d": {"a": {"ndcg@10": 0.1, "mrr@10": 1.0}, "b": {"ndcg@10": 0.2, "mrr@10": 0.5}}}
    row = {"d": {"a": {"ndcg@10": 0.3}, "b": {"ndcg@10": 0.1}}}
    out = compare_to_baseline({"b": base, "r": row}, "b", {"d": ["ndcg@10", "mrr@10"]})
    assert [c.measure for c in out] == ["ndcg@10"]
    other = {"d": {"a": {"ndcg@10": 0.3}, "z": {"ndcg@10": 0.1}}}
    with pytest.raises(UserError, match="r vs b on d: the per-query scores cover different queries"):
        compare_to_baseline({"b": base, "r": other}, "b", {"d": ["ndcg@10"]})


def write_result(path, model, scores):
    path.write_text(Result(model, "d", "splade", per_query=per_query(scores, "nDCG@10")).to_json())


def test_cli_on_two_result_files(tmp_path, capsys):
    write_result(tmp_path / "a.json", "a", {"q1": 0.5, "q2": 0.7, "q3": 0.2})
    write_result(tmp_path / "b.json", "b", {"q1": 0.4, "q2": 0.5, "q3": 0.25})
    assert run_cli(main, [str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--measures", "nDCG@10"]) == 0
    out = capsys.readouterr().out
    ref = stats.ttest_rel([0.5, 0.7, 0.2], [0.4, 0.5, 0.25])
    assert "a vs b on d" in out and f"t={ref.statistic:.4f}" in out and f"p={ref.pvalue:.4g}" in out
    (tmp_path / "mean.json").write_text(Result("m", "d", "splade").to_json())
    assert run_cli(main, [str(tmp_path / "mean.json"), str(tmp_path / "b.json")]) == 2
    assert "mean.json: no per-query scores" in capsys.readouterr().err


def test_on_two_real_demo_runs(splade_tiny, tmp_path):
    """splade-tiny with max and with sum pooling on the shipped demo set: our test equals scipy's."""
    from splade_beir.evaluate import evaluate

    results = {pooling: evaluate("splade-tiny", ["demo"], name=pooling, output=tmp_path, pooling=pooling,
                                 show_progress=False, cache_dir=False)["demo"] for pooling in ("max", "sum")}
    qids = sorted(results["max"].per_query)
    for measure in ("nDCG@10", "RR@10"):
        x = [results["sum"].per_query[q][measure] for q in qids]
        y = [results["max"].per_query[q][measure] for q in qids]
        ours, ref = paired_t_test(x, y), stats.ttest_rel(x, y)
        assert ours.n == 20 and ours.t == pytest.approx(ref.statistic) and ours.p == pytest.approx(ref.pvalue)
    assert paired_t_test(x, y).p < 0.05  # sum pooling, which the checkpoint was not trained for, is worse
