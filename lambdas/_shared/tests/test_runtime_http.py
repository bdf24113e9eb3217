"""Response helpers and the @http_handler decorator."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from whimsy_runtime import (
    HttpError,
    HttpRequest,
    InvalidToken,
    JwksUnavailable,
    binary_response,
    error,
    get_logger,
    http_handler,
    json_response,
    no_content,
    redirect,
)

LoadEvent = Callable[[str], dict[str, Any]]
LogLines = Callable[[], list[dict[str, Any]]]
CONTEXT = SimpleNamespace(aws_request_id="c0ffee00-0000-4000-8000-000000000001")


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


# --- helpers ------------------------------------------------------------------------------


def test_json_response() -> None:
    response = json_response(201, {"handle": "ada", "tags": ["é"]}, {"X-Extra": "1"})
    assert response["statusCode"] == 201
    assert response["isBase64Encoded"] is False
    assert response["headers"] == {
        "content-type": "application/json; charset=utf-8",
        "x-content-type-options": "nosniff",
        "x-extra": "1",
    }
    assert body_of(response) == {"handle": "ada", "tags": ["é"]}


def test_headers_can_override_defaults() -> None:
    response = json_response(200, [], {"Content-Type": "application/problem+json"})
    assert response["headers"]["content-type"] == "application/problem+json"


def test_error_is_json_and_never_cached() -> None:
    response = error(404, "not_found", "No such handle.")
    assert response["statusCode"] == 404
    assert response["headers"]["cache-control"] == "no-store"
    assert body_of(response) == {"error": "not_found", "message": "No such handle."}


def test_no_content() -> None:
    response = no_content()
    assert response["statusCode"] == 204
    assert "body" not in response


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect(status: int) -> None:
    response = redirect("https://ada.whimsy.space/", status)
    assert response["statusCode"] == status
    assert response["headers"]["location"] == "https://ada.whimsy.space/"


def test_redirect_defaults_to_302_and_refuses_other_statuses() -> None:
    assert redirect("/x")["statusCode"] == 302
    with pytest.raises(ValueError):
        redirect("/x", 200)


def test_binary_response_is_base64() -> None:
    data = bytes(range(256))
    response = binary_response(data, "image/png", headers={"cache-control": "max-age=60"})
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == data
    assert response["headers"]["content-type"] == "image/png"
    assert response["headers"]["cache-control"] == "max-age=60"


@pytest.mark.parametrize(
    "make",
    [
        lambda: redirect("https://a.example/\r\nset-cookie: x=1"),
        lambda: json_response(200, {}, {"x-name": "a\nb"}),
        lambda: json_response(200, {}, {"x-na\rme": "a"}),
    ],
)
def test_header_injection_is_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()


def test_nan_is_not_json() -> None:
    with pytest.raises(ValueError):
        json_response(200, {"n": float("nan")})


def test_http_error_needs_an_error_status() -> None:
    with pytest.raises(ValueError):
        HttpError(200, "ok", "fine")


# --- the decorator ------------------------------------------------------------------------


@http_handler
def echo(request: HttpRequest, context: Any) -> dict[str, Any]:
    """Answers with what it parsed; raises what the body asks for."""
    payload = request.json_body(max_bytes=64)
    action = payload.get("raise") if isinstance(payload, dict) else None
    if action == "http":
        raise HttpError(409, "handle_taken", "That handle is taken.")
    if action == "crash":
        raise RuntimeError("database password is hunter2 at 10.0.0.5")
    if action == "token":
        raise InvalidToken("unknown kid")
    if action == "jwks":
        raise JwksUnavailable("signing keys unavailable")
    get_logger("test.echo").info("echo", caller=request.caller_identity)
    return json_response(200, {"method": request.method, "payload": payload})


def invoke(load_event: LoadEvent, body: str | None, name: str = "http_v2_put_handle.json") -> Any:
    event = load_event(name)
    event["isBase64Encoded"] = False
    event["body"] = body
    return echo(event, CONTEXT)


def test_decorator_passes_the_parsed_request(load_event: LoadEvent, log_lines: LogLines) -> None:
    response = invoke(load_event, '{"a": 1}')
    assert response["statusCode"] == 200
    assert body_of(response) == {"method": "PUT", "payload": {"a": 1}}
    assert echo.__name__ == "echo"
    [line] = log_lines()
    assert line["message"] == "echo"
    assert line["request_id"] == CONTEXT.aws_request_id
    assert line["api_request_id"] == "SxDvVgV7IAMEbWQ="
    assert line["route"] == "PUT /handles/{handle}"


def test_http_error_becomes_its_response(load_event: LoadEvent) -> None:
    response = invoke(load_event, '{"raise": "http"}')
    assert response["statusCode"] == 409
    assert response["headers"]["cache-control"] == "no-store"
    assert body_of(response) == {"error": "handle_taken", "message": "That handle is taken."}


def test_invalid_json_is_400(load_event: LoadEvent) -> None:
    response = invoke(load_event, "{not json")
    assert response["statusCode"] == 400
    assert body_of(response)["error"] == "invalid_json"


def test_missing_body_is_400(load_event: LoadEvent) -> None:
    assert invoke(load_event, None)["statusCode"] == 400


def test_oversized_json_is_413(load_event: LoadEvent) -> None:
    response = invoke(load_event, json.dumps({"a": "x" * 100}))
    assert response["statusCode"] == 413
    assert body_of(response)["error"] == "payload_too_large"


def test_base64_body_through_the_decorator(load_event: LoadEvent) -> None:
    response = echo(load_event("http_v2_put_handle.json"), CONTEXT)
    assert body_of(response)["payload"] == {"display": "Ada"}


def test_malformed_event_is_400_not_500(log_lines: LogLines) -> None:
    response = echo({"version": "2.0", "requestContext": "nope"}, CONTEXT)
    assert response["statusCode"] == 400
    assert body_of(response)["error"] == "bad_request"
    [line] = log_lines()
    assert (line["level"], line["status"], line["code"]) == ("INFO", 400, "bad_request")


def test_unexpected_exception_is_a_generic_500(load_event: LoadEvent, log_lines: LogLines) -> None:
    response = invoke(load_event, '{"raise": "crash"}')
    assert response["statusCode"] == 500
    assert body_of(response) == {
        "error": "internal_error",
        "message": "Something went wrong on our side.",
    }
    assert "hunter2" not in response["body"]
    assert "RuntimeError" not in response["body"]
    [line] = log_lines()
    # The cause is logged, with the request id, for whoever reads the logs.
    assert line["level"] == "ERROR"
    assert line["message"] == "unhandled error"
    assert line["request_id"] == CONTEXT.aws_request_id
    assert "RuntimeError" in line["exception"]
    assert "Traceback" in line["exception"]


def test_invalid_token_is_401(load_event: LoadEvent, log_lines: LogLines) -> None:
    response = invoke(load_event, '{"raise": "token"}')
    assert response["statusCode"] == 401
    assert response["headers"]["www-authenticate"] == 'Bearer error="invalid_token"'
    assert body_of(response)["error"] == "invalid_token"
    assert "kid" not in response["body"]  # the reason goes to the logs only
    [line] = log_lines()
    assert line["reason"] == "unknown kid"


def test_jwks_unavailable_is_503(load_event: LoadEvent) -> None:
    response = invoke(load_event, '{"raise": "jwks"}')
    assert response["statusCode"] == 503


def test_log_context_does_not_leak_between_invocations(
    load_event: LoadEvent, log_lines: LogLines
) -> None:
    invoke(load_event, '{"a": 1}')
    get_logger("test.after").info("between invocations")
    lines = log_lines()
    assert "request_id" in lines[0]
    assert "request_id" not in lines[-1]
    assert "route" not in lines[-1]


def test_decorator_works_without_a_lambda_context(load_event: LoadEvent) -> None:
    event = load_event("http_v2_get_catalog_anonymous.json")
    event["body"] = "[]"
    assert echo(event, None)["statusCode"] == 200
