"""Dataset names and conventions: BEIR-13, cqadupstack's forums, the in-domain sets, relevance levels.

>>> expand_names("scifact,nfcorpus")
['scifact', 'nfcorpus']
>>> relevance_level("trec-dl-2019"), relevance_level("scifact"), relevance_level("scifact", 2)
(2, 1, 2)
>>> relevance_level("/data/msmarco-5k", {"msmarco-5k": 2})
2
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..errors import UserError

BEIR_URL = "https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/{name}.zip"

BEIR_13 = (
    "trec-covid", "nfcorpus", "nq", "hotpotqa", "fiqa", "arguana", "webis-touche2020",
    "dbpedia-entity", "scidocs", "fever", "climate-fever", "scifact", "quora",
)
CQADUPSTACK_FORUMS = (
    "android", "english", "gaming", "gis", "mathematica", "physics", "programmers",
    "stats", "tex", "unix", "webmasters", "wordpress",
)
# `all` is what the SPLADE++ tables report: BEIR-13 plus cqadupstack (mean of its 12 forums).
ALL = BEIR_13 + ("cqadupstack",)
TREC_DL = ("trec-dl-2019", "trec-dl-2020")
IN_DOMAIN = ("msmarco",) + TREC_DL
KNOWN = ALL + IN_DOMAIN + tuple(f"cqadupstack/{f}" for f in CQADUPSTACK_FORUMS)
DEMO = "demo"
DEMO_DIR = Path(__file__).parent / "demo"
# The lowest grade a binary measure counts as relevant (trec_eval -l); 1 for every other dataset.
RELEVANCE_LEVELS = {"trec-dl-2019": 2, "trec-dl-2020": 2}
# name -> (ir_datasets id, the qrels split it is written as); msmarco and trec-dl-* are built from it.
IR_DATASETS = {
    "msmarco": ("msmarco-passage/dev/small", "dev"),
    "trec-dl-2019": ("msmarco-passage/trec-dl-2019/judged", "test"),
    "trec-dl-2020": ("msmarco-passage/trec-dl-2020/judged", "test"),
}


def relevance_level(name: str, override: int | Mapping[str, int] | None = None) -> int:
    """The relevance level of a dataset: ``override`` (one level, or levels by dataset key) when it
    names one, else the dataset's convention (2 for TREC DL, 1 otherwise)."""
    level = override.get(dataset_key(name)) if isinstance(override, Mapping) else override
    if level is None:
        return RELEVANCE_LEVELS.get(dataset_key(name), 1)
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        raise UserError(f"relevance level of {name}: expected a positive integer, got {level!r}")
    return level


def default_split(name: str) -> str:
    return "dev" if name == "msmarco" else "test"


def expand_names(spec: str) -> list[str]:
    """Turn ``--datasets`` into dataset names or paths: ``all``, a comma list, names, local folders.

    ``cqadupstack`` stays one name; :func:`cqadupstack_parts` lists its forums.
    """
    names: list[str] = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item == "all":
            names.extend(ALL)
        elif item in KNOWN or item == DEMO or Path(item).is_dir():
            names.append(item)
        else:
            raise UserError(
                f"unknown dataset {item!r}: not a local folder, nor one of: demo, all, "
                + ", ".join(ALL + IN_DOMAIN)
            )
    if not names:
        raise UserError(f"no dataset named in {spec!r}: give names, a comma list, all, or local folders")
    return list(dict.fromkeys(names))


def dataset_key(name: str) -> str:
    """The name results are filed under: known names as they are (``cqadupstack/android`` too), a
    local folder by its last part."""
    return name if name in KNOWN or name == DEMO else Path(name).resolve().name


def cqadupstack_parts(name: str) -> list[str]:
    """The names evaluated for ``name``: the 12 forums for cqadupstack, else ``[name]``."""
    if name == "cqadupstack":
        return [f"cqadupstack/{f}" for f in CQADUPSTACK_FORUMS]
    return [name]
