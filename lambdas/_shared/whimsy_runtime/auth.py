"""Cognito JWT verification for tokens that bypass API Gateway's JWT authorizer.

The WebSocket $connect route and the subdomain proxy receive raw tokens, so they verify them
here. Only the standard library is used: the Lambda runtime has no `cryptography`, and RS256
verification is small enough to write out and review.

    verifier = CognitoVerifier("us-east-1_AbCdEf123", client_id="...")   # at module scope
    claims = verifier.verify(token)                                       # per request

Create the verifier once per container: it caches the pool's signing keys (JWKS).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .logging import get_logger

JwksFetcher = Callable[[str], Mapping[str, Any]]

MAX_TOKEN_BYTES = 8 * 1024
_MAX_JWKS_BYTES = 64 * 1024
# DER prefix of DigestInfo{sha256, NULL}, from RFC 8017 section 9.2, note 1.
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_POOL_ID = re.compile(r"(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d+)_[0-9A-Za-z]+")
_TOKEN_USES = frozenset({"id", "access"})

_log = get_logger("whimsy.auth")


class InvalidToken(Exception):
    """The token must not be trusted. `reason` is short, for logs; tell callers only "401"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JwksUnavailable(InvalidToken):
    """The pool's signing keys could not be fetched: our problem (503), not the caller's."""


@dataclass(frozen=True)
class RsaPublicKey:
    n: int
    e: int

    @property
    def size_bytes(self) -> int:
        return (self.n.bit_length() + 7) // 8


def b64url_decode(segment: str) -> bytes:
    """Strict, unpadded base64url: a single spelling per value, so no two tokens decode alike."""
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise InvalidToken("malformed segment")
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    # Unused low bits of the last character must be zero, or the encoding is not canonical.
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != segment:
        raise InvalidToken("malformed segment")
    return data


def verify_rs256(signing_input: bytes, signature: bytes, key: RsaPublicKey) -> bool:
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 8.2.2).

    The whole expected encoded message is rebuilt and compared in constant time. Parsing the
    padding instead is how Bleichenbacher-style forgeries against e=3 keys got through.
    """
    k = key.size_bytes
    if len(signature) != k:
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    encoded = pow(s, key.e, key.n).to_bytes(k, "big")
    digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def parse_jwks(document: Mapping[str, Any]) -> dict[str, RsaPublicKey]:
    """{kid: key} for the RS256 signing keys of a JWKS; other and malformed keys are skipped."""
    keys: dict[str, RsaPublicKey] = {}
    entries = document.get("keys")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if entry.get("alg", "RS256") != "RS256" or entry.get("use", "sig") != "sig":
            continue
        kid, n, e = entry.get("kid"), entry.get("n"), entry.get("e")
        if not (isinstance(kid, str) and isinstance(n, str) and isinstance(e, str)):
            continue
        try:
            key = RsaPublicKey(
                n=int.from_bytes(b64url_decode(n), "big"), e=int.from_bytes(b64url_decode(e), "big")
            )
        except InvalidToken:
            continue
        # Cognito uses 2048-bit keys with e=65537; refuse weak or absurd parameters.
        if 2048 <= key.n.bit_length() <= 8192 and key.e >= 3 and key.e % 2 == 1:
            keys[kid] = key
    return keys


def fetch_jwks(url: str, timeout: float = 3.0) -> Mapping[str, Any]:
    """GET a JWKS document over HTTPS."""
    if not url.startswith("https://"):
        raise ValueError("JWKS must be fetched over https")
    import urllib.request  # lazily: ~20 ms of cold start, paid only on the first fetch

    request = urllib.request.Request(url, headers={"accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read(_MAX_JWKS_BYTES + 1)
    if len(body) > _MAX_JWKS_BYTES:
        raise ValueError("JWKS document too large")
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError("JWKS document is not an object")
    return document


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise InvalidToken(f"malformed {what}") from None
    if not isinstance(value, dict):
        raise InvalidToken(f"malformed {what}")
    return value


def _time_claim(claims: Mapping[str, Any], name: str, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidToken(f"missing or malformed {name}")
    return float(value)


def _since(moment: float | None, now: float) -> float:
    return math.inf if moment is None else now - moment


class CognitoVerifier:
    """Verifies RS256 tokens of one Cognito user pool and app client."""

    def __init__(
        self,
        user_pool_id: str,
        client_id: str,
        *,
        region: str | None = None,
        token_use: str | Collection[str] = "id",
        fetch_jwks: JwksFetcher = fetch_jwks,
        clock: Callable[[], float] = time.time,
        leeway_seconds: float = 30.0,
        jwks_ttl_seconds: float = 3600.0,
        min_refetch_seconds: float = 60.0,
        max_token_bytes: int = MAX_TOKEN_BYTES,
    ) -> None:
        match = _POOL_ID.fullmatch(user_pool_id)
        if match is None:
            raise ValueError(f"not a Cognito user pool id: {user_pool_id!r}")
        if region is not None and region != match["region"]:
            raise ValueError(f"user pool {user_pool_id} is not in region {region}")
        if not client_id:
            raise ValueError("client_id is required")
        uses = frozenset({token_use} if isinstance(token_use, str) else token_use)
        if not uses or not uses <= _TOKEN_USES:
            raise ValueError(f"token_use must be 'id' and/or 'access', got {sorted(uses)}")

        self.issuer = f"https://cognito-idp.{match['region']}.amazonaws.com/{user_pool_id}"
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"
        self.client_id = client_id
        self.token_uses = uses
        self._fetch = fetch_jwks
        self._clock = clock
        self._leeway = leeway_seconds
        self._ttl = jwks_ttl_seconds
        self._min_refetch = min_refetch_seconds
        self._max_token_bytes = max_token_bytes
        self._lock = threading.Lock()
        self._keys: dict[str, RsaPublicKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._kid_refetch_at: float | None = None  # last fetch caused by an unknown kid

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it is valid for this pool and client; else InvalidToken."""
        if not isinstance(token, str) or not token:
            raise InvalidToken("missing token")
        if len(token) > self._max_token_bytes:
            raise InvalidToken("token too long")
        if not token.isascii() or token.count(".") != 2:
            raise InvalidToken("malformed token")
        header_b64, payload_b64, signature_b64 = token.split(".")
        # Decode everything before any network access, so garbage never triggers a fetch.
        header = _json_object(b64url_decode(header_b64), "header")
        payload = b64url_decode(payload_b64)
        signature = b64url_decode(signature_b64)

        # Only RS256: "none", HS256 (signed with the public key as secret) and friends are out.
        if header.get("alg") != "RS256":
            raise InvalidToken("unsupported alg")
        if "crit" in header:
            raise InvalidToken("unsupported critical header")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("missing kid")

        key = self._key(kid)
        if not verify_rs256(f"{header_b64}.{payload_b64}".encode("ascii"), signature, key):
            raise InvalidToken("bad signature")
        claims = _json_object(payload, "payload")
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        exp = _time_claim(claims, "exp", required=True)
        iat = _time_claim(claims, "iat", required=True)
        nbf = _time_claim(claims, "nbf", required=False)
        if exp is not None and now > exp + self._leeway:
            raise InvalidToken("token expired")
        if iat is not None and iat > now + self._leeway:
            raise InvalidToken("token issued in the future")
        if nbf is not None and nbf > now + self._leeway:
            raise InvalidToken("token not yet valid")
        if claims.get("iss") != self.issuer:
            raise InvalidToken("wrong issuer")
        use = claims.get("token_use")
        if use not in self.token_uses:
            raise InvalidToken("wrong token_use")
        # Id tokens name the app client in `aud`; access tokens in `client_id` (no `aud`).
        audience = claims.get("aud") if use == "id" else claims.get("client_id")
        if audience != self.client_id:
            raise InvalidToken("wrong audience")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidToken("missing sub")

    def _key(self, kid: str) -> RsaPublicKey:
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self._ttl
            if stale and _since(self._attempted_at, now) >= self._min_refetch:
                self._refresh(now)
            elif kid not in self._keys and _since(self._kid_refetch_at, now) >= self._min_refetch:
                # An unknown kid may mean Cognito rotated its keys: refetch once, rate-limited
                # so that tokens with made-up kids cannot make every request fetch.
                self._kid_refetch_at = now
                self._refresh(now)
            if kid in self._keys:
                return self._keys[kid]
            if self._fetched_at is None:
                raise JwksUnavailable("signing keys unavailable")
            raise InvalidToken("unknown kid")

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            keys = parse_jwks(self._fetch(self.jwks_url))
        except Exception as exc:
            # Keep serving the keys we have: a JWKS hiccup should not sign everyone out.
            _log.warning("jwks fetch failed", url=self.jwks_url, error=type(exc).__name__)
            return
        if not keys:
            _log.warning("jwks has no usable RS256 keys", url=self.jwks_url)
            return
        self._keys = keys
        self._fetched_at = now
