"""Structured logging: one JSON object per line on stdout, which CloudWatch keeps as one event.

    log = get_logger(__name__)
    with bound(request_id=context.aws_request_id):
        log.info("handle claimed", handle="ada")

Fields whose key looks sensitive (authorization, token, secret, password, cookie) are replaced
by "[REDACTED]" at any depth, and JWT- or bearer-shaped strings are masked wherever they
appear, so a careless `log.info("event", event=event)` still leaks no credentials.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

REDACTED = "[REDACTED]"
_SENSITIVE_KEY = re.compile(r"authorization|token|secret|password|cookie", re.IGNORECASE)
# A JWT (three base64url segments, header starting "eyJ") or an HTTP bearer credential.
_CREDENTIAL = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*|(?i:bearer)\s+[^\s\"',]+"
)
_MAX_DEPTH = 8
# Attribute under which StructuredLogger hands its fields to the formatter.
_FIELDS_ATTR = "whimsy_fields"
_ROOT_NAME = "whimsy"
_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}

_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "whimsy_log_context", default=MappingProxyType({})
)


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of `value` with sensitive keys and credential-shaped strings masked."""
    if depth > _MAX_DEPTH:
        return "[TRUNCATED]"
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if _SENSITIVE_KEY.search(str(key)) else redact(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item, depth + 1) for item in value]
    if isinstance(value, str):
        return _CREDENTIAL.sub(REDACTED, value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return _CREDENTIAL.sub(REDACTED, str(value))


def bind(**fields: Any) -> Token[Mapping[str, Any]]:
    """Add fields (e.g. request_id) to every log line of this invocation; returns a reset token."""
    merged = {**_context.get(), **fields}
    return _context.set(MappingProxyType(merged))


def unbind(token: Token[Mapping[str, Any]]) -> None:
    _context.reset(token)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """bind() for the duration of a with block, so a warm container never reuses stale ids."""
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Reserved keys win over same-named fields so every line parses the same way.
        for key, value in {**_context.get(), **getattr(record, _FIELDS_ATTR, {})}.items():
            entry.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        entry = redact(entry)
        return json.dumps(entry, default=str, ensure_ascii=False, separators=(",", ":"))


class _StdoutHandler(logging.Handler):
    """Writes to the *current* sys.stdout (the Lambda runtime and test capture may swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def _root() -> logging.Logger:
    root = logging.getLogger(_ROOT_NAME)
    if not any(isinstance(handler, _StdoutHandler) for handler in root.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        # The Lambda runtime installs its own root handler; propagating would print twice.
        root.propagate = False
        level = os.environ.get("WHIMSY_LOG_LEVEL", "INFO").upper()
        root.setLevel(level if level in _LEVELS else "INFO")
    return root


class StructuredLogger:
    """A thin wrapper over a stdlib logger taking keyword fields: log.info("msg", key=value)."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    @property
    def stdlib(self) -> logging.Logger:
        return self._logger

    def _log(self, level: int, message: str, exc_info: bool, fields: dict[str, Any]) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(
                level, message, exc_info=exc_info, extra={_FIELDS_ATTR: fields}, stacklevel=3
            )

    def debug(self, message: str, /, **fields: Any) -> None:
        self._log(logging.DEBUG, message, False, fields)

    def info(self, message: str, /, **fields: Any) -> None:
        self._log(logging.INFO, message, False, fields)

    def warning(self, message: str, /, **fields: Any) -> None:
        self._log(logging.WARNING, message, False, fields)

    def error(self, message: str, /, **fields: Any) -> None:
        self._log(logging.ERROR, message, False, fields)

    def exception(self, message: str, /, **fields: Any) -> None:
        """error() with the current exception's traceback; call it from an except block."""
        self._log(logging.ERROR, message, True, fields)


def get_logger(name: str) -> StructuredLogger:
    root = _root()
    if name == _ROOT_NAME or name.startswith(_ROOT_NAME + "."):
        return StructuredLogger(logging.getLogger(name))
    return StructuredLogger(root.getChild(name))
