"""Benchmark `whimsy local`: apply the committed out/ to a fresh ministack and destroy it.

Each run: `whimsy local up` in a fresh state directory (emulator start, packages, terraform
init + apply, demo user), then `whimsy local down` (protections lifted, terraform destroy,
leftover check, emulator stopped). Reports median and spread over N runs of: the up and down
wall times, Terraform's apply and destroy times, and the resources applied.

    python benchmarks/local.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stats import summary

REPO = Path(__file__).resolve().parents[1]


def local(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "generator.local", *args], cwd=REPO,
                            capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"whimsy local {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return wall, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {"up_s": [], "apply_s": [], "resources": [],
                                       "down_s": [], "destroy_s": []}  # fmt: skip
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="whimsy-local-bench-") as scratch:
            up_wall, _ = local("up", "--state-dir", scratch)
            state = json.loads((Path(scratch) / "state.json").read_text())
            down_wall, said = local("down", "--state-dir", scratch)
        destroyed = re.search(r"destroyed (\d+) resources in ([\d.]+) s", said)
        assert destroyed, said
        samples["up_s"].append(up_wall)
        samples["apply_s"].append(float(state["apply_seconds"]))
        samples["resources"].append(float(state["resources"]))
        samples["down_s"].append(down_wall)
        samples["destroy_s"].append(float(destroyed.group(2)))
    report = {"runs": args.runs, **{name: summary(values) for name, values in samples.items()}}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
