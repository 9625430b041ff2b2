"""BEIR datasets: names, where they live on disk, download, and a strict BEIR-format loader.

Besides BEIR, the in-domain sets of the SPLADE tables: ``msmarco`` (BEIR's copy, dev split: 6,980
queries, MRR@10 and R@1k) and ``trec-dl-2019`` / ``trec-dl-2020`` (TREC Deep Learning passage task,
judged queries, nDCG@10 and R@1k), which are built from ``ir_datasets`` when absent (the ``[irds]``
extra). TREC DL follows ``trec_eval -l 2``: its binary measures (recall, MRR) count a document as
relevant from grade 2 up (:func:`relevance_level`); nDCG uses every grade.

>>> from splade_beir.datasets import load_dataset
>>> ds = load_dataset("demo")
>>> len(ds.queries) > 0 and len(ds.corpus) > 0
True
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from .atomic import atomic_open
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
TREC_DL = ("trec-dl-2019", "trec-dl-2020")
IN_DOMAIN = ("msmarco",) + TREC_DL
KNOWN = ALL + IN_DOMAIN + tuple(f"cqadupstack/{f}" for f in CQADUPSTACK_FORUMS)
# The lowest grade a binary measure counts as relevant (trec_eval -l); 1 for every other dataset.
RELEVANCE_LEVELS = {"trec-dl-2019": 2, "trec-dl-2020": 2}
# name -> (ir_datasets id, the qrels split it is written as); trec-dl-* are fetched through it.
IR_DATASETS = {
    "msmarco": ("msmarco-passage/dev/small", "dev"),
    "trec-dl-2019": ("msmarco-passage/trec-dl-2019/judged", "test"),
    "trec-dl-2020": ("msmarco-passage/trec-dl-2020/judged", "test"),
}
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
    relevance_level: int = 1  # the lowest grade recall and MRR count as relevant


def relevance_level(name: str, override: int | Mapping[str, int] | None = None) -> int:
    """The relevance level of a dataset: ``override`` (one level, or levels by dataset key) when it
    names one, else the dataset's convention (2 for TREC DL, 1 otherwise).

    >>> relevance_level("trec-dl-2019"), relevance_level("scifact"), relevance_level("scifact", 2)
    (2, 1, 2)
    >>> relevance_level("/data/msmarco-5k", {"msmarco-5k": 2})
    2
    """
    level = override.get(dataset_key(name)) if isinstance(override, Mapping) else override
    if level is None:
        return RELEVANCE_LEVELS.get(dataset_key(name), 1)
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        raise UserError(f"relevance level of {name}: expected a positive integer, got {level!r}")
    return level


_relevance_level = relevance_level  # load_folder's parameter of the same name shadows it there


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
                + ", ".join(ALL + IN_DOMAIN)
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
    if name in TREC_DL:
        return _resolve_ir_datasets(name, data_dir, download)
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


def _resolve_ir_datasets(name: str, data_dir: str | Path, download: bool) -> Path:
    folder = Path(data_dir) / name
    irds_id, split = IR_DATASETS[name]
    hint = (f"dataset {name!r} not found in {folder}; install the [irds] extra (pip install "
            f"'splade-beir[irds]') to build it from ir_datasets {irds_id!r}, or put a BEIR-format folder "
            f"there (corpus.jsonl, queries.jsonl, qrels/{split}.tsv)")
    if not download:
        raise UserError(hint)
    try:
        import ir_datasets
    except ImportError:
        raise UserError(hint) from None
    try:
        return fetch_ir_datasets(name, data_dir, loader=ir_datasets.load)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001  (offline: ir_datasets raises many kinds)
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        raise UserError(f"{hint} (ir_datasets failed: {type(exc).__name__}: {detail})") from None


def fetch_ir_datasets(name: str, data_dir: str | Path, loader: Callable | None = None) -> Path:
    """Write ``IR_DATASETS[name]`` as a BEIR folder ``<data_dir>/<name>`` and return it.

    The MS MARCO passage corpus (8.8M passages, about 3 GB as JSON lines) is written once, to
    ``<data_dir>/msmarco-passage/corpus.jsonl``, and hard-linked (copied where links fail) into each
    folder. ``loader`` is ``ir_datasets.load`` (tests pass a stand-in). The folder appears only
    complete: it is assembled under a temporary name and renamed.
    """
    if name not in IR_DATASETS:
        raise UserError(f"no ir_datasets source for {name!r} (known: {', '.join(IR_DATASETS)})")
    if loader is None:
        import ir_datasets

        loader = ir_datasets.load
    irds_id, split = IR_DATASETS[name]
    folder = Path(data_dir) / name
    source = loader(irds_id)
    corpus = Path(data_dir) / irds_id.split("/")[0] / "corpus.jsonl"
    if not corpus.is_file():
        logger.info("writing the %s corpus from ir_datasets into %s", irds_id.split("/")[0], corpus)
        with atomic_open(corpus, "w") as f:
            for doc in source.docs_iter():
                f.write(json.dumps({"_id": doc.doc_id, "title": getattr(doc, "title", "") or "",
                                    "text": doc.text}, ensure_ascii=False) + "\n")
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=Path(data_dir)))
    try:
        (tmp / "qrels").mkdir()
        try:
            os.link(corpus, tmp / "corpus.jsonl")
        except OSError:
            shutil.copyfile(corpus, tmp / "corpus.jsonl")
        with open(tmp / "queries.jsonl", "w", encoding="utf-8") as f:
            for q in source.queries_iter():
                f.write(json.dumps({"_id": q.query_id, "text": q.text}, ensure_ascii=False) + "\n")
        with open(tmp / "qrels" / f"{split}.tsv", "w", encoding="utf-8") as f:
            f.write("query-id\tcorpus-id\tscore\n")
            f.writelines(f"{r.query_id}\t{r.doc_id}\t{r.relevance}\n" for r in source.qrels_iter())
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def load_dataset(name: str, data_dir: str | Path = "datasets", split: str | None = None,
                 download: bool = True, relevance_level: int | None = None) -> Dataset:
    """Resolve and load one dataset (not cqadupstack as a whole: load its forums)."""
    folder = resolve_dir(name, data_dir, download=download)
    return load_folder(folder, split or default_split(name), name=name, relevance_level=relevance_level)


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
    qrels = read_qrels(paths["qrels"])
    warnings = _dangling(qrels, all_queries, corpus, paths["qrels"])
    queries = {qid: all_queries[qid] for qid in qrels if qid in all_queries}
    qrels = {qid: rels for qid, rels in qrels.items() if qid in all_queries}
    for w in warnings:
        logger.warning(w)
    name = name or folder.name
    level = _relevance_level(name, relevance_level)
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
