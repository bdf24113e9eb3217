"""Names of things: Terraform addresses and AWS physical names, derived in one place."""

from __future__ import annotations

import re

from generator.config.models import WhimsyConfig

# The Cognito identity id format (<region>:<uuid>) as an IAM pattern. IAM's '?' matches any one
# character ('/' included), but the pattern has a fixed length with literal '-' positions, and
# users can only create keys under their own '<identity-id>/', so in the bucket it matches
# exactly one folder name: never a nested folder such as <id>/drafts/public/ (which '*' would).
UUID_PATTERN = "????????-????-????-????-????????????"

IDENTITY_VARIABLE = "${cognito-identity.amazonaws.com:sub}"


def identity_id_pattern(region: str) -> str:
    return f"{region}:{UUID_PATTERN}"


def logical(name: str) -> str:
    """A Terraform-safe local name for a resource: whimsy-user-data -> whimsy_user_data."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return cleaned if cleaned[0].isalpha() or cleaned[0] == "_" else f"r_{cleaned}"


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def log_bucket(config: WhimsyConfig) -> str:
    return config.storage.log_bucket_name


def role_name(config: WhimsyConfig, purpose: str) -> str:
    return f"{config.project.name}-{purpose}"


def table_address(table_name: str) -> str:
    return f"aws_dynamodb_table.{logical(table_name)}"
