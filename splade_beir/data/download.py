"""Finding a dataset's folder, and fetching it when absent: beir's zip files, or ir_datasets for MS MARCO
and TREC DL (the ``[irds]`` extra). Offline, a missing dataset is a one-line error naming the folder
looked in and the URL to fetch by hand.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from ..atomic import atomic_open
from ..errors import UserError
from .names import BEIR_URL, DEMO, DEMO_DIR, IR_DATASETS, KNOWN, TREC_DL

logger = logging.getLogger(__name__)


def resolve_dir(name: str, data_dir: str | Path, download: bool = True,
                downloader: Callable[[str, str], str] | None = None) -> Path:
    """Find the folder of ``name`` under ``data_dir`` (or ``name`` itself if it is a folder).

    A BEIR dataset that is absent is fetched with beir's ``download_and_unzip`` when ``download``
    is true; when that fails (offline), the error names the folder and the URL to fetch by hand.
    """
    if name == DEMO:
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
