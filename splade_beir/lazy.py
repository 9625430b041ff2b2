"""Optional dependencies, imported only when a feature needs them.

Heavy or optional libraries (torch, transformers, beir, bm25s, sentence-transformers, ray, matplotlib)
are never imported at module level by the parts that do not need them, so that reading results and
writing tables starts in a fraction of a second. A missing optional library is a one-line
:class:`~splade_beir.errors.UserError` naming the extra that installs it.

>>> optional_import("json", extra="none").__name__
'json'
>>> optional_import("no_such_module_xyz", extra="plot", purpose="the plot")
Traceback (most recent call last):
splade_beir.errors.UserError: the plot needs the [plot] extra: pip install 'splade-beir[plot]'
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import UserError


def optional_import(module: str, extra: str, purpose: str | None = None) -> ModuleType:
    """Import ``module``; if it is not installed, raise a UserError naming the pip extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        what = purpose or module
        raise UserError(f"{what} needs the [{extra}] extra: pip install 'splade-beir[{extra}]'") from None


def is_installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
