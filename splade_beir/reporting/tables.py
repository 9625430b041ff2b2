"""The tables of a config, computed from its stored results (never recomputed), as :class:`Table` data.

- ``seed``: the layout of the SPLADE++ tables, one row per model then per ensemble: MS MARCO dev MRR@10
  and R@1k | TREC DL 2019 nDCG@10 and R@1k | TREC DL 2020 nDCG@10 and R@1k | the BEIR nDCG@10 average |
  FLOPS. A column appears only where some row has a value. Other datasets the config evaluates with the
  TREC DL convention (``relevance_level: 2``) get nDCG@10 and R@1k columns of their own. FLOPS are MS
  MARCO's (as in the papers) when the config has an in-domain dataset, else the mean over the BEIR
  column's datasets;
- ``ndcg``: nDCG@10 x 100, one row per model, one column per dataset, then the averages;
- ``flops``: FLOPS and mean non-zeros per query and per document, one row per (model, dataset);
- ``ensembles``: each ensemble's members, nDCG@10 x 100 per dataset, and its FLOPS (members' sum);
- with a baseline, ``significance``: every test behind the daggers (see :mod:`.significance`);
- when a model names a ``reference``, ``references``: measured, published and their difference, cell by
  cell (see :mod:`.reproduction`); the seed and ndcg tables then also show a ``<label> (published)`` row
  (after the others) with the published figures, averaged by the same rules as the measured ones.

Rendering (Markdown, CSV) is :mod:`.render`'s; writing the files and the README blocks, the commands'.
"""

from __future__ import annotations

import pandas as pd

from ..config import EvalConfig
from ..config.spec import INFO_KEYS
from ..errors import UserError
from ..evaluation.measures import Measure
from ..evaluation.store import ResultStore
from .columns import NDCG, flops_column, mean, quality_column
from .render import DAGGER, Table
from .reproduction import TOLERANCE, reference_cells, reference_table
from .significance import ALPHA, Comparison, compare_to_baseline
from .view import ConfigResults


PUBLISHED_NOTE = (" `<label> (published)`: the figures of the reference that row names (see the references "
                  "table), averaged by the same rules.")


def significance(results: ConfigResults, baseline: str) -> list[Comparison]:
    """Every row against ``baseline`` on every dataset with per-query scores (cqadupstack's mean has
    none): paired two-sided t-tests, Holm-corrected over datasets per row and measure."""
    measures = results.measures_to_test()
    rows = results.rows()
    if baseline not in [r.label for r in rows]:
        raise UserError(f"{results.cfg.path}: baseline {baseline!r} is neither a model label nor an ensemble "
                        f"name (rows: {', '.join(r.label for r in rows)})")
    per_query = {r.label: {d: pq for d in measures if (pq := results.per_query(r, d, measures[d]))} for r in rows}
    return compare_to_baseline(per_query, baseline, measures)


def _significant(comparisons: list[Comparison] | None, alpha: float) -> set[tuple[str, str, str]]:
    return {(c.row, c.dataset, c.measure) for c in comparisons or () if c.significant(alpha)}


def legend(baseline: str | None, alpha: float) -> str:
    if baseline is None:
        return ""
    return (f"{DAGGER}: significantly different from the baseline row {baseline} (paired two-sided t-test over "
            f"queries, p < {alpha:g} after Holm's correction over the datasets, per row and measure); averages "
            "and cqadupstack are not tested.")


def seed_table(results: ConfigResults, comparisons: list[Comparison] | None = None, baseline: str | None = None,
               alpha: float = ALPHA) -> Table:
    cfg = results.cfg
    quality, flops = quality_column(results.ood), flops_column(results.in_domain, results.ood)
    significant = _significant(comparisons, alpha)
    columns: list[str] = []
    tested: dict[str, tuple[str, Measure]] = {}  # column -> (dataset, measure) of its per-query test
    for key, title, measures in results.in_domain:
        for m in measures:
            columns.append(f"{title} {m.label}")
            tested[columns[-1]] = (key, m)
    if quality:
        columns.append(quality[0])
        if len(quality[1]) == 1:
            tested[quality[0]] = (quality[1][0], NDCG)
    if flops:
        columns.append(flops[0])
    rows, marks = [], {}
    for i, row in enumerate(results.rows() + results.published_rows()):
        values: dict[str, float | None] = {c: results.metric(row, d, m) for c, (d, m) in tested.items()}
        if quality and len(quality[1]) > 1:
            values[quality[0]] = mean([results.metric(row, d, NDCG) for d in quality[1]])
        if flops:
            values[flops[0]] = results.cost(row, flops[1])
        if row.published and all(v is None for v in values.values()):
            continue  # a published row with nothing in this table's columns
        rows.append({"label": row.label, "model": row.model, **values})
        marks.update({(i, c): DAGGER for c, (d, m) in tested.items()
                      if (row.label, d, str(results.measure(d, m))) in significant})
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
    if any(r["label"].endswith(" (published)") for r in rows):
        caption += PUBLISHED_NOTE
    return Table("seed", frame, formats, caption, {k: v for k, v in marks.items() if k[1] in present},
                 legend(baseline, alpha))


def ndcg_table(results: ConfigResults, comparisons: list[Comparison] | None = None, baseline: str | None = None,
               alpha: float = ALPHA) -> Table:
    cfg = results.cfg
    info = [k for k in INFO_KEYS if any(k in m.info for m in cfg.models)]
    show_kind = len({m.kind for m in cfg.models}) > 1
    columns = results.dataset_columns()
    significant = _significant(comparisons, alpha)
    rows, marks = [], {}
    for i, (m, row) in enumerate(zip(cfg.models, results.rows())):
        scores = results.ndcg(row)
        rows.append({"label": m.label, "model": m.name, **({"kind": m.kind} if show_kind else {}),
                     **{k: m.info.get(k) for k in info}, **{c: scores[c] for c in columns}})
        marks.update({(i, d): DAGGER for d in results.keys if (m.label, d, str(NDCG)) in significant})
    caption = f"nDCG@10 x 100 from `{cfg.output}/`; `-` = no result."
    for row in results.published_rows():
        scores = results.ndcg(row)
        if any(scores[c] is not None for c in columns):  # only where the reference has something to show
            rows.append({"label": row.label, "model": row.model, **({"kind": "published"} if show_kind else {}),
                         **{c: scores[c] for c in columns}})
    if len(rows) > len(cfg.models):
        caption += PUBLISHED_NOTE
    frame = pd.DataFrame(rows, columns=["label", "model", *(["kind"] if show_kind else []), *info, *columns])
    return Table("ndcg", frame, {c: ".1f" for c in columns}, caption, marks, legend(baseline, alpha))


def flops_table(results: ConfigResults) -> Table:
    rows = []
    for row in results.rows()[:len(results.cfg.models)]:
        for d in results.keys:
            r = results.get(row, d)
            rows.append({"label": row.label, "model": row.name, "dataset": d, "FLOPS": r and r.flops,
                         "nnz query": r and r.nnz_query, "nnz doc": r and r.nnz_doc})
    frame = pd.DataFrame(rows, columns=["label", "model", "dataset", "FLOPS", "nnz query", "nnz doc"])
    return Table("flops", frame, {"FLOPS": ".2f", "nnz query": ".1f", "nnz doc": ".1f"},
                 "FLOPS: expected multiplications per query-document pair; nnz: mean non-zeros per "
                 "query / document; `-` = no result or not applicable.")


def ensemble_table(results: ConfigResults, comparisons: list[Comparison] | None = None,
                   baseline: str | None = None, alpha: float = ALPHA) -> Table:
    cfg = results.cfg
    columns = results.dataset_columns()
    flops_label, flops_over = flops_column(results.in_domain, results.ood) or ("FLOPS", [])  # as the seed table
    show_weights = any(w != 1.0 for e in cfg.ensembles for w in e.weights)
    significant = _significant(comparisons, alpha)
    rows, marks = [], {}
    for i, (e, row) in enumerate(zip(cfg.ensembles, results.rows()[len(cfg.models):])):
        scores = results.ndcg(row)
        rows.append({"ensemble": e.name, "members": " ".join(e.members),
                     **({"weights": " ".join(f"{w:g}" for w in e.weights)} if show_weights else {}),
                     **{c: scores[c] for c in columns}, flops_label: results.cost(row, flops_over)})
        marks.update({(i, d): DAGGER for d in results.keys if (e.name, d, str(NDCG)) in significant})
    frame = pd.DataFrame(rows, columns=["ensemble", "members", *(["weights"] if show_weights else []),
                                        *columns, flops_label])
    return Table("ensembles", frame, {**{c: ".1f" for c in columns}, flops_label: ".2f"},
                 "Normalized-score sum of the members' runs; nDCG@10 x 100; FLOPS = sum of the members'.",
                 marks, legend(baseline, alpha))


def significance_table(comparisons: list[Comparison], baseline: str, alpha: float = ALPHA) -> Table:
    """Every test behind the daggers: means x 100, t, raw and Holm-adjusted p."""
    frame = pd.DataFrame([{
        "row": c.row, "baseline": baseline, "dataset": c.dataset, "measure": Measure.parse(c.measure).label,
        "queries": c.test.n, "row mean": 100 * c.test.mean_x, "baseline mean": 100 * c.test.mean_y,
        "t": c.test.t, "p": c.test.p, "p (Holm)": c.p_holm, "tests in family": c.family_size,
        "significant": "yes" if c.significant(alpha) else "no"} for c in comparisons],
        columns=["row", "baseline", "dataset", "measure", "queries", "row mean", "baseline mean", "t", "p",
                 "p (Holm)", "tests in family", "significant"])
    return Table("significance", frame, {"queries": "d", "row mean": ".1f", "baseline mean": ".1f", "t": ".3f",
                                         "p": ".3g", "p (Holm)": ".3g", "tests in family": "d"},
                 f"Paired two-sided t-tests over queries against {baseline}; Holm's correction over the datasets "
                 f"of each row and measure; significant: p (Holm) < {alpha:g}.")


def build_tables(cfg: EvalConfig | ConfigResults, baseline: str | None = None, alpha: float = ALPHA,
                 tolerance: float = TOLERANCE) -> dict[str, Table]:
    """``seed``, ``ndcg`` and ``flops`` always, ``ensembles`` when the config has any, ``significance``
    with a baseline (``baseline``, else the config's), ``references`` when a model names one (its
    statuses at ``tolerance``)."""
    results = cfg if isinstance(cfg, ConfigResults) else ConfigResults(cfg)
    baseline = baseline or results.cfg.baseline
    comparisons = significance(results, baseline) if baseline else None
    marked = dict(comparisons=comparisons, baseline=baseline, alpha=alpha)
    tables = {"seed": seed_table(results, **marked), "ndcg": ndcg_table(results, **marked),
              "flops": flops_table(results)}
    if results.cfg.ensembles:
        tables["ensembles"] = ensemble_table(results, **marked)
    if comparisons is not None:
        tables["significance"] = significance_table(comparisons, baseline, alpha)
    if any(m.reference for m in results.cfg.models):
        tables["references"] = reference_table(reference_cells(results), tolerance)
    return tables


def write_tables(results: ConfigResults, tables: dict[str, Table]):
    """``<output>/tables/<config name>/<table>.md``, ``.csv`` and ``.tex`` (booktabs, one ``\\input``), and
    ``ndcg_transposed.tex`` (datasets as rows); returns the folder."""
    from ..atomic import atomic_write_text
    from .latex import render_latex

    folder = ResultStore(results.cfg.output).tables_folder(results.cfg.name)
    for name, table in tables.items():
        atomic_write_text(folder / f"{name}.md", table.markdown() + "\n")
        atomic_write_text(folder / f"{name}.csv", table.csv())
        atomic_write_text(folder / f"{name}.tex", render_latex(table))
    if "ndcg" in tables:
        atomic_write_text(folder / "ndcg_transposed.tex", render_latex(tables["ndcg"], transpose=True))
    if "significance" not in tables:  # tests of an earlier baseline would no longer match the tables
        for stale in ("significance.md", "significance.csv", "significance.tex"):
            (folder / stale).unlink(missing_ok=True)
    return folder
