"""Secrets Manager values, read once per container and cached for a few minutes.

    stripe_key = get_secret("whimsy/stripe-secret-key")

The TTL bounds how long a rotated value takes to reach warm containers. Values never appear in
logs, exception messages or reprs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from .logging import get_logger

DEFAULT_TTL_SECONDS = 300.0

_log = get_logger("whimsy.secrets")


class SecretUnavailable(Exception):
    """The secret could not be read. The message names the secret and the cause, never a value."""


def _default_client() -> Any:
    # Imported lazily: boto3 costs ~100 ms of cold start that functions without secrets skip.
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard"})
    return boto3.client("secretsmanager", region_name=os.environ.get("AWS_REGION"), config=config)


class SecretCache:
    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        client_factory: Callable[[], Any] = _default_client,
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._client_factory = client_factory
        self._client: Any = None
        self._values: dict[str, tuple[str, float]] = {}  # name -> (value, fetched at)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretCache(names={sorted(self._values)}, ttl_seconds={self._ttl})"

    def get(self, name: str) -> str:
        with self._lock:
            now = self._clock()
            cached = self._values.get(name)
            if cached is not None and now - cached[1] < self._ttl:
                return cached[0]
            value = self._fetch(name)
            self._values[name] = (value, now)
            return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def _fetch(self, name: str) -> str:
        try:
            if self._client is None:
                self._client = self._client_factory()
            response = self._client.get_secret_value(SecretId=name)
        except Exception as exc:
            cause = _error_code(exc)
            _log.warning("secret unavailable", name=name, cause=cause)
            # `from None`: the chained exception is left out so no driver detail can leak.
            raise SecretUnavailable(f"secret {name!r} is unavailable ({cause})") from None
        value = response.get("SecretString") if isinstance(response, dict) else None
        if not isinstance(value, str):
            raise SecretUnavailable(f"secret {name!r} has no string value")
        return value


def _error_code(exc: Exception) -> str:
    """The AWS error code (ResourceNotFoundException, AccessDeniedException...) or the type."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if isinstance(code, str) and code:
            return code
    return type(exc).__name__


_default_cache = SecretCache()


def get_secret(name: str) -> str:
    """The secret's SecretString, cached per container for DEFAULT_TTL_SECONDS."""
    return _default_cache.get(name)
