"""Hostile and mistaken messages get an error message, never a crash or a changed document;
the $connect authorizer admits only valid tokens of the pool."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import FakeManagement, event

POOL = "us-east-1_Example"
CLIENT_ID = "web-client"


def errors(fake: FakeManagement, connection: str) -> list[str]:
    return [m["code"] for m in fake.inbox.get(connection, []) if m["type"] == "error"]


def joined(module: Any, fake: FakeManagement, connection: str, sub: str) -> None:
    assert module.handler(event("$connect", connection, sub=sub), None)["statusCode"] == 200
    module.handler(event("join", connection, {"action": "join", "doc": "d"}), None)
    assert fake.inbox[connection].popleft()["type"] == "joined"


def text(module: Any) -> str:
    return str(module.current("d", module._meta("d", "x"))[0])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "bad_json"),
        ([1, 2], "bad_json"),
        ({"action": "dance"}, "unknown_action"),
        ({"action": "op", "doc": "d", "rev": 5, "op": ["x"]}, "future_rev"),
        ({"action": "op", "doc": "d", "rev": 0, "op": [3, "x"]}, "bad_op"),
        ({"action": "op", "doc": "d", "rev": 0, "op": "x"}, "bad_op"),
        ({"action": "op", "doc": "d", "rev": -1, "op": ["x"]}, "bad_rev"),
        ({"action": "op", "doc": "d", "rev": True, "op": ["x"]}, "bad_rev"),
        ({"action": "op", "doc": "other", "rev": 0, "op": ["x"]}, "not_joined"),
        ({"action": "op", "doc": "", "rev": 0, "op": ["x"]}, "bad_doc"),
        ({"action": "op", "doc": "d", "rev": 0, "op": ["x"], "id": "i" * 65}, "bad_id"),
        ({"action": "join", "doc": "x" * 200}, "bad_doc"),
        ({"action": "op", "doc": "d", "rev": 0, "op": ["y" * 5000]}, "too_large"),
    ],
)
def test_bad_messages_get_errors_and_change_nothing(server: Any, body: Any, code: str) -> None:
    module, fake = server
    joined(module, fake, "c1", "owner")
    response = module.handler(event("op", "c1", body), None)
    assert response["statusCode"] == 200
    assert errors(fake, "c1") == [code]
    assert text(module) == ""


def test_readers_cannot_write_and_strangers_cannot_join(server: Any) -> None:
    module, fake = server
    joined(module, fake, "c1", "owner")
    module.handler(event("op", "c1", {"action": "op", "doc": "d", "rev": 0, "op": ["hi"]}), None)
    assert module.handler(event("$connect", "c2", sub="stranger"), None)["statusCode"] == 200
    module.handler(event("join", "c2", {"action": "join", "doc": "d"}), None)
    assert errors(fake, "c2") == ["forbidden"]
    module.handler(event("op", "c2", {"action": "op", "doc": "d", "rev": 1, "op": [2, "!"]}), None)
    assert text(module) == "hi"


def test_gone_connections_are_dropped(server: Any) -> None:
    module, fake = server
    joined(module, fake, "c1", "owner")
    joined(module, fake, "c2", "owner")
    fake.gone.add("c2")
    module.handler(
        event("op", "c1", {"action": "op", "doc": "d", "rev": 0, "op": ["hi"], "id": "a"}), None
    )
    assert fake.inbox["c1"][-1] == {"type": "ack", "doc": "d", "rev": 1, "id": "a"}
    with pytest.raises(module.Refused):
        module._connection("c2")  # forgotten when its post failed


def test_connect_without_an_authorized_sub_is_refused(server: Any) -> None:
    module, _ = server
    assert module.handler(event("$connect", "c9"), None)["statusCode"] == 401


@pytest.fixture
def pool_keys(monkeypatch: pytest.MonkeyPatch) -> Any:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()

    def b64(n: int) -> str:
        return (
            base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big"))
            .rstrip(b"=")
            .decode()
        )

    jwks = {
        "keys": [
            {
                "kty": "RSA",
                "kid": "k1",
                "alg": "RS256",
                "use": "sig",
                "n": b64(numbers.n),
                "e": b64(numbers.e),
            }
        ]
    }
    monkeypatch.setenv("WHIMSY_USER_POOL_ID", POOL)
    monkeypatch.setenv("WHIMSY_USER_POOL_CLIENT_ID", CLIENT_ID)
    return key, jwks


def token(key: Any, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "alice-sub",
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}",
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_the_authorizer_admits_valid_tokens_only(
    server: Any, pool_keys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, _ = server
    key, jwks = pool_keys
    from whimsy_runtime import CognitoVerifier

    monkeypatch.setattr(
        module,
        "_verifier",
        CognitoVerifier(
            POOL, CLIENT_ID, token_use=("id", "access"), fetch_jwks=lambda url, timeout=3.0: jwks
        ),
    )

    def decide(value: str) -> tuple[str, str]:
        answer = module.handler(
            {
                "type": "REQUEST",
                "methodArn": "arn:aws:execute-api:us-east-1:1:abc/live/$connect",
                "queryStringParameters": {"token": value},
            },
            None,
        )
        return answer["policyDocument"]["Statement"][0]["Effect"], answer["context"]["sub"]

    assert decide(token(key)) == ("Allow", "alice-sub")
    assert decide(token(key, exp=int(time.time()) - 3600))[0] == "Deny"
    assert decide(token(key, aud="someone-else"))[0] == "Deny"
    assert decide("garbage")[0] == "Deny"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert decide(token(other))[0] == "Deny"
    assert json.dumps(decide(token(key)))  # serializable answer
