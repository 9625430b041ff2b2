"""splade_beir.progress: a bar in a terminal, throttled plain lines in a file or pipe, nothing when off."""

import io
import os
import pty

from splade_beir.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self):
        return True


def report(updates, total=10, interval=0.0, stream=None, **kwargs):
    out = stream or io.StringIO()
    with progress_bar(total, "encoding documents", "doc", stream=out, interval=interval, **kwargs) as bar:
        for n in updates:
            bar.update(n)
    return out.getvalue()


def test_lines_in_a_file_have_no_carriage_returns_and_one_final_line():
    text = report([3, 3, 4])
    lines = text.splitlines()
    assert "\r" not in text and text.endswith("\n")
    assert [line.split(" [")[0] for line in lines[:-1]] == ["encoding documents: 3/10 doc (30%)",
                                                           "encoding documents: 6/10 doc (60%)"]
    assert lines[-1].startswith("encoding documents: 10/10 doc (100%) in ") and lines[-1].endswith(" s")
    assert sum("100%" in line for line in lines) == 1  # the last update writes no line: the final one does
    assert all("doc/s]" in line for line in lines[:-1])


def test_lines_are_throttled_to_one_per_interval():
    lines = report([1] * 10, interval=3600).splitlines()
    assert len(lines) == 1 and lines[0].startswith("encoding documents: 10/10 doc (100%) in ")


def test_initial_and_unknown_totals():
    lines = report([2], total=10, initial=7).splitlines()
    assert lines[0].startswith("encoding documents: 9/10 doc (90%)") and lines[-1].startswith("encoding documents: 9/10")
    empty = report([], total=0).splitlines()
    assert len(empty) == 1 and empty[0].startswith("encoding documents: 0/0 doc in ")  # no percentage of nothing


def test_disabled_writes_nothing():
    out = io.StringIO()
    assert report([5, 5], stream=out, enabled=False) == ""


def test_a_terminal_gets_a_bar_that_stays():
    text = report([4, 6], stream=Terminal())
    assert "\r" in text and "encoding documents: 100%" in text and "10/10 doc" in text


def test_a_terminal_of_size_zero_still_shows_the_bar():
    """A fresh pseudo-terminal reports 0 x 0 (as under ``script`` or ``docker exec -t``): tqdm alone would
    draw empty lines there."""
    master, slave = pty.openpty()
    assert os.get_terminal_size(slave).columns == 0
    with os.fdopen(slave, "w", encoding="utf-8") as terminal:
        with progress_bar(10, "encoding documents", "doc", stream=terminal) as bar:
            bar.update(4)
            bar.update(6)
    shown = b""
    while b"10/10 doc" not in shown:  # a pty hands its bytes back in pieces
        piece = os.read(master, 65536)
        if not piece:
            break
        shown += piece
    os.close(master)
    shown = shown.decode("utf-8")
    assert "encoding documents:   0%|" in shown and "encoding documents: 100%|" in shown and "10/10 doc" in shown
