"""Parsing API Gateway HTTP API (payload 2.0) and WebSocket events."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from whimsy_runtime import HttpError
from whimsy_runtime.events import (
    HttpRequest,
    WebSocketRequest,
    decode_json,
    parse_http_event,
    parse_websocket_event,
)

LoadEvent = Callable[[str], dict[str, Any]]


def refused(parse: Callable[[Any], object], event: Any) -> HttpError:
    with pytest.raises(HttpError) as raised:
        parse(event)
    return raised.value


# --- HTTP API payload 2.0 -----------------------------------------------------------------


def test_aws_documentation_example(load_event: LoadEvent) -> None:
    request = parse_http_event(load_event("http_v2_aws_docs.json"))
    assert request.method == "POST"
    assert request.raw_path == "/my/path"
    assert request.route_key == "$default"
    assert request.path_parameters == {"parameter1": "value1"}
    # Repeated parameters keep every value, from rawQueryString rather than the joined map.
    assert request.query_parameters == {
        "parameter1": ("value1", "value2"),
        "parameter2": ("value",),
    }
    assert request.query("parameter1") == "value1"
    assert request.query("missing", "fallback") == "fallback"
    assert request.headers == {"header1": "value1", "header2": "value1,value2"}
    assert request.cookies == ("cookie1", "cookie2")
    assert request.body == b"Hello from Lambda"
    assert request.request_id == "id"
    assert request.source_ip == "192.0.2.1"
    assert request.claims == {"claim1": "value1", "claim2": "value2"}
    assert request.caller_identity is None  # no `sub` claim


def test_authorized_whimsy_request(load_event: LoadEvent) -> None:
    request = parse_http_event(load_event("http_v2_put_handle.json"))
    assert request.method == "PUT"
    assert request.route_key == "PUT /handles/{handle}"
    assert request.path_parameters["handle"] == "ada"
    assert request.query_parameters == {}
    assert request.body == b'{"display": "Ada"}'  # base64-decoded
    assert request.json_body() == {"display": "Ada"}
    assert request.caller_identity == "8f3b2c1d-4e5f-4a6b-9c7d-0e1f2a3b4c5d"
    assert request.require_caller() == request.caller_identity
    assert request.groups == {"admins", "editors"}
    assert request.claims["token_use"] == "id"
    assert request.header("Content-Type") == "application/json"


def test_anonymous_request(load_event: LoadEvent) -> None:
    request = parse_http_event(load_event("http_v2_get_catalog_anonymous.json"))
    assert request.jwt_claims is None
    assert request.claims == {}
    assert request.caller_identity is None
    assert request.groups == frozenset()
    with pytest.raises(HttpError) as raised:
        request.require_caller()
    assert raised.value.status == 401
    assert request.query_parameters == {"tag": ("paint", "music"), "q": ("a b",), "empty": ("",)}
    # Header names are lower-cased whatever the client sent.
    assert request.headers["x-forwarded-for"] == "203.0.113.9"
    assert request.header("ACCEPT") == "application/json"
    assert request.body == b""


def test_request_is_frozen_and_read_only(load_event: LoadEvent) -> None:
    request = parse_http_event(load_event("http_v2_put_handle.json"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.method = "GET"  # type: ignore[misc]
    with pytest.raises(TypeError):
        request.headers["x"] = "y"  # type: ignore[index]
    # Neither the body nor the claims appear in reprs that might end up in logs.
    assert "display" not in repr(request)
    assert "ada@example.com" not in repr(request)
    assert "Bearer" not in repr(request)
    assert "PUT /handles/{handle}" in repr(request)


def test_query_falls_back_to_the_parameter_map(load_event: LoadEvent) -> None:
    event = load_event("http_v2_get_catalog_anonymous.json")
    del event["rawQueryString"]
    assert parse_http_event(event).query_parameters["tag"] == ("paint,music",)


def test_duplicate_header_spellings_are_joined(load_event: LoadEvent) -> None:
    event = load_event("http_v2_get_catalog_anonymous.json")
    event["headers"] = {"X-Tag": "a", "x-tag": "b"}
    assert parse_http_event(event).headers == {"x-tag": "a,b"}


def test_groups_as_a_list(load_event: LoadEvent) -> None:
    event = load_event("http_v2_put_handle.json")
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = ["admins"]
    assert parse_http_event(event).groups == {"admins"}


def test_binary_body(load_event: LoadEvent) -> None:
    event = load_event("http_v2_get_catalog_anonymous.json")
    payload = bytes(range(256))
    event.update(body=base64.b64encode(payload).decode(), isBase64Encoded=True)
    assert parse_http_event(event).body == payload


def test_unicode_text_body_is_utf8(load_event: LoadEvent) -> None:
    event = load_event("http_v2_get_catalog_anonymous.json")
    event["body"] = '{"name": "Zoë 🎨"}'
    request = parse_http_event(event)
    assert request.body == '{"name": "Zoë 🎨"}'.encode()
    assert request.json_body() == {"name": "Zoë 🎨"}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = event
        for part in parents:
            target = target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return mutate


_DELETE = object()


@pytest.mark.parametrize(
    "mutate",
    [
        _set("requestContext", _DELETE),
        _set("requestContext", "context"),
        _set("requestContext.http", _DELETE),
        _set("requestContext.http", []),
        _set("requestContext.http.method", _DELETE),
        _set("requestContext.http.method", 7),
        _set("requestContext.http.method", ""),
        _set("headers", ["a", "b"]),
        _set("headers", {"x": 1}),
        _set("pathParameters", {"handle": None}),
        _set("queryStringParameters", "a=b"),
        _set("rawQueryString", 5),
        _set("cookies", "a=b"),
        _set("cookies", [1]),
        _set("body", {"a": 1}),
        _set("version", "1.0"),
        _set("requestContext.authorizer", "jwt"),
        _set("requestContext.authorizer.jwt", 1),
        _set("requestContext.authorizer.jwt.claims", "sub=x"),
        _set("requestContext.requestId", 12),
        _set("routeKey", ["GET /"]),
    ],
)
def test_malformed_http_events_are_bad_requests(
    load_event: LoadEvent, mutate: Callable[[dict[str, Any]], None]
) -> None:
    event = load_event("http_v2_put_handle.json")
    mutate(event)
    error = refused(parse_http_event, event)
    assert (error.status, error.code) == (400, "bad_request")


@pytest.mark.parametrize("event", [None, [], "event", 3, {}, {"requestContext": {}}])
def test_non_events_are_bad_requests(event: Any) -> None:
    assert refused(parse_http_event, event).status == 400


def test_missing_raw_path_and_path(load_event: LoadEvent) -> None:
    event = load_event("http_v2_put_handle.json")
    del event["rawPath"]
    assert parse_http_event(event).raw_path == "/handles/ada"  # from requestContext.http.path
    del event["requestContext"]["http"]["path"]
    assert refused(parse_http_event, event).status == 400


@pytest.mark.parametrize("body", ["not base64!", "YWJ", "YW Jj", "é"])
def test_invalid_base64_body_is_a_bad_request(load_event: LoadEvent, body: str) -> None:
    event = load_event("http_v2_put_handle.json")
    event["body"] = body
    assert refused(parse_http_event, event).status == 400


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "version",
        "rawPath",
        "rawQueryString",
        "headers",
        "cookies",
        "body",
        "isBase64Encoded",
        "requestContext",
        "pathParameters",
        "queryStringParameters",
        "routeKey",
    ]
)


@given(
    replacements=st.dictionaries(_keys, _json, max_size=4),
    http=st.dictionaries(st.sampled_from(["method", "path", "sourceIp"]), _json, max_size=3),
)
@settings(max_examples=300, deadline=None)
def test_any_shape_parses_or_is_a_bad_request(
    replacements: dict[str, Any], http: dict[str, Any]
) -> None:
    """Whatever arrives, the parser returns a request or raises HttpError(400): never KeyError."""
    event: dict[str, Any] = {
        "version": "2.0",
        "rawPath": "/",
        "requestContext": {"http": {"method": "GET", "path": "/", "sourceIp": "192.0.2.1"}},
    }
    event.update(replacements)
    if isinstance(event.get("requestContext"), dict) and isinstance(
        event["requestContext"].get("http"), dict
    ):
        event["requestContext"]["http"].update(http)
    try:
        assert isinstance(parse_http_event(event), HttpRequest)
    except HttpError as exc:
        assert exc.status == 400


# --- JSON bodies --------------------------------------------------------------------------


def test_decode_json_accepts_json() -> None:
    assert decode_json(b'{"a": [1, 2.5, null, true]}', 100) == {"a": [1, 2.5, None, True]}
    assert decode_json(b"[]", 2) == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"a": 1}' + b" " * 100, 413, "payload_too_large"),
        (b"", 400, "invalid_json"),
        (b"   ", 400, "invalid_json"),
        (b"{", 400, "invalid_json"),
        (b"{'a': 1}", 400, "invalid_json"),
        (b'{"a": NaN}', 400, "invalid_json"),
        (b"Infinity", 400, "invalid_json"),
        (b'{"a": "\xff"}', 400, "invalid_json"),
        (b'"\xed\xa0\x80"', 400, "invalid_json"),  # a lone surrogate in UTF-8
    ],
)
def test_decode_json_refuses(body: bytes, status: int, code: str) -> None:
    with pytest.raises(HttpError) as raised:
        decode_json(body, 100)
    assert (raised.value.status, raised.value.code) == (status, code)


def test_deeply_nested_json_is_a_bad_request_not_a_crash() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(HttpError) as raised:
        decode_json(body, len(body))
    assert raised.value.status == 400


def test_lone_surrogate_in_a_text_body_is_invalid_json(load_event: LoadEvent) -> None:
    event = load_event("http_v2_get_catalog_anonymous.json")
    event["body"] = '{"a": "\ud800"}'
    with pytest.raises(HttpError) as raised:
        parse_http_event(event).json_body()
    assert raised.value.status == 400


# --- WebSocket ----------------------------------------------------------------------------


def test_websocket_connect(load_event: LoadEvent) -> None:
    request = parse_websocket_event(load_event("websocket_connect.json"))
    assert request.route_key == "$connect"
    assert request.event_type == "CONNECT"
    assert request.connection_id == "SxEDxeB8oAMCJSA="
    assert request.domain_name == "collab.whimsy.space"
    assert request.stage == "production"
    assert request.query("token") == "abc.def.ghi"
    assert request.query_parameters["doc"] == ("d1", "d2")  # all values, from the multi map
    assert request.headers["sec-websocket-version"] == "13"
    assert request.source_ip == "192.0.2.44"
    assert request.request_id == "SxEDxFqUoAMFzTQ="
    assert request.body == b""
    # The custom domain's API mapping selects the stage already.
    assert request.management_endpoint == "https://collab.whimsy.space"
    assert "abc.def.ghi" not in repr(request)  # the token


def test_websocket_message(load_event: LoadEvent) -> None:
    request = parse_websocket_event(load_event("websocket_message.json"))
    assert isinstance(request, WebSocketRequest)
    assert (request.route_key, request.event_type) == ("op", "MESSAGE")
    assert request.query_parameters == {}
    assert request.headers == {}
    assert request.json_body() == {"action": "op", "doc": "d1", "ops": [{"insert": "hi", "at": 0}]}
    assert request.management_endpoint == (
        "https://w1x2y3z4a5.execute-api.us-east-1.amazonaws.com/production"
    )
    with pytest.raises(HttpError) as raised:
        request.json_body(max_bytes=10)
    assert raised.value.status == 413


def test_websocket_disconnect(load_event: LoadEvent) -> None:
    request = parse_websocket_event(load_event("websocket_disconnect.json"))
    assert (request.route_key, request.event_type) == ("$disconnect", "DISCONNECT")


def test_websocket_single_value_query_map(load_event: LoadEvent) -> None:
    event = load_event("websocket_connect.json")
    del event["multiValueQueryStringParameters"]
    assert parse_websocket_event(event).query_parameters == {
        "token": ("abc.def.ghi",),
        "doc": ("d2",),
    }


@pytest.mark.parametrize(
    "mutate",
    [
        _set("requestContext", _DELETE),
        _set("requestContext.connectionId", _DELETE),
        _set("requestContext.connectionId", ""),
        _set("requestContext.routeKey", None),
        _set("requestContext.domainName", 1),
        _set("requestContext.stage", _DELETE),
        _set("requestContext.identity", "x"),
        _set("multiValueQueryStringParameters", {"token": "abc"}),
        _set("multiValueQueryStringParameters", ["token"]),
        _set("headers", {"Host": ["a"]}),
        _set("body", 5),
    ],
)
def test_malformed_websocket_events_are_bad_requests(
    load_event: LoadEvent, mutate: Callable[[dict[str, Any]], None]
) -> None:
    event = load_event("websocket_connect.json")
    mutate(event)
    assert refused(parse_websocket_event, event).status == 400


def test_the_raw_query_string_is_kept_verbatim_for_proxies(load_event: LoadEvent) -> None:
    event = load_event("http_v2_aws_docs.json")
    event["rawQueryString"] = "b=2&a=%2F&a=x+y"
    request = parse_http_event(event)
    assert request.raw_query == "b=2&a=%2F&a=x+y"
    assert request.query_parameters["a"] == ("/", "x y")
    assert "raw_query" not in repr(request)
    del event["rawQueryString"]
    assert parse_http_event(event).raw_query == ""
