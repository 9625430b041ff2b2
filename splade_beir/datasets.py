"""BEIR datasets: names, where they live on disk, download, and a strict BEIR-format loader.

>>> from splade_beir.datasets import load_dataset
>>> ds = load_dataset("demo")
>>> len(ds.queries) > 0 and len(ds.corpus) > 0
True
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import UserError

logger = logging.getLogger(__name__)

BEIR_URL = "https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/{name}.zip"

BEIR_13 = (
    "trec-covid", "nfcorpus", "nq", "hotpotqa", "fiqa", "arguana", "webis-touche2020",
    "dbpedia-entity", "scidocs", "fever", "climate-fever", "scifact", "quora",
)
CQADUPSTACK_FORUMS = (
    "android", "english", "gaming", "gis", "mathematica", "physics", "programmers",
    "stats", "tex", "unix", "webmasters", "wordpress",
)
# `all` is what the SPLADE++ tables report: BEIR-13 plus cqadupstack (mean of its 12 forums).
ALL = BEIR_13 + ("cqadupstack",)
KNOWN = ALL + ("msmarco",) + tuple(f"cqadupstack/{f}" for f in CQADUPSTACK_FORUMS)
DEMO_DIR = Path(__file__).parent / "data" / "demo"

Corpus = dict[str, dict[str, str]]
Queries = dict[str, str]
Qrels = dict[str, dict[str, int]]


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


def default_split(name: str) -> str:
    return "dev" if name == "msmarco" else "test"


def expand_names(spec: str) -> list[str]:
    """Turn ``--datasets`` into dataset names or paths: ``all``, a comma list, names, local folders.

    ``cqadupstack`` stays one name; :func:`cqadupstack_parts` lists its forums.
    """
    names: list[str] = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item == "all":
            names.extend(ALL)
        elif item in KNOWN or item == "demo" or Path(item).is_dir():
            names.append(item)
        else:
            raise UserError(
                f"unknown dataset {item!r}: not a local folder, nor one of: demo, all, "
                + ", ".join(ALL + ("msmarco",))
            )
    return list(dict.fromkeys(names))


def dataset_key(name: str) -> str:
    """The name results are filed under: known names as they are (``cqadupstack/android`` too), a
    local folder by its last part."""
    return name if name in KNOWN or name == "demo" else Path(name).resolve().name


def cqadupstack_parts(name: str) -> list[str]:
    """The names evaluated for ``name``: the 12 forums for cqadupstack, else ``[name]``."""
    if name == "cqadupstack":
        return [f"cqadupstack/{f}" for f in CQADUPSTACK_FORUMS]
    return [name]


def resolve_dir(name: str, data_dir: str | Path, download: bool = True,
                downloader: Callable[[str, str], str] | None = None) -> Path:
    """Find the folder of ``name`` under ``data_dir`` (or ``name`` itself if it is a folder).

    A BEIR dataset that is absent is fetched with beir's ``download_and_unzip`` when ``download``
    is true; when that fails (offline), the error names the folder and the URL to fetch by hand.
    """
    if name == "demo":
        return DEMO_DIR
    if Path(name).is_dir() and name not in KNOWN:
        return Path(name)
    folder = Path(data_dir) / name
    if folder.is_dir():
        return folder
    top = name.split("/")[0]
    url = BEIR_URL.format(name=top)
    hint = f"dataset {name!r} not found in {folder}; fetch {url} and unzip it into {Path(data_dir)}"
    if not download:
        raise UserError(hint)
    if downloader is None:
        from beir.util import download_and_unzip as downloader  # noqa: N813
    try:
        logger.info("downloading %s into %s", url, data_dir)
        downloader(url, str(data_dir))
    except Exception as exc:  # noqa: BLE001  (requests raises many kinds when offline)
        raise UserError(f"{hint} (download failed: {type(exc).__name__})") from None
    if not folder.is_dir():
        raise UserError(hint + " (the download did not produce that folder)")
    return folder


def load_dataset(name: str, data_dir: str | Path = "datasets", split: str | None = None,
                 download: bool = True) -> Dataset:
    """Resolve and load one dataset (not cqadupstack as a whole: load its forums)."""
    folder = resolve_dir(name, data_dir, download=download)
    return load_folder(folder, split or default_split(name), name=name)


def load_folder(folder: str | Path, split: str = "test", name: str | None = None) -> Dataset:
    """Load a BEIR-format folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.

    Differences from beir's ``GenericDataLoader``, on purpose: the first qrels line is skipped only
    if it is a header (its score is not an integer), and every malformed line is reported with its
    file and line number.
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
              for _id, rec in read_jsonl(paths["corpus"])}
    all_queries = {_id: rec["text"] for _id, rec in read_jsonl(paths["queries"])}
    qrels = read_qrels(paths["qrels"])
    warnings = _dangling(qrels, all_queries, corpus, paths["qrels"])
    queries = {qid: all_queries[qid] for qid in qrels if qid in all_queries}
    qrels = {qid: rels for qid, rels in qrels.items() if qid in all_queries}
    for w in warnings:
        logger.warning(w)
    return Dataset(name or folder.name, folder, split, corpus, queries, qrels, warnings)


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


def read_qrels(path: Path) -> Qrels:
    """Read ``query-id  corpus-id  score`` lines (tab-separated); a header line is recognised by
    its non-integer score, so a header-less file loses no judgement."""
    qrels: Qrels = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.rstrip("\n\r").split("\t")
            if len(fields) == 4:  # TREC qrels: qid 0 docid rel
                fields = [fields[0], fields[2], fields[3]]
            if len(fields) != 3:
                raise UserError(f"{path}:{lineno}: expected 3 tab-separated fields "
                                f"(query-id, corpus-id, score), found {len(fields)}")
            qid, did, score = (s.strip() for s in fields)
            try:
                rel = int(score)
            except ValueError:
                if lineno == 1:
                    continue  # the header
                raise UserError(f"{path}:{lineno}: score {score!r} is not an integer") from None
            qrels.setdefault(qid, {})[did] = rel
    return qrels


def _dangling(qrels: Qrels, queries: Queries, corpus: Corpus, path: Path) -> list[str]:
    missing_q = [q for q in qrels if q not in queries]
    missing_d = {d for rels in qrels.values() for d in rels if d not in corpus}
    out = []
    if missing_q:
        out.append(f"{path}: {len(missing_q)} judged queries are not in queries.jsonl (ignored)")
    if missing_d:
        out.append(f"{path}: {len(missing_d)} judged documents are not in corpus.jsonl")
    return out


def document_text(doc: dict[str, str]) -> str:
    """BEIR's document text: ``title + " " + text``, stripped."""
    return ((doc.get("title") or "") + " " + (doc.get("text") or "")).strip()
