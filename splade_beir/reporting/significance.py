"""Significance of per-query differences: paired two-sided t-tests and Holm's correction.

For every row of a table (a model or an ensemble) and every dataset, the row's per-query scores are
compared with the baseline row's by a paired two-sided t-test over the queries both were scored on
(``scipy.stats.ttest_rel``'s statistic and p-value). The p-values of one row and one measure across
the datasets form one family, corrected with Holm's step-down method (which controls the family-wise
error rate like Bonferroni, and rejects at least as often). A cell is significant when its
Holm-adjusted p-value is below ``alpha``.

>>> baseline = [0.2, 0.4, 0.5, 0.3]
>>> other = [0.3, 0.6, 0.6, 0.5]          # differences .1 .2 .1 .2: mean .15, sd .0577
>>> result = paired_t_test(other, baseline)
>>> round(result.t, 3), round(result.p, 4)  # t = .15 / (.0577 / 2)
(5.196, 0.0138)
>>> [round(p, 3) for p in holm([0.01, 0.04, 0.03])]   # x3, x2 (then kept monotone), x1
[0.03, 0.06, 0.06]

From the shell, two result files of the same dataset::

    python -m splade_beir.significance results/splade-tiny-max/demo.json results/splade-tiny-sum/demo.json
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy import stats

from ..errors import UserError

ALPHA = 0.05
PerQuery = Mapping[str, Mapping[str, float]]  # {qid: {measure: score}}, as in a result JSON


@dataclass(frozen=True)
class TTest:
    """A paired t-test of ``x`` against ``y``: ``t > 0`` when ``x`` scores higher on average."""

    n: int
    mean_x: float
    mean_y: float
    t: float
    p: float


def paired_t_test(x: Sequence[float], y: Sequence[float]) -> TTest:
    """Paired two-sided t-test of ``x`` against ``y``, as ``scipy.stats.ttest_rel(x, y)``.

    ``t = mean(d) / (sd(d) / sqrt(n))`` with ``d = x - y`` and ``sd`` the sample standard deviation
    (n - 1 degrees of freedom); ``p = 2 P(T_{n-1} > |t|)``. Where scipy returns ``nan``, this does
    not: identical scores (every difference 0) give ``t = 0, p = 1`` (no evidence of a difference),
    and differences that are all the same non-zero value give ``t = +-inf, p = 0`` (as scipy).
    Fewer than two pairs cannot be tested: ``p`` is ``nan``.

    >>> paired_t_test([1.0, 1.0], [1.0, 1.0]).p
    1.0
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"paired scores must be two lists of equal length, got {x.shape} and {y.shape}")
    n = len(x)
    mean_x, mean_y = (float(x.mean()), float(y.mean())) if n else (math.nan, math.nan)
    if n < 2:
        return TTest(n, mean_x, mean_y, math.nan, math.nan)
    d = x - y
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if not np.any(d):
        return TTest(n, mean_x, mean_y, 0.0, 1.0)
    if sd == 0.0 or np.all(d == d[0]):
        return TTest(n, mean_x, mean_y, math.copysign(math.inf, mean), 0.0)
    t = mean / (sd / math.sqrt(n))
    p = float(2 * stats.t.sf(abs(t), df=n - 1))
    return TTest(n, mean_x, mean_y, t, min(p, 1.0))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order: the i-th smallest of m is multiplied by m - i + 1,
    then made non-decreasing in that order and capped at 1. ``nan`` (untested) stays ``nan`` and
    does not count in m.

    >>> holm([0.02, float("nan"), 0.5])
    [0.04, nan, 0.5]
    """
    tested = sorted((p, i) for i, p in enumerate(pvalues) if not math.isnan(p))
    m = len(tested)
    out = [math.nan] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def paired_scores(row: PerQuery, baseline: PerQuery, measure: str) -> tuple[list[float], list[float]]:
    """The row's and the baseline's scores on ``measure``, paired by query id (sorted).

    Both must cover the same queries (they come from one dataset and split); otherwise the pairing
    would hide that the results are not comparable, so it is an error.
    """
    if set(row) != set(baseline):
        only_row, only_base = len(set(row) - set(baseline)), len(set(baseline) - set(row))
        raise UserError(f"the per-query scores cover different queries ({only_row} only in one, {only_base} only "
                        "in the other): were they evaluated on the same dataset and split?")
    qids = sorted(row)
    try:
        return [row[q][measure] for q in qids], [baseline[q][measure] for q in qids]
    except KeyError:
        raise UserError(f"a per-query score lacks the measure {measure!r}") from None


@dataclass(frozen=True)
class Comparison:
    """One cell's test: ``row`` against the baseline on ``dataset`` and ``measure``."""

    row: str
    dataset: str
    measure: str
    test: TTest
    p_holm: float
    family_size: int

    def significant(self, alpha: float = ALPHA) -> bool:
        return not math.isnan(self.p_holm) and self.p_holm < alpha


def compare_to_baseline(per_query: Mapping[str, Mapping[str, PerQuery]], baseline: str,
                        measures: Mapping[str, Iterable[str]]) -> list[Comparison]:
    """Test every row against ``baseline``: ``per_query[row][dataset]`` holds a result's per-query
    scores, ``measures[dataset]`` the measures to test on that dataset. A dataset without per-query
    scores on either side, or a measure either side lacks, is not tested. Holm's correction runs over
    the datasets, separately for each row and each measure.

    >>> pq = {"base": {"d": {"q1": {"m": 0.1}, "q2": {"m": 0.2}, "q3": {"m": 0.3}}},  # d = .2 .1 .3
    ...       "new": {"d": {"q1": {"m": 0.3}, "q2": {"m": 0.3}, "q3": {"m": 0.6}}}}
    >>> [(c.row, c.dataset, round(c.test.t, 2)) for c in compare_to_baseline(pq, "base", {"d": ["m"]})]
    [('new', 'd', 3.46)]
    """
    base = per_query.get(baseline, {})
    raw: list[tuple[str, str, str, TTest]] = []
    for row, by_dataset in per_query.items():
        if row == baseline:
            continue
        for dataset, wanted in measures.items():
            if not by_dataset.get(dataset) or not base.get(dataset):
                continue
            for measure in wanted:
                if not all(measure in s for pq in (by_dataset[dataset], base[dataset]) for s in pq.values()):
                    continue
                try:
                    x, y = paired_scores(by_dataset[dataset], base[dataset], measure)
                except UserError as exc:
                    raise UserError(f"{row} vs {baseline} on {dataset}: {exc}") from None
                raw.append((row, dataset, measure, paired_t_test(x, y)))
    out: list[Comparison] = []
    families: dict[tuple[str, str], list[int]] = {}
    for i, (row, _, measure, _) in enumerate(raw):
        families.setdefault((row, measure), []).append(i)
    adjusted = [math.nan] * len(raw)
    sizes = [0] * len(raw)
    for members in families.values():
        ps = holm([raw[i][3].p for i in members])
        m = sum(not math.isnan(raw[i][3].p) for i in members)
        for i, p in zip(members, ps):
            adjusted[i], sizes[i] = p, m
    for (row, dataset, measure, test), p_holm, m in zip(raw, adjusted, sizes):
        out.append(Comparison(row, dataset, measure, test, p_holm, m))
    return out
