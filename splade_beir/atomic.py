"""Write-then-rename, so that a reader never sees a half-written file."""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import UserError


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", compress: bool = False) -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_open(p) as f:
    ...     _ = f.write("done")
    >>> p.read_text()
    'done'
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb" if compress or "b" in mode else mode) as raw:
            if compress:
                # mtime=0 keeps the bytes of a run file reproducible from run to run.
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                    yield gz if "b" in mode else _text(gz)
            else:
                yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # a full disk, a vanished folder: the old file stays as it was
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def check_writable(folder: str | os.PathLike) -> None:
    """Fail early, writing nothing, if ``folder`` could not be created or written to."""
    folder = Path(folder).absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise UserError(f"cannot write under {folder}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"cannot write under {folder}: {existing} is not writable")


class _text:
    """Minimal text wrapper over a binary gzip stream (io.TextIOWrapper would close it)."""

    def __init__(self, raw):
        self.raw = raw

    def write(self, s: str) -> int:
        return self.raw.write(s.encode("utf-8"))

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with ``text`` atomically."""
    with atomic_open(path, "w") as f:
        f.write(text)
