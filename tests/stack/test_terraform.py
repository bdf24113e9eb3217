"""terraform init/validate/plan of generated out/ against the real AWS provider schema.

Plan runs offline: a local override file (never part of out/) swaps the S3 backend for a
local one and gives the provider fake credentials that it is told not to check.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from generator.output.files import read_tree
from tests.conftest import run

pytestmark = [pytest.mark.terraform, pytest.mark.synth]

OFFLINE = {"access_key": "test", "secret_key": "test", "skip_credentials_validation": True,
           "skip_requesting_account_id": True, "skip_metadata_api_check": True}  # fmt: skip


def offline_override() -> dict[str, Any]:
    return {
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
        "provider": {"aws": [OFFLINE, {"alias": "us_east_1", **OFFLINE}]},
    }


def plan(terraform: tuple[str, Path], tree: dict[str, bytes], root: Path) -> dict[str, Any]:
    """Write a generated tree (as in out/) under root and plan its terraform/ offline."""
    binary, plugins = terraform
    for relative, content in tree.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    workdir = root / "terraform"
    (workdir / "offline_override.tf.json").write_text(json.dumps(offline_override()))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true", "CHECKPOINT_DISABLE": "1"}  # fmt: skip
    run([binary, "init", "-input=false", "-no-color", f"-plugin-dir={plugins}"], workdir, env)
    validate = json.loads(run([binary, "validate", "-json", "-no-color"], workdir, env))
    assert validate["valid"], validate
    assert validate["warning_count"] == 0, validate["diagnostics"]
    run([binary, "plan", "-input=false", "-no-color", "-refresh=false", "-out=plan.bin"],
        workdir, env)  # fmt: skip
    shown: dict[str, Any] = json.loads(run([binary, "show", "-json", "plan.bin"], workdir, env))
    return shown


def created(shown: dict[str, Any]) -> list[str]:
    return sorted(
        change["address"]
        for change in shown["resource_changes"]
        if change["change"]["actions"] == ["create"]
    )


# identity, storage, data, DNS, handle seeds (37); functions, their secrets and the catalog's
# and services' S3 triggers (40); sites and APIs (100); delivery: GitHub OIDC provider, the
# platform boundary, deploy and plan roles with their policies (6)
SAMPLE_RESOURCES = 183


def test_sample_plans_against_the_real_provider(
    terraform: tuple[str, Path], sample_tree: dict[str, bytes], tmp_path: Path
) -> None:
    shown = plan(terraform, sample_tree, tmp_path / "sample")
    addresses = created(shown)
    assert len(addresses) == SAMPLE_RESOURCES, addresses
    # 8 functions x (function, role, role policy, log group) + 3 secrets + the WebSocket API
    for kind in ("aws_lambda_function", "aws_iam_role_policy", "aws_cloudwatch_log_group"):
        assert len([a for a in addresses if a.startswith(kind + ".fn_")]) == 8, kind
    assert "aws_secretsmanager_secret.secret_whimsy_stripe_secret_key" in addresses
    # the user-hosted services gateway (issue 11): its routes, table, secret and role
    assert "aws_dynamodb_table.whimsy_services" in addresses
    assert "aws_secretsmanager_secret.secret_whimsy_services_signing_key" in addresses
    assert "aws_iam_role.fn_services" in addresses
    assert {"aws_iam_openid_connect_provider.github", "aws_iam_policy.platform_boundary",
            "aws_iam_role.deploy", "aws_iam_role.plan"} <= set(addresses)  # fmt: skip
    routes = [a for a in addresses if a.startswith("aws_apigatewayv2_route.http_")]
    assert {
        "aws_apigatewayv2_route.http_any_u_handle_service",
        "aws_apigatewayv2_route.http_any_u_handle_service_proxy",
    } <= set(routes), routes
    assert "aws_apigatewayv2_api.realtime" in addresses
    assert 'aws_route53_record.certificate_validation["whimsy.space"]' in addresses
    assert shown["resource_changes"] and all(
        change["change"]["actions"] == ["create"] for change in shown["resource_changes"]
    )


def test_minimal_config_plans(
    terraform: tuple[str, Path], minimal_tree: dict[str, bytes], tmp_path: Path
) -> None:
    addresses = created(plan(terraform, minimal_tree, tmp_path / "minimal"))
    # certificate, its validation record and validation (3); log bucket (6: bucket, ownership,
    # encryption, access block, policy, lifecycle); user files without CORS (8: the same plus
    # versioning and logging, minus nothing); Cognito (4); authenticated role + policy and the
    # permissionless guest role (3)
    assert "aws_iam_role.guest" in addresses
    assert not any(a.startswith("aws_dynamodb_table.") for a in addresses)
    assert len(addresses) == 24, addresses


def test_committed_out_validates(terraform: tuple[str, Path], repo: Path, tmp_path: Path) -> None:
    """The committed out/ (what CI applies) is itself valid, not only a fresh synthesis."""
    shown = plan(terraform, read_tree(repo / "out"), tmp_path / "committed")
    assert len(created(shown)) == SAMPLE_RESOURCES
