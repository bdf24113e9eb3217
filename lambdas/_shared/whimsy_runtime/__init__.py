"""The Whimsy.Space shared Lambda runtime: HTTP responses, API Gateway events, Cognito JWT
verification, JSON logging and cached secrets.

whimsy packages this folder into every function zip that imports it, so it depends on the
standard library only (plus boto3/botocore, which the Lambda Python runtime provides, and
which are imported lazily by `secrets`).
"""

from __future__ import annotations

from ._errors import HttpError
from .auth import CognitoVerifier, InvalidToken, JwksUnavailable, bearer_token
from .aws import client as aws_client
from .events import HttpRequest, WebSocketRequest, parse_http_event, parse_websocket_event
from .http import binary_response, error, http_handler, json_response, no_content, redirect
from .identity import IdentityResolver, identity_id
from .logging import bind, bound, get_logger
from .secrets import SecretCache, SecretUnavailable, get_secret

__all__ = [
    "CognitoVerifier",
    "HttpError",
    "HttpRequest",
    "IdentityResolver",
    "InvalidToken",
    "JwksUnavailable",
    "SecretCache",
    "SecretUnavailable",
    "WebSocketRequest",
    "aws_client",
    "bearer_token",
    "binary_response",
    "bind",
    "bound",
    "error",
    "get_logger",
    "get_secret",
    "http_handler",
    "identity_id",
    "json_response",
    "no_content",
    "parse_http_event",
    "parse_websocket_event",
    "redirect",
]
