"""Write-then-rename, so that a reader never sees a half-written file.

Temporary files are created beside their target as ``.<name>.<host>-<pid>.<random>.tmp`` and renamed
into place when complete. A run killed mid-write leaves its temporary file behind;
:func:`remove_stale_temps` (called by the next run on the folders it writes) removes those whose
process no longer exists, and never a live writer's. New files get the usual permissions
(``0666`` less the umask, like any file a program creates), not ``mkstemp``'s private ``0600``; a
file that is replaced keeps its mode.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import socket
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import UserError

_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40] or "host"
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


DEFAULT_MODE = _default_mode()


def temp_path(path: Path) -> Path:
    """Create an empty temporary file beside ``path`` (named so :func:`remove_stale_temps` knows its owner)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_HOST}-{os.getpid()}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    return Path(tmp)


def commit(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the mode ``path`` has (or the default) and rename it onto ``path``."""
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else DEFAULT_MODE
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", compress: bool | int = False) -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds.

    ``compress``: gzip the bytes (``True`` or a compression level; mtime 0, so equal content gives
    equal bytes).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_open(p) as f:
    ...     _ = f.write("done")
    >>> p.read_text(), oct(p.stat().st_mode & 0o777) == oct(DEFAULT_MODE)
    ('done', True)
    """
    path = Path(path)
    tmp = temp_path(path)
    try:
        with write_to(tmp, mode, compress) as f:
            yield f
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # a full disk, a vanished folder: the old file stays as it was
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    commit(tmp, path)


@contextlib.contextmanager
def write_to(tmp: Path, mode: str = "w", compress: bool | int = False) -> Iterator[IO]:
    """Write ``tmp`` (text or binary, optionally gzipped) and fsync it."""
    binary = bool(compress) or "b" in mode
    with open(tmp, "wb" if binary else mode, encoding=None if binary else "utf-8") as raw:
        if compress:
            level = 9 if compress is True else int(compress)
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=level) as gz:
                yield gz if "b" in mode else _Text(gz)
        else:
            yield raw
        raw.flush()
        os.fsync(raw.fileno())


def remove_stale_temps(folder: str | os.PathLike) -> int:
    """Remove this host's temporary files in ``folder`` whose writing process is gone; returns how many."""
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            match = _TEMP.match(entry.name)
            if match and match["host"] == _HOST and not _alive(int(match["pid"])):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_writable(folder: str | os.PathLike) -> None:
    """Fail early, writing nothing, if ``folder`` could not be created or written to."""
    folder = Path(folder).absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise UserError(f"cannot write under {folder}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"cannot write under {folder}: {existing} is not writable")


class _Text:
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
