"""Reading user files as UTF-8, with errors that name the file and line.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
>>> _ = p.write_bytes(b"ok\\nbad \\xff byte\\n")
>>> read_utf8(p)
Traceback (most recent call last):
splade_beir.errors.UserError: ...x.txt:2: not valid UTF-8 (byte 0xff at column 5)
"""

from __future__ import annotations

from pathlib import Path

from .errors import UserError

BOM = "\ufeff"


def not_utf8(path: str | Path, lineno: int, exc: UnicodeDecodeError, line_start: int = 0) -> UserError:
    """The one-line error for an invalid byte at ``exc.start`` (``line_start``: where its line begins)."""
    bad = exc.object[exc.start:exc.start + 1]
    return UserError(f"{path}:{lineno}: not valid UTF-8 (byte 0x{bad.hex()} at column {exc.start - line_start + 1})")


def decode_line(path: str | Path, lineno: int, raw: bytes) -> str:
    """One line of a file as text; the first line loses a UTF-8 byte-order mark."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, lineno, exc) from None
    return text[1:] if lineno == 1 and text.startswith(BOM) else text


def read_utf8(path: str | Path) -> str:
    """A whole file as text (a byte-order mark dropped); an invalid byte is a one-line error with its line."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        raise not_utf8(path, raw.count(b"\n", 0, exc.start) + 1, exc, line_start) from None
    return text[1:] if text.startswith(BOM) else text


def iter_lines(path: str | Path):
    """``(line number, text)`` for each line of a file, decoded one by one (no file held in memory)."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            yield lineno, decode_line(path, lineno, raw)
