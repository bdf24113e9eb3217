"""checkov over a Terraform plan (`terraform show -json`), fully offline.

checkov runs from its own virtualenv (it pins an old `packaging` that the project cannot share;
.ci/install-checkov.sh builds .tools/venvs/checkov). It is found, in order, through
$WHIMSY_CHECKOV (the path of the executable), .tools/venvs/checkov/bin/checkov, then PATH.

Offline means: --skip-download (no policy metadata, guidelines or suppressions from Prisma
Cloud), no API key passed through (BC_API_KEY and friends are dropped from its environment),
no PyPI version check (CKV_SKIP_PACKAGE_UPDATE_CHECK), no platform mapping (BC_SKIP_MAPPING).
A scan has a time limit, so a checkov that waits on the network fails instead of hanging.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.review.gate.findings import Finding

ENV_EXECUTABLE = "WHIMSY_CHECKOV"
VENV_EXECUTABLE = Path(".tools/venvs/checkov/bin/checkov")
TIMEOUT_SECONDS = 300
# Credentials and endpoints of the commercial platform: never passed to the scanner.
_DROPPED_ENV = ("BC_API_KEY", "PRISMA_API_URL", "BC_API_URL", "CKV_API_KEY")
_OFFLINE_ENV = {
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "BC_SKIP_MAPPING": "TRUE",
    "LOG_LEVEL": "WARNING",
    "PYTHONWARNINGS": "ignore",
}


@dataclass
class Scan:
    findings: list[Finding]
    resource_count: int
    passed: int
    failed: int
    parsing_errors: int
    version: str
    seconds: float
    problems: list[str] = field(default_factory=list)  # what makes the scan itself untrustworthy


def locate(repo: Path) -> str:
    """The checkov executable (an absolute path: it runs in a temporary directory), or a
    UserError that says how to install it."""
    configured = os.environ.get(ENV_EXECUTABLE)
    if configured:
        if not (Path(configured).is_file() and os.access(configured, os.X_OK)):
            raise UserError(f"${ENV_EXECUTABLE}={configured} is not an executable file")
        return str(Path(configured).resolve())
    for candidate in (repo / VENV_EXECUTABLE, Path.cwd() / VENV_EXECUTABLE):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate.resolve())
    found = shutil.which("checkov")
    if found:
        return found
    raise UserError(
        "checkov is not installed: run .ci/install-checkov.sh (it builds "
        f"{VENV_EXECUTABLE} from PyPI), or point ${ENV_EXECUTABLE} at a checkov executable"
    )


def command(executable: str, plan_json: Path) -> list[str]:
    return [
        executable,
        "--file",
        str(plan_json),
        "--framework",
        "terraform_plan",
        "--skip-download",
        "--output",
        "json",
        "--quiet",
        "--compact",
    ]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(_OFFLINE_ENV)
    return env


def scan(executable: str, plan_json: Path) -> Scan:
    """Run checkov on a plan JSON file and read its report."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="whimsy-checkov-") as workdir:
        try:
            result = subprocess.run(
                command(executable, plan_json.resolve()),
                cwd=workdir,  # whatever checkov caches or writes stays out of the repo
                env=environment(),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise UserError(f"checkov did not finish within {TIMEOUT_SECONDS} s") from exc
        except OSError as exc:
            raise UserError(f"cannot run checkov ({executable}): {exc.strerror}") from exc
    seconds = time.monotonic() - started
    # checkov exits 1 when a check fails; anything else non-zero means it did not scan.
    if result.returncode not in (0, 1):
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-20:])
        raise UserError(f"checkov failed (exit {result.returncode}):\n{tail}")
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        tail = "\n".join(result.stderr.strip().splitlines()[-20:])
        raise UserError(f"checkov printed no JSON report ({exc}):\n{tail}") from exc
    return read_report(report, seconds)


def read_report(report: Any, seconds: float = 0.0) -> Scan:
    """Findings and counts of checkov's JSON report (one framework: an object; several: a list;
    nothing scanned at all: only the summary)."""
    reports = report if isinstance(report, list) else [report]
    findings: list[Finding] = []
    totals = {"resource_count": 0, "passed": 0, "failed": 0, "parsing_errors": 0}
    version = ""
    for item in reports:
        if not isinstance(item, dict):
            raise UserError("checkov's report is not the JSON it documents")
        summary = item.get("summary", item)
        for key in totals:
            totals[key] += int(summary.get(key) or 0)
        version = str(summary.get("checkov_version") or version)
        for failed in (item.get("results") or {}).get("failed_checks") or []:
            address = failed.get("resource_address") or failed.get("resource") or "?"
            findings.append(
                Finding(
                    str(failed.get("check_id")),
                    str(address),
                    str(failed.get("check_name")),
                    "checkov",
                )
            )
    problems = []
    if totals["resource_count"] == 0:
        problems.append(
            "checkov scanned zero resources: the plan is empty or was not understood, "
            "so a clean result would mean nothing"
        )
    if totals["parsing_errors"]:
        problems.append(f"checkov could not parse {totals['parsing_errors']} file(s)")
    return Scan(
        sorted(set(findings)),
        totals["resource_count"],
        totals["passed"],
        totals["failed"],
        totals["parsing_errors"],
        version,
        seconds,
        problems,
    )


def planned_resources(plan: dict[str, Any]) -> int:
    """Managed resources in a plan's planned values (root and child modules)."""
    count = 0
    pending = [(plan.get("planned_values") or {}).get("root_module") or {}]
    while pending:
        module = pending.pop()
        count += sum(1 for r in module.get("resources") or [] if r.get("mode") == "managed")
        pending += module.get("child_modules") or []
    return count
