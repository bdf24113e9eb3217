"""Per-owner signing keys and the identity headers the gateway adds to every upstream call.

Each owner's key is HKDF-SHA256 of the platform secret with the owner's identity id as
`info`, so every owner has a key of their own: knowing yours does not let you forge calls to
anyone else's upstream, and the platform secret itself never leaves Secrets Manager. Owners
fetch their key at GET /services/key.

The signature is HMAC-SHA256 over these lines, joined with "\\n" (see whimsy_verify.py, the
reference verifier owners copy, which shares no code with this module on purpose):

    WHIMSY-V1
    <Whimsy-Timestamp: unix seconds>
    <Whimsy-Request-Id>
    <method, upper case>
    <request target as the upstream receives it: path and ?query>
    <Host header as the upstream receives it>
    <Whimsy-Service: handle/service>
    <Whimsy-Caller: caller identity id, or "anonymous">
    <lowercase hex SHA-256 of the request body>
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

VERSION = "v1"
SCHEME = "WHIMSY-V1"
_SALT = b"whimsy.space services v1"
ANONYMOUS = "anonymous"

CALLER = "Whimsy-Caller"
TIMESTAMP = "Whimsy-Timestamp"
REQUEST_ID = "Whimsy-Request-Id"
SERVICE = "Whimsy-Service"
KEY_ID = "Whimsy-Key-Id"
SIGNATURE = "Whimsy-Signature"


def hkdf_sha256(secret: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 HKDF with SHA-256."""
    prk = hmac.new(salt, secret, hashlib.sha256).digest()
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output += block
        counter += 1
    return output[:length]


def owner_key(platform_secret: str, owner: str) -> bytes:
    if len(platform_secret.encode()) < 32:
        raise ValueError("the platform signing secret must be at least 32 bytes")
    return hkdf_sha256(platform_secret.encode(), _SALT, b"owner:" + owner.encode())


def key_id(key: bytes) -> str:
    """A short public name for a key, so owners notice when the platform rotates it."""
    return hashlib.sha256(b"whimsy key id:" + key).hexdigest()[:16]


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


def canonical(
    *,
    timestamp: int,
    request_id: str,
    method: str,
    target: str,
    host: str,
    service: str,
    caller: str,
    body: bytes,
) -> bytes:
    lines = [
        SCHEME,
        str(timestamp),
        request_id,
        method.upper(),
        target,
        host,
        service,
        caller,
        hashlib.sha256(body).hexdigest(),
    ]
    return "\n".join(lines).encode("utf-8")


def identity_headers(
    key: bytes,
    *,
    timestamp: int,
    request_id: str,
    method: str,
    target: str,
    host: str,
    service: str,
    caller: str,
    body: bytes,
) -> Mapping[str, str]:
    message = canonical(
        timestamp=timestamp,
        request_id=request_id,
        method=method,
        target=target,
        host=host,
        service=service,
        caller=caller,
        body=body,
    )
    signature = hmac.new(key, message, hashlib.sha256).hexdigest()
    return {
        CALLER: caller,
        TIMESTAMP: str(timestamp),
        REQUEST_ID: request_id,
        SERVICE: service,
        KEY_ID: key_id(key),
        SIGNATURE: f"{VERSION}={signature}",
    }
