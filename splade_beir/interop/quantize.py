"""Float SPLADE weights to the integer impacts Anserini, pyserini and PISA index, and back to floats.

Three conventions are in use; the default is NAVER's (the SPLADE authors' Anserini exporter):

========== =============================================== ===========================================
name       impact                                          source
========== =============================================== ===========================================
``100``    ``rint(w * 100)`` in float32, half to even;     naver/splade ``splade/tasks/
(default)  any positive number N: ``rint(w * N)``          transformer_evaluator.py`` (``EncodeAnserini``),
                                                           the "round of weight*100" of Anserini's and
                                                           pyserini's pre-encoded DistilSPLADE-max docs
``pyserini`` ``round(w / 5 * 256)`` in float64, half to    pyserini ``pyserini/encode/_splade.py``
           even (a factor of 51.2)                         (``SpladeDocumentEncoder`` / ``QueryEncoder``)
``float``  the float32 weight itself, written with the     not a quantization: lossless, for importing
           fewest digits that read back to the same        back here and for Seismic; Anserini truncates
           float32                                         floats to integers (2.9 -> 2), so it is not
                                                           for Anserini
========== =============================================== ===========================================

Weights that round to 0 are dropped (Anserini and PISA would ignore them). A uniform factor changes no
ranking; the rounding changes ties and near-ties only, and the error is reported (:class:`Rounding`).

>>> import numpy as np
>>> w = np.array([0.004, 0.005, 0.015, 1.2345, 2.5], dtype=np.float32)
>>> parse_quantization("100").apply(w).tolist()        # 0.005 * 100 rounds half to even: 0, dropped later
[0, 0, 2, 123, 250]
>>> parse_quantization("pyserini").apply(w).tolist()
[0, 0, 1, 63, 128]
>>> parse_quantization("float").apply(w).tolist() == w.tolist()
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import UserError

DEFAULT = "100"
FLOAT32_EXACT = 2 ** 24  # integers up to this are exact in float32, sums included


@dataclass(frozen=True)
class Quantization:
    """How float weights become impacts: ``factor`` (None for ``float``) and the rule's name."""

    name: str
    factor: float | None
    rule: str

    @property
    def integer(self) -> bool:
        return self.factor is not None

    def apply(self, weights: np.ndarray) -> np.ndarray:
        """The impacts of ``weights`` (int64), or the float32 weights themselves for ``float``."""
        weights = np.asarray(weights, dtype=np.float32)
        if self.factor is None:
            return weights
        if self.name == "pyserini":  # Python's round(float(w) / 5 * 256): float64, half to even
            return np.rint(weights.astype(np.float64) / 5 * 256).astype(np.int64)
        return np.rint(weights * np.float32(self.factor)).astype(np.int64)  # numpy float32, as NAVER's

    def describe(self) -> dict:
        return {"name": self.name, "factor": self.factor, "rule": self.rule}


def parse_quantization(text: str) -> Quantization:
    """``100`` (default), any positive number, ``pyserini`` or ``float``."""
    text = str(text).strip()
    if text == "float":
        return Quantization("float", None, "float32 weights, shortest decimal that reads back exactly")
    if text == "pyserini":
        return Quantization("pyserini", 256 / 5, "round(w / 5 * 256), float64, half to even (pyserini)")
    try:
        factor = float(text)
    except ValueError:
        factor = math.nan
    if not (math.isfinite(factor) and factor > 0):
        raise UserError(f"quantization must be a positive factor (such as 100), 'pyserini' or 'float', got {text!r}")
    shown = f"{factor:g}"
    return Quantization(shown, factor, f"rint(w * {shown}), float32, half to even (NAVER's exporter)")


@dataclass
class Rounding:
    """The error a quantization makes on one matrix, in weight units (impact / factor vs weight)."""

    n_weights: int = 0
    dropped: int = 0             # weights that rounded to 0 and were left out
    max_abs_error: float = 0.0
    mean_abs_error: float = 0.0
    max_impact: int = 0

    def as_dict(self) -> dict:
        return {"n_weights": self.n_weights, "dropped": self.dropped, "max_abs_error": self.max_abs_error,
                "mean_abs_error": self.mean_abs_error, "max_impact": self.max_impact}


def rounding(weights: np.ndarray, impacts: np.ndarray, quantization: Quantization) -> Rounding:
    """How far ``impacts / factor`` is from ``weights`` (a dropped weight counts as its whole value)."""
    if quantization.factor is None or weights.size == 0:
        return Rounding(n_weights=int(weights.size))
    error = np.abs(impacts / quantization.factor - weights.astype(np.float64))
    return Rounding(n_weights=int(weights.size), dropped=int(np.count_nonzero(impacts <= 0)),
                    max_abs_error=float(error.max()), mean_abs_error=float(error.mean()),
                    max_impact=int(impacts.max()))


def score_bound(D: sp.csr_matrix, Q: sp.csr_matrix) -> float:
    """The largest score any query could reach (its weights x each term's largest impact): an engine that
    adds in float32 is exact on integer impacts while this is at most 2**24."""
    if D.nnz == 0 or Q.nnz == 0:
        return 0.0
    top = D.max(axis=0).toarray().ravel().astype(np.float64)
    bound = float((Q.astype(np.float64) @ top).max())
    return int(bound) if bound.is_integer() else bound
