"""Which user and which file a request asks for: pure functions, no AWS."""

from __future__ import annotations

import re
from urllib.parse import unquote

MAX_PATH = 1024
LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# Encodings of separators and dots are refused outright rather than decoded: a key never
# needs them, and decoding them is how traversal slips past checks.
FORBIDDEN_ESCAPES = re.compile(r"%(2f|5c|2e|25|00)", re.IGNORECASE)


class BadRequest(ValueError):
    """The request cannot name a file; answered with 400."""


def handle_from_host(host: str | None, apex: str) -> str | None:
    """'alice.whimsy.space' -> 'alice'. None when the host is not one user's subdomain."""
    if not host or len(host) > 253:
        return None
    name = host.strip().lower()
    if name.count(":") == 1:
        name, _, port = name.partition(":")
        if not port.isdigit():
            return None
    suffix = "." + apex
    if not name.endswith(suffix):
        return None
    label = name[: -len(suffix)]
    return label if LABEL.fullmatch(label) else None


def key_suffix(raw_path: str) -> str:
    """The object key below '<identity>/public/' for a request path; BadRequest if the path
    could escape that folder in any spelling."""
    if len(raw_path) > MAX_PATH:
        raise BadRequest("path too long")
    if not raw_path.startswith("/"):
        raise BadRequest("path must start with /")
    if FORBIDDEN_ESCAPES.search(raw_path):
        raise BadRequest("encoded separators, dots or NUL")
    try:
        path = unquote(raw_path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BadRequest("path is not UTF-8") from None
    if any(ord(ch) < 0x20 or ch in "\\\x7f" for ch in path):
        raise BadRequest("control characters or backslashes")
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        if segment in (".", ".."):
            raise BadRequest("dot segments")
        if segment == "" and index != len(segments) - 1:
            raise BadRequest("empty segment")
    suffix = "/".join(segments)
    # A folder (or the site root) serves its index.html.
    return suffix + "index.html" if suffix == "" or suffix.endswith("/") else suffix
