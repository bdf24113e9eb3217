"""Benchmark `whimsy generate` against the floor: importing cdktn + the AWS bindings.

Each sample runs in a fresh process (as a user's command does), warm jsii package cache.
Reports median and spread of wall time and peak memory (Python + Node child) over N runs.

    python benchmarks/generate.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stats import summary

REPO = Path(__file__).resolve().parents[1]

FLOOR = """
from generator.stack.runtime import configure_environment
configure_environment()
import cdktn
from cdktn_provider_aws.provider import AwsProvider
"""

SYNTH = """
import sys
from generator.cli import main
sys.exit(main(["generate", "-c", sys.argv[1], "-o", sys.argv[2]]))
"""

VALIDATE = """
import sys
from generator.cli import main
sys.exit(main(["validate", "-c", sys.argv[1]]))
"""


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (the jsii Node child included)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines()
                          if line.startswith("VmRSS:"))  # fmt: skip
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total


def measure(script: str, *args: str) -> tuple[float, float]:
    """Wall seconds, and peak MB of the whole process tree sampled every 10 ms."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO,
                               stdout=subprocess.DEVNULL)  # fmt: skip
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.01)
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"benchmark command failed with {process.returncode}")
    return wall, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    config = str(REPO / "whimsy_config.yaml")
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        measure(FLOOR)  # warm the jsii package cache and the OS page cache
        for name, script, extra in [
            ("validate", VALIDATE, [config]),
            ("import_floor", FLOOR, []),
            ("generate_full", SYNTH, [config]),
        ]:
            walls, peaks = [], []
            for run in range(args.runs):
                # a fresh out/ each time, so generate really synthesizes (no fast path)
                out = os.path.join(scratch, f"{name}{run}")
                call = [*extra, out] if name == "generate_full" else extra
                wall, peak = measure(script, *call)
                walls.append(wall)
                peaks.append(peak)
            results[name] = {"wall_s": walls, "peak_mb": peaks}
    report = {name: {key: summary(values) for key, values in r.items()}
              for name, r in results.items()}  # fmt: skip
    added = [g - f for g, f in zip(results["generate_full"]["wall_s"],
                                   results["import_floor"]["wall_s"], strict=True)]  # fmt: skip
    report["generate_minus_floor"] = {"wall_s": summary(added)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
