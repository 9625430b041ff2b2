"""Finding a dataset's folder, and fetching it when absent: beir's zip files, or ir_datasets for MS MARCO
and TREC DL (the ``[irds]`` extra).

:func:`resolve_dirs` finds every folder a run needs before anything is downloaded: when some are missing
and downloading is off, or the download host does not accept a connection within 2 seconds (offline),
it raises one error naming every missing dataset with its URL. A download goes to a temporary folder
inside ``data_dir`` and only a complete dataset folder is moved into place; a failed one leaves nothing
behind (no empty folder, no half-written zip that a later run would trust).

>>> resolve_dirs(["demo"], "datasets") == {"demo": DEMO_DIR}
True
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Mapping
from urllib.parse import urlparse

from ..atomic import atomic_open
from ..errors import UserError
from .names import BEIR_URL, DEMO, DEMO_DIR, IR_DATASETS, KNOWN, TREC_DL

logger = logging.getLogger(__name__)

NETWORK_TIMEOUT = 2.0  # seconds a connection may take before a host counts as unreachable


def resolve_dirs(names: Iterable[str], data_dir: str | Path, download: bool = True,
                 downloader: Callable[[str, str], str] | None = None,
                 reachable: Callable[[str], bool] | None = None) -> dict[str, Path]:
    """The folder of every dataset in ``names`` (see :func:`resolve_dir`), by name, in order.

    Every name is looked for first. When some are missing and ``download`` is false, or the download
    host cannot be reached (``reachable(url)``, default :func:`url_reachable`; not asked when a
    ``downloader`` is passed in), one :class:`UserError` names them all with their URLs, before any
    download. Otherwise the missing ones are fetched one after the other.
    """
    names = list(dict.fromkeys(names))
    found = {name: existing_dir(name, data_dir) for name in names}
    missing = [name for name, folder in found.items() if folder is None]
    if missing:
        reason = None if download else "downloading is off (--no-download)"
        beir_missing = [name for name in missing if name not in TREC_DL]
        if reason is None and downloader is None and beir_missing:
            url = BEIR_URL.format(name=beir_missing[0].split("/")[0])
            if not (reachable or url_reachable)(url):
                reason = f"{urlparse(url).hostname} cannot be reached (offline?)"
        if reason is not None:
            sources = missing_sources(missing)
            raise UserError(f"{len(sources)} dataset(s) missing from {Path(data_dir)} and {reason}; fetch them by "
                            f"hand and unzip them into {Path(data_dir)}: {', '.join(sources)}")
    for name in missing:
        found[name] = resolve_dir(name, data_dir, download=download, downloader=downloader)
    return found


def existing_dir(name: str, data_dir: str | Path) -> Path | None:
    """The folder of ``name`` if it is there already (the demo, a local folder, ``data_dir/name``), else None."""
    if name == DEMO:
        return DEMO_DIR
    if Path(name).is_dir() and name not in KNOWN:
        return Path(name)
    folder = Path(data_dir) / name
    return folder if folder.is_dir() else None


def missing_sources(names: list[str]) -> list[str]:
    """Where each missing dataset comes from, ``name (URL)``; cqadupstack's forums are one zip.

    >>> missing_sources(["cqadupstack/tex", "cqadupstack/unix"])
    ['cqadupstack (https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/cqadupstack.zip)']
    """
    parts: dict[str, str] = {}
    for name in names:
        if name in IR_DATASETS:
            parts[name] = f"{name} (ir_datasets {IR_DATASETS[name][0]!r}, the [irds] extra)"
        else:
            top = name.split("/")[0]
            parts.setdefault(top, f"{top} ({BEIR_URL.format(name=top)})")
    return list(parts.values())


def url_reachable(url: str, environ: Mapping[str, str] = os.environ, timeout: float = NETWORK_TIMEOUT) -> bool:
    """Whether the host of ``url`` (or the HTTPS proxy, where one is set) accepts a TCP connection within
    ``timeout`` seconds: a quick offline test before a library retries for a minute."""
    proxy = next((environ[v] for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy") if environ.get(v)),
                 None)
    target = urlparse(url)
    if proxy and not _no_proxy(target.hostname or "", environ):
        target = urlparse(proxy if "://" in proxy else f"http://{proxy}")
    try:
        port = target.port or (443 if target.scheme == "https" else 80)
        socket.create_connection((target.hostname, port), timeout=timeout).close()
        return True
    except (OSError, TypeError, ValueError):
        return False


def _no_proxy(host: str, environ: Mapping[str, str]) -> bool:
    rules = (environ.get("NO_PROXY") or environ.get("no_proxy") or "").split(",")
    return any(r.strip() and (r.strip() == "*" or host == r.strip().lstrip(".") or host.endswith("." + r.strip()
                                                                                                 .lstrip(".")))
               for r in rules)


def resolve_dir(name: str, data_dir: str | Path, download: bool = True,
                downloader: Callable[[str, str], str] | None = None) -> Path:
    """Find the folder of ``name`` under ``data_dir`` (or ``name`` itself if it is a folder).

    A BEIR dataset that is absent is fetched with beir's ``download_and_unzip`` when ``download``
    is true; when that fails (offline), the error names the folder and the URL to fetch by hand.
    """
    folder = existing_dir(name, data_dir)
    if folder is not None:
        return folder
    folder = Path(data_dir) / name
    if name in TREC_DL:
        return _resolve_ir_datasets(name, data_dir, download)
    top = name.split("/")[0]
    url = BEIR_URL.format(name=top)
    hint = f"dataset {name!r} not found in {folder}; fetch {url} and unzip it into {Path(data_dir)}"
    if not download:
        raise UserError(hint)
    if downloader is None:
        if not url_reachable(url):
            raise UserError(f"{hint} ({urlparse(url).hostname} cannot be reached: offline?)")
        from beir.util import download_and_unzip as downloader  # noqa: N813
    logger.info("downloading %s into %s", url, data_dir)
    try:
        _download_into(url, Path(data_dir), top, downloader)
    except Exception as exc:  # noqa: BLE001  (requests raises many kinds when offline)
        raise UserError(f"{hint} (download failed: {type(exc).__name__})") from None
    if not folder.is_dir():
        raise UserError(hint + " (the download did not produce that folder)")
    return folder


def _download_into(url: str, data_dir: Path, top: str, downloader: Callable[[str, str], str]) -> None:
    """Download and unzip ``url`` in a temporary folder inside ``data_dir``, then move its ``top`` folder
    into place; remove the temporary folder, and ``data_dir`` itself if this made it and it stayed empty."""
    made = [p for p in (data_dir, *data_dir.parents) if not p.exists()]
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".download-{top}-", dir=data_dir))
    try:
        downloader(url, str(tmp))
        if (tmp / top).is_dir() and not (data_dir / top).exists():
            os.replace(tmp / top, data_dir / top)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for path in made:  # innermost first
            try:
                path.rmdir()
            except OSError:
                break


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
