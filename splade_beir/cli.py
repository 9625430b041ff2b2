"""What every command shares: logging set-up and turning a UserError into one line and an exit code."""

from __future__ import annotations

import logging
import os
import sys
from typing import Callable

from .errors import UserError


def run_cli(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run ``main``; a :class:`UserError` prints ``error: ...`` on stderr and returns its exit code."""
    logging.basicConfig(level=os.environ.get("SPLADE_BEIR_LOG", "INFO"), format="%(message)s")
    for noisy in ("transformers", "httpx", "huggingface_hub", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass
    try:
        return main(argv)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
