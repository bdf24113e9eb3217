"""The local-only Terraform override files: what turns the committed main.tf.json into a
deployment on the emulator, without touching out/.

Terraform merges `*_override.tf.json` into the configuration argument by argument, so these
files only ever replace values; they cannot add a resource. They are written to the working
copy under .whimsy-local/, never to out/.

- whimsy_local_override.tf.json (every command): a local backend; the AWS provider (both
  aliases) with fake credentials and every endpoint this platform calls pointed at the
  emulator, so that nothing can reach AWS; Route53 records moved into the hosted zone created
  in the emulator (the committed zone is referenced by id, and an emulator mints its own ids);
  Lambda packages the emulator's interpreter can import (see lambdas.py); and the attributes
  ministack invents on read, ignored (EMULATOR_READ_QUIRKS), so that a re-plan is a real test
  of the generated Terraform.
- whimsy_teardown_override.tf.json (`down` only): what AWS itself requires before a destroy
  that leaves nothing behind — deletion protection lifted from the tables and the user pool,
  buckets emptied on delete, secrets deleted without the recovery window (a secret scheduled
  for deletion keeps its name taken: the next apply could not create it again).
"""

from __future__ import annotations

from typing import Any

LOCAL_OVERRIDE = "whimsy_local_override.tf.json"
TEARDOWN_OVERRIDE = "whimsy_teardown_override.tf.json"
FAKE_CREDENTIALS = {"access_key": "test", "secret_key": "test"}

# resource type prefix -> the provider's endpoint key for its service. A resource type outside
# this table is an error (unknown_resource_types): better to refuse than to let the provider
# call the real AWS endpoint of a service nobody pointed at the emulator.
ENDPOINTS = {
    "aws_acm_": "acm",
    "aws_api_gateway_": "apigateway",
    "aws_apigatewayv2_": "apigatewayv2",
    "aws_cloudfront_": "cloudfront",
    "aws_cloudwatch_log_": "logs",
    "aws_cognito_identity_": "cognitoidentity",
    "aws_cognito_user": "cognitoidp",
    "aws_dynamodb_": "dynamodb",
    "aws_iam_": "iam",
    "aws_lambda_": "lambda",
    "aws_route53_": "route53",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_sqs_": "sqs",
    "aws_sns_": "sns",
    "aws_kms_": "kms",
    "aws_ssm_": "ssm",
}
# called by the provider whatever the resource types: STS (credentials, account id) and KMS
# (reading a DynamoDB table resolves its encryption key with kms:DescribeKey). Without these
# the provider would call kms.<region>.amazonaws.com itself (seen in its debug log).
ALWAYS = ("kms", "sts")

# (resource type, name or "*", attributes): values ministack 1.5.33 reports that AWS does
# not, each of which would otherwise show as a change on every plan:
# - API Gateway v2 authorizers: GetAuthorizer answers authorizerPayloadFormatVersion "2.0"
#   for every authorizer (AWS sets it only for HTTP API REQUEST authorizers; whimsy's are a
#   JWT one and a WebSocket one) and an empty jwtConfiguration for the REQUEST authorizer
#   (services/apigateway.py, _create_authorizer).
# - CloudFront response headers policy: an empty CustomHeadersConfig and RemoveHeadersConfig
#   (Quantity 0) where AWS omits them (services/cloudfront.py, _rhp_config_xml).
# tests/local/test_e2e.py checks that a plan without these ignores changes exactly these
# attributes, so a ministack upgrade that fixes one (or a new diff) shows up.
EMULATOR_READ_QUIRKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("aws_apigatewayv2_authorizer", "*", ("authorizer_payload_format_version",)),
    ("aws_apigatewayv2_authorizer", "WEBSOCKET", ("jwt_configuration",)),
    (
        "aws_cloudfront_response_headers_policy",
        "*",
        ("custom_headers_config", "remove_headers_config"),
    ),
)
# DescribeIdentityPool answers only the tags given at creation, not those TagResource set later:
# an imported (adopted) identity pool, created without whimsy's tags, would re-plan them forever.
ADOPTED_READ_QUIRKS: dict[str, tuple[str, ...]] = {"aws_cognito_identity_pool": ("tags_all",)}


def resources(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = document.get("resource") or {}
    return found


def unknown_resource_types(document: dict[str, Any]) -> list[str]:
    return sorted(
        kind for kind in resources(document) if not any(kind.startswith(p) for p in ENDPOINTS)
    )


def endpoint_keys(document: dict[str, Any]) -> list[str]:
    keys = {key for prefix, key in ENDPOINTS.items() for kind in resources(document)
            if kind.startswith(prefix)}  # fmt: skip
    return sorted(keys | set(ALWAYS))


def provider_aliases(document: dict[str, Any]) -> list[str]:
    providers = (document.get("provider") or {}).get("aws") or []
    if isinstance(providers, dict):
        providers = [providers]
    return sorted({str(p["alias"]) for p in providers if isinstance(p, dict) and p.get("alias")})


def provider_block(document: dict[str, Any], url: str) -> dict[str, Any]:
    return {
        **FAKE_CREDENTIALS,
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,  # bucket.127.0.0.1 does not resolve
        "endpoints": [{key: url for key in endpoint_keys(document)}],
    }


def _websocket_apis(document: dict[str, Any]) -> set[str]:
    apis = resources(document).get("aws_apigatewayv2_api") or {}
    return {name for name, api in apis.items() if api.get("protocol_type") == "WEBSOCKET"}


def quirk_ignores(document: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """{type: {name: [attributes to ignore]}} for the resources EMULATOR_READ_QUIRKS names, and
    ADOPTED_READ_QUIRKS for the resources the document imports."""
    websocket = _websocket_apis(document)
    ignores: dict[str, dict[str, list[str]]] = {}
    for kind, selector, attributes in EMULATOR_READ_QUIRKS:
        for name, body in (resources(document).get(kind) or {}).items():
            api = str(body.get("api_id", "")).removeprefix("${aws_apigatewayv2_api.")
            on_websocket = api.removesuffix(".id}") in websocket
            if selector == "*" or (selector == "WEBSOCKET" and on_websocket):
                ignores.setdefault(kind, {}).setdefault(name, []).extend(attributes)
    for block in document.get("import") or []:
        kind, _, name = str(block.get("to", "")).partition(".")
        if kind in ADOPTED_READ_QUIRKS:
            ignores.setdefault(kind, {}).setdefault(name, []).extend(ADOPTED_READ_QUIRKS[kind])
    return ignores


def local_override(
    document: dict[str, Any],
    url: str,
    zone_id: str,
    packages: dict[str, tuple[str, str]],
    *,
    ignore_quirks: bool = True,
) -> dict[str, Any]:
    """The override that deploys `document` on the emulator at `url`.

    packages: {aws_lambda_function name: (filename, source_code_hash)} for the functions whose
    committed zip the emulator cannot import as is.
    """
    unknown = unknown_resource_types(document)
    if unknown:
        raise ValueError(f"no emulator endpoint known for resource types: {', '.join(unknown)}")
    block = provider_block(document, url)
    override_resources: dict[str, dict[str, dict[str, Any]]] = {}

    def merge(kind: str, name: str, values: dict[str, Any]) -> None:
        override_resources.setdefault(kind, {}).setdefault(name, {}).update(values)

    for name in resources(document).get("aws_route53_record") or {}:
        merge("aws_route53_record", name, {"zone_id": zone_id})
    for name, (filename, source_hash) in sorted(packages.items()):
        merge("aws_lambda_function", name, {"filename": filename, "source_code_hash": source_hash})
    if ignore_quirks:
        for kind, names in quirk_ignores(document).items():
            for name, attributes in names.items():
                merge(kind, name, {"lifecycle": {"ignore_changes": attributes}})
    override: dict[str, Any] = {
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
        "provider": {
            "aws": [block] + [{"alias": alias, **block} for alias in provider_aliases(document)]
        },
    }
    if override_resources:
        override["resource"] = override_resources
    return override


def addresses(override_document: dict[str, Any]) -> list[str]:
    """'type.name' of every resource an override document changes."""
    return sorted(f"{kind}.{name}" for kind, names in resources(override_document).items()
                  for name in names)  # fmt: skip


def teardown_override(document: dict[str, Any]) -> dict[str, Any]:
    """Lift the protections a destroy needs lifted (an apply with this comes first)."""
    found = resources(document)
    lifted: dict[str, dict[str, dict[str, Any]]] = {}
    for name, body in (found.get("aws_dynamodb_table") or {}).items():
        if body.get("deletion_protection_enabled"):
            lifted.setdefault("aws_dynamodb_table", {})[name] = {
                "deletion_protection_enabled": False
            }
    for name, body in (found.get("aws_cognito_user_pool") or {}).items():
        if body.get("deletion_protection") == "ACTIVE":
            lifted.setdefault("aws_cognito_user_pool", {})[name] = {
                "deletion_protection": "INACTIVE"
            }
    for name in found.get("aws_s3_bucket") or {}:
        lifted.setdefault("aws_s3_bucket", {})[name] = {"force_destroy": True}
    for name in found.get("aws_secretsmanager_secret") or {}:
        lifted.setdefault("aws_secretsmanager_secret", {})[name] = {"recovery_window_in_days": 0}
    for kind, names in found.items():
        for name, body in names.items():
            if (body.get("lifecycle") or {}).get("prevent_destroy"):
                lifted.setdefault(kind, {}).setdefault(name, {})["lifecycle"] = {
                    "prevent_destroy": False
                }
    return {"resource": lifted} if lifted else {}
