"""User-hosted services: https://api.<apex>/u/<handle>/<service>/<path> -> the owner's upstream.

Three jobs in one function:

- S3 events index <identity>/public/whimsy.space/services.json (services.schema.json plus
  the upstream URL checks of services_egress): valid files replace the owner's services in
  one item; invalid ones are recorded as rejected with the reason (GET /services) and leave
  the last accepted services in place; deleting the file removes them.
- GET /services (the owner's index status) and GET /services/key (the owner's signing key).
- ANY /u/{handle}/{service}[/{proxy+}]: the gateway. It authenticates the caller itself (the
  route is open because services may allow anonymous callers; a token that does not verify
  is a 401, never an anonymous call), applies the service's methods, rate limit and monthly
  quota, re-checks the upstream after resolving it, and forwards over HTTPS pinned to the
  checked address with signed identity headers (services_signing). Callers' Authorization,
  cookies, hop-by-hop and forwarding headers never reach the upstream; only allow-listed
  response headers (RESPONSE_ALLOW, and X-* extensions) reach the caller.

Hostile callers get 4xx; an upstream that misbehaves (unreachable, refused address, too
slow, too large, bad redirect) gets its callers a 502 or 504.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, unquote_plus, urljoin, urlsplit

import services_egress as egress
import services_signing as signing
from services_limits import Limited, Limits, ServiceMeter
from whimsy_runtime import (
    CognitoVerifier,
    HttpError,
    HttpRequest,
    InvalidToken,
    SecretUnavailable,
    aws_client as client,
    bearer_token,
    get_logger,
    get_secret,
    http_handler,
    identity_id,
    json_response,
)
from whimsy_runtime.handles import HandleOwners

SERVICES_KEY = re.compile(
    r"^(?P<identity>[a-z]{2}(?:-gov)?-[a-z]+-[1-9]:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{4}-[0-9a-f]{12})/public/whimsy\.space/services\.json$"
)
GATEWAY_PATH = re.compile(r"^/u/(?P<handle>[^/]+)/(?P<service>[^/]+)(?P<rest>/.*)?$")
HANDLE = re.compile(r"(?!-)[a-z0-9-]{2,63}(?<!-)")
SERVICE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
SCHEMA = json.loads((Path(__file__).parent / "services.schema.json").read_text())
SIGNING_SECRET_ROLE = "services-signing-key"
MAX_FILE_BYTES = 32 * 1024
INDEX_DNS_SECONDS = 3.0
DEFAULT_RATE = {"requests": 60, "per_seconds": 60}
DEFAULT_QUOTA = 10_000
OWNER_TTL, MISSING_TTL, SERVICES_TTL = 60.0, 10.0, 30.0
MAX_FORWARDED_HEADERS, MAX_HEADER_BYTES = 60, 16 * 1024

# Never forwarded upstream: hop-by-hop headers (RFC 9110 7.6.1, plus the ones a Connection
# header names), the caller's credentials for *this* platform, and anything an upstream
# might mistake for information from a trusted proxy or from AWS.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
REQUEST_DROP = frozenset(
    {
        "authorization",
        "cookie",
        "host",
        "content-length",
        "expect",
        "forwarded",
        "via",
        "x-real-ip",
        "true-client-ip",
        "x-client-ip",
        "cf-connecting-ip",
        "x-original-url",
        "x-rewrite-url",
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
    }
)
REQUEST_DROP_PREFIXES = ("x-forwarded-", "x-amz-", "x-amzn-", "whimsy-", "proxy-", "cloudfront-")
# Passed back: an ALLOW-list, because every origin-wide header a browser learns next (NEL,
# Report-To, Clear-Site-Data, Refresh, Service-Worker-Allowed, Origin-Trial, ...) would let one
# tenant act on the whole shared API domain. Registered names must be listed here; X-*
# extension headers (X-Request-Id, X-Total-Count: RFC 6648 keeps new standards out of that
# prefix) pass unless RESPONSE_DROP_PREFIXES names them. Location is only ever relocate()'s
# rewrite; Cache-Control, CSP and X-Content-Type-Options are the gateway's own. Not listed on
# purpose: Set-Cookie (the shared API domain), CORS (the API's own), HSTS/Alt-Svc (the
# platform's), WWW-Authenticate (a password prompt on api.whimsy.space, and the gateway never
# forwards Authorization anyway), Content-Location (would name the upstream's URL).
RESPONSE_ALLOW = frozenset(
    {
        "content-type",
        "content-encoding",
        "content-language",
        "content-disposition",
        "content-range",
        "accept-ranges",
        "etag",
        "last-modified",
        "expires",
        "age",
        "vary",
        "retry-after",
        "link",
        "allow",
        "accept-patch",
        "accept-post",
        "preference-applied",
        "deprecation",
        "sunset",
        "content-digest",
        "repr-digest",
        "request-id",
        "ratelimit",
        "ratelimit-policy",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    }
)
RESPONSE_DROP_PREFIXES = ("x-amz-", "x-amzn-", "x-forwarded-")
SAFE_PATH = "/%:@!$&'()*+,;=-._~"
SAFE_QUERY = SAFE_PATH + "?"

log = get_logger("whimsy.services")

# Seams: tests replace these on the module (never socket globals).
resolve: egress.Resolver = egress.system_resolve
open_socket: egress.SocketOpener = egress.open_socket
clock = time.time

_verifier: CognitoVerifier | None = None
owner_of = HandleOwners(ttl=OWNER_TTL, missing_ttl=MISSING_TTL)
_services: dict[str, tuple[dict[str, Any], float]] = {}
_validator: Any = None


def _int_env(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


def _float_env(name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


def max_request_bytes() -> int:
    return _int_env("SERVICES_MAX_REQUEST_BYTES", 1024 * 1024, 0, 4 * 1024 * 1024)


def max_response_bytes() -> int:
    # A Lambda response is at most 6 MB, and base64 costs a third.
    return _int_env("SERVICES_MAX_RESPONSE_BYTES", 1024 * 1024, 1, 4 * 1024 * 1024)


def connect_timeout() -> float:
    return _float_env("SERVICES_CONNECT_TIMEOUT_SECONDS", 3.0, 0.05, 10.0)


def total_timeout() -> float:
    return _float_env("SERVICES_TIMEOUT_SECONDS", 10.0, 0.05, 25.0)


def services_table() -> str:
    return os.environ["WHIMSY_TABLE_WHIMSY_SERVICES"]


def usage_table() -> str | None:
    return os.environ.get("WHIMSY_TABLE_WHIMSY_USAGE") or os.environ.get("WHIMSY_USAGE_TABLE")


limits = Limits(usage_table() or "", lambda: client("dynamodb"), lambda: clock())
meter = ServiceMeter(usage_table(), lambda: client("dynamodb"), lambda: clock())


# --- services.json -------------------------------------------------------------------------


class Rejected(Exception):
    """services.json cannot be indexed; the message is what its owner will read."""


def validation_errors(document: Any) -> list[str]:
    global _validator
    if _validator is None:
        from jsonschema import Draft202012Validator

        _validator = Draft202012Validator(SCHEMA)
    errors = sorted(_validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    found = [f"{'.'.join(map(str, e.path)) or '(file)'}: {e.message[:200]}" for e in errors[:5]]
    if found:
        return found
    names = [service["name"] for service in document["services"]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        found.append(f"services: names must be unique ({', '.join(duplicates)})")
    loopback = egress.test_settings_active()
    lookups: dict[int, egress.Upstream] = {}
    for index, service in enumerate(document["services"]):
        try:
            upstream = egress.check_url(service["upstream"], allow_test_loopback=loopback)
        except egress.Refused as exc:
            found.append(f"services.{index}.upstream: {exc}")
            continue
        if upstream.literal is None:
            lookups[index] = upstream
    found += _resolution_errors(lookups, loopback)
    return found[:5]


def _resolution_errors(lookups: Mapping[int, egress.Upstream], loopback: bool) -> list[str]:
    """Resolve every upstream name at once, within INDEX_DNS_SECONDS in total: an early
    warning for owners (the call-time check decides). Names that do not resolve, or not in
    time, are accepted: calls to them fail with 502 until they do."""
    if not lookups:
        return []
    from concurrent.futures import ThreadPoolExecutor, wait

    executor = ThreadPoolExecutor(max_workers=min(8, len(lookups)))
    futures = {
        index: executor.submit(
            egress.resolve_checked, upstream, resolve, allow_test_loopback=loopback
        )
        for index, upstream in lookups.items()
    }
    wait(futures.values(), timeout=INDEX_DNS_SECONDS)
    executor.shutdown(wait=False, cancel_futures=True)
    errors = []
    for index, future in sorted(futures.items()):
        if not future.done() or future.cancelled():
            continue
        exc = future.exception()
        if isinstance(exc, egress.Refused):
            errors.append(f"services.{index}.upstream: {exc}")
        elif exc is not None and not isinstance(exc, OSError):
            raise exc
    return errors


def normalized(service: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": service["name"],
        "description": service.get("description", ""),
        "upstream": service["upstream"],
        "methods": sorted(service.get("methods", ["GET"])),
        "anonymous": bool(service.get("anonymous", False)),
        "rate_limit": dict(service.get("rate_limit", DEFAULT_RATE)),
        "monthly_quota": int(service.get("monthly_quota", DEFAULT_QUOTA)),
    }


def read_services(bucket: str, key: str) -> list[dict[str, Any]]:
    found = client("s3").get_object(Bucket=bucket, Key=key)
    if int(found.get("ContentLength", 0)) > MAX_FILE_BYTES:
        found["Body"].close()
        raise Rejected(f"services.json is larger than {MAX_FILE_BYTES // 1024} KiB")
    data = found["Body"].read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Rejected(f"services.json is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Rejected(f"services.json is not valid JSON ({str(exc)[:120]})") from None
    errors = validation_errors(document)
    if errors:
        raise Rejected("services.json is not valid: " + "; ".join(errors))
    return [normalized(service) for service in document["services"]]


def _item_key(identity: str) -> dict[str, Any]:
    return {"pk": {"S": f"host#{identity}"}, "sk": {"S": "services"}}


def accept(identity: str, services: list[dict[str, Any]]) -> None:
    client("dynamodb").put_item(
        TableName=services_table(),
        Item={
            **_item_key(identity),
            "status": {"S": "accepted"},
            "services": {"S": json.dumps({s["name"]: s for s in services}, sort_keys=True)},
            "updated_at": {"N": str(int(time.time()))},
        },
    )


def reject(identity: str, reason: str) -> None:
    client("dynamodb").update_item(
        TableName=services_table(),
        Key=_item_key(identity),
        UpdateExpression="SET #s = :rejected, reason = :reason, updated_at = :now",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":rejected": {"S": "rejected"},
            ":reason": {"S": reason[:1000]},
            ":now": {"N": str(int(time.time()))},
        },
    )


def remove(identity: str) -> None:
    client("dynamodb").delete_item(TableName=services_table(), Key=_item_key(identity))


def index_record(record: Mapping[str, Any]) -> str:
    from botocore.exceptions import ClientError

    key = unquote_plus(record["s3"]["object"]["key"])
    match = SERVICES_KEY.match(key)
    if match is None:
        return "ignored"
    identity = match["identity"]
    if str(record.get("eventName", "")).startswith("ObjectRemoved"):
        remove(identity)
        return "removed"
    try:
        accept(identity, read_services(record["s3"]["bucket"]["name"], key))
        return "accepted"
    except Rejected as exc:
        reject(identity, str(exc))
        return "rejected"
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "AccessDenied"):
            return "gone"
        raise


def index(event: Mapping[str, Any]) -> dict[str, Any]:
    outcomes = []
    for record in event.get("Records", []):
        try:
            outcomes.append(index_record(record))
        except Exception:
            log.exception(
                "indexing failed", key=str(record.get("s3", {}).get("object", {}).get("key"))
            )
            outcomes.append("failed")
    log.info("indexed", outcomes=outcomes)
    return {"outcomes": outcomes}


# --- the owner's routes --------------------------------------------------------------------


def identity_of(request: HttpRequest) -> str:
    return identity_id(request)


def signing_secret() -> str:
    names = [n for n in os.environ.get("WHIMSY_SECRET_NAMES", "").split(",") if n]
    for name in names:
        if name.rsplit("/", 1)[-1] == SIGNING_SECRET_ROLE:
            try:
                return get_secret(name)
            except SecretUnavailable:
                break
    log.error("signing secret unavailable", configured=names)
    raise HttpError(503, "unavailable", "Services are temporarily unavailable.")


def owner_key(owner: str) -> bytes:
    try:
        return signing.owner_key(signing_secret(), owner)
    except ValueError:
        log.error("signing secret is too short")
        raise HttpError(503, "unavailable", "Services are temporarily unavailable.") from None


def _services_item(identity: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(TableName=services_table(), Key=_item_key(identity), ConsistentRead=True)
        .get("Item")
    )
    return dict(item) if item else None


def own_services(request: HttpRequest) -> dict[str, Any]:
    item = _services_item(identity_of(request))
    if item is None:
        return json_response(200, {"status": "none"}, {"cache-control": "private, no-store"})
    body = {
        "status": item["status"]["S"],
        "reason": item.get("reason", {}).get("S"),
        "updated_at": int(item["updated_at"]["N"]),
        "services": list(json.loads(item["services"]["S"]).values()) if "services" in item else [],
    }
    return json_response(200, body, {"cache-control": "private, no-store"})


def own_key(request: HttpRequest) -> dict[str, Any]:
    key = owner_key(identity_of(request))
    body = {
        "algorithm": "HMAC-SHA256",
        "key": signing.encode_key(key),
        "key_id": signing.key_id(key),
        "signature_header": signing.SIGNATURE,
        "max_age_seconds": 300,
    }
    return json_response(200, body, {"cache-control": "private, no-store"})


# --- the gateway ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Call:
    handle: str
    service: str
    rest: str  # "" or "/..." (percent-encoded)
    query: str  # "" or the percent-encoded query


def _quote(value: str, safe: str) -> str:
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        raise HttpError(400, "bad_path", "The path has a malformed percent escape.")
    try:
        return quote(value, safe=safe)
    except UnicodeEncodeError:  # a lone surrogate: not a path anyone can mean
        raise HttpError(400, "bad_path", "The path is not valid UTF-8.") from None


def address_block(source_ip: str | None) -> str:
    """Anonymous callers are counted per address, IPv6 ones per /64: a client gets a whole
    /64 and could rotate addresses inside it for fresh budgets."""
    try:
        address = ipaddress.ip_address(source_ip or "")
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def escapes_base(segment: str) -> bool:
    """Could an upstream read this segment as a step out of the service's base path?

    Many servers decode %2F before resolving '..' (so '..%2fadmin' is '../admin'), and
    Tomcat/Jetty/Spring read '..;x' as '..': refuse encoded separators and dot segments with
    path parameters, not only the literal '.' and '..'."""
    decoded = unquote(segment)
    return "/" in decoded or "\\" in decoded or decoded.split(";")[0] in (".", "..")


def parse_call(request: HttpRequest) -> Call:
    match = GATEWAY_PATH.match(request.raw_path)
    if match is None:
        raise HttpError(404, "no_route", "Services live at /u/<handle>/<service>/<path>.")
    handle, service = match["handle"].lower(), match["service"]
    if not HANDLE.fullmatch(handle) or not SERVICE.fullmatch(service):
        raise HttpError(404, "unknown_service", "No such service.")
    rest = _quote(match["rest"] or "", SAFE_PATH)
    if any(escapes_base(segment) for segment in rest.split("/")):
        raise HttpError(400, "bad_path", "Paths must not contain '.' or '..' segments.")
    if any(ord(c) < 32 or ord(c) == 127 for c in unquote(rest)):
        raise HttpError(400, "bad_path", "Paths must not contain control characters.")
    query = _quote(request.raw_query, SAFE_QUERY)
    return Call(handle, service, rest, query)


def services_of(owner: str) -> dict[str, Any]:
    now = time.monotonic()
    cached = _services.get(owner)
    if cached is not None and cached[1] > now:
        return cached[0]
    item = client("dynamodb").get_item(TableName=services_table(), Key=_item_key(owner)).get("Item")
    found: dict[str, Any] = json.loads(item["services"]["S"]) if item and "services" in item else {}
    if len(_services) > 10_000:
        _services.clear()
    _services[owner] = (found, now + SERVICES_TTL)
    return found


def verifier() -> CognitoVerifier:
    global _verifier
    if _verifier is None:
        pool = os.environ.get("WHIMSY_USER_POOL_ID", "")
        app = os.environ.get("WHIMSY_USER_POOL_CLIENT_ID", "")
        try:
            # Id tokens only: the caller's identity id comes from GetId, which takes id tokens.
            _verifier = CognitoVerifier(pool, app, token_use="id")
        except ValueError:
            log.error("user pool is not configured")
            raise HttpError(503, "unavailable", "Sign-in is temporarily unavailable.") from None
    return _verifier


def authenticate(request: HttpRequest) -> str | None:
    """The caller's identity id; None when no credentials were sent; InvalidToken (401) when
    credentials were sent that do not verify (never silently anonymous)."""
    authorization = request.header("authorization")
    if authorization is None:
        return None
    token = bearer_token(authorization)
    if token is None:
        raise InvalidToken("not a bearer token")
    claims = verifier().verify(token)
    verified = dataclasses.replace(request, jwt_claims=claims)
    try:
        return identity_of(verified)
    except HttpError:
        raise
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code == "NotAuthorizedException":
            raise InvalidToken("identity pool refused the token") from None
        log.exception("identity lookup failed")
        raise HttpError(503, "unavailable", "Sign-in is temporarily unavailable.") from None


def _limited(refusal: Limited) -> HttpError:
    return HttpError(
        429,
        refusal.code,
        refusal.message,
        {"retry-after": str(refusal.retry_after), "cache-control": "no-store"},
    )


def forwarded_headers(request: HttpRequest) -> list[tuple[str, str]]:
    named = {
        token.strip().lower()
        for token in (request.header("connection") or "").split(",")
        if token.strip()
    }
    headers: list[tuple[str, str]] = []
    size = 0
    for name, value in sorted(request.headers.items()):
        # CGI/WSGI/PHP upstreams read 'x_forwarded_for' as X-Forwarded-For: drop both spellings
        dashed = name.replace("_", "-")
        if (
            dashed in HOP_BY_HOP
            or dashed in named
            or dashed in REQUEST_DROP
            or dashed.startswith(REQUEST_DROP_PREFIXES)
        ):
            continue
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9a-z-]+", name) or any(
            (ord(c) < 32 and c != "\t") or ord(c) == 127 or ord(c) > 255 for c in value
        ):
            raise HttpError(400, "bad_header", "A request header is malformed.")
        size += len(name) + len(value) + 4
        headers.append((name, value))
    if len(headers) > MAX_FORWARDED_HEADERS or size > MAX_HEADER_BYTES:
        raise HttpError(431, "headers_too_large", "Too many or too large request headers.")
    return headers


class TooLarge(Exception):
    pass


@dataclasses.dataclass
class UpstreamResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def exchange(
    upstream: egress.Upstream,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    identity: Mapping[str, str],
) -> UpstreamResponse:
    """One request to the upstream, pinned to its checked address, within the deadline."""
    deadline = egress.Deadline(total_timeout())
    allow_loopback = egress.test_settings_active()
    address = egress.resolve_checked(upstream, resolve, allow_test_loopback=allow_loopback)
    connection = egress.PinnedHTTPSConnection(
        upstream.host,
        upstream.port,
        address=address,
        context=egress.tls_context(),
        timeout=min(connect_timeout(), deadline.remaining()),
        opener=open_socket,
    )
    watchdog: threading.Timer | None = None
    try:
        connection.connect()
        sock = connection.sock
        assert sock is not None

        def cut() -> None:  # the deadline passed: a trickling upstream is stopped here
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(deadline.remaining(), cut)
        watchdog.daemon = True
        watchdog.start()
        sock.settimeout(deadline.remaining())
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", upstream.host_header)
        for name, value in headers:
            connection.putheader(name, value)
        for name, value in identity.items():
            connection.putheader(name, value)
        if body or method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        limit = max_response_bytes()
        declared = response.getheader("content-length")
        bodiless = method == "HEAD" or response.status in (204, 304)  # the length is no body
        if not bodiless and declared and declared.strip().isdigit() and int(declared) > limit:
            raise TooLarge
        chunks: list[bytes] = []
        total = 0
        while not response.isclosed():
            sock.settimeout(deadline.remaining())
            chunk = response.read(min(65536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TooLarge
        deadline.remaining()
        return UpstreamResponse(response.status, response.getheaders(), b"".join(chunks))
    except (OSError, http.client.HTTPException, ssl.SSLError):
        try:
            deadline.remaining()
        except TimeoutError:
            raise TimeoutError("upstream deadline passed") from None
        raise
    finally:
        if watchdog is not None:
            watchdog.cancel()
        connection.close()


def relocate(location: str, upstream: egress.Upstream, target: str, call: Call) -> str | None:
    """A redirect inside the upstream's base path, as the gateway URL; None for any other.

    The gateway never follows redirects itself: the caller does, through the gateway again,
    so every hop is checked like any call. Redirects elsewhere are refused (no open redirects
    from the platform's API domain, no way to point callers at internal addresses)."""
    if not location.isascii() or any(c <= " " or c == "\x7f" for c in location):
        return None
    origin = f"https://{upstream.host_header}"
    try:
        absolute = urlsplit(urljoin(origin + target, location))
    except ValueError:  # e.g. 'https://[x': not a redirect anyone can follow
        return None
    if absolute.scheme != "https" or absolute.netloc != upstream.host_header:
        return None
    path = absolute.path
    base = upstream.path
    if base and path != base and not path.startswith(base + "/"):
        return None
    rest = path[len(base) :]
    if any(escapes_base(segment) for segment in rest.split("/")):
        return None
    query = f"?{absolute.query}" if absolute.query else ""
    return f"/u/{call.handle}/{call.service}{rest}{query}"


def response_headers(
    upstream_headers: list[tuple[str, str]], status: int
) -> tuple[dict[str, str], str | None]:
    named = {
        token.strip().lower()
        for name, value in upstream_headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    headers: dict[str, str] = {}
    location = None
    for raw_name, value in upstream_headers:
        name = raw_name.lower()
        if name == "location":
            location = value
        allowed = name in RESPONSE_ALLOW or (
            name.startswith("x-") and not name.startswith(RESPONSE_DROP_PREFIXES)
        )
        if (
            not allowed
            or name in HOP_BY_HOP
            or name in named
            or any(c in value for c in "\r\n\0")
            or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9a-z-]+", name)
        ):
            continue
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers, location


def gateway(request: HttpRequest) -> dict[str, Any]:
    call = parse_call(request)
    if len(request.body) > max_request_bytes():
        raise HttpError(413, "payload_too_large", f"The body exceeds {max_request_bytes()} bytes.")
    caller = authenticate(request)
    owner = owner_of(call.handle)
    service = services_of(owner).get(call.service) if owner else None
    if owner is None or service is None:
        raise HttpError(404, "unknown_service", "No such service.")
    methods = [m for m in service["methods"] if m in egress.allowed_methods()]
    if request.method not in methods:
        raise HttpError(
            405, "method_not_allowed", "This service does not take that method.",
            {"allow": ", ".join(methods)},
        )  # fmt: skip
    if caller is None and not service["anonymous"]:
        raise HttpError(
            401, "sign_in_required", "Sign in to call this service.",
            {"www-authenticate": 'Bearer realm="whimsy"'},
        )  # fmt: skip
    headers = forwarded_headers(request)
    try:
        upstream = egress.check_url(
            service["upstream"], allow_test_loopback=egress.test_settings_active()
        )
    except egress.Refused as exc:
        log.warning("upstream refused", handle=call.handle, service=call.service, reason=str(exc))
        raise HttpError(
            502, "upstream_refused", "This service's upstream is not allowed."
        ) from None

    who = caller or signing.ANONYMOUS
    rate_key = caller or f"anonymous@{address_block(request.source_ip)}"
    rate = service["rate_limit"]
    rate_left, refusal = limits.take_rate(
        owner, call.service, rate_key, int(rate["requests"]), int(rate["per_seconds"])
    )
    if refusal is not None:
        raise _limited(refusal)
    quota_left, refusal = limits.take_quota(owner, call.service, who, int(service["monthly_quota"]))
    if refusal is not None:
        raise _limited(refusal)
    target = (upstream.path + call.rest) or "/"
    if call.query:
        target += "?" + call.query
    timestamp = int(clock())
    request_id = request.request_id or hashlib.sha256(os.urandom(16)).hexdigest()[:32]
    identity = signing.identity_headers(
        owner_key(owner),
        timestamp=timestamp,
        request_id=request_id,
        method=request.method,
        target=target,
        host=upstream.host_header,
        service=f"{call.handle}/{call.service}",
        caller=who,
        body=request.body,
    )
    sent = len(request.body)
    try:
        result = exchange(upstream, request.method, target, headers, request.body, identity)
    except egress.Refused as exc:
        _meter(owner, call.service, who, sent)
        log.warning("upstream refused", handle=call.handle, service=call.service, reason=str(exc))
        raise HttpError(
            502, "upstream_refused", "This service's upstream is not allowed."
        ) from None
    except TooLarge:
        _meter(owner, call.service, who, sent)
        raise HttpError(
            502, "upstream_response_too_large",
            f"The service answered with more than {max_response_bytes()} bytes.",
        ) from None  # fmt: skip
    except TimeoutError:
        _meter(owner, call.service, who, sent)
        raise HttpError(504, "upstream_timeout", "The service did not answer in time.") from None
    except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as exc:
        _meter(owner, call.service, who, sent)
        log.info("upstream failed", service=call.service, error=type(exc).__name__)
        raise HttpError(502, "upstream_error", "The service could not be reached.") from None
    _meter(owner, call.service, who, sent + len(result.body))

    if not 200 <= result.status <= 599:
        raise HttpError(502, "upstream_error", "The service answered with an unusable status.")
    headers_out, location = response_headers(result.headers, result.status)
    if 300 <= result.status <= 399 and location is not None:
        relocated = relocate(location, upstream, target, call)
        if relocated is None:
            log.info("redirect refused", service=call.service)
            raise HttpError(
                502, "upstream_redirect_refused", "The service redirected outside itself."
            )
        headers_out["location"] = relocated
    headers_out.update(
        {
            "cache-control": "private, no-store",
            # An upstream's HTML must not run as the API's origin.
            "content-security-policy": "sandbox; default-src 'none'",
            "x-content-type-options": "nosniff",
            "x-ratelimit-remaining": str(rate_left),
            "x-quota-remaining": str(quota_left),
        }
    )
    return {
        "statusCode": result.status,
        "headers": headers_out,
        "body": base64.b64encode(result.body).decode("ascii"),
        "isBase64Encoded": True,
    }


def _meter(owner: str, service: str, caller: str, size: int) -> None:
    try:
        meter.record(owner, service, caller, size)
        if meter.due():
            meter.flush()
    except Exception:  # metering never breaks a call; the quota rows are exact anyway
        log.exception("metering failed")


@http_handler
def route(request: HttpRequest, context: object) -> dict[str, Any]:
    if request.raw_path.startswith("/u/"):
        return gateway(request)
    routes = {"GET /services": own_services, "GET /services/key": own_key}
    action = routes.get(request.route_key)
    if action is None:
        raise HttpError(404, "no_route", "No such services route.")
    return action(request)


def handler(event: Any, context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and "Records" in event:
        return index(event)
    return route(event, context)
