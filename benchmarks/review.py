"""Benchmark the review tools on the committed out/: solver time per proof (whimsy prove), a
whole `whimsy prove` / `whimsy diff` process, and rendering ACCESS.md.

python benchmarks/review.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stats import summary  # noqa: E402

from generator.config import load_config  # noqa: E402
from generator.review import prove  # noqa: E402
from generator.review.access import render_access  # noqa: E402
from generator.review.deployed import facts_from_config, read_deployment  # noqa: E402


def timed_process(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    facts = facts_from_config(load_config(ROOT / "whimsy_config.yaml", check_lambdas=False).config)
    deployment = read_deployment(ROOT / "out")
    per_proof: dict[str, list[float]] = {}
    for _ in range(rounds):
        for outcome in prove.run_proofs(facts, deployment):
            per_proof.setdefault(f"{outcome.kind}: {outcome.name}", []).append(outcome.seconds)
    access = []
    for _ in range(rounds):
        started = time.perf_counter()
        render_access(deployment, facts)
        access.append(time.perf_counter() - started)
    whimsy = str(Path(sys.executable).parent / "whimsy")
    report = {
        "rounds": rounds,
        "solver_seconds_per_proof": {name: summary(t) for name, t in per_proof.items()},
        "solver_seconds_total": summary([sum(r) for r in zip(*per_proof.values(), strict=True)]),
        "access_md_render_seconds": summary(access),
        "whimsy_prove_process_seconds": summary(
            [timed_process([whimsy, "prove"]) for _ in range(rounds)]
        ),
        "whimsy_diff_head_process_seconds": summary(
            [timed_process([whimsy, "diff"]) for _ in range(rounds)]
        ),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
