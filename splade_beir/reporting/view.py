"""The results of a config as the tables see them: rows, datasets, and each number at its convention.

A measure is looked up at its dataset's relevance level (``R(rel=2)@1000`` on TREC DL): a result that
holds it at another level (evaluated under another convention) shows a dash there, with a warning,
never a number under the wrong convention.

A model with ``reference: <source>/<row>`` also has a published row (:meth:`ConfigResults.published_rows`):
the reference's figures in the same cells, so the tables put them beside the measured ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import EvalConfig
from ..evaluation.measures import Measure
from ..evaluation.result import Result
from ..evaluation.store import ResultStore
from ..references.loader import Reference, ReferenceRow, find_references, find_row
from ..retrievers.external import file_sha256
from .columns import NDCG, average_columns, in_domain_groups, mean


@dataclass(frozen=True)
class Row:
    """A table row: a model (label A...), an ensemble (labelled by its name), or a model's published figures."""

    label: str
    name: str        # results folder
    ensemble: bool
    model: str       # what the model column shows
    reference: str | None = None  # "<source>/<row>" of the published figures it is compared with
    published: bool = False       # the row shows the reference's figures, not results


class ConfigResults:
    """A config's results, read once through a :class:`~splade_beir.evaluation.store.ResultStore`."""

    def __init__(self, cfg: EvalConfig, store: ResultStore | None = None):
        self.cfg = cfg
        self.store = store or ResultStore(cfg.output)
        self.keys = cfg.dataset_keys()
        self.warnings: list[str] = []
        self.in_domain = in_domain_groups(cfg)
        inside = {key for key, _, _ in self.in_domain}
        self.ood = [d for d in self.keys if d not in inside]  # what the BEIR averages run over
        self.sources: dict[str, Reference] | None = None
        self.checked_runs: set[tuple[str, str]] = set()

    def rows(self) -> list[Row]:
        """Models in the config's order, then ensembles."""
        return ([Row(m.label, m.name, False, m.name, m.reference) for m in self.cfg.models]
                + [Row(e.name, e.name, True, "ensemble of " + " ".join(e.members)) for e in self.cfg.ensembles])

    def published_rows(self) -> list[Row]:
        """One row per model with a reference: the published figures, labelled ``<label> (published)``."""
        return [Row(f"{r.label} (published)", r.name, False, r.reference, r.reference, True)
                for r in self.rows() if r.reference]

    def reference(self, row: Row) -> ReferenceRow | None:
        """The published row a row names (shipped references and the config's own files)."""
        if not row.reference:
            return None
        if self.sources is None:
            self.sources = find_references(self.cfg.references)
        return find_row(row.reference, self.sources)

    def get(self, row: Row, dataset: str) -> Result | None:
        result = None if row.published else self.store.read(row.name, dataset, row.ensemble)
        if result is not None and result.kind == "run":
            self.check_run_file(row, dataset, result)
        return result

    def check_run_file(self, row: Row, dataset: str, result: Result) -> None:
        """Warn when an external run's result was made from another version of its run file."""
        path, recorded = result.config.get("run_file"), result.config.get("run_file_sha256")
        if not path or not recorded or (row.name, dataset) in self.checked_runs:
            return
        self.checked_runs.add((row.name, dataset))
        try:
            same = file_sha256(Path(path)) == recorded
        except (OSError, EOFError):  # missing or unreadable
            same = False
        if not same:
            json_path = self.store.paths(row.name, dataset)[0]
            self.warnings.append(f"{json_path}: made from another version of {path} (missing, or its content "
                                 "changed); re-evaluate it with --redo")

    def measure(self, dataset: str, measure: Measure) -> Measure:
        """``measure`` at ``dataset``'s relevance level."""
        return measure.at(self.cfg.relevance_level(dataset))

    def metric(self, row: Row, dataset: str, measure: Measure) -> float | None:
        """``measure`` x 100 on ``dataset`` at its relevance level; None when absent."""
        if row.published:
            found = self.reference(row).published(dataset, self.measure(dataset, measure))
            return None if found is None or found[0] is None else 100 * found[0]
        result = self.get(row, dataset)
        if result is None:
            return None
        wanted = self.measure(dataset, measure)
        value = result.value(wanted)
        if value is None and (found := result.find(measure)) is not None:
            path = self.store.paths(row.name, dataset, row.ensemble)[0]
            message = (f"{path}: has {found[0]} where {dataset} uses {wanted} (another relevance level): "
                       "left out (re-evaluate it with --redo)")
            if message not in self.warnings:
                self.warnings.append(message)
        return None if value is None else 100 * value

    def cost(self, row: Row, datasets: list[str], field: str = "flops") -> float | None:
        """The mean of a cost field over ``datasets`` (None if any lacks it)."""
        return mean([getattr(self.get(row, d), field, None) for d in datasets])

    def ndcg(self, row: Row) -> dict[str, float | None]:
        """nDCG@10 x 100 per dataset key, then the average columns."""
        out: dict[str, float | None] = {d: self.metric(row, d, NDCG) for d in self.keys}
        for label, members in average_columns(self.ood):
            out[label] = mean([out.get(d) for d in members])
        return out

    def dataset_columns(self) -> list[str]:
        """Datasets in config order (cqadupstack after the first average), then the averages."""
        avgs = [label for label, _ in average_columns(self.ood)]
        plain = [d for d in self.keys if d != "cqadupstack"]
        if "cqadupstack" not in self.keys:
            return plain + avgs
        return plain + avgs[:-1] + ["cqadupstack"] + avgs[-1:]

    def measures_to_test(self) -> dict[str, tuple[str, ...]]:
        """The measure names tested per dataset: nDCG@10 everywhere, plus the in-domain columns' measures,
        each at its dataset's relevance level."""
        extra = {key: measures for key, _, measures in self.in_domain}
        return {d: tuple(dict.fromkeys(str(self.measure(d, m)) for m in (NDCG, *extra.get(d, ()))))
                for d in self.keys if d != "cqadupstack"}

    def per_query(self, row: Row, dataset: str, measures: tuple[str, ...]) -> dict[str, dict[str, float]] | None:
        """The row's per-query scores on ``dataset`` for ``measures`` (those it has)."""
        result = self.get(row, dataset)
        if not result or not result.per_query:
            return None
        return {q: {m: s[m] for m in measures if m in s} for q, s in result.per_query.items()}
