"""The caller's Cognito identity id: the name of their folder and their key in every table.

API Gateway's JWT authorizer verifies the user-pool token, but that token carries the
user-pool `sub`, not the identity pool's `<region>:<uuid>`. GetId maps one to the other
(validating the token again); the answer is cached per user for the container's life.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from . import aws
from .auth import bearer_token
from .events import HttpRequest

ClientFactory = Callable[[], Any]


def _cognito_identity() -> Any:
    return aws.client("cognito-identity")


class IdentityResolver:
    def __init__(self, client_factory: ClientFactory = _cognito_identity) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._cache: dict[str, str] = {}

    def identity_of(self, request: HttpRequest) -> str:
        """HttpError(401) for anonymous callers; the identity id otherwise."""
        sub = request.require_caller()
        if sub not in self._cache:
            token = bearer_token(request.header("authorization")) or ""
            pool = os.environ["WHIMSY_USER_POOL_ID"]
            region = pool.split("_")[0]
            if self._client is None:
                self._client = self._client_factory()
            response = self._client.get_id(
                IdentityPoolId=os.environ["WHIMSY_IDENTITY_POOL_ID"],
                Logins={f"cognito-idp.{region}.amazonaws.com/{pool}": token},
            )
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[sub] = str(response["IdentityId"])
        return self._cache[sub]


_default = IdentityResolver()


def identity_id(request: HttpRequest) -> str:
    """The caller's identity id, cached per container (see IdentityResolver)."""
    return _default.identity_of(request)
