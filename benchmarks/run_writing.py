"""Writing a TREC run file: seconds per million hits, gzip level 9 (before) against the level run files use now.

A synthetic run (1,000 queries x 1,000 hits, random scores and document ids) is written through
``Run.write_lines`` into a gzip file, the two levels alternating over ``--rounds`` rounds in one process.
Writing the text only (no compression) is timed too: the floor the formatting and ranking set.

    python benchmarks/run_writing.py
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys
import time
from pathlib import Path

from splade_beir.search.run import GZIP_LEVEL, Run

HERE = Path(__file__).resolve().parent


def write_seconds(run: Run, level: int | None) -> float:
    raw = io.BytesIO()
    t0 = time.perf_counter()
    if level is None:
        run.write_lines(io.StringIO())
    else:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=level) as gz:
            text = io.TextIOWrapper(gz, encoding="utf-8")
            run.write_lines(text)
            text.flush()
            text.detach()
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--hits", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--output", default=str(HERE / "results" / "run_writing.json"))
    args = p.parse_args()
    rng = random.Random(0)
    run = Run({f"q{q}": {f"doc{rng.randrange(10**7)}": rng.random() * 30 for _ in range(args.hits)}
               for q in range(args.queries)})
    millions = sum(len(h) for h in run.values()) / 1e6
    times: dict[str, list[float]] = {"level 9 (before)": [], f"level {GZIP_LEVEL} (now)": [], "text only": []}
    for r in range(args.rounds):
        order = [(9, "level 9 (before)"), (GZIP_LEVEL, f"level {GZIP_LEVEL} (now)"), (None, "text only")]
        for level, name in (order if r % 2 == 0 else order[::-1]):
            times[name].append(write_seconds(run, level) / millions)
    print(f"| run file ({millions:.2f}M hits) | seconds per million hits (best of {args.rounds}) |\n|---|---:|")
    for name, values in times.items():
        print(f"| {name} | {min(values):.2f} |")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"command": " ".join(sys.argv), "million_hits": millions,
                                             "seconds_per_million_hits": times, "date": time.strftime("%Y-%m-%d")},
                                            indent=1) + "\n")


if __name__ == "__main__":
    main()
