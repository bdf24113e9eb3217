"""Each function's role grants exactly what its config entry declares, nothing more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.config import WhimsyConfig, load_config
from generator.model.functions import function_environment, function_policy

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "whimsy_config.yaml").config
ID = "us-east-1:????????-????-????-????-????????????"
READ = {"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"}
WRITE = {"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
         "dynamodb:PutItem", "dynamodb:UpdateItem"}  # fmt: skip
OBJECTS = {
    "read": {"s3:GetObject"},
    "write": {"s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
    "delete": {"s3:DeleteObject"},
}


def grants(policy: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, resource) pairs of the Allow statements, conditions aside."""
    pairs = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        pairs |= {(a, r) for a in actions for r in resources}
    return pairs


def expected(config: WhimsyConfig, name: str) -> set[tuple[str, str]]:
    """Derived from the config entry independently of generator.model."""
    function = config.functions[name]
    logs = f"${{tf:aws_cloudwatch_log_group.fn_{name.replace('-', '_')}.arn}}:*"
    pairs = {("logs:CreateLogStream", logs), ("logs:PutLogEvents", logs)}
    for grant in function.access.bucket:
        rest = grant.prefix.removeprefix("{identity}/")
        for word in grant.actions:
            if word == "list":
                pairs.add(("s3:ListBucket", "arn:aws:s3:::whimsy-fs"))
            else:
                pairs |= {(a, f"arn:aws:s3:::whimsy-fs/{ID}/{rest}") for a in OBJECTS[word]}
    for grant in function.access.tables:
        table = f"${{tf:aws_dynamodb_table.{grant.table.replace('-', '_')}.arn}}"
        for word in grant.actions:
            pairs |= {(a, table) for a in (READ if word == "read" else WRITE)}
    for secret in function.secrets:
        logical = "secret_" + secret.replace("/", "_").replace("-", "_")
        pairs.add(
            ("secretsmanager:GetSecretValue", f"${{tf:aws_secretsmanager_secret.{logical}.arn}}")
        )
    if function.access.websocket_management:
        api = "${tf:aws_apigatewayv2_api.realtime.execution_arn}"
        pairs |= {("execute-api:ManageConnections", f"{api}/*/{m}/@connections/*")
                  for m in ("DELETE", "GET", "POST")}  # fmt: skip
    return pairs


@pytest.mark.parametrize("name", sorted(CONFIG.functions))
def test_role_grants_exactly_the_declared_access(name: str) -> None:
    assert grants(function_policy(CONFIG, name)) == expected(CONFIG, name)


@pytest.mark.parametrize("name", sorted(CONFIG.functions))
def test_no_wildcard_actions_or_resources(name: str) -> None:
    for action, resource in grants(function_policy(CONFIG, name)):
        assert "*" not in action, action
        assert resource != "*"


def test_the_sample_exercises_every_kind_of_access() -> None:
    kinds = {
        "bucket": any(f.access.bucket for f in CONFIG.functions.values()),
        "tables": any(f.access.tables for f in CONFIG.functions.values()),
        "secrets": any(f.secrets for f in CONFIG.functions.values()),
        "websocket": any(f.access.websocket_management for f in CONFIG.functions.values()),
    }
    assert all(kinds.values()), kinds


def test_environment_names_resources_never_secret_values() -> None:
    environment = function_environment(CONFIG, "payments")
    assert {
        k: v
        for k, v in environment.items()
        if not k.startswith("WHIMSY_")
        or k in ("WHIMSY_FUNCTION", "WHIMSY_SECRET_NAMES", "WHIMSY_TABLE_WHIMSY_ENTITLEMENTS")
    } == {
        "CHECKOUT_RETURN_URL": "https://whimsy.space/paint-composer/",
        "PRODUCTS": "paint-composer-pro=price_1PaintComposerPro",
        "WHIMSY_FUNCTION": "payments",
        "WHIMSY_SECRET_NAMES": "whimsy/stripe-secret-key,whimsy/stripe-webhook-secret",
        "WHIMSY_TABLE_WHIMSY_ENTITLEMENTS": "whimsy-entitlements",
    }
    assert environment["WHIMSY_USER_POOL_ID"] == "${tf:aws_cognito_user_pool.users.id}"
    assert environment["WHIMSY_HANDLES_TABLE"] == "whimsy-handles"
    assert "sk_" not in str(environment)  # names of secrets only, never values
    assert function_environment(CONFIG, "uploads")["WHIMSY_USER_FILES_BUCKET"] == "whimsy-fs"
