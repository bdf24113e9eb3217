"""Each function's IAM role, derived from what its config entry says it may touch."""

from __future__ import annotations

from typing import Any

from generator.config.models import Function, WhimsyConfig
from generator.model import data, identity, names, storage
from generator.model.refs import tf_ref

Statement = dict[str, Any]

LAMBDA_TRUST = identity.service_trust_policy("lambda.amazonaws.com")
TABLE_ACTIONS = {"read": data.READ_ACTIONS, "write": data.WRITE_ACTIONS}
# Send to, look up and drop WebSocket connections through the management API.
CONNECTION_METHODS = ("DELETE", "GET", "POST")


def function_name(config: WhimsyConfig, name: str) -> str:
    return f"{config.project.name}-{name}"


def log_group_address(name: str) -> str:
    return f"aws_cloudwatch_log_group.{names.logical('fn_' + name)}"


def secret_address(secret: str) -> str:
    return f"aws_secretsmanager_secret.{names.logical('secret_' + secret)}"


WEBSOCKET_API_ADDRESS = "aws_apigatewayv2_api.realtime"


def _bucket_statements(config: WhimsyConfig, function: Function) -> list[Statement]:
    """Grants on every user's folder at the configured prefix (functions act for all users)."""
    grants = [(grant.prefix, list(grant.actions)) for grant in function.access.bucket]
    owner = names.identity_id_pattern(config.project.region)
    return storage.folder_statements(config.storage.bucket, owner, grants, "Bucket")


def function_policy(config: WhimsyConfig, name: str) -> dict[str, Any]:
    function = config.functions[name]
    statements: list[Statement] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": tf_ref(f"{log_group_address(name)}.arn") + ":*",
        }
    ]
    statements += _bucket_statements(config, function)
    tables = {table.name: table for table in config.kv.tables}
    for grant in function.access.tables:
        actions = sorted({a for word in grant.actions for a in TABLE_ACTIONS[word]})
        statements.append(
            {
                "Sid": data.sid("Table", tables[grant.table]),
                "Effect": "Allow",
                "Action": actions,
                "Resource": data.table_arn(tables[grant.table]),
            }
        )
    if function.secrets:
        statements.append(
            {
                "Sid": "ReadNamedSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": [tf_ref(f"{secret_address(s)}.arn") for s in sorted(function.secrets)],
            }
        )
    if function.access.websocket_management:
        api = tf_ref(f"{WEBSOCKET_API_ADDRESS}.execution_arn")
        statements.append(
            {
                "Sid": "ManageWebSocketConnections",
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": [f"{api}/*/{method}/@connections/*" for method in CONNECTION_METHODS],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def platform_environment(config: WhimsyConfig) -> dict[str, str]:
    """What every function may need to know about the platform (no secrets among it)."""
    environment = {
        "WHIMSY_APEX": config.domains.apex,
        "WHIMSY_USER_POOL_ID": tf_ref("aws_cognito_user_pool.users.id"),
        "WHIMSY_USER_POOL_CLIENT_ID": tf_ref("aws_cognito_user_pool_client.web.id"),
        "WHIMSY_IDENTITY_POOL_ID": tf_ref("aws_cognito_identity_pool.identities.id"),
    }
    if config.realtime.websocket is not None:
        environment["WHIMSY_WEBSOCKET_MAX_MESSAGE_BYTES"] = str(
            config.realtime.websocket.max_message_bytes
        )
    subdomains = config.sites.user_subdomains
    if subdomains is not None:
        environment["WHIMSY_HANDLES_TABLE"] = subdomains.handles_table
        environment["WHIMSY_RESERVED_HANDLES"] = ",".join(sorted(subdomains.reserved_handles))
        environment["WHIMSY_SITE_CACHE_SECONDS"] = str(subdomains.caching.default_ttl_seconds)
        if subdomains.usage_table:
            environment["WHIMSY_USAGE_TABLE"] = subdomains.usage_table
    return environment


def function_environment(config: WhimsyConfig, name: str) -> dict[str, str]:
    """The configured variables plus where the function's resources are (never secret values)."""
    function = config.functions[name]
    environment = {**platform_environment(config), **function.env}
    environment["WHIMSY_FUNCTION"] = name
    if function.access.bucket:
        environment["WHIMSY_USER_FILES_BUCKET"] = config.storage.bucket
    for grant in function.access.tables:
        key = "WHIMSY_TABLE_" + grant.table.upper().replace("-", "_").replace(".", "_")
        environment[key] = grant.table
    if function.secrets:
        environment["WHIMSY_SECRET_NAMES"] = ",".join(sorted(function.secrets))
    return dict(sorted(environment.items()))
