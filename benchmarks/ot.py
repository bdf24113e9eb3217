"""Benchmark the OT core: rebasing a small edit over a 100-operation backlog.

python benchmarks/ot.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas/collab"))

from ot import TextOperation, transform_against
from stats import summary


def edit(rng: random.Random, length: int) -> TextOperation:
    at = rng.randint(0, length)
    return TextOperation().retain(at).insert("x").retain(length - at)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(1)
    document = "lorem ipsum " * 200
    backlog, length = [], len(document)
    for _ in range(100):
        op = edit(rng, length)
        backlog.append(op)
        length = op.target_length
    late = [edit(rng, len(document)) for _ in range(args.rounds)]
    timings = []
    for samples in range(5):
        start = time.perf_counter()
        for op in late:
            transform_against(op, backlog)
        elapsed = time.perf_counter() - start
        timings.append(args.rounds * len(backlog) / elapsed)
        del samples
    print(
        json.dumps(
            {
                "transforms_per_second": summary(timings),
                "rebases_per_second_100_backlog": summary([t / 100 for t in timings]),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
