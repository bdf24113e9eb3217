"""Benchmark packaging every function of the sample config: cold and cached.

cold:   empty whimsy dependency cache and pip's own cache disabled (downloads from the index)
cached: the dependency cache filled by a previous run (what a second generate costs)

    python benchmarks/package.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from stats import summary

from generator.config import load_config
from generator.package import package_functions

REPO = Path(__file__).resolve().parents[1]


def timed(cache: str) -> float:
    os.environ["WHIMSY_CACHE_DIR"] = cache
    loaded = load_config(REPO / "whimsy_config.yaml")
    start = time.perf_counter()
    package_functions(loaded.config, REPO / "lambdas")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ["PIP_NO_CACHE_DIR"] = "1"
    cold, cached = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(timed(cache))
            cached.append(timed(cache))
    print(json.dumps({"cold_s": summary(cold), "cached_s": summary(cached)}, indent=2))


if __name__ == "__main__":
    main()
