"""Result tables of a config: ``python -m splade_beir.tables --config FILE [--update-readme README.md]``.

Three tables are read from ``<output>/`` (never computed anew) and written as Markdown (tabulate)
and CSV under ``<output>/tables/<config name>/``:

- ``ndcg``: nDCG@10 x 100, one row per model in the config's order, one column per dataset;
- ``flops``: FLOPS and mean non-zeros per query and per document, one row per (model, dataset);
- ``ensembles``: each ensemble's members, nDCG@10 x 100 per dataset, and its FLOPS (members' sum).

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
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from .atomic import atomic_write_text
from .cli import run_cli
from .config import INFO_KEYS, EvalConfig, load_config
from .datasets import BEIR_13
from .ensemble import ensemble_root
from .results import read_result, result_paths, safe_join

NOT_AVERAGED = ("cqadupstack", "msmarco")  # cqadupstack gets its own average; msmarco is in-domain
MISSING = "-"


@dataclass
class Table:
    """A numeric DataFrame plus how to print each column (format spec; text columns are absent)."""

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    caption: str = ""

    def markdown(self) -> str:
        """Markdown (pipe table with column alignment); missing numbers render as ``-``.

        >>> t = Table("x", pd.DataFrame({"model": ["a", "b"], "v": [12.345, None]}), {"v": ".1f"})
        >>> print(t.markdown())
        | model   |    v |
        |:--------|-----:|
        | a       | 12.3 |
        | b       |    - |
        """
        rows = [[_cell(v, self.formats.get(c)) for c, v in zip(self.frame.columns, row)]
                for row in self.frame.itertuples(index=False)]
        align = ["right" if c in self.formats else "left" for c in self.frame.columns]
        text = tabulate(rows, headers=list(self.frame.columns), tablefmt="pipe", disable_numparse=True,
                        colalign=align)
        return text + (f"\n\n{self.caption}" if self.caption else "")

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


class _Results:
    """The config's result files, read once: ``get(folder, dataset)`` -> result dict or None."""

    def __init__(self, cfg: EvalConfig):
        self.cfg = cfg
        self.keys = cfg.dataset_keys()
        self.cache: dict[tuple[Path, str, str], dict | None] = {}

    def get(self, root: Path, name: str, dataset: str) -> dict | None:
        key = (root, name, dataset)
        if key not in self.cache:
            path = result_paths(root, name, dataset)[0]
            self.cache[key] = read_result(path) if path.is_file() else None
        return self.cache[key]

    def ndcg(self, root: Path, name: str) -> dict[str, float | None]:
        """nDCG@10 x 100 per dataset key, then the average columns."""
        out: dict[str, float | None] = {}
        for d in self.keys:
            r = self.get(root, name, d)
            v = None if r is None else r.get("metrics", {}).get("ndcg@10")
            out[d] = None if v is None else 100 * v
        for label, members in average_columns(self.keys):
            out[label] = _mean([out.get(d) for d in members])
        return out

    def dataset_columns(self) -> list[str]:
        """Datasets in config order (cqadupstack after the first average), then the averages."""
        avgs = [label for label, _ in average_columns(self.keys)]
        plain = [d for d in self.keys if d != "cqadupstack"]
        if "cqadupstack" not in self.keys:
            return plain + avgs
        return plain + avgs[:-1] + ["cqadupstack"] + avgs[-1:]


def ndcg_table(cfg: EvalConfig, results: _Results | None = None) -> Table:
    results = results or _Results(cfg)
    info = [k for k in INFO_KEYS if any(k in m.info for m in cfg.models)]
    show_kind = len({m.kind for m in cfg.models}) > 1
    columns = results.dataset_columns()
    rows = []
    for m in cfg.models:
        scores = results.ndcg(cfg.output, m.name)
        rows.append({"label": m.label, "model": m.name, **({"kind": m.kind} if show_kind else {}),
                     **{k: m.info.get(k) for k in info}, **{c: scores[c] for c in columns}})
    frame = pd.DataFrame(rows, columns=["label", "model", *(["kind"] if show_kind else []), *info, *columns])
    return Table("ndcg", frame, {c: ".1f" for c in columns},
                 f"nDCG@10 x 100 from `{cfg.output}/`; `-` = no result.")


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


def ensemble_table(cfg: EvalConfig, results: _Results | None = None) -> Table:
    results = results or _Results(cfg)
    root = ensemble_root(cfg.output)
    columns = results.dataset_columns()
    averages = average_columns(results.keys)
    flops_over = averages[0][1] if averages else results.keys
    flops_label = "FLOPS" if len(flops_over) == 1 else f"FLOPS ({averages[0][0] if averages else 'mean'})"
    show_weights = any(w != 1.0 for e in cfg.ensembles for w in e.weights)
    rows = []
    for e in cfg.ensembles:
        scores = results.ndcg(root, e.name)
        flops = _mean([(results.get(root, e.name, d) or {}).get("flops") for d in flops_over])
        rows.append({"ensemble": e.name, "members": " ".join(e.members),
                     **({"weights": " ".join(f"{w:g}" for w in e.weights)} if show_weights else {}),
                     **{c: scores[c] for c in columns}, flops_label: flops})
    frame = pd.DataFrame(rows, columns=["ensemble", "members", *(["weights"] if show_weights else []),
                                        *columns, flops_label])
    return Table("ensembles", frame, {**{c: ".1f" for c in columns}, flops_label: ".2f"},
                 "Normalized-score sum of the members' runs; nDCG@10 x 100; FLOPS = sum of the members'.")


def build_tables(cfg: EvalConfig) -> dict[str, Table]:
    """``ndcg`` and ``flops`` always, ``ensembles`` when the config has any."""
    results = _Results(cfg)
    tables = {"ndcg": ndcg_table(cfg, results), "flops": flops_table(cfg, results)}
    if cfg.ensembles:
        tables["ensembles"] = ensemble_table(cfg, results)
    return tables


def write_tables(cfg: EvalConfig, tables: dict[str, Table]) -> Path:
    """``<output>/tables/<config name>/<table>.md`` and ``.csv``; returns the folder."""
    folder = safe_join(cfg.output, "tables", cfg.name)
    for name, table in tables.items():
        atomic_write_text(folder / f"{name}.md", table.markdown() + "\n")
        atomic_write_text(folder / f"{name}.csv", table.csv())
    return folder


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m splade_beir.tables", description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="an eval config (eval_configs/NAME.yaml)")
    p.add_argument("--update-readme", metavar="FILE",
                   help="rewrite the tables between <!-- splade-beir:table NAME --> markers in FILE")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = load_config(args.config)
    tables = build_tables(cfg)
    folder = write_tables(cfg, tables)
    for name, table in tables.items():
        print(f"## {name}\n\n{table.markdown()}\n")
    print(f"tables written to {folder}/")
    if args.update_readme:
        from .readme import update_readme

        changed = update_readme(args.update_readme, {n: t.markdown() for n, t in tables.items()})
        print(f"{args.update_readme}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
