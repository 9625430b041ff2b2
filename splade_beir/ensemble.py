"""``python -m splade_beir.ensemble --config eval_configs/NAME.yaml``: build every ensemble of a config
(a thin CLI over :func:`splade_beir.fuse.ensembles.ensemble_config`)."""

from __future__ import annotations

import argparse
import sys

from .cli import Parser, run_cli


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m splade_beir.ensemble",
               description="Fuse the runs of a config's ensembles and evaluate them.")
    p.add_argument("--config", required=True, help="an eval config (eval_configs/NAME.yaml)")
    p.add_argument("--output", help="results root (default: the config's)")
    p.add_argument("--redo", action="store_true", help="rebuild ensembles that are already up to date")
    p.add_argument("--no-download", action="store_true", help="never download a missing dataset")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .fuse.ensembles import ensemble_config

    results = ensemble_config(args.config, redo=args.redo, output=args.output, download=not args.no_download)
    for name, by_dataset in results.items():
        scores = ", ".join(f"{d} {r.metrics.get('nDCG@10', float('nan')):.4f}" for d, r in by_dataset.items())
        print(f"{name}: nDCG@10 {scores}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
