"""Every policy document of the platform, by the name of its review file in out/policies/."""

from __future__ import annotations

from typing import Any

from generator.config.models import WhimsyConfig
from generator.model import functions, identity, storage


def all_policies(config: WhimsyConfig) -> dict[str, dict[str, Any]]:
    policies = {
        "bucket-user-files": storage.user_files_bucket_policy(config),
        "bucket-access-logs": storage.log_bucket_policy(config),
        "role-authenticated-trust": identity.trust_policy("authenticated"),
        "role-authenticated": identity.user_policy(config),
    }
    if config.auth.admin_group:
        policies["role-admin-trust"] = identity.trust_policy("authenticated")
        policies["role-admin"] = identity.admin_policy(config)
    if config.functions:
        policies["role-function-trust"] = functions.LAMBDA_TRUST
    for name in config.functions:
        policies[f"function-{name}"] = functions.function_policy(config, name)
    if config.auth.identity_pool.allow_guests:
        policies["role-guest-trust"] = identity.trust_policy("unauthenticated")
    return dict(sorted(policies.items()))
