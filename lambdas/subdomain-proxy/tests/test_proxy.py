"""The subdomain proxy against moto's S3 and DynamoDB, driven by API Gateway v2 events."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
BUCKET = "whimsy-fs"
ALICE = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
BOB = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca428"
PNG = bytes(range(256)) * 8  # binary, every byte value
PUBLIC = {
    "index.html": b"<h1>alice</h1>",
    "img.png": PNG,
    "sub/index.html": b"<h2>sub</h2>",
    "notes.txt": b"hello world",
    "big.bin": b"x" * (5 * 1024 * 1024),
}
PRIVATE = {
    f"{ALICE}/drafts/secret.txt": b"SECRET-A",
    f"{BOB}/public/index.html": b"<h1>bob</h1>",
    f"{ALICE}/drafts/public/leak.txt": b"SECRET-NESTED",
}


@pytest.fixture
def proxy(aws: Any, load_handler: Any) -> Iterator[Any]:
    aws.env(
        {
            "WHIMSY_APEX": "whimsy.space",
            "WHIMSY_HANDLES_TABLE": "handles",
            "WHIMSY_USAGE_TABLE": "usage",
            "WHIMSY_USER_FILES_BUCKET": BUCKET,
            "WHIMSY_RESERVED_HANDLES": "api,www",
            "WHIMSY_SITE_CACHE_SECONDS": "300",
        }
    )
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    for name, data in PUBLIC.items():
        s3.put_object(Bucket=BUCKET, Key=f"{ALICE}/public/{name}", Body=data)
    for key, data in PRIVATE.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    aws.table("handles")
    aws.table("usage", "pk", "sk")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for handle, identity in (("alice", ALICE), ("bob", BOB)):
        dynamodb.put_item(
            TableName="handles",
            Item={"pk": {"S": f"handle#{handle}"}, "identity_id": {"S": identity}},
        )
    module = load_handler()  # fresh caches and clients inside this mock
    yield module


def event(
    path: str,
    host: str | None = "alice.whimsy.space",
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = {**({"x-whimsy-host": host} if host is not None else {}), **(headers or {})}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": all_headers,
        "isBase64Encoded": False,
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
        },
    }


def call(proxy: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = proxy.handler(event(*args, **kwargs), None)
    return response


def body(response: dict[str, Any]) -> bytes:
    raw = response.get("body", "")
    return base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()


def test_serves_index_for_the_site_root_and_folders(proxy: Any) -> None:
    root = call(proxy, "/")
    assert root["statusCode"] == 200 and body(root) == b"<h1>alice</h1>"
    assert root["headers"]["content-type"] == "text/html; charset=utf-8"
    assert root["headers"]["cache-control"] == "public, max-age=300"
    assert body(call(proxy, "/sub/")) == b"<h2>sub</h2>"


def test_binary_files_arrive_intact(proxy: Any) -> None:
    response = call(proxy, "/img.png")
    assert response["isBase64Encoded"] is True
    assert body(response) == PNG
    assert response["headers"]["content-type"] == "image/png"


def test_conditional_requests_answer_304(proxy: Any) -> None:
    first = call(proxy, "/notes.txt")
    etag, modified = first["headers"]["etag"], first["headers"]["last-modified"]
    assert call(proxy, "/notes.txt", headers={"if-none-match": etag})["statusCode"] == 304
    assert call(proxy, "/notes.txt", headers={"if-modified-since": modified})["statusCode"] == 304
    changed = call(proxy, "/notes.txt", headers={"if-none-match": '"other"'})
    assert changed["statusCode"] == 200


def test_ranges(proxy: Any) -> None:
    partial = call(proxy, "/notes.txt", headers={"range": "bytes=0-4"})
    assert partial["statusCode"] == 206 and body(partial) == b"hello"
    assert partial["headers"]["content-range"] == "bytes 0-4/11"
    assert call(proxy, "/notes.txt", headers={"range": "bytes=500-"})["statusCode"] == 416


def test_head_has_headers_and_no_body(proxy: Any) -> None:
    response = call(proxy, "/notes.txt", method="HEAD")
    assert response["statusCode"] == 200 and "body" not in response
    assert response["headers"]["content-length"] == "11"


def test_large_objects_redirect_to_a_short_lived_url(proxy: Any) -> None:
    response = call(proxy, "/big.bin")
    assert response["statusCode"] == 302
    location = response["headers"]["location"]
    assert f"/{ALICE}/public/big.bin".replace(":", "%3A") in location or ALICE in location
    assert "Expires=" in location or "X-Amz-Expires=300" in location


def test_unknown_handles_and_files_get_the_404_page(proxy: Any) -> None:
    for response in (
        call(proxy, "/", host="nobody.whimsy.space"),
        call(proxy, "/missing.txt"),
        call(proxy, "/", host="www.whimsy.space"),
    ):
        assert response["statusCode"] == 404
        assert b"Not found" in body(response)


def test_other_methods_are_refused(proxy: Any) -> None:
    response = call(proxy, "/", method="POST")
    assert response["statusCode"] == 405 and response["headers"]["allow"] == "GET, HEAD"


HOSTILE_PATHS = [
    "/../drafts/secret.txt",
    "/%2e%2e/drafts/secret.txt",
    "/%2E%2E/drafts/secret.txt",
    "/..%2fdrafts/secret.txt",
    "/..%2Fdrafts%2Fsecret.txt",
    "/.%2e/drafts/secret.txt",
    "/..\\drafts\\secret.txt",
    "/%5c..%5cdrafts%5csecret.txt",
    "/%00",
    "/index.html%00.png",
    "/" + "a" * 2000,
    "//drafts/secret.txt",
    "/./index.html",
    "/%252e%252e/drafts/secret.txt",
    "/sub/../../drafts/secret.txt",
    "/%c0%ae%c0%ae/drafts/secret.txt",
    "/%ff",
    "/a\x01b",
    "/..",
    "/.",
    "/sub/..",
    "/%2e",
    "drafts/secret.txt",
    "/../../" + BOB + "/public/index.html",
    "/../public/leak.txt",
    "/..;/drafts/secret.txt",
]
HOSTILE_HOSTS = [
    None,
    "",
    "evil.com",
    "alice.whimsy.space.evil.com",
    "a.b.whimsy.space",
    "whimsy.space",
    "-alice.whimsy.space",
    "alice-.whimsy.space",
    "alice..whimsy.space",
    ".whimsy.space",
    "alice.whimsy.space:",
    "alice.whimsy.space:abc",
    "alice.whimsy.space:443:1",
    "alice.whimsy.space\r\nx-injected: 1",
    "ALİCE.whimsy.space",
    "alice.whimsy.space.",
    "api.whimsy.space",
    "*.whimsy.space",
    "al ice.whimsy.space",
    "x" * 300 + ".whimsy.space",
]
SECRETS = (b"SECRET-A", b"SECRET-NESTED", b"<h1>bob</h1>")


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths_never_leave_the_public_folder(proxy: Any, path: str) -> None:
    response = call(proxy, path)
    assert response["statusCode"] < 500
    assert response["statusCode"] in (400, 404), (path, response["statusCode"])
    assert not any(secret in body(response) for secret in SECRETS)


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_hostile_hosts_are_refused(proxy: Any, host: str | None) -> None:
    response = call(proxy, "/", host=host)
    assert response["statusCode"] in (400, 404), (host, response["statusCode"])
    assert not any(secret in body(response) for secret in SECRETS)


@pytest.mark.parametrize(
    "host", ["ALICE.WHIMSY.SPACE", "alice.whimsy.space:443", " alice.whimsy.space "]
)
def test_host_spellings_of_a_real_site_serve_that_site(proxy: Any, host: str) -> None:
    assert body(call(proxy, "/", host=host)) == b"<h1>alice</h1>"


def test_metering_is_batched_and_counts_bytes(proxy: Any) -> None:
    proxy.meter.clock = lambda: 1_000_000.0
    proxy.meter.last_flush = 1_000_000.0
    for _ in range(3):
        call(proxy, "/notes.txt")
    call(proxy, "/", host="bob.whimsy.space")
    usage = boto3.client("dynamodb", region_name=REGION)
    assert usage.scan(TableName="usage")["Items"] == []  # nothing written per request
    assert proxy.meter.flush() == 2
    items = {i["pk"]["S"]: i for i in usage.scan(TableName="usage")["Items"]}
    alice = items[f"host#{ALICE}"]
    assert alice["sk"]["S"] == "1970-01-12#anonymous"
    assert (alice["requests"]["N"], alice["bytes"]["N"]) == ("3", "33")
    assert items[f"host#{BOB}"]["requests"]["N"] == "1"


def test_metering_failure_never_breaks_serving(proxy: Any) -> None:
    boto3.client("dynamodb", region_name=REGION).delete_table(TableName="usage")
    proxy.meter.clock = lambda: 10**9
    proxy.meter.last_flush = 0.0  # due on every request
    response = call(proxy, "/notes.txt")
    assert response["statusCode"] == 200 and body(response) == b"hello world"
    assert proxy.meter.pending  # kept for the next flush


def test_an_invalid_token_is_metered_as_anonymous(
    proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHIMSY_USER_POOL_ID", "us-east-1_Example")
    monkeypatch.setenv("WHIMSY_USER_POOL_CLIENT_ID", "client")
    response = call(proxy, "/notes.txt", headers={"authorization": "Bearer not.a.token"})
    assert response["statusCode"] == 200
    assert [key[1] for key in proxy.meter.pending] == ["anonymous"]


def test_handle_lookups_are_cached(proxy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    call(proxy, "/")
    calls = []
    real = proxy.client("dynamodb").get_item
    monkeypatch.setattr(
        proxy.client("dynamodb"), "get_item", lambda **kw: calls.append(kw) or real(**kw)
    )
    call(proxy, "/notes.txt")
    assert calls == []
    assert json.dumps(proxy.owner_of.cache["alice"][0]) == json.dumps(ALICE)
