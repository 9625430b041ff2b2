"""One line of a BEIR JSON-lines file, checked: every mistake is a one-line error naming the file and line.

>>> parse_record(b'{"_id": 7, "title": "T", "text": "x"}', "corpus.jsonl", 1)
('7', 'T', 'x')
>>> parse_record(b'{"_id": "a b", "text": "x"}', "corpus.jsonl", 2)
Traceback (most recent call last):
splade_beir.errors.UserError: corpus.jsonl:2: _id 'a b' contains whitespace (a run file line 'qid Q0 docid rank score tag' could not hold it)
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError
from ..textio import decode_line


def check_id(value, path: str | Path, lineno: int, field: str = "_id") -> str:
    """An id as a string: a JSON string or integer, not empty, without whitespace (run files are
    whitespace-separated), printable."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UserError(f"{path}:{lineno}: {field} must be a string or an integer, got "
                        f"{type(value).__name__} {json.dumps(value)[:40]}")
    text = check_utf8(str(value), path, lineno, field)
    if not text:
        raise UserError(f"{path}:{lineno}: {field} is empty")
    if any(c.isspace() for c in text):
        raise UserError(f"{path}:{lineno}: {field} {text!r} contains whitespace (a run file line "
                        "'qid Q0 docid rank score tag' could not hold it)")
    if not text.isprintable():
        raise UserError(f"{path}:{lineno}: {field} {text!r} contains a control character")
    return text


def check_utf8(text: str, path: str | Path, lineno: int, field: str) -> str:
    """Refuse a string that cannot be written as UTF-8 (a JSON escape of a lone surrogate, ``\\ud800``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise UserError(f"{path}:{lineno}: not valid UTF-8 (the {field} holds a lone surrogate "
                        f"\\u{ord(bad):04x} from a JSON escape)") from None
    return text


def parse_record(raw: bytes, path: str | Path, lineno: int) -> tuple[str, str, str] | None:
    """``(id, title, text)`` of one line (``title`` is ``""`` when absent or null); None for a blank line."""
    line = decode_line(path, lineno, raw)
    if not line.strip():
        return None
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise UserError(f"{path}:{lineno}: not valid JSON (nested too deeply)") from None
    if not isinstance(rec, dict):
        raise UserError(f"{path}:{lineno}: expected a JSON object")
    for key in ("_id", "text"):
        if key not in rec:
            raise UserError(f"{path}:{lineno}: missing field {key!r}")
    title = rec.get("title")
    if not isinstance(rec["text"], str) or not isinstance(title, (str, type(None))):
        raise UserError(f"{path}:{lineno}: 'text' and 'title' must be strings")
    _id = check_id(rec["_id"], path, lineno)
    return _id, check_utf8(title or "", path, lineno, "title"), check_utf8(rec["text"], path, lineno, "text")


def document_text(doc: dict[str, str]) -> str:
    """BEIR's document text: ``title + " " + text``, stripped."""
    return ((doc.get("title") or "") + " " + (doc.get("text") or "")).strip()
