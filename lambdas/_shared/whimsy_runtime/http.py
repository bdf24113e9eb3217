"""Responses for API Gateway HTTP APIs (payload 2.0) and the @http_handler decorator.

@http_handler
def handler(request: HttpRequest, context: object) -> dict[str, Any]:
    payload = request.json_body(max_bytes=16_384)
    if "handle" not in payload:
        raise HttpError(400, "missing_handle", "Give a handle.")
    return json_response(200, {"ok": True})
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import HttpError
from .auth import InvalidToken, JwksUnavailable
from .events import HttpRequest, parse_http_event
from .logging import bind, bound, get_logger

__all__ = [
    "HttpError",
    "binary_response",
    "error",
    "http_handler",
    "json_response",
    "no_content",
    "redirect",
]

Response = dict[str, Any]
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
_BASE_HEADERS = {"x-content-type-options": "nosniff"}
_NO_STORE = {"cache-control": "no-store"}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_log = get_logger("whimsy.http")


def _headers(defaults: Mapping[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    merged = {**_BASE_HEADERS, **defaults}
    merged.update({name.lower(): value for name, value in (extra or {}).items()})
    for name, value in merged.items():
        # CR/LF in a header (a redirect URL, say) would let caller input inject headers.
        if any(ch in name or ch in value for ch in "\r\n\0"):
            raise ValueError(f"header {name!r} contains a control character")
    return merged


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return {
        "statusCode": status,
        "headers": _headers({"content-type": JSON_CONTENT_TYPE}, headers),
        # allow_nan=False: NaN and Infinity are not JSON and break clients' parsers.
        "body": json.dumps(body, allow_nan=False, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON error {"error": code, "message": message}, never cached."""
    return json_response(
        status, {"error": code, "message": message}, {**_NO_STORE, **(headers or {})}
    )


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    return {"statusCode": 204, "headers": _headers({}, headers), "isBase64Encoded": False}


def redirect(url: str, status: int = 302, headers: Mapping[str, str] | None = None) -> Response:
    if status not in _REDIRECT_STATUSES:
        raise ValueError(f"redirect status must be one of {sorted(_REDIRECT_STATUSES)}")
    return {
        "statusCode": status,
        "headers": _headers({"location": url}, headers),
        "body": "",
        "isBase64Encoded": False,
    }


def binary_response(
    data: bytes,
    content_type: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Raw bytes (images, archives): API Gateway decodes the base64 body before sending it."""
    return {
        "statusCode": status,
        "headers": _headers({"content-type": content_type}, headers),
        "body": base64.b64encode(data).decode("ascii"),
        "isBase64Encoded": True,
    }


def http_handler(
    function: Callable[[HttpRequest, Any], Response],
) -> Callable[[Any, Any], Response]:
    """Turns `function(request, context)` into a Lambda handler for an HTTP API route.

    HttpError becomes its JSON error; InvalidToken a 401; anything else a logged 500 whose
    body says nothing about the cause. Log lines carry the invocation's request ids.
    """

    @functools.wraps(function)
    def handler(event: Any, context: Any) -> Response:
        context_id = getattr(context, "aws_request_id", None)
        ids = {"request_id": context_id} if isinstance(context_id, str) else {}
        # bound() restores the log context on exit, undoing the bind() below as well.
        with bound(**ids):
            try:
                request = parse_http_event(event)
                bind(api_request_id=request.request_id, route=request.route_key)
                return function(request, context)
            except HttpError as exc:
                log = _log.warning if exc.status >= 500 else _log.info
                log("request refused", status=exc.status, code=exc.code)
                return error(exc.status, exc.code, exc.message, exc.headers)
            except JwksUnavailable:
                _log.exception("signing keys unavailable")
                return error(503, "unavailable", "Sign-in is temporarily unavailable.")
            except InvalidToken as exc:
                _log.info("invalid token", reason=exc.reason)
                return error(
                    401,
                    "invalid_token",
                    "The access token is missing or invalid.",
                    {"www-authenticate": 'Bearer error="invalid_token"'},
                )
            except Exception:
                _log.exception("unhandled error")
                return error(500, "internal_error", "Something went wrong on our side.")

    return handler
