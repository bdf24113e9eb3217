"""Shared pieces of the collaboration tests: moto DynamoDB, a fake management API, events."""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGION = "us-east-1"


class GoneException(Exception):
    pass


class FakeManagement:
    """Stands in for apigatewaymanagementapi: delivers into per-connection inboxes."""

    def __init__(self) -> None:
        self.inbox: dict[str, deque[dict[str, Any]]] = {}
        self.gone: set[str] = set()

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:
        if ConnectionId in self.gone:
            raise GoneException(ConnectionId)
        self.inbox.setdefault(ConnectionId, deque()).append(json.loads(Data))


@pytest.fixture
def server(
    monkeypatch: pytest.MonkeyPatch, load_handler: Any
) -> Iterator[tuple[Any, FakeManagement]]:
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "WHIMSY_TABLE_WHIMSY_COLLAB": "collab",
        "WHIMSY_WEBSOCKET_MAX_MESSAGE_BYTES": "4096",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="collab",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        module = load_handler()
        fake = FakeManagement()
        monkeypatch.setattr(module, "management", lambda endpoint: fake)
        yield module, fake


def event(route: str, connection: str, body: Any = None, sub: str | None = None) -> dict[str, Any]:
    kind = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    context: dict[str, Any] = {
        "routeKey": route,
        "eventType": kind,
        "connectionId": connection,
        "domainName": "collab.whimsy.space",
        "stage": "live",
        "requestId": "r",
        "identity": {"sourceIp": "203.0.113.9"},
    }
    if sub is not None:
        context["authorizer"] = {"sub": sub}
    return {
        "requestContext": context,
        "isBase64Encoded": False,
        "body": json.dumps(body) if body is not None else None,
    }
