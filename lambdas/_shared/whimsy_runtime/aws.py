"""boto3 clients, created lazily and once per container (imports stay cheap, warm calls
reuse connections)."""

from __future__ import annotations

from typing import Any

_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    if service not in _clients:
        import boto3  # type: ignore[import-untyped]

        _clients[service] = boto3.client(service)
    return _clients[service]


def reset_clients() -> None:
    """Forget every client (tests start each case against a fresh mock)."""
    _clients.clear()
