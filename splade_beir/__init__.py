"""splade_beir: zero-shot BEIR evaluation of SPLADE sparse retrievers.

Data flow: dataset -> encoder -> CSR -> search -> run -> metrics -> results JSON -> tables.
"""

from .encoder import SpladeEncoder

__all__ = ["SpladeEncoder"]
__version__ = "0.1.0"
