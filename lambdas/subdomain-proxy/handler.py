"""https://<handle>.<apex>/<path> -> s3://<bucket>/<identity-id>/public/<path>.

CloudFront copies the viewer's Host into x-whimsy-host (API Gateway cannot receive Host);
the handle registry maps the handle to the owner's identity id. Only GET and HEAD; every
path that could leave the owner's public folder is refused with 400.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
from datetime import UTC
from email.utils import format_datetime
from typing import Any

from proxy_metering import Meter
from proxy_request import BadRequest, handle_from_host, key_suffix
from whimsy_runtime import (
    CognitoVerifier,
    HttpError,
    HttpRequest,
    InvalidToken,
    aws_client as client,
    bearer_token,
    binary_response,
    get_logger,
    http_handler,
    redirect,
)
from whimsy_runtime.handles import HandleOwners

HOST_HEADER = "x-whimsy-host"
# A Lambda response carries 6 MB; base64 costs a third, so larger objects are redirected.
MAX_INLINE_BYTES = 4 * 1024 * 1024
PRESIGNED_SECONDS = 300
NOT_FOUND_PAGE = (
    b"<!doctype html><html><head><meta charset=utf-8><title>Not found</title></head>"
    b"<body><h1>Not found</h1><p>Nothing lives at this address on Whimsy.Space.</p></body></html>"
)
TEXT_TYPES = ("text/", "application/json", "application/javascript", "image/svg+xml")

log = get_logger("whimsy.proxy")
_verifier: CognitoVerifier | None = None


meter = Meter(os.environ.get("WHIMSY_USAGE_TABLE"), lambda: client("dynamodb"))
owner_of = HandleOwners(ttl=60.0, missing_ttl=10.0)


def requester(request: HttpRequest) -> str:
    """Who is asking, for metering only: a verified Cognito user's sub, else anonymous.
    A bad token never stops a public file from being served."""
    global _verifier
    token = bearer_token(request.header("authorization"))
    pool, app = os.environ.get("WHIMSY_USER_POOL_ID"), os.environ.get("WHIMSY_USER_POOL_CLIENT_ID")
    if token is None or not pool or not app:
        return "anonymous"
    try:
        if _verifier is None:
            _verifier = CognitoVerifier(pool, app, token_use=("id", "access"))
        return str(_verifier.verify(token)["sub"])
    except (InvalidToken, ValueError):
        return "anonymous"


def content_type(key: str) -> str:
    guessed = mimetypes.guess_type(key, strict=False)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith(TEXT_TYPES) else guessed


def not_found() -> dict[str, Any]:
    return binary_response(
        NOT_FOUND_PAGE, "text/html; charset=utf-8", 404, {"cache-control": "public, max-age=60"}
    )


def _conditions(request: HttpRequest) -> dict[str, Any]:
    """Conditional and range headers, passed to S3 so that it answers 304/206/416 itself."""
    arguments: dict[str, Any] = {}
    if request.header("if-none-match"):
        arguments["IfNoneMatch"] = request.header("if-none-match")
    since = request.header("if-modified-since")
    if since:
        from email.utils import parsedate_to_datetime

        with contextlib.suppress(TypeError, ValueError):  # unreadable dates are ignored (HTTP)
            arguments["IfModifiedSince"] = parsedate_to_datetime(since)
    if request.header("range"):
        arguments["Range"] = request.header("range")
    return arguments


def _object_headers(found: dict[str, Any], cache_seconds: str) -> dict[str, str]:
    headers = {"cache-control": f"public, max-age={cache_seconds}", "accept-ranges": "bytes"}
    if found.get("ETag"):
        headers["etag"] = found["ETag"]
    if found.get("LastModified"):
        modified = found["LastModified"].astimezone(UTC)  # botocore's tz is not datetime's
        headers["last-modified"] = format_datetime(modified, usegmt=True)
    if found.get("ContentRange"):
        headers["content-range"] = found["ContentRange"]
    return headers


def serve(request: HttpRequest, bucket: str, key: str) -> tuple[dict[str, Any], int]:
    """(response, bytes sent) for one object, S3 doing the conditional and range work."""
    from botocore.exceptions import ClientError

    cache_seconds = os.environ.get("WHIMSY_SITE_CACHE_SECONDS", "300")
    head = request.method == "HEAD"
    try:
        call = client("s3").head_object if head else client("s3").get_object
        found = call(Bucket=bucket, Key=key, **_conditions(request))
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in ("304", "NotModified") or status == 304:
            return {
                "statusCode": 304,
                "headers": {"cache-control": f"public, max-age={cache_seconds}"},
            }, 0
        if code in ("InvalidRange", "416") or status == 416:
            return {"statusCode": 416, "headers": {"content-range": "bytes */*"}}, 0
        if code in ("NoSuchKey", "404", "AccessDenied", "403", "NotFound") or status in (403, 404):
            return not_found(), 0
        if code in ("PreconditionFailed", "412") or status == 412:
            return {"statusCode": 412, "headers": {}}, 0
        raise
    headers = _object_headers(found, cache_seconds)
    status = 206 if found.get("ContentRange") else 200
    size = int(found.get("ContentLength", 0))
    if head:
        headers["content-type"] = content_type(key)
        headers["content-length"] = str(size)
        return {"statusCode": status, "headers": headers}, 0
    if size > MAX_INLINE_BYTES:
        found["Body"].close()
        url = client("s3").generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=PRESIGNED_SECONDS
        )
        return redirect(url, 302, {"cache-control": "no-store"}), 0
    data = found["Body"].read()
    return binary_response(data, content_type(key), status, headers), len(data)


@http_handler
def handler(request: HttpRequest, context: object) -> dict[str, Any]:
    if request.method not in ("GET", "HEAD"):
        raise HttpError(
            405, "method_not_allowed", "Sites answer GET and HEAD only.", {"allow": "GET, HEAD"}
        )
    handle = handle_from_host(request.header(HOST_HEADER), os.environ["WHIMSY_APEX"])
    if handle is None:
        raise HttpError(400, "bad_host", "This address is not a Whimsy.Space site.")
    try:
        suffix = key_suffix(request.raw_path)
    except BadRequest as exc:
        raise HttpError(400, "bad_path", "This path cannot name a file.") from exc
    identity = owner_of(handle)
    if identity is None:
        return not_found()
    response, sent = serve(
        request, os.environ["WHIMSY_USER_FILES_BUCKET"], f"{identity}/public/{suffix}"
    )
    try:
        meter.record(identity, requester(request), sent)
        if meter.due():
            meter.flush()
    except Exception:  # metering must never break serving
        log.exception("metering failed")
    return response
