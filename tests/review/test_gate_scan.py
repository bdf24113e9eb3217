"""The gate with the real checkov on the real plan of the committed out/ (planned offline).

checkov runs twice per session: once on the sample's plan (the whole gate, which must be clean)
and once on a mutated copy of that plan. Without checkov these tests skip with the reason;
CI sets WHIMSY_REQUIRE_GATE=1 so that they fail there instead (.ci/install-checkov.sh
installs it)."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from generator.errors import UserError
from generator.review import gate
from generator.review.gate import allowlist, scanner
from generator.review.gate.plan import plan_offline

pytestmark = [pytest.mark.gate, pytest.mark.terraform]

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "out"
ALLOWLIST = REPO / "review/gate-allowlist.yaml"
REQUIRE_GATE = os.environ.get("WHIMSY_REQUIRE_GATE") == "1"


@pytest.fixture(scope="module")
def checkov() -> str:
    try:
        return scanner.locate(REPO)
    except UserError as exc:
        if REQUIRE_GATE:
            pytest.fail(f"{exc}; CI requires the gate's scans to run")
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def sample_plan(terraform: tuple[str, Path]) -> dict[str, Any]:
    return plan_offline(OUT)


@pytest.fixture(scope="module")
def sample_report(checkov: str, sample_plan: dict[str, Any]) -> gate.Report:
    return gate.evaluate(OUT, ALLOWLIST, plan=sample_plan)


def test_the_sample_platform_passes_the_gate(
    sample_report: gate.Report, sample_plan: dict[str, Any]
) -> None:
    output = io.StringIO()
    gate.render(sample_report, stream=output)
    assert sample_report.clean, output.getvalue()
    scan = sample_report.scan
    assert scan.resource_count == sample_report.planned == len(sample_plan["resource_changes"])
    assert scan.resource_count > 100 and scan.passed > 200
    assert output.getvalue().splitlines()[-1] == "gate: clean"


def test_the_scan_used_the_pinned_checkov(sample_report: gate.Report) -> None:
    """The allow list was reviewed against this version's checks: bump both together."""
    script = (REPO / ".ci/install-checkov.sh").read_text()
    pinned = re.search(r"^CHECKOV_VERSION=(\S+)$", script, re.MULTILINE)
    assert pinned and sample_report.scan.version == pinned.group(1)


def _resources(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resources = plan["planned_values"]["root_module"]["resources"]
    return {r["address"]: r.setdefault("values", {}) for r in resources}


def test_checkov_catches_mistakes_in_the_plan(
    checkov: str, sample_plan: dict[str, Any], tmp_path: Path
) -> None:
    """Versioning suspended on users' files, ACLs allowed on the site bucket, `s3:*` on "*" for a
    function: each a new checkov finding that the allow list does not cover."""
    plan = copy.deepcopy(sample_plan)
    values = _resources(plan)
    values["aws_s3_bucket_versioning.user_files"]["versioning_configuration"][0]["status"] = (
        "Suspended"
    )
    values["aws_s3_bucket_public_access_block.site"]["block_public_acls"] = False
    values["aws_iam_role_policy.fn_uploads"]["policy"] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    started = time.monotonic()
    scan = scanner.scan(checkov, path)
    print(f"checkov on the mutated plan: {time.monotonic() - started:.1f} s")
    entries = [e for e in allowlist.load(ALLOWLIST) if e.check.startswith("CKV")]
    verdict = allowlist.apply(entries, scan.findings)
    new = {(f.check, f.resource) for f in verdict.new}
    assert {
        ("CKV_AWS_21", "aws_s3_bucket.user_files"),  # versioning
        ("CKV_AWS_53", "aws_s3_bucket_public_access_block.site"),  # block public ACLs
        (
            "CKV_AWS_355",
            "aws_iam_role_policy.fn_uploads",
        ),  # "*" as resource for restrictable actions
        ("CKV_AWS_290", "aws_iam_role_policy.fn_uploads"),  # write access without constraints
    } <= new, new
    assert verdict.stale == []  # everything the sample accepts is still there
    assert scan.resource_count == len(plan["resource_changes"])
