"""Shared pieces of the collaboration tests: moto DynamoDB, a fake management API, events."""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


def server_in(
    backend: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, FakeManagement]:
    """The collab function with its table in backend (moto or the emulator)."""
    backend.env(
        {"WHIMSY_TABLE_WHIMSY_COLLAB": "collab", "WHIMSY_WEBSOCKET_MAX_MESSAGE_BYTES": "4096"}
    )
    backend.table("collab", "pk", "sk")
    module = load_handler()
    fake = FakeManagement()
    monkeypatch.setattr(module, "management", lambda endpoint: fake)
    return module, fake


@pytest.fixture
def server(
    aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, FakeManagement]]:
    yield server_in(aws, load_handler, monkeypatch)


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
