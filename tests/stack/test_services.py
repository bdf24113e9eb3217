"""The user-hosted services gateway as generated (issue 11): what it is wired to, and that its
tests' loopback switch can never reach a deployment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.config import parse_config
from tests.conftest import REPO, SAMPLE

TEST_SWITCHES = ("WHIMSY_SERVICES_TEST_ALLOW_LOOPBACK", "WHIMSY_SERVICES_TEST_CA_FILE")


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO / "out/terraform/main.tf.json").read_text())
    return document


def test_the_loopback_test_switches_are_nowhere_in_out(committed: dict[str, Any]) -> None:
    text = json.dumps(committed)
    assert all(switch not in text for switch in TEST_SWITCHES)
    environment = committed["resource"]["aws_lambda_function"]["fn_services"]["environment"]
    assert not any(key.startswith("WHIMSY_SERVICES_TEST") for key in environment["variables"])


@pytest.mark.parametrize("switch", TEST_SWITCHES)
def test_the_config_cannot_set_them(switch: str) -> None:
    raw = SAMPLE.read_text().replace(
        'SERVICES_TIMEOUT_SECONDS: "10"', f'SERVICES_TIMEOUT_SECONDS: "10"\n      {switch}: "1"'
    )
    assert switch in raw
    with pytest.raises(Exception, match="names starting with WHIMSY_ are set by whimsy itself"):
        parse_config(raw.encode(), "whimsy_config.yaml", None)


def test_the_gateway_reads_only_services_files_and_its_tables(committed: dict[str, Any]) -> None:
    policy = json.loads(
        committed["resource"]["aws_iam_role_policy"]["fn_services"]["policy"].replace("$${", "${")
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["Bucket0PublicWhimsySpaceServicesJsonObjects"]["Action"] == ["s3:GetObject"]
    assert by_sid["Bucket0PublicWhimsySpaceServicesJsonObjects"]["Resource"].endswith(
        "/public/whimsy.space/services.json"
    )
    tables = sorted(sid for sid in by_sid if sid.startswith("Table"))
    assert tables == ["TableWhimsyHandles", "TableWhimsyServices", "TableWhimsyUsage"]
    assert by_sid["TableWhimsyHandles"]["Action"] == [
        "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"
    ]  # fmt: skip


def test_its_routes_take_anonymous_and_signed_in_callers(committed: dict[str, Any]) -> None:
    routes = committed["resource"]["aws_apigatewayv2_route"]
    assert (
        routes["http_any_u_handle_service_proxy"]["route_key"]
        == "ANY /u/{handle}/{service}/{proxy+}"
    )
    assert routes["http_any_u_handle_service_proxy"]["authorization_type"] == "NONE"
    assert routes["http_get_services_key"]["authorization_type"] == "JWT"
