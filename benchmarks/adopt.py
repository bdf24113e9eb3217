"""Benchmark `whimsy adopt` against an emulated legacy account (tests/adopt/legacy.py on a
fresh ministack), next to its floor measured in the same run: a fresh interpreter importing
what adopt needs (boto3, pydantic, ruamel.yaml) and making one client.

    python benchmarks/adopt.py [--runs 7]
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
sys.path.insert(0, str(REPO))

FLOOR = "import boto3, pydantic, ruamel.yaml; boto3.client('s3', region_name='us-east-1')"


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    return elapsed


def main() -> None:
    from generator.local import emulator
    from tests.adopt import legacy
    from tests.adopt.conftest import Account, project, sample_text

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        found = emulator.locate(REPO)
        port, log = emulator.free_port(), base / "emulator.log"
        pid = emulator.start(found, port, legacy.REGION, log)
        try:
            emulator.wait_ready(pid, port, log)
            account = Account(emulator.endpoint(port), legacy.Legacy(), {}, 0.0)
            account.legacy = legacy.build(account.client)
            config = project(base / "project", sample_text(account.legacy.zone_id))
            env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "PYTHONPATH": str(REPO)}  # fmt: skip
            adopt = [sys.executable, "-m", "generator", "adopt", "--endpoint-url",
                     account.endpoint]  # fmt: skip
            adopt_times = [timed(adopt, config.parent, env) for _ in range(runs)]
            floor_times = [timed([sys.executable, "-c", FLOOR], config.parent, env)
                           for _ in range(runs)]  # fmt: skip
        finally:
            emulator.stop(pid)
    adopted, floor = summary(adopt_times), summary(floor_times)
    print(json.dumps({"runs": runs, "whimsy adopt": adopted, "floor": floor,
                      "ratio (medians)": round(adopted["median"] / floor["median"], 2)},
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
