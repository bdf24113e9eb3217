"""Every policy document of the platform, by the name of its review file in out/policies/."""

from __future__ import annotations

from typing import Any

from generator.config.models import WhimsyConfig
from generator.model import delivery, edge, functions, identity, storage
from generator.model.refs import tf_ref


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
    if config.sites.apex:
        policies["bucket-site"] = edge.site_bucket_policy(
            config.sites.apex.bucket, tf_ref("aws_cloudfront_distribution.apex.arn")
        )
    if edge.has_sites(config):
        policies["bucket-cdn-logs"] = edge.cdn_log_bucket_policy(config)
    if config.realtime.websocket:
        policies["role-apigateway-logs-trust"] = edge.APIGATEWAY_LOGS_TRUST
    if config.functions:
        policies["role-function-trust"] = functions.LAMBDA_TRUST
    for name in config.functions:
        policies[f"function-{name}"] = functions.function_policy(config, name)
    if config.auth.identity_pool.allow_guests:
        policies["role-guest-trust"] = identity.trust_policy("unauthenticated")
    if config.delivery.github:
        settings = config.delivery.github
        policies["delivery-boundary"] = delivery.boundary_policy(config)
        policies["role-deploy"] = delivery.deploy_policy(config)
        policies["role-deploy-trust"] = delivery.trust(config, delivery.deploy_subjects(settings))
        policies["role-plan"] = delivery.plan_policy(config)
        policies["role-plan-trust"] = delivery.trust(config, delivery.plan_subjects(settings))
    return dict(sorted(policies.items()))
