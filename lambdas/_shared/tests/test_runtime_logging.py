"""Structured JSON logging and redaction."""

from __future__ import annotations

import logging as stdlib_logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from whimsy_runtime.logging import REDACTED, bind, bound, get_logger, redact, unbind

LogLines = Callable[[], list[dict[str, Any]]]
JWT = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJ4IiwidG9rZW5fdXNlIjoiaWQifQ.c2lnbmF0dXJl"


def test_one_json_object_per_line(log_lines: LogLines) -> None:
    log = get_logger("test.lines")
    log.info("first", handle="ada", count=2)
    log.warning("second\nwith a newline")
    first, second = log_lines()
    assert first["message"] == "first"
    assert first["level"] == "INFO"
    assert first["logger"] == "whimsy.test.lines"
    assert (first["handle"], first["count"]) == ("ada", 2)
    assert datetime.fromisoformat(first["timestamp"]).utcoffset() is not None
    assert second["level"] == "WARNING"
    assert second["message"] == "second\nwith a newline"


def test_request_id_is_bound_per_invocation(log_lines: LogLines) -> None:
    log = get_logger("test.bind")
    with bound(request_id="req-1"):
        log.info("inside")
        token = bind(connection_id="conn-1")
        log.info("nested")
        unbind(token)
        log.info("unbound")
    log.info("outside")
    inside, nested, unbound, outside = log_lines()
    assert inside["request_id"] == "req-1"
    assert (nested["request_id"], nested["connection_id"]) == ("req-1", "conn-1")
    assert "connection_id" not in unbound
    assert "request_id" not in outside


def test_reserved_keys_cannot_be_overridden(log_lines: LogLines) -> None:
    get_logger("test.reserved").info("real", message="fake", level="DEBUG", timestamp="x")
    [line] = log_lines()
    assert (line["message"], line["level"]) == ("real", "INFO")
    assert line["timestamp"] != "x"


@pytest.mark.parametrize(
    "key",
    [
        "authorization",
        "Authorization",
        "token",
        "id_token",
        "accessToken",
        "client_secret",
        "SECRET",
        "password",
        "db_password",
        "cookie",
        "set-cookie",
        "cookies",
    ],
)
def test_sensitive_keys_are_redacted(log_lines: LogLines, key: str) -> None:
    get_logger("test.redact").info("event", **{key: "hunter2"})
    [line] = log_lines()
    assert line[key] == REDACTED
    assert "hunter2" not in str(line)


def test_nested_headers_are_redacted(log_lines: LogLines) -> None:
    event = {
        "headers": {"Authorization": "Bearer abc", "accept": "application/json"},
        "cookies": ["session=abc"],
        "multiValueHeaders": {"Cookie": ["session=abc"]},
        "list": [{"password": "p"}, {"ok": "fine"}],
    }
    get_logger("test.nested").info("received", event=event)
    [line] = log_lines()
    logged = line["event"]
    assert logged["headers"] == {"Authorization": REDACTED, "accept": "application/json"}
    assert logged["cookies"] == REDACTED
    assert logged["multiValueHeaders"] == {"Cookie": REDACTED}
    assert logged["list"] == [{"password": REDACTED}, {"ok": "fine"}]


def test_tokens_in_free_text_are_masked(log_lines: LogLines) -> None:
    log = get_logger("test.text")
    log.info(f"verifying {JWT} now", note=f"header was Bearer {JWT}", raw="Bearer opaque-123")
    [line] = log_lines()
    assert JWT not in str(line)
    assert "opaque-123" not in str(line)
    assert line["message"] == f"verifying {REDACTED} now"


def test_exceptions_are_logged_with_traceback_and_masked(log_lines: LogLines) -> None:
    log = get_logger("test.exc")
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        log.exception("failed", step="verify")
    [line] = log_lines()
    assert line["level"] == "ERROR"
    assert "Traceback" in line["exception"]
    assert "ValueError" in line["exception"]
    assert JWT not in line["exception"]


def test_unserializable_values_become_strings(log_lines: LogLines) -> None:
    class Thing:
        def __repr__(self) -> str:
            return "<thing>"

    get_logger("test.types").info("values", amount=Decimal("1.50"), thing=Thing(), raw=b"x")
    [line] = log_lines()
    assert (line["amount"], line["thing"], line["raw"]) == ("1.50", "<thing>", "b'x'")


def test_debug_is_off_by_default(log_lines: LogLines) -> None:
    get_logger("test.level").debug("quiet")
    assert log_lines() == []


def test_does_not_propagate_to_the_root_logger(log_lines: LogLines) -> None:
    """The Lambda runtime has its own root handler: propagating would print every line twice."""
    seen: list[stdlib_logging.LogRecord] = []

    class Recorder(stdlib_logging.Handler):
        def emit(self, record: stdlib_logging.LogRecord) -> None:
            seen.append(record)

    recorder = Recorder()
    root = stdlib_logging.getLogger()
    root.addHandler(recorder)
    try:
        get_logger("test.root").info("once")
    finally:
        root.removeHandler(recorder)
    assert len(log_lines()) == 1
    assert seen == []


def test_whimsy_prefixed_names_are_not_doubled() -> None:
    assert get_logger("whimsy.auth").stdlib.name == "whimsy.auth"
    assert get_logger("handler").stdlib.name == "whimsy.handler"


def test_redact_limits_depth() -> None:
    deep: Any = "leaf"
    for _ in range(20):
        deep = {"d": deep}
    flattened = str(redact(deep))
    assert "[TRUNCATED]" in flattened
    assert redact(("a", {"token": 1})) == ["a", {"token": REDACTED}]
