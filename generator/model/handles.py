"""The handle registry's item layout, shared by Terraform seeds and lambdas/handles.

One table, two items per claim, written together in one transaction:
  pk = "handle#<handle>"      -> identity_id   (lookup by subdomain)
  pk = "identity#<identity>"  -> handle        (one handle per user, and reverse lookup)
"""

from __future__ import annotations

from typing import Any


def handle_items(handle: str, identity: str) -> dict[str, dict[str, Any]]:
    return {
        "handle": {"pk": {"S": f"handle#{handle}"}, "identity_id": {"S": identity}},
        "identity": {"pk": {"S": f"identity#{identity}"}, "handle": {"S": handle}},
    }
