"""The results folder: where each result and run file lives, and writing a result as one unit.

::

    <output>/<model>/<dataset>.json            a Result (metrics, per-query scores, costs, settings)
    <output>/<model>/<dataset>.run.gz          its TREC run file
    <output>/<model>/cqadupstack/<forum>.json  the forums of cqadupstack (and cqadupstack.json, their mean)
    <output>/ensembles/<ensemble>/...          fused runs, laid out the same way
    <output>/tables/<config>/...               tables, written by splade_beir.reporting

A result and its run file are one unit: both are written to temporary files, then a small journal
names the two renames, then both are renamed and the journal removed. A run killed before the journal
leaves the previous pair (or nothing) in place; one killed after it is completed by the next access.
The JSON records its run file's SHA-256, so a pair that came apart any other way is detected.

>>> import tempfile
>>> store = ResultStore(tempfile.mkdtemp())
>>> store.paths("splade-tiny", "cqadupstack/android")[0].relative_to(store.root).as_posix()
'splade-tiny/cqadupstack/android.json'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from ..atomic import commit, remove_stale_temps, temp_path, write_to
from ..errors import UserError
from ..search.run import GZIP_LEVEL, Run
from .result import Result

ENSEMBLES = "ensembles"
TABLES = "tables"
RESERVED = (ENSEMBLES, TABLES)  # folder names under <output> that hold no model's results


def safe_join(root: str | Path, *parts: str) -> Path:
    """Join names under ``root``, refusing any that would escape it (``..``, absolute paths)."""
    root_resolved = Path(root).resolve()
    path = Path(root).joinpath(*parts)
    pieces = [p for part in parts for p in part.replace("\\", "/").split("/")]
    if any(p in ("", ".", "..") for p in pieces) or not path.resolve().is_relative_to(root_resolved):
        raise UserError(f"name {'/'.join(parts)!r} would write outside {root}")
    return path


def name_problem(name: str, root: str | Path, reserved: bool = True) -> str | None:
    """What is wrong with ``name`` as a results folder under ``root`` (None when nothing): it is a folder
    name and the tag of every line of its run files, so no whitespace, nothing that leaves ``root``, and
    not a folder the store keeps for itself.

    >>> name_problem("splade v3", "results"), name_problem("tables", "results"), name_problem("A+B", "results")
    ("'splade v3' contains whitespace (names are folder names and run-file tags)", "'tables' is reserved for results/tables", None)
    """
    if not isinstance(name, str) or not name.strip():
        return f"{name!r} is not a name"
    if any(c.isspace() for c in name) or not name.isprintable():
        return f"{name!r} contains whitespace (names are folder names and run-file tags)"
    try:
        safe_join(root, name)
    except UserError:
        return f"{name!r} is not a plain folder name (it would write outside {root})"
    if reserved and name in RESERVED:
        return f"{name!r} is reserved for {Path(root) / name}"
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ResultStore:
    """The results under ``root``: paths, reads (cached), and writes of result + run file pairs."""

    def __init__(self, root: str | Path = "results"):
        self.root = Path(root)
        self._read: dict[Path, Result | None] = {}

    def folder(self, name: str, ensemble: bool = False) -> Path:
        return safe_join(self.root, ENSEMBLES, name) if ensemble else safe_join(self.root, name)

    def paths(self, name: str, dataset: str, ensemble: bool = False) -> tuple[Path, Path]:
        """``(json, run)`` of a model (or ensemble) on a dataset; ``cqadupstack/android`` nests as a folder."""
        base = safe_join(self.folder(name, ensemble), dataset)
        return base.with_name(base.name + ".json"), base.with_name(base.name + ".run.gz")

    def tables_folder(self, config: str) -> Path:
        return safe_join(self.root, TABLES, config)

    def read(self, name: str, dataset: str, ensemble: bool = False) -> Result | None:
        """The stored result, or None when there is none (read once per store)."""
        path = self.paths(name, dataset, ensemble)[0]
        if path not in self._read:
            finish_commits(path.parent)
            self._read[path] = read_result(path) if path.is_file() else None
        return self._read[path]

    def read_run(self, name: str, dataset: str, ensemble: bool = False) -> Run:
        """The result's run file, checked against the digest its result records."""
        json_path, run_path = self.paths(name, dataset, ensemble)
        result = self.read(name, dataset, ensemble)
        if result is None:
            raise UserError(f"{json_path}: results file missing")
        if not run_path.is_file():
            raise UserError(f"{run_path}: run file missing (its result {json_path.name} exists)")
        if result.run_sha256 and sha256_file(run_path) != result.run_sha256:
            raise UserError(f"{run_path}: does not belong to {json_path.name} (its digest differs); "
                            "evaluate again with --redo")
        return Run.read_trec(run_path)

    def is_complete(self, name: str, dataset: str, ensemble: bool = False) -> bool:
        """A result with its own run file (a mean over parts has none)."""
        result = self.read(name, dataset, ensemble)
        if result is None:
            return False
        if result.parts:
            return True
        run_path = self.paths(name, dataset, ensemble)[1]
        return run_path.is_file() and (result.run_sha256 is None or sha256_file(run_path) == result.run_sha256)

    def write(self, result: Result, run: Run | None = None, ensemble: bool = False) -> Path:
        """Write ``result`` (and ``run``, its run file) as one unit; returns the JSON path."""
        json_path, run_path = self.paths(result.model, result.dataset, ensemble)
        folder = json_path.parent
        finish_commits(folder)
        remove_stale_temps(folder)
        temps: list[tuple[Path, Path]] = []
        try:
            if run is not None:
                tmp = temp_path(run_path)
                temps.append((tmp, run_path))
                with write_to(tmp, "w", compress=GZIP_LEVEL) as f:
                    run.write_lines(f, tag=result.model)
                result.run_file, result.run_sha256 = run_path.name, sha256_file(tmp)
            tmp = temp_path(json_path)
            temps.append((tmp, json_path))
            with write_to(tmp, "w") as f:
                f.write(result.to_json())
            journal = _journal(json_path)
            with write_to(journal_tmp := temp_path(journal), "w") as f:
                json.dump([[t.name, p.name] for t, p in temps], f)
        except BaseException as exc:
            for tmp, _ in temps:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            if isinstance(exc, OSError):
                raise UserError(f"cannot write {json_path}: {exc.strerror or exc}") from None
            raise
        commit(journal_tmp, journal)  # the commit point: from here on, the new pair wins
        finish_commits(folder)
        self._read[json_path] = result
        return json_path


def _journal(json_path: Path) -> Path:
    return json_path.with_name(f".{json_path.name}.commit")


def finish_commits(folder: Path) -> None:
    """Complete the result pairs whose journal is in ``folder`` (a run killed while renaming them)."""
    try:
        journals = [Path(e.path) for e in os.scandir(folder) if e.name.endswith(".json.commit")]
    except OSError:
        return
    for journal in journals:
        try:
            renames = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for tmp, final in renames:
            if (folder / tmp).exists():
                with contextlib.suppress(FileNotFoundError, UserError):
                    commit(folder / tmp, folder / final)
        with contextlib.suppress(FileNotFoundError):
            journal.unlink()


def read_result(path: str | Path) -> Result:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: results file missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: unreadable ({exc})") from None
    return Result.from_json(text, source=str(path))
