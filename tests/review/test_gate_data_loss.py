"""WHIMSY_DATA_LOSS: the gate's rule on the plan (`terraform show -json`) and the config's
`adopt:` section. Small hand-written plans; no Terraform, no checkov (a stand-in for the one
command-level test)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from generator.config.models import Adopt, AdoptedBucket, AdoptedIdentityPool, AdoptedUserPool
from generator.model.stateful import ADOPTABLE_CREATIONS
from generator.review import gate
from generator.review.gate import rules, scanner
from generator.review.gate.findings import Finding
from tests.review.test_gate import OUT, REPO, _committed_non_checkov_entries, fake_checkov

POOL_ID = "us-east-1_AbCdEf123"
IDENTITY_POOL_ID = "us-east-1:11111111-2222-3333-4444-555555555555"
ADOPTED = Adopt(
    user_pool=AdoptedUserPool(id=POOL_ID),
    identity_pool=AdoptedIdentityPool(id=IDENTITY_POOL_ID),
    buckets=[AdoptedBucket(name="whimsy-fs")],
)
NOTHING = Adopt()


def change(
    address: str,
    actions: list[str],
    after: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One entry of a plan's resource_changes[]; extra keys go into `change`, except
    action_reason which sits next to it."""
    kind, _, name = address.partition(".")
    entry: dict[str, Any] = {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "change": {"actions": actions, "before": None, "after": after or {}},
    }
    if "action_reason" in extra:
        entry["action_reason"] = extra.pop("action_reason")
    entry["change"].update(extra)
    return entry


def findings(*changes: dict[str, Any], adopt: Adopt = ADOPTED) -> list[Finding]:
    return rules.check_plan({"format_version": "1.2", "resource_changes": list(changes)}, adopt)


def messages(*changes: dict[str, Any], adopt: Adopt = ADOPTED) -> dict[str, str]:
    """resource address -> message, every finding being WHIMSY_DATA_LOSS."""
    found = findings(*changes, adopt=adopt)
    assert {f.check for f in found} <= {"WHIMSY_DATA_LOSS"}
    return {f.resource: f.message for f in found}


def test_destroying_a_table_is_data_loss() -> None:
    [finding] = findings(
        change(
            "aws_dynamodb_table.whimsy_user_data",
            ["delete"],
            action_reason="delete_because_no_resource_config",
        )
    )
    assert finding == Finding(
        "WHIMSY_DATA_LOSS",
        "aws_dynamodb_table.whimsy_user_data",
        "the plan destroys it (it is no longer in the configuration): the table (every item) "
        "is lost",
        "whimsy",
    )


def test_replacing_a_user_pool_is_data_loss_in_either_order() -> None:
    found = messages(
        change("aws_cognito_user_pool.users", ["delete", "create"], replace_paths=[["name"]]),
        change("aws_cognito_user_pool.other", ["create", "delete"]),
        adopt=NOTHING,
    )
    assert found["aws_cognito_user_pool.users"] == (
        "the plan replaces it (destroys it, then creates a new one) because name forces "
        "replacement: the user pool (every login) is lost"
    )
    other = found["aws_cognito_user_pool.other"]
    assert "creates a new one, then destroys this one" in other
    assert "user pool (every login)" in other


def test_creating_an_adopted_bucket_without_importing_it_is_caught() -> None:
    [finding] = findings(change("aws_s3_bucket.user_files", ["create"], {"bucket": "whimsy-fs"}))
    assert finding.check == "WHIMSY_DATA_LOSS" and finding.resource == "aws_s3_bucket.user_files"
    assert "adopt.buckets names whimsy-fs" in finding.message
    assert "bucket (every object and version in it)" in finding.message
    # a bucket the config does not adopt is simply new
    assert findings(change("aws_s3_bucket.site", ["create"], {"bucket": "whimsy-space-site"})) == []
    assert (
        findings(
            change("aws_s3_bucket.user_files", ["create"], {"bucket": "whimsy-fs"}), adopt=NOTHING
        )
        == []
    )


def test_creating_an_adopted_pool_without_importing_it_is_caught() -> None:
    found = messages(
        change("aws_cognito_user_pool.users", ["create"], {"name": "whimsy-users"}),
        change("aws_cognito_identity_pool.identities", ["create"]),
    )
    assert f"adopt.user_pool names {POOL_ID}" in found["aws_cognito_user_pool.users"]
    identities = found["aws_cognito_identity_pool.identities"]
    assert f"adopt.identity_pool names {IDENTITY_POOL_ID}" in identities
    assert "identity ids that name users' folders" in identities


def test_importing_an_adopted_resource_is_no_finding() -> None:
    importing = {"importing": {"id": "whimsy-fs"}}
    assert (
        findings(
            change("aws_s3_bucket.user_files", ["create"], {"bucket": "whimsy-fs"}, **importing),
            change("aws_s3_bucket.user_files", ["no-op"], {"bucket": "whimsy-fs"}, **importing),
            change("aws_cognito_user_pool.users", ["update"], importing={"id": POOL_ID}),
        )
        == []
    )


def test_updates_no_ops_and_stateless_deletes_are_no_finding() -> None:
    assert (
        findings(
            change("aws_dynamodb_table.whimsy_user_data", ["update"]),
            change("aws_dynamodb_table.whimsy_catalog", ["no-op"]),
            change("aws_s3_bucket.site", ["forget"]),  # removed { lifecycle { destroy = false } }
            change("aws_lambda_function.fn_usage", ["delete"]),
            change("aws_lambda_function.fn_catalog", ["delete", "create"]),
            {**change("aws_dynamodb_table.whimsy_handles", ["read"]), "mode": "data"},
        )
        == []
    )


def test_every_adoptable_creation_is_matched_against_the_config() -> None:
    assert set(ADOPTABLE_CREATIONS) <= set(rules.ADOPTION_MATCHERS)


def test_the_gate_fails_on_data_loss_and_says_so_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = {
        "check_type": "terraform_plan",
        "results": {"failed_checks": []},
        "summary": {"passed": 1, "failed": 0, "parsing_errors": 0, "resource_count": 1},
    }
    monkeypatch.setenv(scanner.ENV_EXECUTABLE, str(fake_checkov(tmp_path, report)))
    plan = tmp_path / "plan.json"
    destroy = change("aws_dynamodb_table.whimsy_user_data", ["delete"])
    plan.write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "resource_changes": [destroy],
                "planned_values": {"root_module": {"resources": []}},
            }
        )
    )
    allow = tmp_path / "allow.yaml"
    allow.write_text(json.dumps({"allow": _committed_non_checkov_entries()}))
    parser = argparse.ArgumentParser()
    gate.add_arguments(parser)
    args = ["--out", str(OUT), "--plan-json", str(plan), "--allowlist", str(allow)]
    args += ["--config", str(REPO / "whimsy_config.yaml")]
    assert gate.run(parser.parse_args(args)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "DATA LOSS: 1 stateful resource destroyed, replaced, or created where one exists:"
    )
    assert lines[1] == (
        "  aws_dynamodb_table.whimsy_user_data: the plan destroys it: the table (every item) is lost"
    )
    assert "whimsy rules: 2 findings (1 allowed)" in lines
