"""A strict loader of BEIR-format folders (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``).

Every malformed line is a :class:`~splade_beir.errors.UserError` naming its file and line; only judged
queries are kept, as beir's loader keeps them.

>>> ds = load_dataset("demo")
>>> len(ds.queries) > 0 and len(ds.corpus) > 0
True
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from . import names
from .download import resolve_dir
from .qrels import Qrels

logger = logging.getLogger(__name__)

Corpus = dict[str, dict[str, str]]
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

    @property
    def doc_ids(self) -> list[str]:
        return list(self.corpus)

    def texts(self) -> list[str]:
        """Every document's text (:func:`document_text`), in corpus order."""
        return [document_text(doc) for doc in self.corpus.values()]


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
    corpus = {_id: {"title": rec.get("title") or "", "text": rec["text"]}
              for _id, rec in read_jsonl(paths["corpus"])} if with_corpus else None
    all_queries = {_id: rec["text"] for _id, rec in read_jsonl(paths["queries"])}
    qrels = Qrels.read_tsv(paths["qrels"])
    warnings = _dangling(qrels, all_queries, corpus, paths["qrels"])
    queries = {qid: all_queries[qid] for qid in qrels if qid in all_queries}
    qrels = Qrels({qid: rels for qid, rels in qrels.items() if qid in all_queries})
    for w in warnings:
        logger.warning(w)
    name = name or folder.name
    level = names.relevance_level(name, relevance_level)
    return Dataset(name, folder, split, corpus or {}, queries, qrels, warnings, level)


def read_jsonl(path: Path):
    """Yield ``(_id, record)`` for each line; a bad line is a UserError naming file and line."""
    seen: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(rec, dict):
                raise UserError(f"{path}:{lineno}: expected a JSON object")
            for key in ("_id", "text"):
                if key not in rec:
                    raise UserError(f"{path}:{lineno}: missing field {key!r}")
            if not isinstance(rec["text"], str) or not isinstance(rec.get("title", ""), (str, type(None))):
                raise UserError(f"{path}:{lineno}: 'text' and 'title' must be strings")
            _id = str(rec["_id"])
            if _id in seen:
                raise UserError(f"{path}:{lineno}: duplicate _id {_id!r}")
            seen.add(_id)
            yield _id, rec


def _dangling(qrels: Qrels, queries: Queries, corpus: Corpus, path: Path) -> list[str]:
    missing_q = [q for q in qrels if q not in queries]
    missing_d = {d for rels in qrels.values() for d in rels if d not in corpus} if corpus is not None else ()
    out = []
    if missing_q:
        out.append(f"{path}: {len(missing_q)} judged queries are not in queries.jsonl (ignored)")
    if missing_d:
        out.append(f"{path}: {len(missing_d)} judged documents are not in corpus.jsonl")
    return out


def document_text(doc: dict[str, str]) -> str:
    """BEIR's document text: ``title + " " + text``, stripped."""
    return ((doc.get("title") or "") + " " + (doc.get("text") or "")).strip()
