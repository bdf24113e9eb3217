"""API Gateway events as typed, read-only requests.

`parse_http_event` reads an HTTP API payload 2.0 event, `parse_websocket_event` a WebSocket
API event. Anything malformed raises HttpError(400) rather than KeyError or TypeError, so a
bad event is answered as a bad request instead of a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs

from ._errors import HttpError

DEFAULT_MAX_JSON_BYTES = 1024 * 1024
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _malformed(what: str) -> HttpError:
    return HttpError(400, "bad_request", f"Malformed request: {what}.")


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    """A JSON object; API Gateway omits empty sections (or sends null), which read as {}."""
    if value is None:
        return _EMPTY
    if not isinstance(value, Mapping):
        raise _malformed(what)
    return value


def _text(value: object, what: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise _malformed(what)
    return value


def _string_map(value: object, what: str, *, lower_keys: bool = False) -> Mapping[str, str]:
    result: dict[str, str] = {}
    for key, item in _mapping(value, what).items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise _malformed(what)
        key = key.lower() if lower_keys else key
        # Two spellings of one header name: join them as HTTP does for repeated headers.
        result[key] = f"{result[key]},{item}" if key in result else item
    return MappingProxyType(result)


def _body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise _malformed("body")
    if event.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise _malformed("body is not valid base64") from None
    # A lone surrogate becomes invalid UTF-8 that json_body rejects, instead of a crash here.
    return body.encode("utf-8", errors="surrogatepass")


def _freeze_multi(values: Mapping[str, list[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({key: tuple(items) for key, items in values.items()})


def decode_json(body: bytes, max_bytes: int) -> Any:
    """Parse a request body as JSON: 413 when larger than max_bytes, 400 when not JSON."""
    if len(body) > max_bytes:
        raise HttpError(413, "payload_too_large", f"The body exceeds {max_bytes} bytes.")
    if not body.strip():
        raise HttpError(400, "invalid_json", "A JSON body is required.")

    def reject_constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(body.decode("utf-8"), parse_constant=reject_constant)
    # RecursionError: deeply nested arrays would otherwise surface as a 500.
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HttpError(400, "invalid_json", "The body is not valid JSON.") from None


@dataclass(frozen=True)
class HttpRequest:
    """An HTTP API (payload 2.0) request. Header names are lower-case."""

    method: str
    raw_path: str
    route_key: str
    path_parameters: Mapping[str, str]
    # Left out of repr(): headers, cookies, query and body may carry credentials.
    # Every value of each parameter, in order: ?tag=a&tag=b gives {"tag": ("a", "b")}.
    query_parameters: Mapping[str, tuple[str, ...]] = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    cookies: tuple[str, ...] = field(repr=False)
    body: bytes = field(repr=False)
    request_id: str
    source_ip: str
    # Claims that API Gateway's JWT authorizer verified; None on routes without one.
    jwt_claims: Mapping[str, Any] | None = field(default=None, repr=False)
    # The query string exactly as received (a proxy forwards it untouched); may hold secrets.
    raw_query: str = field(default="", repr=False)

    def query(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query_parameters.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def claims(self) -> Mapping[str, Any]:
        """The verified JWT claims, or {} when the route has no authorizer."""
        return self.jwt_claims if self.jwt_claims is not None else _EMPTY

    @property
    def caller_identity(self) -> str | None:
        """The signed-in user's stable id (the user pool `sub`), or None for anonymous calls."""
        sub = self.claims.get("sub")
        return sub if isinstance(sub, str) and sub else None

    def require_caller(self) -> str:
        """caller_identity, or HttpError(401) when the request is anonymous."""
        caller = self.caller_identity
        if caller is None:
            raise HttpError(401, "unauthorized", "Sign in to use this endpoint.")
        return caller

    @property
    def groups(self) -> frozenset[str]:
        """Cognito groups. The JWT authorizer flattens the list to a string like "[a b]"."""
        value = self.claims.get("cognito:groups")
        if isinstance(value, list):
            return frozenset(str(item) for item in value)
        if isinstance(value, str):
            return frozenset(value.strip("[]").replace(",", " ").split())
        return frozenset()

    def json_body(self, max_bytes: int = DEFAULT_MAX_JSON_BYTES) -> Any:
        return decode_json(self.body, max_bytes)


def parse_http_event(event: object) -> HttpRequest:
    event = _mapping(event, "event")
    if event.get("version") not in (None, "2.0"):
        raise _malformed("expected an HTTP API payload 2.0 event")
    context = _mapping(event.get("requestContext"), "requestContext")
    http = _mapping(context.get("http"), "requestContext.http")

    raw_query = _text(event.get("rawQueryString"), "rawQueryString", required=False)
    if raw_query:
        query = _freeze_multi(parse_qs(raw_query, keep_blank_values=True))
    else:
        # Without rawQueryString, take the (comma-joined) values as single values.
        single = _string_map(event.get("queryStringParameters"), "queryStringParameters")
        query = MappingProxyType({key: (value,) for key, value in single.items()})

    cookies = event.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise _malformed("cookies")

    claims: Mapping[str, Any] | None = None
    authorizer = _mapping(context.get("authorizer"), "requestContext.authorizer")
    jwt = _mapping(authorizer.get("jwt"), "requestContext.authorizer.jwt")
    if "claims" in jwt:
        claims = MappingProxyType(dict(_mapping(jwt["claims"], "jwt claims")))

    return HttpRequest(
        method=_text(http.get("method"), "requestContext.http.method").upper(),
        raw_path=_text(event.get("rawPath") or http.get("path"), "rawPath"),
        route_key=_text(event.get("routeKey"), "routeKey", required=False),
        path_parameters=_string_map(event.get("pathParameters"), "pathParameters"),
        query_parameters=query,
        headers=_string_map(event.get("headers"), "headers", lower_keys=True),
        cookies=tuple(cookies),
        body=_body(event),
        request_id=_text(context.get("requestId"), "requestContext.requestId", required=False),
        source_ip=_text(http.get("sourceIp"), "requestContext.http.sourceIp", required=False),
        jwt_claims=claims,
        raw_query=raw_query,
    )


@dataclass(frozen=True)
class WebSocketRequest:
    """A WebSocket API event: $connect, $disconnect, $default or a custom route."""

    route_key: str
    event_type: str  # CONNECT, MESSAGE or DISCONNECT
    connection_id: str
    domain_name: str
    stage: str
    # Only $connect carries query parameters (the token, too) and headers: kept out of repr().
    query_parameters: Mapping[str, tuple[str, ...]] = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    request_id: str
    source_ip: str

    def query(self, name: str, default: str | None = None) -> str | None:
        values = self.query_parameters.get(name)
        return values[0] if values else default

    @property
    def management_endpoint(self) -> str:
        """The endpoint for apigatewaymanagementapi (post_to_connection) for this connection.

        A custom domain's API mapping already selects the stage, so the stage is appended
        only for the execute-api host.
        """
        if self.domain_name.endswith(".amazonaws.com"):
            return f"https://{self.domain_name}/{self.stage}"
        return f"https://{self.domain_name}"

    def json_body(self, max_bytes: int = DEFAULT_MAX_JSON_BYTES) -> Any:
        return decode_json(self.body, max_bytes)


def parse_websocket_event(event: object) -> WebSocketRequest:
    event = _mapping(event, "event")
    context = _mapping(event.get("requestContext"), "requestContext")
    identity = _mapping(context.get("identity"), "requestContext.identity")

    multi = _mapping(event.get("multiValueQueryStringParameters"), "query parameters")
    if multi:
        query_lists: dict[str, list[str]] = {}
        for key, values in multi.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise _malformed("multiValueQueryStringParameters")
            query_lists[str(key)] = list(values)
        query = _freeze_multi(query_lists)
    else:
        single = _string_map(event.get("queryStringParameters"), "queryStringParameters")
        query = MappingProxyType({key: (value,) for key, value in single.items()})

    return WebSocketRequest(
        route_key=_text(context.get("routeKey"), "requestContext.routeKey"),
        event_type=_text(context.get("eventType"), "requestContext.eventType", required=False),
        connection_id=_text(context.get("connectionId"), "requestContext.connectionId"),
        domain_name=_text(context.get("domainName"), "requestContext.domainName"),
        stage=_text(context.get("stage"), "requestContext.stage"),
        query_parameters=query,
        headers=_string_map(event.get("headers"), "headers", lower_keys=True),
        body=_body(event),
        request_id=_text(context.get("requestId"), "requestContext.requestId", required=False),
        source_ip=_text(identity.get("sourceIp"), "sourceIp", required=False),
    )
