"""References to Terraform values inside plain policy documents.

Policy documents are built here as plain dicts in IAM's own syntax, so that tests and proofs
can read them. A value only Terraform knows (a table ARN, the identity pool id) is written
`${tf:<address>}`; `to_terraform_json` turns that into Terraform interpolation and escapes
IAM policy variables such as `${cognito-identity.amazonaws.com:sub}` as `$${...}`.
"""

from __future__ import annotations

import json
from typing import Any

TF_PREFIX = "${tf:"


def tf_ref(address: str) -> str:
    """A reference to a Terraform attribute, e.g. tf_ref('aws_dynamodb_table.kv.arn')."""
    return TF_PREFIX + address + "}"


def to_terraform_string(text: str) -> str:
    escaped = text.replace("${", "$${").replace("%{", "%%{")
    return escaped.replace("$" + TF_PREFIX, "${")


def to_terraform_json(document: dict[str, Any]) -> str:
    """Compact JSON of a policy document, ready to be a Terraform string attribute."""
    return to_terraform_string(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def resolve_refs(value: Any, known: dict[str, str]) -> Any:
    """Replace ${tf:...} references with concrete values (used by tests and evaluators)."""
    if isinstance(value, str):
        for address, concrete in known.items():
            value = value.replace(tf_ref(address), concrete)
        return value
    if isinstance(value, list):
        return [resolve_refs(v, known) for v in value]
    if isinstance(value, dict):
        return {k: resolve_refs(v, known) for k, v in value.items()}
    return value
