"""The HTML report of a config: its tables, the FLOPS/quality plot and, per dataset, the query-level
comparison of its rows with SPLADE score explanations, in one self-contained file.

Everything is read from what evaluation left: the results and run files, the datasets, and the SPLADE
vectors in the corpus cache (see :mod:`.vectors`); no model is loaded. A row whose vectors cannot be had
gets a note saying why and how to get them, and the rest of the report is built all the same.

>>> from splade_beir.config import load_config
>>> data = build_report(load_config("eval_configs/demo.yaml"), max_queries=2)   # doctest: +SKIP
>>> path = write_report(data, "report.html")                                    # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..atomic import atomic_write_text
from ..config import EvalConfig
from ..data.download import resolve_dir
from ..data.loader import Dataset, load_folder
from ..data.names import cqadupstack_parts, dataset_key, default_split
from ..encode.cache import CorpusCache
from ..errors import UserError
from ..evaluation.store import ResultStore
from .columns import NDCG
from .comparison import Limits, Side, compare_dataset
from .html import render_report
from .render import Table, higher_is_better, is_missing, title
from .significance import ALPHA
from .tables import build_tables
from .vectors import NoVectors, open_vectors, reason_without_vectors
from .view import ConfigResults, Row

PLOT_CAPTION = ("x: FLOPS, log scale; y: quality x 100; circles: models, squares: ensembles. Rows without FLOPS "
                "(BM25, dense, and ensembles with them) are horizontal reference lines at their quality.")


def report_path(cfg: EvalConfig) -> Path:
    """``<output>/tables/<config name>/report.html``."""
    return ResultStore(cfg.output).tables_folder(cfg.name) / "report.html"


def table_data(table: Table) -> dict:
    """A :class:`~.render.Table` as the page's table data (see :mod:`.html`)."""
    columns = [{"key": str(c), "label": str(c), "type": "number" if c in table.formats else "text",
                **({"format": table.formats[c], "higher_is_better": higher_is_better(table, c)}
                   if c in table.formats else {})} for c in table.frame.columns]

    def value(v):
        if is_missing(v):
            return None
        return v.item() if hasattr(v, "item") else v

    rows = [[value(v) for v in record] for record in table.frame.itertuples(index=False, name=None)]
    return {"id": table.name, "title": title(table), "caption": table.caption, "legend": table.legend,
            "columns": columns, "rows": rows, "marks": [[i, str(c), m] for (i, c), m in sorted(table.marks.items())]}


def plot_svg(results: ConfigResults, seed: Table) -> str | None:
    """The FLOPS/quality plot as SVG markup (None when there is nothing to plot); needs matplotlib."""
    from .figure import plot_points, plot_title
    from .plot import draw, figure_bytes

    found = plot_points(results, seed)
    if found is None:
        return None
    points, x_label, y_label = found
    fig, _ = draw(points, x_label, y_label, title=plot_title(results, y_label))
    return figure_bytes(fig, "svg").decode("utf-8")


def default_pairs(labels: list[str], baseline: str | None, bm25: list[str]) -> list[tuple[str, str]]:
    """Every row against ``baseline``; without one (or when it has no result here), against the first
    BM25 row (``bm25``: their labels), else against the first row.

    >>> default_pairs(["A", "B", "C"], "B", [])
    [('A', 'B'), ('C', 'B')]
    >>> default_pairs(["S", "B", "D"], None, ["B"]), default_pairs(["S", "D"], None, [])
    ([('S', 'B'), ('D', 'B')], [('D', 'S')])
    """
    reference = next((r for r in [baseline, *bm25] if r in labels), labels[0] if labels else None)
    return [(label, reference) for label in labels if label != reference]


def open_dataset(name: str, data_dir: str | Path, split: str | None = None,
                 relevance_level: int | None = None) -> Dataset:
    """A dataset as evaluation loaded it (never downloaded: a missing one is a UserError)."""
    folder = resolve_dir(name, data_dir, download=False)
    return load_folder(folder, split or default_split(name), name=dataset_key(name), relevance_level=relevance_level)


def side_of(results: ConfigResults, row: Row, key: str, dataset: Dataset | None, cache: CorpusCache) -> Side | None:
    """A row on one dataset, with its vectors (or why it has none); None without per-query results."""
    result = results.get(row, key)
    if result is None or not result.per_query:
        return None
    json_path, run_path = results.store.paths(row.name, key, row.ensemble)
    kind = "ensemble" if row.ensemble else (result.kind or "?")
    side = Side(row.label, row.name, kind, result, run_path, str(json_path))
    if reason_without_vectors(kind):
        side.note = reason_without_vectors(kind)
    elif dataset is None:
        side.note = "The dataset could not be loaded, so its vectors cannot be matched to its documents."
    else:
        try:
            side.vectors = open_vectors(result, dataset, cache, str(json_path))
        except NoVectors as exc:
            side.note = str(exc)
    return side


def build_report(cfg: EvalConfig | ConfigResults, baseline: str | None = None, alpha: float = ALPHA,
                 cache_dir: str | Path | None = None, pairs: list[tuple[str, str]] | None = None,
                 max_queries: int = 200, limits: Limits | None = None, command: str | None = None) -> dict:
    """The report data of a config (schema: :mod:`.html`). ``pairs``: the default comparisons (labels);
    ``max_queries``: how many queries per dataset get a drill-down; ``cache_dir``: where the SPLADE
    vectors are (default: the corpus cache's default folder)."""
    results = cfg if isinstance(cfg, ConfigResults) else ConfigResults(cfg)
    cfg, baseline = results.cfg, baseline or results.cfg.baseline
    limits = limits or Limits(max_queries=max_queries)
    cache = CorpusCache(cache_dir)
    tables = build_tables(results, baseline, alpha)
    notes: list[str] = []
    plots = []
    try:
        svg = plot_svg(results, tables["seed"])
    except ImportError:
        svg = None
        notes.append("The FLOPS/quality plot is left out: it needs matplotlib (pip install 'splade-beir[plot]').")
    if svg:
        plots.append({"title": "FLOPS against quality", "svg": svg, "caption": PLOT_CAPTION})
    labels = [r.label for r in results.rows()]
    for a, b in pairs or ():
        if a not in labels or b not in labels:
            raise UserError(f"--compare {a}:{b}: rows are {', '.join(labels)}")
    comparisons = []
    for name in cfg.datasets:
        for part in cqadupstack_parts(name):
            key = dataset_key(part)
            comparison = compare_one(results, part, key, cache, baseline, pairs, limits, notes)
            if comparison is not None:
                comparisons.append(comparison)
    notes += results.warnings
    generated = {"config": str(cfg.path), "results": str(cfg.output), "vectors from": shown_path(cache.root),
                 "by": f"splade_beir {__version__}", "at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    if command:
        generated["command"] = command
    return {"title": f"splade_beir report: {cfg.name}", "generated": generated, "notes": notes,
            "tables": [table_data(t) for t in tables.values()], "plots": plots, "comparisons": comparisons}


def shown_path(path: str | Path, cwd: str | Path | None = None, home: str | Path | None = None) -> str:
    """``path`` as a page may show it without naming the machine: relative to ``cwd`` when inside it,
    ``~/...`` when inside ``home``, else as given.

    >>> shown_path("/u/me/.cache/splade_beir", cwd="/work", home="/u/me"), shown_path("/work/c", cwd="/work")
    ('~/.cache/splade_beir', 'c')
    """
    path = Path(path).absolute()
    for base, prefix in ((Path(cwd or Path.cwd()), ""), (Path(home or Path.home()), "~/")):
        if path == base or base in path.parents:
            return prefix + path.relative_to(base).as_posix()
    return str(path)


def compare_one(results: ConfigResults, name: str, key: str, cache: CorpusCache, baseline: str | None,
                pairs: list[tuple[str, str]] | None, limits: Limits, notes: list[str]) -> dict | None:
    """The comparison of one dataset, or None (with a note) when fewer than two rows have per-query scores."""
    cfg = results.cfg
    rows = [r for r in results.rows() if (res := results.get(r, key)) is not None and res.per_query]
    if len(rows) < 2:
        if rows or any(results.get(r, key) is not None for r in results.rows()):
            notes.append(f"{key}: no query-level comparison (fewer than two rows have per-query scores).")
        return None
    split = next(results.get(r, key).split for r in rows)
    try:
        dataset = open_dataset(name, cfg.data_dir, split, cfg.relevance_level(key))
    except UserError as exc:
        dataset = None
        notes.append(f"{key}: query texts, documents and explanations are left out: {exc}")
    sides = [s for r in rows if (s := side_of(results, r, key, dataset, cache)) is not None]
    labels = [s.label for s in sides]
    chosen = [p for p in pairs if p[0] in labels and p[1] in labels] if pairs else \
        default_pairs(labels, baseline, [m.label for m in cfg.models if m.kind == "bm25"])
    measure = str(results.measure(key, NDCG))
    return compare_dataset(key, measure, cfg.relevance_level(key), sides, chosen, dataset, limits)


def write_report(data: dict, path: str | Path) -> Path:
    """Render ``data`` and write it to ``path`` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, render_report(data))
    return path
