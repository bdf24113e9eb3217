"""Cognito JWT verification against real RS256 tokens made with `cryptography` and PyJWT."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, given, settings, strategies as st
from whimsy_runtime.auth import (
    CognitoVerifier,
    InvalidToken,
    JwksUnavailable,
    RsaPublicKey,
    b64url_decode,
    bearer_token,
    parse_jwks,
    verify_rs256,
)

REGION = "us-east-1"
POOL = "us-east-1_AbCdEf123"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
CLIENT = "4e3k5n2example7clientid0abc"
NOW = 1_707_500_000.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class Key:
    kid: str
    private: rsa.RSAPrivateKey

    @property
    def public_numbers(self) -> rsa.RSAPublicNumbers:
        return self.private.public_key().public_numbers()

    @property
    def jwk(self) -> dict[str, str]:
        numbers = self.public_numbers
        return {
            "alg": "RS256",
            "e": int_b64url(numbers.e),
            "kid": self.kid,
            "kty": "RSA",
            "n": int_b64url(numbers.n),
            "use": "sig",
        }

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def make_key(kid: str, bits: int = 2048) -> Key:
    return Key(kid, rsa.generate_private_key(public_exponent=65537, key_size=bits))


@pytest.fixture(scope="session")
def key() -> Key:
    return make_key("kid-one")


@pytest.fixture(scope="session")
def second_key() -> Key:
    return make_key("kid-two")


@pytest.fixture(scope="session")
def rogue_key() -> Key:
    """Not in the pool's JWKS."""
    return make_key("kid-rogue")


@dataclass
class FakeJwks:
    """An injectable JWKS fetcher that counts its calls and can fail or rotate keys."""

    keys: list[Key]
    calls: list[str] = field(default_factory=list)
    fail: bool = False

    def __call__(self, url: str) -> Mapping[str, Any]:
        self.calls.append(url)
        if self.fail:
            raise OSError("network unreachable")
        return {"keys": [k.jwk for k in self.keys]}


@dataclass
class Clock:
    now: float = NOW + 10

    def __call__(self) -> float:
        return self.now


def id_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "8f3b2c1d-4e5f-4a6b-9c7d-0e1f2a3b4c5d",
        "email_verified": True,
        "iss": ISSUER,
        "cognito:username": "ada",
        "origin_jti": "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
        "aud": CLIENT,
        "event_id": "2f1c0e9e-7c43-4b5e-9d1a-5f0c7c5f0a11",
        "token_use": "id",
        "auth_time": int(NOW),
        "exp": int(NOW) + 3600,
        "iat": int(NOW),
        "jti": "0c8d7f7e-1b2a-4c3d-8e9f-a0b1c2d3e4f5",
        "email": "ada@example.com",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def access_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "8f3b2c1d-4e5f-4a6b-9c7d-0e1f2a3b4c5d",
        "iss": ISSUER,
        "client_id": CLIENT,
        "origin_jti": "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
        "event_id": "2f1c0e9e-7c43-4b5e-9d1a-5f0c7c5f0a11",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": int(NOW),
        "exp": int(NOW) + 3600,
        "iat": int(NOW),
        "jti": "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
        "username": "ada",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key: Key, claims: Mapping[str, Any], kid: str | None = None) -> str:
    return jwt.encode(dict(claims), key.private, algorithm="RS256", headers={"kid": kid or key.kid})


def unsigned(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """header.payload with no signature, both compactly JSON-encoded."""

    def encode(value: Mapping[str, Any]) -> str:
        return b64url(json.dumps(value, separators=(",", ":")).encode())

    return f"{encode(header)}.{encode(claims)}"


def make_verifier(fetcher: FakeJwks, clock: Clock | None = None, **options: Any) -> CognitoVerifier:
    return CognitoVerifier(POOL, CLIENT, fetch_jwks=fetcher, clock=clock or Clock(), **options)


def reason_of(verifier: CognitoVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as raised:
        verifier.verify(token)
    return raised.value.reason


# --- valid tokens -------------------------------------------------------------------------


def test_valid_id_token_returns_its_claims(key: Key) -> None:
    fetcher = FakeJwks([key])
    claims = make_verifier(fetcher).verify(sign(key, id_claims()))
    assert claims["sub"] == "8f3b2c1d-4e5f-4a6b-9c7d-0e1f2a3b4c5d"
    assert claims["cognito:username"] == "ada"
    assert fetcher.calls == [JWKS_URL]


def test_valid_access_token_when_access_tokens_are_accepted(key: Key) -> None:
    verifier = make_verifier(FakeJwks([key]), token_use="access")
    assert verifier.verify(sign(key, access_claims()))["username"] == "ada"


def test_both_token_uses_can_be_accepted(key: Key) -> None:
    verifier = make_verifier(FakeJwks([key]), token_use=("id", "access"))
    verifier.verify(sign(key, id_claims()))
    verifier.verify(sign(key, access_claims()))


def test_any_key_of_the_jwks_verifies(key: Key, second_key: Key) -> None:
    verifier = make_verifier(FakeJwks([key, second_key]))
    verifier.verify(sign(second_key, id_claims()))


def test_larger_keys_verify() -> None:
    big = make_key("kid-3072", bits=3072)
    make_verifier(FakeJwks([big])).verify(sign(big, id_claims()))


def test_issuer_and_jwks_url_come_from_the_pool_id() -> None:
    verifier = CognitoVerifier("eu-west-2_Xyz789", "client")
    assert verifier.issuer == "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Xyz789"
    assert verifier.jwks_url == verifier.issuer + "/.well-known/jwks.json"


@pytest.mark.parametrize(
    ("pool", "options"),
    [
        ("not-a-pool", {}),
        ("us-east-1_abc/../evil", {}),
        ("us-east-1_Abc", {"region": "eu-west-1"}),
        ("us-east-1_Abc", {"token_use": "refresh"}),
        ("us-east-1_Abc", {"token_use": ()}),
    ],
)
def test_bad_configuration_is_refused(pool: str, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CognitoVerifier(pool, CLIENT, **options)


# --- claims -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (id_claims(exp=int(NOW) - 3600), "token expired"),
        (id_claims(iat=int(NOW) + 3600, exp=int(NOW) + 7200), "token issued in the future"),
        (id_claims(nbf=int(NOW) + 600), "token not yet valid"),
        (id_claims(exp=None), "missing or malformed exp"),
        (id_claims(exp="1707503600"), "missing or malformed exp"),
        (id_claims(exp=True), "missing or malformed exp"),
        (id_claims(iat=None), "missing or malformed iat"),
        (
            id_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
            "wrong issuer",
        ),
        (id_claims(iss=ISSUER + "/"), "wrong issuer"),
        (id_claims(iss=None), "wrong issuer"),
        (id_claims(aud="some-other-client"), "wrong audience"),
        (id_claims(aud=None), "wrong audience"),
        (id_claims(aud=[CLIENT, "other"]), "wrong audience"),
        (id_claims(token_use="access"), "wrong token_use"),
        (id_claims(token_use=None), "wrong token_use"),
        (id_claims(sub=""), "missing sub"),
        (id_claims(sub=None), "missing sub"),
    ],
)
def test_id_token_claims_are_checked(key: Key, claims: dict[str, Any], reason: str) -> None:
    assert reason_of(make_verifier(FakeJwks([key])), sign(key, claims)) == reason


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (access_claims(client_id="some-other-client"), "wrong audience"),
        (access_claims(client_id=None), "wrong audience"),
        # An access token's `aud` is not where Cognito names the client: it must not count.
        (access_claims(client_id=None, aud=CLIENT), "wrong audience"),
        (access_claims(token_use="id"), "wrong audience"),
    ],
)
def test_access_token_client_id_is_checked(key: Key, claims: dict[str, Any], reason: str) -> None:
    verifier = make_verifier(FakeJwks([key]), token_use=("id", "access"))
    assert reason_of(verifier, sign(key, claims)) == reason


def test_access_token_refused_where_only_id_tokens_are_accepted(key: Key) -> None:
    assert reason_of(make_verifier(FakeJwks([key])), sign(key, access_claims())) == (
        "wrong token_use"
    )


def test_expiry_has_a_small_leeway(key: Key) -> None:
    clock = Clock()
    verifier = make_verifier(FakeJwks([key]), clock, leeway_seconds=30)
    token = sign(key, id_claims(exp=int(NOW) + 100))
    clock.now = NOW + 120
    verifier.verify(token)
    clock.now = NOW + 131
    assert reason_of(verifier, token) == "token expired"


# --- algorithm and header attacks ---------------------------------------------------------


def test_alg_none_is_refused(key: Key) -> None:
    verifier = make_verifier(FakeJwks([key]))
    bare = unsigned({"alg": "none", "kid": key.kid}, id_claims())
    assert reason_of(verifier, bare + ".") == "malformed segment"
    # Even with a real-looking signature attached, "none" is never accepted.
    real_signature = sign(key, id_claims()).rsplit(".", 1)[1]
    assert reason_of(verifier, f"{bare}.{real_signature}") == "unsupported alg"
    assert reason_of(
        verifier, unsigned({"alg": "None", "kid": key.kid}, id_claims()) + ".AAAA"
    ) == ("unsupported alg")


def test_hs256_signed_with_the_public_key_is_refused(key: Key) -> None:
    """The key-confusion attack: HMAC keyed by the (public) PEM the verifier also holds."""
    fetcher = FakeJwks([key])
    signing_input = unsigned({"alg": "HS256", "kid": key.kid, "typ": "JWT"}, id_claims())
    for secret in (key.public_pem, json.dumps(key.jwk).encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert reason_of(make_verifier(fetcher), f"{signing_input}.{b64url(mac)}") == (
            "unsupported alg"
        )
    assert fetcher.calls == []  # refused before any key lookup


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256", "ES256", "rs256", "RS256 ", None, 1])
def test_other_algorithms_are_refused(key: Key, alg: object) -> None:
    good = sign(key, id_claims())
    _, payload, signature = good.split(".")
    header = b64url(json.dumps({"alg": alg, "kid": key.kid}).encode())
    assert reason_of(make_verifier(FakeJwks([key])), f"{header}.{payload}.{signature}") == (
        "unsupported alg"
    )


def test_header_with_crit_or_without_kid_is_refused(key: Key) -> None:
    verifier = make_verifier(FakeJwks([key]))
    crit = jwt.encode(
        id_claims(), key.private, algorithm="RS256", headers={"kid": key.kid, "crit": ["exp"]}
    )
    assert reason_of(verifier, crit) == "unsupported critical header"
    no_kid = jwt.encode(id_claims(), key.private, algorithm="RS256")
    assert reason_of(verifier, no_kid) == "missing kid"


# --- keys: unknown kid, rotation, caching -------------------------------------------------


def test_unknown_kid_refetches_once_then_rejects(key: Key, rogue_key: Key) -> None:
    fetcher = FakeJwks([key])
    clock = Clock()
    verifier = make_verifier(fetcher, clock, min_refetch_seconds=60)
    verifier.verify(sign(key, id_claims()))
    assert len(fetcher.calls) == 1

    rogue = sign(rogue_key, id_claims())
    assert reason_of(verifier, rogue) == "unknown kid"
    assert len(fetcher.calls) == 2  # the refetch, in case Cognito rotated its keys
    for _ in range(5):
        assert reason_of(verifier, rogue) == "unknown kid"
    assert len(fetcher.calls) == 2  # rate-limited
    verifier.verify(sign(key, id_claims()))  # known keys still work meanwhile

    clock.now += 61
    assert reason_of(verifier, rogue) == "unknown kid"
    assert len(fetcher.calls) == 3


def test_rotated_key_is_picked_up_by_the_refetch(key: Key, second_key: Key) -> None:
    fetcher = FakeJwks([key])
    verifier = make_verifier(fetcher)
    verifier.verify(sign(key, id_claims()))
    fetcher.keys = [key, second_key]
    verifier.verify(sign(second_key, id_claims()))
    assert len(fetcher.calls) == 2


def test_jwks_is_cached_and_refreshed_after_its_ttl(key: Key) -> None:
    fetcher = FakeJwks([key])
    clock = Clock()
    verifier = make_verifier(fetcher, clock, jwks_ttl_seconds=3600)
    token = sign(key, id_claims(exp=int(NOW) + 86_400))
    for _ in range(10):
        verifier.verify(token)
    assert len(fetcher.calls) == 1
    clock.now += 3601
    verifier.verify(token)
    assert len(fetcher.calls) == 2


def test_jwks_fetch_failure_keeps_the_cached_keys(key: Key) -> None:
    fetcher = FakeJwks([key])
    clock = Clock()
    verifier = make_verifier(fetcher, clock, jwks_ttl_seconds=3600)
    token = sign(key, id_claims(exp=int(NOW) + 86_400))
    verifier.verify(token)
    fetcher.fail = True
    clock.now += 3601
    verifier.verify(token)
    assert len(fetcher.calls) == 2


def test_jwks_unavailable_on_a_cold_start_is_its_own_error(key: Key) -> None:
    fetcher = FakeJwks([key], fail=True)
    verifier = make_verifier(fetcher)
    token = sign(key, id_claims())
    with pytest.raises(JwksUnavailable):
        verifier.verify(token)
    for _ in range(5):
        with pytest.raises(JwksUnavailable):
            verifier.verify(token)
    assert len(fetcher.calls) <= 2  # failures are rate-limited too


def test_parse_jwks_skips_unusable_keys(key: Key) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    weak_jwk = {**key.jwk, "kid": "weak", "n": int_b64url(weak.public_numbers().n)}
    document = {
        "keys": [
            key.jwk,
            {**key.jwk, "kid": "enc", "use": "enc"},
            {**key.jwk, "kid": "ps", "alg": "PS256"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {**key.jwk, "kid": "bad-n", "n": "!!"},
            {**key.jwk, "kid": "even-e", "e": int_b64url(65536)},
            weak_jwk,
            "not a key",
        ]
    }
    assert list(parse_jwks(document)) == [key.kid]
    assert parse_jwks({"keys": "nope"}) == {}


# --- malformed and tampered tokens --------------------------------------------------------


def test_tampered_payload_is_refused(key: Key) -> None:
    header, _, signature = sign(key, id_claims()).split(".")
    forged = b64url(json.dumps(id_claims(sub="someone-else")).encode())
    assert reason_of(make_verifier(FakeJwks([key])), f"{header}.{forged}.{signature}") == (
        "bad signature"
    )


def test_tampered_signature_is_refused(key: Key) -> None:
    header, payload, signature = sign(key, id_claims()).split(".")
    raw = bytearray(b64url_decode(signature))
    raw[-1] ^= 0x01
    tampered = f"{header}.{payload}.{b64url(bytes(raw))}"
    assert reason_of(make_verifier(FakeJwks([key])), tampered) == "bad signature"


def test_signature_by_another_key_with_a_known_kid_is_refused(key: Key, rogue_key: Key) -> None:
    token = sign(rogue_key, id_claims(), kid=key.kid)
    assert reason_of(make_verifier(FakeJwks([key])), token) == "bad signature"


def test_signature_of_wrong_length_or_out_of_range_is_refused(key: Key) -> None:
    header, payload, signature = sign(key, id_claims()).split(".")
    verifier = make_verifier(FakeJwks([key]))
    raw = b64url_decode(signature)
    assert reason_of(verifier, f"{header}.{payload}.{b64url(raw[1:])}") == "bad signature"
    longer = b64url(b"\0" + raw)
    assert reason_of(verifier, f"{header}.{payload}.{longer}") == "bad signature"
    # s >= n would otherwise give a second spelling (s + n) of one valid signature.
    n = key.public_numbers.n
    public = RsaPublicKey(n, key.public_numbers.e)
    k = public.size_bytes
    assert not verify_rs256(b"x", n.to_bytes(k, "big"), public)
    assert not verify_rs256(b"x", (2 ** (8 * k) - 1).to_bytes(k, "big"), public)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda t: t[: len(t) // 2], "malformed token"),  # truncated mid-payload
        (lambda t: t.rsplit(".", 1)[0], "malformed token"),  # signature dropped
        (lambda t: t.rsplit(".", 1)[0] + ".", "malformed segment"),
        (lambda t: t + ".extra", "malformed token"),
        (lambda t: t[:-1], "malformed segment"),  # 341 characters cannot be base64url
        (lambda t: t[:-2], "bad signature"),  # 255 bytes: the wrong length for the key
        (lambda t: "", "missing token"),
        (lambda t: "..", "malformed segment"),
        (lambda t: "...", "malformed token"),
        (lambda t: "not a token", "malformed token"),
        (lambda t: "e30.e30.e30", "unsupported alg"),  # {} header
        (lambda t: "W10.e30.e30", "malformed header"),  # [] header
        (lambda t: "bm90IGpzb24.e30.e30", "malformed header"),  # not JSON
        (lambda t: "_w.e30.e30", "malformed header"),  # not UTF-8
        (lambda t: t.replace(".", ". ", 1), "malformed segment"),
        (lambda t: t.replace("e", "é", 1), "malformed token"),  # non-ASCII
        (lambda t: "A" * 5 + ".e30.e30", "malformed segment"),  # impossible length
        (lambda t: "eyJ=.e30.e30", "malformed segment"),  # padding is not base64url
        (lambda t: "eyJ+.e30.e30", "malformed segment"),  # standard alphabet
        (lambda t: "e31.e30.e30", "malformed segment"),  # non-canonical trailing bits
    ],
)
def test_malformed_tokens_are_refused_cleanly(key: Key, mangle: Any, reason: str) -> None:
    fetcher = FakeJwks([key])
    token = mangle(sign(key, id_claims()))
    assert reason_of(make_verifier(fetcher), token) == reason


def test_non_string_tokens_are_refused(key: Key) -> None:
    verifier = make_verifier(FakeJwks([key]))
    for value in (None, b"a.b.c", 42):
        assert reason_of(verifier, value) == "missing token"  # type: ignore[arg-type]


def test_oversized_token_is_refused_before_any_work(key: Key) -> None:
    fetcher = FakeJwks([key])
    big = sign(key, id_claims(padding="x" * 9000))
    assert reason_of(make_verifier(fetcher), big) == "token too long"
    assert fetcher.calls == []
    assert make_verifier(fetcher, max_token_bytes=16_384).verify(big)["padding"] == "x" * 9000


def test_garbage_never_triggers_a_jwks_fetch(key: Key) -> None:
    fetcher = FakeJwks([key])
    verifier = make_verifier(fetcher)
    for garbage in ("a.b.c", "!!!.???.###", "eyJhbGciOiJSUzI1NiJ9.%%%.abc"):
        with pytest.raises(InvalidToken):
            verifier.verify(garbage)
    assert fetcher.calls == []


# --- the RSA primitive itself -------------------------------------------------------------


@given(message=st.binary(max_size=512))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_verify_rs256_agrees_with_cryptography(key: Key, message: bytes) -> None:
    signature = key.private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    public = RsaPublicKey(key.public_numbers.n, key.public_numbers.e)
    assert verify_rs256(message, signature, public)
    assert not verify_rs256(message + b"!", signature, public)


def test_bleichenbacher_e3_forgery_is_refused(key: Key) -> None:
    """With e=3, a cube root of 00 01 FF.. 00 DigestInfo hash GARBAGE passes a verifier that
    parses the padding and ignores trailing bytes. Comparing the whole encoding refuses it."""
    message = b"header.payload"
    n = key.public_numbers.n
    k = (n.bit_length() + 7) // 8
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420")
    digest_info += hashlib.sha256(message).digest()
    prefix = b"\x00\x01" + b"\xff" * 8 + b"\x00" + digest_info
    garbage_bits = (k - len(prefix)) * 8
    target = int.from_bytes(prefix, "big") << garbage_bits
    root = _icbrt(target) + 1
    forged = root.to_bytes(k, "big")
    # The forgery really does produce the right prefix (so a lax parser would accept it)...
    assert pow(root, 3).to_bytes(k, "big").startswith(prefix)
    # ...but not the full expected encoding.
    assert not verify_rs256(message, forged, RsaPublicKey(n, 3))


def _icbrt(value: int) -> int:
    """Integer cube root (floor), by Newton's method."""
    guess = 1 << math.ceil(value.bit_length() / 3)
    while True:
        better = (2 * guess + value // (guess * guess)) // 3
        if better >= guess:
            return guess
        guess = better


# --- the property: any single changed byte invalidates the token --------------------------


@pytest.fixture(scope="module")
def signed(key: Key) -> tuple[str, CognitoVerifier]:
    verifier = make_verifier(FakeJwks([key]))
    token = sign(key, id_claims())
    verifier.verify(token)
    return token, verifier


@given(data=st.data())
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_flipping_any_byte_of_payload_or_signature_invalidates(
    signed: tuple[str, CognitoVerifier], data: st.DataObject
) -> None:
    token, verifier = signed
    start = token.index(".") + 1  # anywhere in the payload or the signature, dot included
    position = data.draw(st.integers(min_value=start, max_value=len(token) - 1), "position")
    flip = data.draw(st.integers(min_value=1, max_value=255), "xor")
    raw = bytearray(token.encode("ascii"))
    raw[position] ^= flip
    with pytest.raises(InvalidToken):
        verifier.verify(raw.decode("latin-1"))


def test_bearer_token() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer   abc ") == "abc"
    assert bearer_token("Basic dXNlcjpwYXNz") is None
    assert bearer_token("Bearer") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
    assert bearer_token("") is None
