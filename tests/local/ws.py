"""The WebSocket opening handshake (RFC 6455 section 4), standard library only: enough to
see whether API Gateway upgrades a connection or refuses it, and with which status."""

from __future__ import annotations

import base64
import hashlib
import os
import socket

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def handshake(host: str, port: int, path: str, host_header: str) -> tuple[int, bytes]:
    """(HTTP status, response head and whatever body arrived) for an upgrade request."""
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=60) as connection:
        connection.sendall(request.encode("ascii"))
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = connection.recv(4096)
            if not chunk:
                break
            response += chunk
    status = int(response.split(b" ", 2)[1])
    if status == 101:
        expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest())
        assert b"sec-websocket-accept: " + expected.lower() in response.lower(), response
    return status, response
