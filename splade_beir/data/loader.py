"""A strict loader of BEIR-format folders (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``).

Every malformed line is a :class:`~splade_beir.errors.UserError` naming its file and line; only judged
queries are kept, as beir's loader keeps them. The corpus is read once to check it and is then held as
ids and line offsets (:class:`~splade_beir.data.corpus.FileCorpus`): texts are read when encoded.

>>> ds = load_dataset("demo")
>>> len(ds.queries) > 0 and len(ds.corpus) > 0
True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from . import names
from .corpus import Corpus, FileCorpus, MemoryCorpus
from .download import resolve_dir
from .qrels import Qrels
from .records import document_text, parse_record

logger = logging.getLogger(__name__)

__all__ = ["Dataset", "document_text", "load_dataset", "load_folder", "read_queries"]

Queries = dict[str, str]


@dataclass
class Dataset:
    """One BEIR-format collection, loaded: judged queries only, as BEIR's loader keeps them."""

    name: str
    path: Path
    split: str
    corpus: Corpus
    queries: Queries
    qrels: Qrels
    warnings: list[str] = field(default_factory=list)
    relevance_level: int = 1  # the lowest grade recall and MRR count as relevant

    def __post_init__(self):
        if not isinstance(self.corpus, Corpus):  # a plain {doc_id: {"title", "text"}} dict
            self.corpus = MemoryCorpus(self.corpus)
        if not isinstance(self.qrels, Qrels):
            self.qrels = Qrels(self.qrels)

    @property
    def doc_ids(self):
        return self.corpus.ids

    def texts(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The documents' texts (:func:`document_text`) of rows ``[start, stop)``, in corpus order."""
        return self.corpus.texts(start, stop)


def load_dataset(name: str, data_dir: str | Path = "datasets", split: str | None = None,
                 download: bool = True, relevance_level: int | None = None) -> Dataset:
    """Resolve and load one dataset (not cqadupstack as a whole: load its forums)."""
    folder = resolve_dir(name, data_dir, download=download)
    return load_folder(folder, split or names.default_split(name), name=name, relevance_level=relevance_level)


def load_folder(folder: str | Path, split: str = "test", name: str | None = None,
                relevance_level: int | None = None, with_corpus: bool = True) -> Dataset:
    """Load a BEIR-format folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.

    Differences from beir's ``GenericDataLoader``, on purpose: the first qrels line is skipped only
    if it is a header (its score is not an integer), and every malformed line is reported with its
    file and line number. ``relevance_level`` defaults to the convention of ``name``
    (:func:`relevance_level`). ``with_corpus=False`` reads only queries and judgements (what scoring a
    finished run needs) and leaves ``corpus`` empty.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"dataset folder {folder} does not exist")
    paths = {"corpus": folder / "corpus.jsonl", "queries": folder / "queries.jsonl",
             "qrels": folder / "qrels" / f"{split}.tsv"}
    for path in paths.values():
        if not path.is_file():
            raise UserError(f"{path}: file missing (a BEIR folder needs corpus.jsonl, "
                            f"queries.jsonl and qrels/{split}.tsv)")
    qrels = Qrels.read_tsv(paths["qrels"])
    all_queries = read_queries(paths["queries"])
    warnings = list(qrels.warnings)
    missing_q = [q for q in qrels if q not in all_queries]
    if missing_q:
        warnings.append(f"{paths['qrels']}: {len(missing_q)} judged queries are not in queries.jsonl (ignored)")
    judged = Qrels({qid: rels for qid, rels in qrels.items() if qid in all_queries})
    if not judged:
        raise UserError(f"{paths['qrels']}: no query of {paths['queries']} has a judgement here: nothing to "
                        "evaluate (is it the right split?)")
    corpus: Corpus = MemoryCorpus()
    if with_corpus:
        corpus = FileCorpus(paths["corpus"], judged=(d for rels in judged.values() for d in rels))
        if not len(corpus):
            raise UserError(f"{paths['corpus']}: no documents")
        if corpus.missing:
            warnings.append(f"{paths['qrels']}: {len(corpus.missing)} judged documents are not in corpus.jsonl")
    for w in warnings:
        logger.warning("warning: %s", w)
    name = name or folder.name
    level = names.relevance_level(name, relevance_level)
    queries = {qid: all_queries[qid] for qid in judged}
    return Dataset(name, folder, split, corpus, queries, judged, warnings, level)


def read_queries(path: Path) -> Queries:
    """``{query_id: text}`` of a queries.jsonl file, checked line by line (ids unique)."""
    queries: Queries = {}
    lines: dict[str, int] = {}
    with open(path, "rb") as f:
        records = [(lineno, parse_record(raw, path, lineno)) for lineno, raw in enumerate(f, 1)]
    for lineno, record in records:
        if record is None:
            continue
        qid, _, text = record
        if qid in queries:
            raise UserError(f"{path}:{lineno}: duplicate _id {qid!r} (also line {lines[qid]})")
        queries[qid], lines[qid] = text, lineno
    return queries
