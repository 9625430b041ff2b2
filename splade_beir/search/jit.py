"""The numba decorator of the kernels: ``nogil`` (they run on a thread pool), no fastmath (scores must
round exactly as scipy's), and an on-disk cache where one can be written."""

from __future__ import annotations

import os

import numba


def jit(fn):
    """``numba.njit(nogil=True)``, cached unless ``SPLADE_SEARCH_NO_CACHE`` is set or no cache
    directory is writable (numba falls back from ``__pycache__`` to ``NUMBA_CACHE_DIR`` or the user's
    cache; an install that allows neither compiles at the first call of each process instead)."""
    if not os.environ.get("SPLADE_SEARCH_NO_CACHE"):
        try:
            return numba.njit(nogil=True, cache=True)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            pass
    return numba.njit(nogil=True)(fn)
