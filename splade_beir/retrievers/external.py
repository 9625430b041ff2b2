"""External runs as rows: the ``run`` kind reads a TREC run file per dataset, made by any system.

A config row ``{label: R, name: my-system, kind: run, run: runs/{dataset}.trec.gz}`` (or ``python -m
splade_beir.evaluate --run 'runs/{dataset}.trec.gz' --datasets D --name NAME``) is evaluated like a
model: the same measures, the same result and run files, so tables, ensembles and significance tests
take it as they take any row. ``{dataset}`` stands for the dataset key (``scifact``,
``cqadupstack/android``, a local folder's name).

Design: the other kinds search (index, encode, top-k) through :meth:`Retriever.retrieve`'s skeleton; a
run file is a retrieval already done, so this kind overrides ``retrieve`` itself, the one method the
pipeline calls, and has no search steps. What it applies is what every kind gets: the ranking
trec_eval uses (score descending, ties by document id descending; the file's rank column is checked, not
used), the query's own id dropped (BEIR's convention), the top ``top_k`` kept, and scores stored at the
9 significant digits of every run file (so the file stored is the run evaluated).

Checked: every line (``qid Q0 docid rank score tag``: six fields, an integer rank, a finite score, no
document twice for a query) or a one-line error naming the file and line; a file none of whose query
(document) ids belongs to the dataset is an error (the run of another dataset). Unknown query and
document ids, queries without a line, ranks that disagree with scores, hits cut at ``top_k`` are
reported: logged, and kept in the result's ``warnings``. Unknown documents stay in the ranking (they
took a rank; they are simply not relevant).

>>> from splade_beir.data.loader import Dataset
>>> import gzip, pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.trec"
>>> _ = path.write_text("q1 Q0 d2 1 3.5 sys\\nq1 Q0 d1 2 2.0 sys\\nq1 Q0 q1 3 1.0 sys\\n")
>>> data = Dataset("demo", path.parent, "test", {"d1": {"text": "a"}, "d2": {"text": "b"}}, {"q1": "x"},
...                {"q1": {"d1": 1}})
>>> retrieval = build(str(path.parent / "{dataset}.trec")).retrieve(data, top_k=10)
>>> retrieval.run, data.warnings
({'q1': {'d2': 3.5, 'd1': 2.0}}, ['demo.trec: 1 hit whose document id is its query id dropped (BEIR convention)'])
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import math
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..data.loader import Dataset
from ..errors import UserError
from ..search.run import Run, ranked
from ..textio import decode_line
from .base import Retrieval, Retriever

logger = logging.getLogger("splade_beir")

PLACEHOLDER = "dataset"
FORMAT = "qid Q0 docid rank score tag"


def check_template(template: str, n_datasets: int = 1) -> None:
    """A run path template may hold ``{dataset}`` and nothing else in braces; with several datasets it
    must hold it (else every dataset would read one file)."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise UserError(f"run path {template!r}: {exc} (write {{dataset}} for the dataset, {{{{ }}}} for a brace)") from None
    if any(f != PLACEHOLDER for f in fields):
        raise UserError(f"run path {template!r}: only {{dataset}} may appear in braces")
    if n_datasets > 1 and PLACEHOLDER not in fields:
        raise UserError(f"run path {template!r} names one file for {n_datasets} datasets; put {{dataset}} in it "
                        "(e.g. runs/{dataset}.trec.gz)")


def run_path(template: str, dataset: str) -> Path:
    """The run file of ``dataset`` (its key)."""
    return Path(template.format(dataset=dataset))


@dataclass
class RunFile:
    """A run file, read and checked line by line."""

    path: Path
    hits: dict[str, dict[str, float]]
    lines: int
    sha256: str
    tags: list[str] = field(default_factory=list)
    rank_disagreements: int = 0  # queries whose rank column orders documents otherwise than their scores


def read_run_file(path: str | Path) -> RunFile:
    """Read a TREC run file (plain or ``.gz``); every malformed line is a UserError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: run file missing")
    hits: dict[str, dict[str, float]] = {}
    last: dict[str, tuple[int, float]] = {}
    disagree: set[str] = set()
    tags: dict[str, None] = {}
    digest, n = hashlib.sha256(), 0
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                digest.update(raw)
                fields = decode_line(path, lineno, raw).split()
                if not fields:
                    continue
                qid, did, rank, score = _parse(path, lineno, fields)
                seen = hits.setdefault(qid, {})
                if did in seen:
                    raise UserError(f"{path}:{lineno}: document {did!r} is listed twice for query {qid!r} "
                                    f"(also line {_first_line(path, qid, did)})")
                seen[did] = score
                if qid in last and (rank - last[qid][0]) * (score - last[qid][1]) > 0:
                    disagree.add(qid)  # a later rank with a higher score, or an earlier with a lower one
                last[qid] = (rank, score)
                if len(tags) < 5:
                    tags[fields[5]] = None
                n += 1
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise UserError(f"{path}: cannot read ({exc})") from None
    if not n:
        raise UserError(f"{path}: no run lines ({FORMAT})")
    return RunFile(path, hits, n, digest.hexdigest(), list(tags), len(disagree))


def _parse(path: Path, lineno: int, fields: list[str]) -> tuple[str, str, int, float]:
    if len(fields) != 6:
        raise UserError(f"{path}:{lineno}: expected 6 fields ({FORMAT}), got {len(fields)}")
    try:
        rank = int(fields[3])
    except ValueError:
        raise UserError(f"{path}:{lineno}: rank {fields[3]!r} is not an integer") from None
    try:
        score = float(fields[4])
    except ValueError:
        score = math.nan
    if not math.isfinite(score):
        raise UserError(f"{path}:{lineno}: score {fields[4]!r} is not a finite number")
    return fields[0], fields[2], rank, score


def _first_line(path: Path, qid: str, did: str) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        return next(i for i, line in enumerate(f, 1) if line.split()[:3:2] == [qid, did])


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (of a ``.gz`` file's uncompressed content, as a result records it)."""
    digest = hashlib.sha256()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stored_score(score: float) -> float:
    """A score as a run file stores it (9 significant digits), so the run evaluated is the run stored."""
    return float(f"{score:.9g}")


class RunFileRetriever(Retriever):
    """Reads ``template.format(dataset=<key>)`` for each dataset instead of searching."""

    kind = "run"

    def __init__(self, template: str, show_progress: bool = True):
        check_template(template)
        self.template = template
        self.config = {"kind": "run", "run": template}
        self.read_for: dict[Path, str] = {}

    def retrieve(self, dataset: Dataset, top_k: int) -> Retrieval:
        path = run_path(self.template, dataset.name)
        if self.read_for.setdefault(path, dataset.name) != dataset.name:
            raise UserError(f"{path}: already read as the run of {self.read_for[path]}; a run path for several "
                            "datasets needs {dataset} in it")
        t0 = time.perf_counter()
        file = read_run_file(path)
        t1 = time.perf_counter()
        run, problems = select(file, dataset, top_k)
        for problem in problems:
            logger.warning("%s", problem)
        dataset.warnings.extend(problems)  # the result records its dataset's warnings
        self.config = {"kind": "run", "run": self.template, "run_file": str(path), "run_file_sha256": file.sha256,
                       "run_lines": file.lines, "run_tags": file.tags}
        return Retrieval(run, timings={"read_run_s": t1 - t0, "search_s": time.perf_counter() - t1})

    # A run file has no search steps: retrieve() above reads it.
    def index_corpus(self, dataset: Dataset):
        raise NotImplementedError("a run file is read by retrieve(), not searched")

    def encode_queries(self, texts: list[str]):
        raise NotImplementedError("a run file is read by retrieve(), not searched")

    def topk(self, queries, corpus, k: int):
        raise NotImplementedError("a run file is read by retrieve(), not searched")


def select(file: RunFile, dataset: Dataset, top_k: int) -> tuple[Run, list[str]]:
    """The run of ``dataset``'s queries from ``file`` (trec_eval's order, own ids dropped, top ``top_k``),
    and what is worth reporting about it."""
    name, problems = file.path.name, []
    unknown_queries = [q for q in file.hits if q not in dataset.queries]
    if len(unknown_queries) == len(file.hits):
        raise UserError(f"{file.path}: none of its {len(file.hits)} query ids is a query of {dataset.name} "
                        f"(first: {unknown_queries[0]!r}); is it the run of another dataset?")
    docs = {d for q, hits in file.hits.items() if q in dataset.queries for d in hits if d != q}
    unknown_docs = docs - {d for d in dataset.doc_ids if d in docs} if docs else set()
    if docs and len(unknown_docs) == len(docs):
        raise UserError(f"{file.path}: none of its document ids is a document of {dataset.name} "
                        f"(first: {sorted(docs)[0]!r}); is it the run of another dataset?")
    run, own, cut, reordered = Run(), 0, 0, 0
    for qid in dataset.queries:  # the dataset's order, as every kind
        hits = file.hits.get(qid, {})
        if qid in hits:
            own += 1
            hits = {d: s for d, s in hits.items() if d != qid}
        order = ranked(hits)
        stored = {d: stored_score(s) for d, s in order[:top_k]}
        cut += len(order) > top_k
        if any(stored[d] != s for d, s in order[:top_k]) and [d for d, _ in ranked(stored)] != list(stored):
            reordered += 1
        run[qid] = stored
    missing = sum(1 for q in dataset.queries if q not in file.hits)
    notes = [
        (unknown_queries, f"{len(unknown_queries)} query ids that are not judged queries of {dataset.name}, "
                          f"ignored (first: {unknown_queries[:1]})"),
        (unknown_docs, f"{len(unknown_docs)} document ids not in the corpus of {dataset.name}, kept at their "
                       f"ranks (first: {sorted(unknown_docs)[:1]})"),
        (missing, f"{missing} of {len(dataset.queries)} queries have no line: they score 0"),
        (own, f"{own} hit{'s' if own != 1 else ''} whose document id is its query id dropped (BEIR convention)"),
        (cut, f"{cut} queries have more than {top_k} hits: cut to the top {top_k}"),
        (file.rank_disagreements, f"{file.rank_disagreements} queries list ranks that disagree with their "
                                  "scores: ranked by score (ties by document id, descending), as trec_eval does"),
        (reordered, f"{reordered} queries change order when scores are stored with 9 significant digits"),
    ]
    problems += [f"{name}: {text}" for present, text in notes if present]
    return run, problems


def build(model: str = "", show_progress: bool = True, threads: int | None = None, **options) -> RunFileRetriever:
    """The ``run`` kind's factory (:func:`~splade_beir.retrievers.registry.make_retriever`): ``model`` is
    the run path template."""
    if not model:
        raise UserError("a run model needs its run file: --run 'runs/{dataset}.trec.gz' (or run: in a config)")
    return RunFileRetriever(model, show_progress=show_progress)
