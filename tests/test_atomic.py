"""splade_beir.atomic: write-then-rename, file modes, one-line errors, and stale temporary files."""

import errno
import os
import subprocess
import sys

import pytest

from splade_beir.atomic import atomic_open, atomic_write_text, check_writable, remove_stale_temps, temp_path
from splade_beir.errors import UserError


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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


def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path):
    atomic_write_text(tmp_path / "new.txt", "x")
    with atomic_open(tmp_path / "new.gz", "w", compress=True) as f:
        f.write("x")
    for name in ("new.txt", "new.gz"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask()
    os.chmod(tmp_path / "new.txt", 0o640)
    atomic_write_text(tmp_path / "new.txt", "y")
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o002, 0o664)])
def test_the_mode_follows_the_umask_not_mkstemp(tmp_path, mask, mode):
    """In a process with this umask (read when splade_beir.atomic is imported): not mkstemp's private 0600."""
    code = ("import os, sys; os.umask(int(sys.argv[2], 8)); from splade_beir.atomic import atomic_write_text; "
            "atomic_write_text(sys.argv[1], 'x'); print(oct(os.stat(sys.argv[1]).st_mode & 0o777))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.txt"), oct(mask)[2:]],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == oct(mode) and out != oct(0o600)


def test_remove_stale_temps_spares_live_writers(tmp_path):
    target = tmp_path / "r.json"
    mine = temp_path(target)  # this process: alive
    make = ("import sys, pathlib; from splade_beir.atomic import temp_path; "
            "print(temp_path(pathlib.Path(sys.argv[1])), flush=True); sys.stdin.read()")
    dead = subprocess.run([sys.executable, "-c", make, str(target)], input="", capture_output=True, text=True,
                          check=True).stdout.strip()
    live = subprocess.Popen([sys.executable, "-c", make, str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        alive = live.stdout.readline().strip()
        assert {os.path.basename(p) for p in (dead, alive)} <= set(os.listdir(tmp_path))
        (tmp_path / "other.tmp").write_text("not ours")  # not named like our temporary files
        assert remove_stale_temps(tmp_path) == 1
        assert sorted(os.listdir(tmp_path)) == sorted([mine.name, os.path.basename(alive), "other.tmp"])
    finally:
        live.communicate("")
    assert remove_stale_temps(tmp_path) == 1  # its writer has exited now
    assert sorted(os.listdir(tmp_path)) == sorted([mine.name, "other.tmp"])
    assert remove_stale_temps(tmp_path / "absent") == 0


def test_a_symlink_is_replaced_never_written_through(tmp_path):
    from splade_beir.evaluation.result import Result
    from splade_beir.evaluation.store import ResultStore
    from splade_beir.search.run import Run

    victim = tmp_path / "elsewhere.txt"
    victim.write_text("precious")
    link = tmp_path / "out.txt"
    link.symlink_to(victim)
    atomic_write_text(link, "new")
    assert victim.read_text() == "precious" and not link.is_symlink() and link.read_text() == "new"
    store = ResultStore(tmp_path / "results")
    json_path, run_path = store.paths("m", "d")
    json_path.parent.mkdir(parents=True)
    for path in (json_path, run_path):
        path.symlink_to(victim)
    store.write(Result("m", "d", "splade", metrics={"nDCG@10": 0.5}), Run({"q": {"d1": 1.0}}))
    assert victim.read_text() == "precious" and not json_path.is_symlink() and not run_path.is_symlink()
