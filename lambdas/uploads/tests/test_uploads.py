"""Presigned uploads against moto's S3: the signed policy pins key, type, size and time."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

REGION = "us-east-1"
ALICE = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"


@pytest.fixture
def uploads(aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    aws.env(
        {
            "WHIMSY_USER_FILES_BUCKET": "whimsy-fs",
            "UPLOAD_FOLDER": "paint-composer",
            "UPLOAD_MAX_BYTES": "1000",
            "UPLOAD_CONTENT_TYPES": "image/png,image/jpeg,text/x-evil",
        }
    )
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="whimsy-fs")
    module = load_handler()
    monkeypatch.setattr(
        module, "identity_of", lambda request: {"sub-alice": ALICE}[request.require_caller()]
    )
    yield module


def call(module: Any, body: Any, sub: str | None = "sub-alice") -> tuple[int, Any]:
    context: dict[str, Any] = {
        "http": {"method": "POST", "path": "/uploads", "sourceIp": "203.0.113.9"},
        "requestId": "r",
        "routeKey": "POST /uploads",
        "stage": "$default",
    }
    if sub:
        context["authorizer"] = {"jwt": {"claims": {"sub": sub}, "scopes": None}}
    response = module.handler(
        {
            "version": "2.0",
            "routeKey": "POST /uploads",
            "rawPath": "/uploads",
            "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "body": json.dumps(body),
            "requestContext": context,
            "isBase64Encoded": False,
        },
        None,
    )
    return response["statusCode"], json.loads(response["body"])


def policy(fields: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def test_the_signed_policy_pins_key_type_size_and_expiry(uploads: Any) -> None:
    status, body = call(uploads, {"content_type": "image/png"})
    assert status == 201
    key = body["key"]
    assert key.startswith(f"{ALICE}/paint-composer/") and key.endswith(".png")
    conditions = policy(body["fields"])["conditions"]
    assert {"key": key} in conditions
    assert {"bucket": "whimsy-fs"} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 1000] in conditions
    assert "expiration" in policy(body["fields"])
    assert body["fields"]["key"] == key


def test_every_upload_gets_a_new_key(uploads: Any) -> None:
    keys = {call(uploads, {"content_type": "image/jpeg"})[1]["key"] for _ in range(5)}
    assert len(keys) == 5


def test_an_upload_with_the_signed_fields_lands_in_the_callers_folder(uploads: Any) -> None:
    _, body = call(uploads, {"content_type": "image/png"})
    response = requests.post(
        body["url"], data=body["fields"], files={"file": ("a.png", b"\x89PNG")}
    )
    assert response.status_code in (200, 204)
    stored = boto3.client("s3", region_name=REGION).get_object(Bucket="whimsy-fs", Key=body["key"])
    assert stored["Body"].read() == b"\x89PNG"


@pytest.mark.parametrize(
    "body",
    [
        {"content_type": "text/html"},
        {"content_type": "text/x-evil"},
        {},
        [],
        {"content_type": None},
        "image/png",
    ],
)
def test_only_configured_known_types(uploads: Any, body: Any) -> None:
    status, answer = call(uploads, body)
    assert (status, answer["error"]) == (400, "unsupported_type")


def test_the_caller_cannot_choose_the_key(uploads: Any) -> None:
    status, body = call(uploads, {"content_type": "image/png", "key": "us-east-1:other/x.png"})
    assert status == 201 and body["key"].startswith(f"{ALICE}/")


def test_anonymous_callers_are_refused(uploads: Any) -> None:
    assert call(uploads, {"content_type": "image/png"}, sub=None)[0] == 401
