"""README regeneration: only marked blocks change, idempotent, atomic, and errors leave the file alone."""

from __future__ import annotations

import os

import pytest

from splade_beir.errors import UserError
from splade_beir.reporting.readme import replace_tables, update_readme

README = """\
# Title

Intro mentioning `<!-- splade-beir:table ndcg -->` inline (not a marker).

<!-- splade-beir:table ndcg -->
stale table
<!-- /splade-beir:table -->

Between.
<!-- splade-beir:table flops -->
<!-- /splade-beir:table -->
<!-- splade-beir:table other -->
kept as is
<!-- /splade-beir:table -->
Tail without newline"""

TABLES = {"ndcg": "| a |\n|--:|\n| 1.0 |", "flops": "| f |\n|---|\n| - |\n"}


def test_replaces_only_the_marked_blocks(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(README)
    assert update_readme(path, TABLES) is True
    text = path.read_text()
    assert text == README.replace("stale table", "\n| a |\n|--:|\n| 1.0 |\n").replace(
        "<!-- splade-beir:table flops -->\n", "<!-- splade-beir:table flops -->\n\n| f |\n|---|\n| - |\n\n")
    assert "kept as is" in text and text.endswith("Tail without newline")


def test_second_run_changes_nothing_and_does_not_rewrite(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(README)
    update_readme(path, TABLES)
    first, stat = path.read_bytes(), path.stat()
    assert update_readme(path, TABLES) is False
    assert path.read_bytes() == first and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert path.stat().st_ino == stat.st_ino


def test_missing_marker_is_an_error_and_the_file_is_untouched(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(README)
    before = path.stat().st_mtime_ns
    with pytest.raises(UserError, match=r"README\.md: no marker <!-- splade-beir:table ensembles -->"):
        update_readme(path, {**TABLES, "ensembles": "| e |"})
    assert path.read_text() == README and path.stat().st_mtime_ns == before
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temporary file left


def test_unclosed_marker_names_its_line(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("a\n<!-- splade-beir:table ndcg -->\nb\n<!-- splade-beir:table flops -->\n"
                    "<!-- /splade-beir:table -->\n")
    with pytest.raises(UserError, match=r"README\.md:2: marker <!-- splade-beir:table ndcg --> has no closing"):
        update_readme(path, {"flops": "x"})


def test_crlf_files_stay_crlf_and_mode_is_kept(tmp_path):
    path = tmp_path / "README.md"
    path.write_bytes(b"x\r\n<!-- splade-beir:table ndcg -->\r\n<!-- /splade-beir:table -->\r\n")
    os.chmod(path, 0o644)
    update_readme(path, {"ndcg": "| a |\n|---|"})
    assert path.read_bytes() == (b"x\r\n<!-- splade-beir:table ndcg -->\r\n\r\n| a |\r\n|---|\r\n\r\n"
                                 b"<!-- /splade-beir:table -->\r\n")
    assert path.stat().st_mode & 0o777 == 0o644


def test_replace_tables_on_text():
    assert replace_tables("<!-- splade-beir:table t -->\n<!-- /splade-beir:table -->", {"t": "T"}) == \
        "<!-- splade-beir:table t -->\n\nT\n\n<!-- /splade-beir:table -->"


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="nope.md: file not found"):
        update_readme(tmp_path / "nope.md", TABLES)
