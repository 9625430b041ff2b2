"""Progress that moves: one bar style in a terminal, and clean lines when output goes to a file or pipe.

Long work (encoding, search, BM25 indexing) reports through :func:`progress_bar`. In a terminal it is
a tqdm bar that advances per batch and stays on screen when done; otherwise it writes a plain line at
most every ``interval`` seconds and one final line, so a log file holds no carriage returns, no
repeated 100% lines and no half-cleared bars.

>>> import io
>>> out = io.StringIO()
>>> with progress_bar(4, "encoding documents", "doc", stream=out, interval=0) as bar:
...     bar.update(2); bar.update(2)
>>> print(out.getvalue().splitlines()[-1].split(" in ")[0])
encoding documents: 4/4 doc (100%)
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import IO, Iterator, Mapping

BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar:24}| {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}, {rate_fmt}]"


class _Silent:
    def update(self, n: int = 1) -> None:
        pass


class _Lines:
    """A progress report as plain lines: ``desc: n/total unit (p%)``, throttled, then a final line."""

    def __init__(self, total: int, desc: str, unit: str, stream: IO, interval: float, initial: int = 0):
        self.total, self.desc, self.unit, self.stream, self.interval = total, desc, unit, stream, interval
        self.n, self.start, self.last = initial, time.monotonic(), time.monotonic()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if self.n < self.total and now - self.last >= self.interval:
            self.last = now
            self._write(f"{self._count()} {self._rate(now)}")

    def close(self) -> None:
        elapsed = time.monotonic() - self.start
        self._write(f"{self._count()} in {elapsed:.1f} s")

    def _count(self) -> str:
        pct = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        return f"{self.desc}: {self.n}/{self.total} {self.unit}{pct}"

    def _rate(self, now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        return f"[{elapsed:.0f} s, {self.n / elapsed:.1f} {self.unit}/s]"

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


@contextlib.contextmanager
def progress_bar(total: int, desc: str, unit: str = "it", enabled: bool = True, initial: int = 0,
                 stream: IO | None = None, interval: float = 10.0) -> Iterator:
    """A progress reporter with ``update(n)``: a bar in a terminal, throttled lines elsewhere, nothing
    when ``enabled`` is false."""
    stream = stream or sys.stderr
    if not enabled:
        yield _Silent()
    elif getattr(stream, "isatty", lambda: False)():
        from tqdm.auto import tqdm

        fixed = fixed_size(stream)
        with tqdm(total=total, initial=initial, desc=desc, unit=unit, file=stream, bar_format=BAR_FORMAT,
                  dynamic_ncols=fixed is None, ncols=fixed and fixed[0], nrows=fixed and fixed[1],
                  leave=True) as bar:
            yield bar
    else:
        lines = _Lines(total, desc, unit, stream, interval, initial)
        yield lines
        lines.close()


def fixed_size(stream: IO, environ: Mapping[str, str] = os.environ) -> tuple[int, int] | None:
    """None when the terminal reports its size (the bar then follows resizes); else the ``(columns, lines)``
    to draw in: ``COLUMNS`` and ``LINES``, or 100 x 24. A pseudo-terminal of size 0 x 0 (``script``, some CI
    runners, ``docker exec -t``) would otherwise make tqdm draw empty lines.

    >>> import io
    >>> fixed_size(io.StringIO(), {}), fixed_size(io.StringIO(), {"COLUMNS": "80", "LINES": "x"})
    ((100, 24), (80, 24))
    """
    try:
        size = os.get_terminal_size(stream.fileno())
        if size.columns > 0 and size.lines > 0:
            return None
    except (AttributeError, OSError, ValueError):  # no file descriptor, or not a terminal
        pass
    columns, lines = environ.get("COLUMNS", ""), environ.get("LINES", "")
    return (int(columns) if columns.isdigit() and int(columns) > 0 else 100,
            int(lines) if lines.isdigit() and int(lines) > 0 else 24)
