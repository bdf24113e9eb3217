"""POST /uploads: a presigned POST for one new file in the caller's own upload folder.

The caller says what kind of file; the function picks the key (<identity>/<folder>/<uuid>.<ext>)
and signs the conditions into the POST policy, so S3 itself refuses another key, another
content type, a size outside the range, or a late upload.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from whimsy_runtime import (
    HttpError,
    HttpRequest,
    aws_client as client,
    http_handler,
    identity_id,
    json_response,
)

EXPIRES_SECONDS = 300
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/json": "json",
    "text/plain": "txt",
}


def identity_of(request: HttpRequest) -> str:
    return identity_id(request)


def allowed_types() -> list[str]:
    return [t for t in os.environ.get("UPLOAD_CONTENT_TYPES", "").split(",") if t in EXTENSIONS]


def presigned_post(identity: str, content_type: str) -> dict[str, Any]:
    max_bytes = int(os.environ["UPLOAD_MAX_BYTES"])
    key = f"{identity}/{os.environ['UPLOAD_FOLDER']}/{uuid.uuid4()}.{EXTENSIONS[content_type]}"
    post = client("s3").generate_presigned_post(
        Bucket=os.environ["WHIMSY_USER_FILES_BUCKET"],
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, max_bytes],
        ],
        ExpiresIn=EXPIRES_SECONDS,
    )
    return {
        "url": post["url"],
        "fields": post["fields"],
        "key": key,
        "expires_in": EXPIRES_SECONDS,
        "max_bytes": max_bytes,
    }


@http_handler
def handler(request: HttpRequest, context: object) -> dict[str, Any]:
    if request.method != "POST":
        raise HttpError(405, "method_not_allowed", "Use POST.")
    body = request.json_body(max_bytes=1024)
    content_type = body.get("content_type") if isinstance(body, dict) else None
    if content_type not in allowed_types():
        raise HttpError(
            400, "unsupported_type", f"content_type must be one of: {', '.join(allowed_types())}."
        )
    return json_response(201, presigned_post(identity_of(request), content_type))
