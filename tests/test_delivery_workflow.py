"""The example GitHub Actions workflow matches what whimsy generates for delivery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from generator.config import load_config
from generator.model import delivery
from tests.conftest import REPO, SAMPLE

WORKFLOW = REPO / "examples/github-actions/whimsy.yml"


def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(WORKFLOW.read_text())
    return loaded


def commands(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_roles_are_the_generated_ones() -> None:
    config = load_config(SAMPLE, check_lambdas=False).config
    env = workflow()["env"]
    assert env["PLAN_ROLE"].endswith(f":role/{delivery.plan_role_name(config)}")
    assert env["DEPLOY_ROLE"].endswith(f":role/{delivery.deploy_role_name(config)}")
    assert env["AWS_REGION"] == config.project.region


def test_pull_requests_check_prove_gate_plan_and_comment_the_diff() -> None:
    flow = workflow()
    review = flow["jobs"]["review"]
    assert review["if"] == "github.event_name == 'pull_request'"
    run = commands(review)
    for command in ("whimsy generate --check", "whimsy prove", "whimsy gate",
                    "terraform plan -input=false -lock=false",
                    "whimsy diff --base \"origin/${{ github.base_ref }}\" --format markdown",
                    "gh pr comment"):  # fmt: skip
        assert command in run, command
    assert "terraform apply" not in run
    roles = [
        s["with"]["role-to-assume"]
        for s in review["steps"]
        if "configure-aws-credentials" in s.get("uses", "")
    ]
    assert roles == ["${{ env.PLAN_ROLE }}"]
    assert review["permissions"]["id-token"] == "write"


def test_only_main_applies_with_the_deploy_role() -> None:
    flow = workflow()
    deploy = flow["jobs"]["deploy"]
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    run = commands(deploy)
    assert run.index("whimsy prove") < run.index("terraform apply")
    assert run.index("whimsy gate") < run.index("terraform apply")
    roles = [
        s["with"]["role-to-assume"]
        for s in deploy["steps"]
        if "configure-aws-credentials" in s.get("uses", "")
    ]
    assert roles == ["${{ env.DEPLOY_ROLE }}"]
    assert flow["concurrency"]["cancel-in-progress"] is False
    assert flow["permissions"] == {"contents": "read", "id-token": "write"}


def test_no_long_lived_keys() -> None:
    text = Path(WORKFLOW).read_text()
    assert "AWS_ACCESS_KEY_ID" not in text and "aws-secret-access-key" not in text
