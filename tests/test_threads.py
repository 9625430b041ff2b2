"""splade_beir.threads: the default thread count leaves other processes' cores alone."""

import os
import subprocess
import sys
import time

import pytest

from splade_beir import threads
from splade_beir.errors import UserError


@pytest.mark.parametrize("cpus,foreign,expected", [
    (2, 0.0, 2), (2, 0.25, 2), (2, 0.5, 1), (2, 1.0, 1), (2, 5.0, 1),  # a core 70% free counts as free
    (16, 3.2, 13), (16, 0.0, 16), (1, 0.0, 1), (4, -1.0, 4)])
def test_threads_for_the_free_cores(cpus, foreign, expected):
    assert threads.threads_for(cpus, foreign) == expected


def test_explicit_threads_win_and_are_checked(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads.resolve_threads(5) == 5
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(UserError, match="threads must be a positive integer"):
            threads.resolve_threads(bad)


def test_omp_num_threads_is_an_explicit_default(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads.resolve_threads(None) == threads.default_threads() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert 1 <= threads.default_threads() <= threads.available_cpus()


def test_available_cpus_is_at_least_one_and_at_most_the_machine():
    assert 1 <= threads.available_cpus() <= (os.cpu_count() or 1)


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads /proc/stat (Linux)")
def test_a_busy_core_elsewhere_is_seen():
    """A process spinning on one core: the sampled foreign load counts (about) one core more than without it."""
    quiet = threads.foreign_load(0.3)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        busy = threads.foreign_load(0.3)
    finally:
        spinner.kill()
        spinner.wait()
    assert busy >= 0.6 and busy >= quiet - 0.5  # the machine's other work comes and goes; the spinner stays


def test_threads_reach_the_encoder_and_the_search(tiny_mlm):
    from splade_beir.evaluate import build_parser
    from splade_beir.retrievers.registry import make_retriever

    assert build_parser().parse_args(["--threads", "3"]).threads == 3
    with pytest.raises(UserError, match="--threads"):
        build_parser().parse_args(["--threads", "0"])
    retriever = make_retriever("splade", str(tiny_mlm), threads=1, show_progress=False)
    assert retriever.encoder.threads == 1 and retriever.searcher.threads == 1
    default = make_retriever("splade", str(tiny_mlm), show_progress=False)
    assert default.encoder.threads >= 1 and default.encoder.threads == default.searcher.threads
