"""The usage API against moto's DynamoDB: each host reads only their own rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
ALICE = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
BOB = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca428"
IDENTITIES = {"sub-alice": ALICE, "sub-bob": BOB}


@pytest.fixture
def usage(aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    aws.env({"WHIMSY_USAGE_TABLE": "usage"})
    aws.table("usage", "pk", "sk")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    rows = [
        (ALICE, "2026-11-20#anonymous", 3, 300),
        (ALICE, "2026-11-20#sub-bob", 1, 50),
        (ALICE, "2026-11-27#anonymous", 2, 20),
        (ALICE, "2026-10-01#anonymous", 9, 9),
        (BOB, "2026-11-20#anonymous", 7, 700),
    ]
    for host, sk, requests, size in rows:
        dynamodb.put_item(
            TableName="usage",
            Item={
                "pk": {"S": f"host#{host}"},
                "sk": {"S": sk},
                "requests": {"N": str(requests)},
                "bytes": {"N": str(size)},
            },
        )
    module = load_handler()
    monkeypatch.setattr(module, "identity_of", lambda request: IDENTITIES[request.require_caller()])
    yield module


def call(module: Any, sub: str | None, query: str = "") -> tuple[int, Any]:
    context: dict[str, Any] = {
        "http": {"method": "GET", "path": "/usage", "sourceIp": "203.0.113.9"},
        "requestId": "r",
        "routeKey": "GET /usage",
        "stage": "$default",
    }
    if sub:
        context["authorizer"] = {"jwt": {"claims": {"sub": sub}, "scopes": None}}
    response = module.handler(
        {
            "version": "2.0",
            "routeKey": "GET /usage",
            "rawPath": "/usage",
            "rawQueryString": query,
            "headers": {},
            "requestContext": context,
            "isBase64Encoded": False,
        },
        None,
    )
    return response["statusCode"], json.loads(response["body"])


def test_a_host_reads_their_own_usage_by_day_and_requester(usage: Any) -> None:
    status, body = call(usage, "sub-alice", "from=2026-11-20&to=2026-11-27")
    assert status == 200
    assert body["days"] == {
        "2026-11-20": {
            "anonymous": {"requests": 3, "bytes": 300},
            "sub-bob": {"requests": 1, "bytes": 50},
        },
        "2026-11-27": {"anonymous": {"requests": 2, "bytes": 20}},
    }
    assert body["totals"] == {"requests": 6, "bytes": 370}


def test_nobody_reads_another_users_usage(usage: Any) -> None:
    status, body = call(usage, "sub-bob", "from=2026-11-01&to=2026-11-30")
    assert status == 200
    assert body["totals"] == {"requests": 7, "bytes": 700}
    # there is no parameter naming the host at all: a host= is simply ignored
    _, again = call(usage, "sub-bob", f"from=2026-11-01&to=2026-11-30&host={ALICE}")
    assert again == body


def test_anonymous_callers_are_refused(usage: Any) -> None:
    assert call(usage, None)[0] == 401


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",
        "from=yesterday",
        "from=2026-11-30&to=2026-11-01",
        "from=2026-01-01&to=2026-11-30",
    ],
)
def test_bad_windows_are_400(usage: Any, query: str) -> None:
    assert call(usage, "sub-alice", query)[0] == 400
