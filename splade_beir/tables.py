"""Result tables of a config: ``python -m splade_beir.tables --config FILE [--update-readme README.md]``.

The tables are read from ``<output>/`` (never computed anew) and written as Markdown (tabulate)
and CSV under ``<output>/tables/<config name>/``:

- ``seed``: the layout of the SPLADE++ tables, one row per model then per ensemble: MS MARCO dev
  MRR@10 and R@1k | TREC DL 2019 nDCG@10 and R@1k | TREC DL 2020 nDCG@10 and R@1k | the BEIR
  nDCG@10 average | FLOPS. A column appears only where some row has a value. Other datasets the
  config evaluates with the TREC DL convention (``relevance_level: 2``) get nDCG@10 and R@1k
  columns of their own, beside TREC DL and outside the BEIR average. FLOPS are MS MARCO's (as in
  the papers) when the config has an in-domain dataset, else the mean over the BEIR columns;
- ``ndcg``: nDCG@10 x 100, one row per model in the config's order, one column per dataset;
- ``flops``: FLOPS and mean non-zeros per query and per document, one row per (model, dataset);
- ``ensembles``: each ensemble's members, nDCG@10 x 100 per dataset, and its FLOPS (members' sum);
- with a baseline (``baseline:`` in the config or ``--baseline``), ``significance``: every test
  behind the daggers (files only, see :mod:`splade_beir.significance`);
- the plot ``flops_quality.svg`` / ``.png`` (:mod:`splade_beir.plot`; needs the ``[plot]`` extra).

Recall and MRR depend on the relevance level (TREC DL counts grades >= 2, ``trec_eval -l 2``): a
result evaluated at another level than its dataset's (recorded in the result as ``relevance_level``)
shows a dash there, with a warning, rather than a number under the wrong convention.

A missing result is a dash in Markdown and an empty cell in CSV, never 0. Averages (the honest rule):
when all 13 BEIR-13 datasets are in the config, "BEIR-13 avg" is their mean; otherwise the column is
"avg (N datasets)", the mean over the config's N datasets (cqadupstack and msmarco excepted), shown
only when N >= 2. With cqadupstack in the config, a second average includes it. A row that lacks any
dataset of an average shows a dash there: no average is taken over fewer datasets than it says.
Markdown rounds (nDCG one decimal); CSV keeps full precision.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from .atomic import atomic_write_text
from .cli import run_cli
from .config import INFO_KEYS, EvalConfig, load_config
from .datasets import BEIR_13, IN_DOMAIN
from .ensemble import ensemble_root
from .errors import UserError
from .results import read_result, result_paths, safe_join
from .significance import ALPHA, Comparison, compare_to_baseline

# cqadupstack gets its own average; msmarco and TREC DL are in-domain
NOT_AVERAGED = ("cqadupstack", *IN_DOMAIN)
MISSING = "-"
DAGGER = "\u2020"
# The in-domain column groups of the seed table, in the papers' order: dataset -> (title, measures).
IN_DOMAIN_COLUMNS = {
    "msmarco": ("MS MARCO", ("mrr@10", "recall@1000")),
    "trec-dl-2019": ("TREC-2019", ("ndcg@10", "recall@1000")),
    "trec-dl-2020": ("TREC-2020", ("ndcg@10", "recall@1000")),
}
TREC_DL_MEASURES = ("ndcg@10", "recall@1000")
MEASURE_NAMES = {"ndcg@10": "nDCG@10", "recall@100": "R@100", "recall@1000": "R@1k", "mrr@10": "MRR@10"}
BINARY_MEASURES = ("recall@100", "recall@1000", "mrr@10")  # the ones the relevance level changes


@dataclass
class Table:
    """A numeric DataFrame plus how to print each column (format spec; text columns are absent)."""

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    caption: str = ""
    marks: dict[tuple[int, str], str] = field(default_factory=dict)  # (row position, column) -> suffix
    legend: str = ""

    def markdown(self) -> str:
        """Markdown (pipe table with column alignment); missing numbers render as ``-``.

        >>> t = Table("x", pd.DataFrame({"model": ["a", "b"], "v": [12.345, None]}), {"v": ".1f"})
        >>> print(t.markdown())
        | model   |    v |
        |:--------|-----:|
        | a       | 12.3 |
        | b       |    - |
        """
        rows = [[_cell(v, self.formats.get(c)) + self.marks.get((i, c), "") for c, v in zip(self.frame.columns, row)]
                for i, row in enumerate(self.frame.itertuples(index=False))]
        align = ["right" if c in self.formats else "left" for c in self.frame.columns]
        text = tabulate(rows, headers=list(self.frame.columns), tablefmt="pipe", disable_numparse=True,
                        colalign=align)
        notes = " ".join(n for n in (self.caption, self.legend) if n)
        return text + (f"\n\n{notes}" if notes else "")

    def csv(self) -> str:
        return self.frame.to_csv(index=False, lineterminator="\n")


def _cell(value, fmt: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if fmt is None:
        return str(value).replace("|", "\\|").replace("\n", " ")
    return format(value, fmt)


def average_columns(datasets: list[str]) -> list[tuple[str, list[str]]]:
    """The average columns of a config's datasets: ``[(label, datasets averaged)]``.

    >>> average_columns(["demo"])
    []
    >>> for label, datasets in average_columns(["nfcorpus", "scifact", "cqadupstack"]):
    ...     print(label, datasets)
    avg (2 datasets) ['nfcorpus', 'scifact']
    avg (2 datasets + cqadupstack) ['nfcorpus', 'scifact', 'cqadupstack']
    >>> [label for label, _ in average_columns(list(BEIR_13) + ["cqadupstack"])]
    ['BEIR-13 avg', 'BEIR-13 + cqadupstack avg']
    """
    averaged = [d for d in datasets if d not in NOT_AVERAGED]
    cols: list[tuple[str, list[str]]] = []
    if set(BEIR_13) <= set(averaged):
        base, label = list(BEIR_13), "BEIR-13"
        cols.append((f"{label} avg", base))
        with_cqa = f"{label} + cqadupstack avg"
    else:
        base = averaged
        if len(base) >= 2:
            cols.append((f"avg ({len(base)} datasets)", base))
        with_cqa = f"avg ({len(base)} dataset{'s' if len(base) != 1 else ''} + cqadupstack)"
    if "cqadupstack" in datasets and base:
        cols.append((with_cqa, base + ["cqadupstack"]))
    return cols


def _mean(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else sum(values) / len(values)


@dataclass(frozen=True)
class Row:
    """A row of the seed table: a model (label A...) or an ensemble (labelled by its name)."""

    label: str
    name: str     # results folder under root
    root: Path
    model: str    # what the model column shows


class _Results:
    """The config's result files, read once: ``get(folder, dataset)`` -> result dict or None."""

    def __init__(self, cfg: EvalConfig):
        self.cfg = cfg
        self.keys = cfg.dataset_keys()
        self.cache: dict[tuple[Path, str, str], dict | None] = {}
        self.warnings: list[str] = []
        self.in_domain = in_domain_groups(cfg)
        inside = {key for key, _, _ in self.in_domain}
        self.ood = [d for d in self.keys if d not in inside]  # what the BEIR averages run over

    def get(self, root: Path, name: str, dataset: str) -> dict | None:
        key = (root, name, dataset)
        if key not in self.cache:
            path = result_paths(root, name, dataset)[0]
            self.cache[key] = read_result(path) if path.is_file() else None
        return self.cache[key]

    def level_matches(self, root: Path, name: str, dataset: str) -> bool:
        """Whether the result was evaluated at its dataset's relevance level (absent: 1, the old default).
        A mismatch is reported once in ``warnings``."""
        r = self.get(root, name, dataset)
        if r is None:
            return True
        got, want = r.get("relevance_level", 1), self.cfg.relevance_level(dataset)
        if got != want:
            path = result_paths(root, name, dataset)[0]
            message = (f"{path}: evaluated with relevance level {got}, but {dataset} uses {want}: its recall and "
                       f"MRR are left out (re-evaluate it with --redo)")
            if message not in self.warnings:
                self.warnings.append(message)
            return False
        return True

    def metric(self, root: Path, name: str, dataset: str, measure: str) -> float | None:
        """``measure`` x 100 on ``dataset``; None when absent or evaluated under another relevance level."""
        r = self.get(root, name, dataset)
        v = None if r is None else r.get("metrics", {}).get(measure)
        if v is None or (measure in BINARY_MEASURES and not self.level_matches(root, name, dataset)):
            return None
        return 100 * v

    def ndcg(self, root: Path, name: str) -> dict[str, float | None]:
        """nDCG@10 x 100 per dataset key, then the average columns."""
        out: dict[str, float | None] = {d: self.metric(root, name, d, "ndcg@10") for d in self.keys}
        for label, members in average_columns(self.ood):
            out[label] = _mean([out.get(d) for d in members])
        return out

    def dataset_columns(self) -> list[str]:
        """Datasets in config order (cqadupstack after the first average), then the averages."""
        avgs = [label for label, _ in average_columns(self.ood)]
        plain = [d for d in self.keys if d != "cqadupstack"]
        if "cqadupstack" not in self.keys:
            return plain + avgs
        return plain + avgs[:-1] + ["cqadupstack"] + avgs[-1:]

    def rows(self) -> list[Row]:
        """Models in the config's order, then ensembles."""
        root = ensemble_root(self.cfg.output)
        return ([Row(m.label, m.name, self.cfg.output, m.name) for m in self.cfg.models]
                + [Row(e.name, e.name, root, "ensemble of " + " ".join(e.members))
                   for e in self.cfg.ensembles])

    def per_query(self, row: Row, dataset: str, measures: tuple[str, ...]) -> dict[str, dict[str, float]] | None:
        """The row's per-query scores on ``dataset``, restricted to the measures valid at its level."""
        r = self.get(row.root, row.name, dataset)
        if not r or not r.get("per_query"):
            return None
        valid = [m for m in measures if m not in BINARY_MEASURES or self.level_matches(row.root, row.name, dataset)]
        return {q: {m: s[m] for m in valid if m in s} for q, s in r["per_query"].items()}


def in_domain_groups(cfg: EvalConfig) -> list[tuple[str, str, tuple[str, ...]]]:
    """The seed table's in-domain column groups ``(dataset key, title, measures)``: MS MARCO and TREC DL
    in the papers' order, then other datasets the config evaluates at relevance level 2 or more."""
    keys = cfg.dataset_keys()
    groups = [(k, *IN_DOMAIN_COLUMNS[k]) for k in IN_DOMAIN_COLUMNS if k in keys]
    groups += [(k, k, TREC_DL_MEASURES) for k in keys
               if k not in IN_DOMAIN_COLUMNS and k not in NOT_AVERAGED and cfg.relevance_level(k) >= 2]
    return groups


def measures_to_test(results: _Results) -> dict[str, tuple[str, ...]]:
    """The measures tested per dataset: nDCG@10 everywhere, plus the in-domain columns' measures."""
    extra = {key: measures for key, _, measures in results.in_domain}
    return {d: tuple(dict.fromkeys(("ndcg@10", *extra.get(d, ())))) for d in results.keys if d != "cqadupstack"}


def significance(cfg: EvalConfig, baseline: str, results: _Results | None = None) -> list[Comparison]:
    """Every row against ``baseline`` on every dataset with per-query scores (cqadupstack's mean has
    none): paired two-sided t-tests, Holm-corrected over datasets per row and measure."""
    results = results or _Results(cfg)
    measures = measures_to_test(results)
    rows = results.rows()
    if baseline not in [r.label for r in rows]:
        raise UserError(f"{cfg.path}: baseline {baseline!r} is neither a model label nor an ensemble name "
                        f"(rows: {', '.join(r.label for r in rows)})")
    per_query = {r.label: {d: pq for d in measures if (pq := results.per_query(r, d, measures[d]))}
                 for r in rows}
    return compare_to_baseline(per_query, baseline, measures)


def _significant_cells(comparisons: list[Comparison] | None, alpha: float) -> set[tuple[str, str, str]]:
    return {(c.row, c.dataset, c.measure) for c in comparisons or () if c.significant(alpha)}


def _legend(cfg: EvalConfig, baseline: str | None, alpha: float) -> str:
    if baseline is None:
        return ""
    return (f"{DAGGER}: significantly different from the baseline row {baseline} (paired two-sided t-test over "
            f"queries, p < {alpha:g} after Holm's correction over the datasets, per row and measure); averages "
            "and cqadupstack are not tested.")


def quality_column(results: _Results) -> tuple[str, list[str]] | None:
    """The seed table's BEIR column: ``(header, datasets averaged)``; one dataset is shown as itself."""
    if len(results.ood) == 1:
        return f"{results.ood[0]} nDCG@10", results.ood
    averages = average_columns(results.ood)
    if not averages:
        return None
    label, members = averages[0]
    return ("BEIR-13 nDCG@10" if label == "BEIR-13 avg" else f"nDCG@10 {label}"), members


def flops_column(results: _Results) -> tuple[str, list[str]] | None:
    """``(header, datasets)``: MS MARCO's FLOPS where the config has an in-domain dataset (the first of
    msmarco, TREC DL 2019, 2020...), else the mean over the BEIR column's datasets."""
    if results.in_domain:
        key = results.in_domain[0][0]
        return f"FLOPS ({key})", [key]
    if len(results.ood) == 1:
        return f"FLOPS ({results.ood[0]})", results.ood
    averages = average_columns(results.ood)
    return (f"FLOPS ({averages[0][0]})", averages[0][1]) if averages else None


def seed_table(cfg: EvalConfig, results: _Results | None = None, comparisons: list[Comparison] | None = None,
               baseline: str | None = None, alpha: float = ALPHA) -> Table:
    results = results or _Results(cfg)
    quality, flops = quality_column(results), flops_column(results)
    significant = _significant_cells(comparisons, alpha)
    columns: list[str] = []
    tested: dict[str, tuple[str, str]] = {}  # column -> (dataset, measure) of its per-query test
    for key, title, measures in results.in_domain:
        for m in measures:
            columns.append(f"{title} {MEASURE_NAMES[m]}")
            tested[columns[-1]] = (key, m)
    if quality:
        columns.append(quality[0])
        if len(quality[1]) == 1:
            tested[quality[0]] = (quality[1][0], "ndcg@10")
    if flops:
        columns.append(flops[0])
    rows, marks = [], {}
    for i, row in enumerate(results.rows()):
        values: dict[str, float | None] = {c: results.metric(row.root, row.name, *tested[c])
                                           for c in columns if c in tested}
        if quality and len(quality[1]) > 1:
            values[quality[0]] = _mean([results.metric(row.root, row.name, d, "ndcg@10") for d in quality[1]])
        if flops:
            values[flops[0]] = _mean([(results.get(row.root, row.name, d) or {}).get("flops") for d in flops[1]])
        rows.append({"label": row.label, "model": row.model, **values})
        marks.update({(i, c): DAGGER for c, (d, m) in tested.items() if (row.label, d, m) in significant})
    frame = pd.DataFrame(rows, columns=["label", "model", *columns])
    present = [c for c in columns if frame[c].notna().any()]  # a column only where some row has a value
    frame = frame[["label", "model", *present]]
    formats = {c: ".1f" for c in present}
    if flops and flops[0] in present:
        formats[flops[0]] = ".2f"
    caption = f"Measures x 100 from `{cfg.output}/`; `-` = no result."
    by_level: dict[int, list[str]] = {}
    for key, title, _ in results.in_domain:
        if f"{title} R@1k" in present and cfg.relevance_level(key) > 1:
            by_level.setdefault(cfg.relevance_level(key), []).append(title)
    for level, titles in by_level.items():
        caption += f" R@1k on {', '.join(titles)} counts grades >= {level} as relevant (trec_eval -l {level})."
    if cfg.ensembles and flops and flops[0] in present:
        caption += " An ensemble's FLOPS are the sum of its members'."
    return Table("seed", frame, formats, caption, {k: v for k, v in marks.items() if k[1] in present},
                 _legend(cfg, baseline, alpha))


def ndcg_table(cfg: EvalConfig, results: _Results | None = None, comparisons: list[Comparison] | None = None,
               baseline: str | None = None, alpha: float = ALPHA) -> Table:
    results = results or _Results(cfg)
    info = [k for k in INFO_KEYS if any(k in m.info for m in cfg.models)]
    show_kind = len({m.kind for m in cfg.models}) > 1
    columns = results.dataset_columns()
    significant = _significant_cells(comparisons, alpha)
    rows, marks = [], {}
    for i, m in enumerate(cfg.models):
        scores = results.ndcg(cfg.output, m.name)
        rows.append({"label": m.label, "model": m.name, **({"kind": m.kind} if show_kind else {}),
                     **{k: m.info.get(k) for k in info}, **{c: scores[c] for c in columns}})
        marks.update({(i, d): DAGGER for d in results.keys if (m.label, d, "ndcg@10") in significant})
    frame = pd.DataFrame(rows, columns=["label", "model", *(["kind"] if show_kind else []), *info, *columns])
    return Table("ndcg", frame, {c: ".1f" for c in columns},
                 f"nDCG@10 x 100 from `{cfg.output}/`; `-` = no result.", marks, _legend(cfg, baseline, alpha))


def flops_table(cfg: EvalConfig, results: _Results | None = None) -> Table:
    results = results or _Results(cfg)
    rows = []
    for m in cfg.models:
        for d in results.keys:
            r = results.get(cfg.output, m.name, d) or {}
            rows.append({"label": m.label, "model": m.name, "dataset": d, "FLOPS": r.get("flops"),
                         "nnz query": r.get("nnz_query"), "nnz doc": r.get("nnz_doc")})
    frame = pd.DataFrame(rows, columns=["label", "model", "dataset", "FLOPS", "nnz query", "nnz doc"])
    return Table("flops", frame, {"FLOPS": ".2f", "nnz query": ".1f", "nnz doc": ".1f"},
                 "FLOPS: expected multiplications per query-document pair; nnz: mean non-zeros per "
                 "query / document; `-` = no result or not applicable.")


def ensemble_table(cfg: EvalConfig, results: _Results | None = None, comparisons: list[Comparison] | None = None,
                   baseline: str | None = None, alpha: float = ALPHA) -> Table:
    results = results or _Results(cfg)
    root = ensemble_root(cfg.output)
    columns = results.dataset_columns()
    flops_label, flops_over = flops_column(results) or ("FLOPS", [])  # as in the seed table
    show_weights = any(w != 1.0 for e in cfg.ensembles for w in e.weights)
    significant = _significant_cells(comparisons, alpha)
    rows, marks = [], {}
    for i, e in enumerate(cfg.ensembles):
        scores = results.ndcg(root, e.name)
        flops = _mean([(results.get(root, e.name, d) or {}).get("flops") for d in flops_over])
        rows.append({"ensemble": e.name, "members": " ".join(e.members),
                     **({"weights": " ".join(f"{w:g}" for w in e.weights)} if show_weights else {}),
                     **{c: scores[c] for c in columns}, flops_label: flops})
        marks.update({(i, d): DAGGER for d in results.keys if (e.name, d, "ndcg@10") in significant})
    frame = pd.DataFrame(rows, columns=["ensemble", "members", *(["weights"] if show_weights else []),
                                        *columns, flops_label])
    return Table("ensembles", frame, {**{c: ".1f" for c in columns}, flops_label: ".2f"},
                 "Normalized-score sum of the members' runs; nDCG@10 x 100; FLOPS = sum of the members'.",
                 marks, _legend(cfg, baseline, alpha))


def significance_table(comparisons: list[Comparison], baseline: str, alpha: float = ALPHA) -> Table:
    """Every test behind the daggers: means x 100, t, raw and Holm-adjusted p."""
    frame = pd.DataFrame([{
        "row": c.row, "baseline": baseline, "dataset": c.dataset, "measure": MEASURE_NAMES.get(c.measure, c.measure),
        "queries": c.test.n, "row mean": 100 * c.test.mean_x, "baseline mean": 100 * c.test.mean_y,
        "t": c.test.t, "p": c.test.p, "p (Holm)": c.p_holm, "tests in family": c.family_size,
        "significant": "yes" if c.significant(alpha) else "no"} for c in comparisons],
        columns=["row", "baseline", "dataset", "measure", "queries", "row mean", "baseline mean", "t", "p",
                 "p (Holm)", "tests in family", "significant"])
    return Table("significance", frame, {"queries": "d", "row mean": ".1f", "baseline mean": ".1f", "t": ".3f",
                                         "p": ".3g", "p (Holm)": ".3g", "tests in family": "d"},
                 f"Paired two-sided t-tests over queries against {baseline}; Holm's correction over the datasets "
                 f"of each row and measure; significant: p (Holm) < {alpha:g}.")


def build_tables(cfg: EvalConfig, baseline: str | None = None, alpha: float = ALPHA,
                 results: _Results | None = None) -> dict[str, Table]:
    """``seed``, ``ndcg`` and ``flops`` always, ``ensembles`` when the config has any, ``significance``
    with a baseline (``baseline``, else the config's)."""
    results = results or _Results(cfg)
    baseline = baseline or cfg.baseline
    comparisons = significance(cfg, baseline, results) if baseline else None
    marked = dict(comparisons=comparisons, baseline=baseline, alpha=alpha)
    tables = {"seed": seed_table(cfg, results, **marked), "ndcg": ndcg_table(cfg, results, **marked),
              "flops": flops_table(cfg, results)}
    if cfg.ensembles:
        tables["ensembles"] = ensemble_table(cfg, results, **marked)
    if comparisons is not None:
        tables["significance"] = significance_table(comparisons, baseline, alpha)
    return tables


def write_tables(cfg: EvalConfig, tables: dict[str, Table]) -> Path:
    """``<output>/tables/<config name>/<table>.md`` and ``.csv``; returns the folder."""
    folder = safe_join(cfg.output, "tables", cfg.name)
    for name, table in tables.items():
        atomic_write_text(folder / f"{name}.md", table.markdown() + "\n")
        atomic_write_text(folder / f"{name}.csv", table.csv())
    if "significance" not in tables:  # tests of an earlier baseline would no longer match the tables
        for stale in ("significance.md", "significance.csv"):
            (folder / stale).unlink(missing_ok=True)
    return folder


def plot_points(cfg: EvalConfig, seed: Table, results: _Results) -> tuple[list, str, str] | None:
    """The plot's points from the seed table (x: its FLOPS column, y: its BEIR column, else its first
    in-domain column), with the axis labels; None when the table has no quality column."""
    from .plot import Point

    columns = [c for c in seed.frame.columns if c not in ("label", "model")]
    flops, quality = flops_column(results), quality_column(results)
    x = flops[0] if flops and flops[0] in columns else None
    y = quality[0] if quality and quality[0] in columns else next((c for c in columns if c != x), None)
    if y is None:
        return None
    kinds = ["model"] * len(cfg.models) + ["ensemble"] * len(cfg.ensembles)  # the seed table's row order
    points = [Point(str(r["label"]), _number(r[y]), _number(r[x]) if x else None, kind)
              for r, kind in zip(seed.frame.to_dict("records"), kinds)]
    return points, (f"{x}, log scale" if x else "FLOPS, log scale"), f"{y} x 100"


def _number(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def write_figure(cfg: EvalConfig, seed: Table, results: _Results, folder: Path) -> list[Path] | None:
    """The FLOPS/quality plot as SVG and PNG in ``folder``; None when the seed table has nothing to plot."""
    from .plot import write_plot

    found = plot_points(cfg, seed, results)
    if found is None:
        return None
    points, x_label, y_label = found
    return write_plot(points, folder, x_label, y_label, title=f"{cfg.name}: FLOPS vs {y_label.replace(' x 100', '')}")


def plot_block(cfg: EvalConfig, seed: Table, results: _Results, paths: list[Path], readme: Path) -> str:
    """The README text of the plot: the PNG (linked relative to the README), its SVG, and the rows
    drawn as reference lines or left out."""
    points, x_label, y_label = plot_points(cfg, seed, results)
    svg, png = (Path(os.path.relpath(p.resolve(), readme.resolve().parent)).as_posix() for p in paths)
    lines = [f"![{cfg.name}: {x_label} against {y_label}]({png})", "",
             f"x: {x_label}; y: {y_label}; circles: models, squares: ensembles ([SVG]({svg}))."]
    reference = [p.label for p in points if p.quality is not None and p.flops is None]
    absent = [p.label for p in points if p.quality is None]
    if reference:
        one = len(reference) == 1
        lines[-1] += (" Rows without FLOPS (BM25 and dense retrievers compute no sparse dot products, and an "
                      f"ensemble with one of them has none either) cannot sit on the log axis: {', '.join(reference)} "
                      f"{'is a horizontal line' if one else 'are horizontal lines'} at {'its' if one else 'their'} "
                      "quality (dashed: models, dotted: ensembles).")
    if absent:
        lines[-1] += f" Not drawn (no {y_label.replace(' x 100', '')}): {', '.join(absent)}."
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m splade_beir.tables", description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="an eval config (eval_configs/NAME.yaml)")
    p.add_argument("--update-readme", metavar="FILE",
                   help="rewrite the tables between <!-- splade-beir:table NAME --> markers in FILE "
                        "(seed, ndcg, flops, ensembles, and plot when it is drawn)")
    p.add_argument("--baseline", metavar="LABEL",
                   help="test every row against this model label or ensemble name (default: the config's "
                        "'baseline', if any) and mark significant cells with a dagger")
    p.add_argument("--alpha", type=float, default=ALPHA, help="significance level (default: %(default)s)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the FLOPS/quality plot")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, got {args.alpha}")
    cfg = load_config(args.config)
    results = _Results(cfg)
    tables = build_tables(cfg, args.baseline, args.alpha, results)
    folder = write_tables(cfg, tables)
    for name, table in tables.items():
        print(f"## {name}\n\n{table.markdown()}\n")
    for warning in results.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"tables written to {folder}/")
    readme_blocks = {n: t.markdown() for n, t in tables.items() if n != "significance"}
    if not args.no_plot:
        from .plot import PLOT_EXTRA, have_matplotlib

        if not have_matplotlib():
            print(f"plot skipped: it needs matplotlib ({PLOT_EXTRA})")
        elif (paths := write_figure(cfg, tables["seed"], results, folder)) is None:
            print("plot skipped: no row has a quality value to plot")
        else:
            print(f"plot written to {', '.join(map(str, paths))}")
            if args.update_readme:
                readme_blocks["plot"] = plot_block(cfg, tables["seed"], results, paths, Path(args.update_readme))
    if args.update_readme:
        from .readme import update_readme

        changed = update_readme(args.update_readme, readme_blocks)
        print(f"{args.update_readme}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
