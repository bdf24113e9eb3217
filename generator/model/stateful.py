"""Resources that hold data or identities that cannot be recreated: the one list that the
generator (prevent_destroy, retired blocks), `whimsy diff` (data loss) and `whimsy gate`
(destroy/replace refused) all use.

Destroying or replacing one of these loses something a new resource does not bring back:
files (bucket), logins (user pool), the app client id every browser app carries, the identity
ids that name every user's folder (identity pool), items (table), a validated certificate,
secret values set out of band.
"""

from __future__ import annotations

STATEFUL_TYPES: dict[str, str] = {
    "aws_s3_bucket": "bucket (every object and version in it)",
    "aws_cognito_user_pool": "user pool (every login)",
    "aws_cognito_user_pool_client": "app client (its id, which browser apps carry)",
    "aws_cognito_identity_pool": "identity pool (the identity ids that name users' folders)",
    "aws_dynamodb_table": "table (every item)",
    "aws_acm_certificate": "certificate (its validation)",
    "aws_secretsmanager_secret": "secret (its value, set out of band)",
}

# Resources that must never be *created* for something the config says already exists.
ADOPTABLE_CREATIONS = ("aws_s3_bucket", "aws_cognito_user_pool", "aws_cognito_identity_pool")


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES


def what_is_lost(resource_type: str) -> str:
    return STATEFUL_TYPES[resource_type]
