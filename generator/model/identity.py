"""Cognito identity pool roles: who may assume them, and what signed-in users may do."""

from __future__ import annotations

from typing import Any

from generator.config.models import WhimsyConfig
from generator.model import data, names, storage
from generator.model.refs import tf_ref

IDENTITY_POOL_ID = tf_ref("aws_cognito_identity_pool.identities.id")
# The browser client signs in with SRP only (no password ever leaves the browser).
WEB_CLIENT_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH")


def service_trust_policy(service: str) -> dict[str, Any]:
    """Only the named AWS service (lambda.amazonaws.com, ...) may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def trust_policy(amr: str) -> dict[str, Any]:
    """Only identities of our pool, with the given authentication state, may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": IDENTITY_POOL_ID},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr},
                },
            }
        ],
    }


def user_policy(config: WhimsyConfig) -> dict[str, Any]:
    """A signed-in user's grants: their own folder per the folder rules, and their own items."""
    statements = storage.owner_statements(
        config.storage.bucket, names.IDENTITY_VARIABLE, list(config.storage.folders)
    )
    statements += data.user_statements(config)
    return {"Version": "2012-10-17", "Statement": statements}


# The admin role trusts every signed-in identity of the pool, like the user role: a trust
# policy cannot see Cognito groups. What keeps users out is the enhanced (non-classic) flow,
# where Cognito hands out a role only through the pool's token-based role mapping, i.e. to
# members of the admin group. The stack therefore always sets allow_classic_flow = false.


def admin_policy(config: WhimsyConfig) -> dict[str, Any]:
    """Admins are users too (the admin role replaces the user role), plus config writes."""
    statements = user_policy(config)["Statement"] + data.admin_statements(config)
    return {"Version": "2012-10-17", "Statement": statements}
