"""Verify that a request to your upstream came through the Whimsy.Space services gateway.

Copy this file into your service (standard library only, Python 3.9+). Fetch your key once
from GET https://api.whimsy.space/services/key (signed in as the service's owner) and keep
it secret, like a password:

    from whimsy_verify import verify, InvalidSignature

    key = base64url_decode(os.environ["WHIMSY_SERVICES_KEY"])
    try:
        caller = verify(key, method, target, headers, body)   # "us-east-1:..." or "anonymous"
    except InvalidSignature:
        return 401

`target` is the request line's path and query exactly as your server received them
(e.g. "/v1/forecast?city=paris"), `headers` a case-insensitive mapping or a dict, `body` the
raw bytes. Reject anything that does not verify: then "Whimsy-Caller" can be trusted.

To stop replays inside the time window, remember the Whimsy-Request-Id values you have seen
for max_age_seconds and refuse repeats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping

MAX_AGE_SECONDS = 300


class InvalidSignature(Exception):
    pass


def base64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise InvalidSignature(f"missing {name} header")


def verify(
    key: bytes,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    max_age_seconds: float = MAX_AGE_SECONDS,
) -> str:
    """The verified caller ("<region>:<uuid>" or "anonymous"); InvalidSignature otherwise."""
    caller = _header(headers, "Whimsy-Caller")
    timestamp = _header(headers, "Whimsy-Timestamp")
    request_id = _header(headers, "Whimsy-Request-Id")
    service = _header(headers, "Whimsy-Service")
    host = _header(headers, "Host")
    version, _, signature = _header(headers, "Whimsy-Signature").partition("=")
    # strict shapes first: anything else must end as InvalidSignature, never as a crash
    if (
        version != "v1"
        or not re.fullmatch(r"[0-9]{1,12}", timestamp)
        or not re.fullmatch(r"[0-9a-f]{64}", signature)
    ):
        raise InvalidSignature("unsupported or malformed signature")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > max_age_seconds:
        raise InvalidSignature("signature is too old or from the future")
    message = "\n".join(
        [
            "WHIMSY-V1",
            timestamp,
            request_id,
            method.upper(),
            target,
            host,
            service,
            caller,
            hashlib.sha256(body).hexdigest(),
        ]
    ).encode("utf-8")
    expected = hmac.new(key, message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidSignature("signature does not match")
    return caller
