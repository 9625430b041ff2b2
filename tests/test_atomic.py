import errno
import os

import pytest

from splade_beir.atomic import atomic_open, atomic_write_text, check_writable
from splade_beir.errors import UserError


def test_failure_leaves_previous_file_and_no_temp(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as f:
            f.write("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["r.json"]


def test_full_disk_is_a_one_line_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    target.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(UserError, match=r"cannot write .*r.json: No space left on device"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["r.json"]


def test_gzip_is_reproducible(tmp_path):
    for name in ("a.gz", "b.gz"):
        with atomic_open(tmp_path / name, "w", compress=True) as f:
            f.write("q1 Q0 d1 1 1.0 x\n")
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_check_writable(tmp_path):
    check_writable(tmp_path / "new" / "deeper")  # creatable: fine, and nothing is created
    assert not (tmp_path / "new").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is not a folder"):
        check_writable(tmp_path / "file" / "results")
