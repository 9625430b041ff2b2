"""What every command shares: its argument parser (one-line errors, checked numbers), logging set-up, and
turning a UserError into one line and an exit code."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Callable

from .errors import UserError


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one ``error:`` line (exit code 2), like every other error."""

    def error(self, message: str):
        raise UserError(f"{self.prog}: {message} (see --help)")


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1.

    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a positive integer, got '0'
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def quiet_transformers() -> None:
    """No model-loading progress bars or notices from transformers (commands and worker processes show
    their own progress)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def run_cli(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run ``main``; a :class:`UserError` prints ``error: ...`` on stderr and returns its exit code."""
    logging.basicConfig(level=os.environ.get("SPLADE_BEIR_LOG", "INFO"), format="%(message)s")
    for noisy in ("transformers", "httpx", "huggingface_hub", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    # Read by transformers and huggingface_hub when (and if) a command imports them: no loading chatter.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:  # imported already (a notebook, a test): the variables came too late
        quiet_transformers()
    try:
        return main(argv)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` or a closed pager: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
