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


# --- services: hosts see their services' usage, callers their own spend ----------------------


def call_route(module: Any, route: str, sub: str, query: str) -> tuple[int, Any]:
    path = route.split(" ", 1)[1]
    response = module.handler(
        {
            "version": "2.0",
            "routeKey": route,
            "rawPath": path,
            "rawQueryString": query,
            "headers": {},
            "requestContext": {
                "http": {"method": "GET", "path": path, "sourceIp": "203.0.113.9"},
                "requestId": "r",
                "routeKey": route,
                "stage": "$default",
                "authorizer": {"jwt": {"claims": {"sub": sub}, "scopes": None}},
            },
            "isBase64Encoded": False,
        },
        None,
    )
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def services_usage(usage: Any) -> Any:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    rows = [  # as the services gateway's meter writes them
        (f"services#{ALICE}", f"2026-11-20#weather#{BOB}", 4, 400),
        (f"services#{ALICE}", "2026-11-20#weather#anonymous", 2, 20),
        (f"services#{ALICE}", f"2026-11-21#echo#{BOB}", 1, 10),
        (f"spend#{BOB}", f"2026-11-20#{ALICE}#weather", 4, 400),
        (f"spend#{BOB}", f"2026-11-21#{ALICE}#echo", 1, 10),
        (f"spend#{ALICE}", f"2026-11-21#{BOB}#x", 9, 9),
    ]
    for pk, sk, requests, size in rows:
        dynamodb.put_item(
            TableName="usage",
            Item={
                "pk": {"S": pk},
                "sk": {"S": sk},
                "requests": {"N": str(requests)},
                "bytes": {"N": str(size)},
            },
        )
    return usage


def test_hosts_see_their_services_usage_by_day_service_and_caller(services_usage: Any) -> None:
    status, body = call_route(
        services_usage, "GET /usage", "sub-alice", "from=2026-11-20&to=2026-11-27"
    )
    assert status == 200
    assert body["services"]["days"] == {
        "2026-11-20": {
            "weather": {
                BOB: {"requests": 4, "bytes": 400},
                "anonymous": {"requests": 2, "bytes": 20},
            }
        },
        "2026-11-21": {"echo": {BOB: {"requests": 1, "bytes": 10}}},
    }
    assert body["services"]["totals"] == {
        "weather": {"requests": 6, "bytes": 420},
        "echo": {"requests": 1, "bytes": 10},
    }
    assert body["totals"] == {"requests": 6, "bytes": 370}  # the site's rows, unchanged


def test_callers_read_only_their_own_spend(services_usage: Any) -> None:
    status, body = call_route(
        services_usage, "GET /usage/spend", "sub-bob", "from=2026-11-20&to=2026-11-27"
    )
    assert status == 200
    assert body["days"] == {
        "2026-11-20": {ALICE: {"weather": {"requests": 4, "bytes": 400}}},
        "2026-11-21": {ALICE: {"echo": {"requests": 1, "bytes": 10}}},
    }
    assert body["totals"] == {"requests": 5, "bytes": 410}
    _, alice = call_route(
        services_usage, "GET /usage/spend", "sub-alice", "from=2026-11-20&to=2026-11-27"
    )
    assert alice["totals"] == {"requests": 9, "bytes": 9}
