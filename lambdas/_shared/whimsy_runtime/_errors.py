"""HttpError lives here so that events.py and http.py can both use it without a cycle."""

from __future__ import annotations

from collections.abc import Mapping


class HttpError(Exception):
    """A client error (4xx, or a deliberate 5xx such as 503) that @http_handler answers as JSON.

    `code` is a short machine-readable token ("invalid_json"); `message` is shown to the
    caller, so it must never contain internals, secrets or echoed tokens.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"HttpError status must be 4xx or 5xx, got {status}")
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
