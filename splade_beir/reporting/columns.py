"""Which columns a config's tables have: the in-domain groups, the BEIR averages, the FLOPS column.

Averages follow one honest rule: when all 13 BEIR-13 datasets are in the config, "BEIR-13 avg" is their
mean; otherwise the column is "avg (N datasets)", the mean over the config's N datasets (cqadupstack and
the in-domain sets excepted), shown only when N >= 2. With cqadupstack in the config, a second average
includes it. A row that lacks any dataset of an average shows a dash there.

>>> average_columns(["demo"])
[]
>>> for label, datasets in average_columns(["nfcorpus", "scifact", "cqadupstack"]):
...     print(label, datasets)
avg (2 datasets) ['nfcorpus', 'scifact']
avg (2 datasets + cqadupstack) ['nfcorpus', 'scifact', 'cqadupstack']
>>> [label for label, _ in average_columns(list(BEIR_13) + ["cqadupstack"])]
['BEIR-13 avg', 'BEIR-13 + cqadupstack avg']
"""

from __future__ import annotations

from ..config import EvalConfig
from ..data.names import BEIR_13, IN_DOMAIN
from ..evaluation.measures import Measure

NOT_AVERAGED = ("cqadupstack", *IN_DOMAIN)  # cqadupstack gets its own average; msmarco and TREC DL are in-domain
NDCG = Measure("nDCG", 10)
TREC_DL_MEASURES = (NDCG, Measure("R", 1000))
# The in-domain column groups of the seed table, in the papers' order: dataset -> (title, measures).
IN_DOMAIN_COLUMNS = {
    "msmarco": ("MS MARCO", (Measure("RR", 10), Measure("R", 1000))),
    "trec-dl-2019": ("TREC-2019", TREC_DL_MEASURES),
    "trec-dl-2020": ("TREC-2020", TREC_DL_MEASURES),
}


def mean(values: list[float | None]) -> float | None:
    """The mean, or None when a value is missing (no average over fewer datasets than it says)."""
    values = list(values)
    return None if not values or any(v is None for v in values) else sum(values) / len(values)


def average_columns(datasets: list[str]) -> list[tuple[str, list[str]]]:
    """The average columns of a config's datasets: ``[(label, datasets averaged)]``."""
    averaged = [d for d in datasets if d not in NOT_AVERAGED]
    cols: list[tuple[str, list[str]]] = []
    if set(BEIR_13) <= set(averaged):
        base = list(BEIR_13)
        cols.append(("BEIR-13 avg", base))
        with_cqa = "BEIR-13 + cqadupstack avg"
    else:
        base = averaged
        if len(base) >= 2:
            cols.append((f"avg ({len(base)} datasets)", base))
        with_cqa = f"avg ({len(base)} dataset{'s' if len(base) != 1 else ''} + cqadupstack)"
    if "cqadupstack" in datasets and base:
        cols.append((with_cqa, base + ["cqadupstack"]))
    return cols


def in_domain_groups(cfg: EvalConfig) -> list[tuple[str, str, tuple[Measure, ...]]]:
    """The seed table's in-domain column groups ``(dataset key, title, measures)``: MS MARCO and TREC DL
    in the papers' order, then other datasets the config evaluates at relevance level 2 or more."""
    keys = cfg.dataset_keys()
    groups = [(k, *IN_DOMAIN_COLUMNS[k]) for k in IN_DOMAIN_COLUMNS if k in keys]
    groups += [(k, k, TREC_DL_MEASURES) for k in keys
               if k not in IN_DOMAIN_COLUMNS and k not in NOT_AVERAGED and cfg.relevance_level(k) >= 2]
    return groups


def quality_column(ood: list[str]) -> tuple[str, list[str]] | None:
    """The seed table's BEIR column: ``(header, datasets averaged)``; one dataset is shown as itself."""
    if len(ood) == 1:
        return f"{ood[0]} nDCG@10", ood
    averages = average_columns(ood)
    if not averages:
        return None
    label, members = averages[0]
    return ("BEIR-13 nDCG@10" if label == "BEIR-13 avg" else f"nDCG@10 {label}"), members


def flops_column(in_domain: list[tuple[str, str, tuple]], ood: list[str]) -> tuple[str, list[str]] | None:
    """``(header, datasets)``: MS MARCO's FLOPS where the config has an in-domain dataset (the first of
    msmarco, TREC DL 2019, 2020...), else the mean over the BEIR column's datasets."""
    if in_domain:
        key = in_domain[0][0]
        return f"FLOPS ({key})", [key]
    if len(ood) == 1:
        return f"FLOPS ({ood[0]})", ood
    averages = average_columns(ood)
    return (f"FLOPS ({averages[0][0]})", averages[0][1]) if averages else None
