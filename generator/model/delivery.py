"""Delivery from GitHub Actions: the OIDC trust, the deploy and plan roles, the boundary.

- The plan role (pull requests) reads what `terraform plan` refreshes and the state; it cannot
  read users' files, items or secret values, and cannot change anything.
- The deploy role (the main branch) manages the platform's resources: those named with the
  project's prefix, and by name those the config names outside it (adopted ones). It may
  create and change the platform's roles only when they carry the platform boundary, a managed
  policy that caps every platform role at the platform's own buckets, tables, logs and secrets;
  it can change neither the boundary nor the delivery roles themselves (an administrator
  applies those), so a compromised workflow cannot grant itself more than the platform has.
"""

from __future__ import annotations

from typing import Any

from generator.config.models import GitHubDelivery, WhimsyConfig
from generator.model import names
from generator.model.functions import function_name
from generator.model.refs import tf_ref

GITHUB_ISSUER = "token.actions.githubusercontent.com"
# Terraform local names of the delivery's resources (generator/stack/delivery.py)
OIDC_LOCAL, BOUNDARY_LOCAL, DEPLOY_LOCAL, PLAN_LOCAL = (
    "github",
    "platform_boundary",
    "deploy",
    "plan",
)
OIDC_ADDRESS = f"aws_iam_openid_connect_provider.{OIDC_LOCAL}"
BOUNDARY_ADDRESS = f"aws_iam_policy.{BOUNDARY_LOCAL}"
# The delivery itself: the deploy role may not change any of these, an administrator applies them.
DELIVERY_ADDRESSES = frozenset({
    OIDC_ADDRESS, BOUNDARY_ADDRESS,
    *(f"{kind}.{local}" for kind in ("aws_iam_role", "aws_iam_role_policy")
      for local in (DEPLOY_LOCAL, PLAN_LOCAL)),
})  # fmt: skip
APIGATEWAY_LOGS_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


def github(config: WhimsyConfig) -> GitHubDelivery | None:
    return config.delivery.github


def boundary_ref(config: WhimsyConfig) -> str | None:
    """The boundary every platform role carries (only when CI deploys)."""
    return tf_ref(f"{BOUNDARY_ADDRESS}.arn") if github(config) else None


def boundary_name(config: WhimsyConfig) -> str:
    return names.role_name(config, "platform-boundary")


def deploy_role_name(config: WhimsyConfig) -> str:
    return names.role_name(config, "deploy")


def plan_role_name(config: WhimsyConfig) -> str:
    return names.role_name(config, "plan")


def _account(config: WhimsyConfig) -> str:
    return config.project.account_id or "*"


def _arn(config: WhimsyConfig, service: str, resource: str, region: str | None = None) -> str:
    where = config.project.region if region is None else region
    return f"arn:aws:{service}:{where}:{_account(config)}:{resource}"


def _iam(config: WhimsyConfig, resource: str) -> str:
    return f"arn:aws:iam::{_account(config)}:{resource}"


def oidc_provider_arn(config: WhimsyConfig) -> str:
    return tf_ref(f"{OIDC_ADDRESS}.arn")


def trust(config: WhimsyConfig, subjects: list[str]) -> dict[str, Any]:
    """GitHub's OIDC tokens for this repository, audience STS, one of the given subjects."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn(config)},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com",
                        f"{GITHUB_ISSUER}:sub": subjects,
                    }
                },
            }
        ],
    }


def deploy_subjects(settings: GitHubDelivery) -> list[str]:
    if settings.environment:
        return [f"repo:{settings.repository}:environment:{settings.environment}"]
    return [f"repo:{settings.repository}:ref:refs/heads/{settings.branch}"]


def plan_subjects(settings: GitHubDelivery) -> list[str]:
    return [f"repo:{settings.repository}:pull_request"]


# --- what the platform is made of: its name prefix, plus what the config names outside it ----
#
# Scoping by the project's prefix (`<project>-*`, secrets `<project>/*`) rather than by each
# resource's exact name means a routine change (a new table, function, route or folder rule)
# is deployable by the delivery roles generated before it: their policies and the boundary do
# not change. Only a resource named outside the prefix (an adopted bucket or table) is listed
# by name, so adding one changes the delivery and needs an administrator's apply. The state
# bucket may match the prefix: every document that grants by prefix denies it explicitly.


def name_prefix(config: WhimsyConfig) -> str:
    return f"{config.project.name}-"


def secret_prefix(config: WhimsyConfig) -> str:
    return f"{config.project.name}/"


def _scoped(prefix: str, physical: list[str]) -> list[str]:
    """`<prefix>*` and, by name, the physical names that do not start with the prefix."""
    return [f"{prefix}*", *sorted({name for name in physical if not name.startswith(prefix)})]


def _bucket_names(config: WhimsyConfig) -> list[str]:
    from generator.model import edge

    buckets = [config.storage.bucket, names.log_bucket(config)]
    if config.sites.apex:
        buckets.append(config.sites.apex.bucket)
    if edge.has_sites(config):
        buckets.append(edge.cdn_log_bucket(config))
    return buckets


def _buckets(config: WhimsyConfig) -> list[str]:
    return [names.bucket_arn(b) for b in _scoped(name_prefix(config), _bucket_names(config))]


def _state_bucket(config: WhimsyConfig) -> list[str]:
    arn = names.bucket_arn(config.project.state.bucket)
    return [arn, f"{arn}/*"]


def _tables(config: WhimsyConfig) -> list[str]:
    scoped = _scoped(name_prefix(config), [t.name for t in config.kv.tables])
    return [_arn(config, "dynamodb", f"table/{name}") for name in scoped]


def _functions(config: WhimsyConfig) -> list[str]:
    physical = [function_name(config, name) for name in config.functions]
    scoped = _scoped(name_prefix(config), physical)
    return [_arn(config, "lambda", f"function:{name}") for name in scoped]


def _log_groups(config: WhimsyConfig) -> list[str]:
    project = config.project.name
    return [
        _arn(config, "logs", f"log-group:/aws/lambda/{project}-*"),
        _arn(config, "logs", f"log-group:/aws/lambda/{project}-*:*"),
        _arn(config, "logs", f"log-group:/aws/apigateway/{project}-*"),
        _arn(config, "logs", f"log-group:/aws/apigateway/{project}-*:*"),
    ]


def _secrets(config: WhimsyConfig) -> list[str]:
    prefix = secret_prefix(config)
    declared = [s for f in config.functions.values() for s in f.secrets]
    # Secrets Manager appends '-' and six random characters to a named secret's ARN
    suffixed = [
        name if name.endswith("*") else f"{name}-??????" for name in _scoped(prefix, declared)
    ]
    return [_arn(config, "secretsmanager", f"secret:{name}") for name in suffixed]


def _platform_roles(config: WhimsyConfig) -> str:
    return _iam(config, f"role/{config.project.name}-*")


def _delivery_resources(config: WhimsyConfig) -> list[str]:
    return sorted([
        _iam(config, f"role/{deploy_role_name(config)}"),
        _iam(config, f"role/{plan_role_name(config)}"),
        _iam(config, f"policy/{boundary_name(config)}"),
        _iam(config, f"oidc-provider/{GITHUB_ISSUER}"),
    ])  # fmt: skip


# --- the boundary ---------------------------------------------------------------------------------


def boundary_policy(config: WhimsyConfig) -> dict[str, Any]:
    """The most any platform role may ever do (each role's own policy grants less)."""
    buckets = _buckets(config)
    statements: list[dict[str, Any]] = [
        {"Sid": "PlatformObjects", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
                    "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
         "Resource": buckets + [f"{b}/*" for b in buckets]},
        {"Sid": "PlatformItems", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"],
         "Resource": _tables(config)},
        {"Sid": "PlatformLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                    "logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"],
         "Resource": _arn(config, "logs", "log-group:*")},
        {"Sid": "ListLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups",
         "Resource": "*"},
        {"Sid": "PlatformSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": _secrets(config)},
        # the state bucket may match the platform's prefix; no platform role has business there
        {"Sid": "NeverTheState", "Effect": "Deny", "Action": "s3:*",
         "Resource": _state_bucket(config)},
    ]  # fmt: skip
    if config.realtime.websocket:
        statements.append({"Sid": "WebSocketConnections", "Effect": "Allow",
                           "Action": "execute-api:ManageConnections",
                           "Resource": _arn(config, "execute-api", "*")})  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


# --- the plan role --------------------------------------------------------------------------------

_READ_CONFIGURATION = [
    "s3:GetBucket*", "s3:GetAccelerateConfiguration", "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:ListBucket",
    "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive",
    "dynamodb:ListTagsOfResource",
    "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetPolicy",
    "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListTags",
    "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
    "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetOpenIDConnectProvider",
]  # fmt: skip


def _state_statements(config: WhimsyConfig, write: bool) -> list[dict[str, Any]]:
    state = config.project.state
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write else ["s3:GetObject"]
    return [
        {"Sid": "StateObject", "Effect": "Allow", "Action": actions,
         "Resource": [f"arn:aws:s3:::{state.bucket}/{state.key}",
                      f"arn:aws:s3:::{state.bucket}/{state.key}.tflock"]},
        {"Sid": "StateListing", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{state.bucket}",
         "Condition": {"StringEquals": {"s3:prefix": [state.key, f"{state.key}.tflock"]}}},
    ]  # fmt: skip


def plan_policy(config: WhimsyConfig) -> dict[str, Any]:
    buckets = _buckets(config)
    named = [*buckets, *_tables(config), *_functions(config), _platform_roles(config),
             *_delivery_resources(config)]  # fmt: skip
    zone = f"arn:aws:route53:::hostedzone/{config.domains.hosted_zone_id}"
    statements = [
        *_state_statements(config, write=False),
        {"Sid": "ReadPlatformConfiguration", "Effect": "Allow", "Action": _READ_CONFIGURATION,
         "Resource": sorted(named)},
        {"Sid": "ReadCognito", "Effect": "Allow",
         "Action": ["cognito-idp:DescribeUserPool", "cognito-idp:DescribeUserPoolClient",
                    "cognito-idp:GetUserPoolMfaConfig", "cognito-idp:GetGroup",
                    "cognito-identity:DescribeIdentityPool",
                    "cognito-identity:GetIdentityPoolRoles"],
         "Resource": [_arn(config, "cognito-idp", "userpool/*"),
                      _arn(config, "cognito-identity", "identitypool/*")]},
        {"Sid": "ReadEdge", "Effect": "Allow",
         "Action": ["cloudfront:GetDistribution", "cloudfront:GetDistributionConfig",
                    "cloudfront:GetCachePolicy", "cloudfront:GetOriginAccessControl",
                    "cloudfront:GetResponseHeadersPolicy", "cloudfront:DescribeFunction",
                    "cloudfront:GetFunction", "cloudfront:ListTagsForResource"],
         "Resource": f"arn:aws:cloudfront::{_account(config)}:*"},
        {"Sid": "ReadCertificates", "Effect": "Allow",
         "Action": ["acm:DescribeCertificate", "acm:ListTagsForCertificate"],
         "Resource": _arn(config, "acm", "certificate/*", region="us-east-1")},
        {"Sid": "ReadDns", "Effect": "Allow",
         "Action": ["route53:GetHostedZone", "route53:ListResourceRecordSets"],
         "Resource": zone},
        {"Sid": "ReadDnsChanges", "Effect": "Allow", "Action": "route53:GetChange",
         "Resource": "arn:aws:route53:::change/*"},
        {"Sid": "ReadApis", "Effect": "Allow", "Action": "apigateway:GET",
         "Resource": f"arn:aws:apigateway:{config.project.region}::/*"},
        {"Sid": "ReadLogGroups", "Effect": "Allow",
         "Action": ["logs:ListTagsForResource", "logs:ListTagsLogGroup"],
         "Resource": _log_groups(config)},
        {"Sid": "ReadSecretContainers", "Effect": "Allow",
         "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
         "Resource": _secrets(config)},
        {"Sid": "Unscopable", "Effect": "Allow",
         "Action": ["logs:DescribeLogGroups", "sts:GetCallerIdentity"], "Resource": "*"},
    ]  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


# --- the deploy role -----------------------------------------------------------------------------


_CLOUDFRONT_MANAGEMENT = [
    "cloudfront:CreateDistribution", "cloudfront:UpdateDistribution",
    "cloudfront:DeleteDistribution", "cloudfront:GetDistribution",
    "cloudfront:GetDistributionConfig", "cloudfront:TagResource", "cloudfront:UntagResource",
    "cloudfront:ListTagsForResource", "cloudfront:CreateCachePolicy",
    "cloudfront:UpdateCachePolicy", "cloudfront:DeleteCachePolicy", "cloudfront:GetCachePolicy",
    "cloudfront:UpdateOriginAccessControl",
    "cloudfront:DeleteOriginAccessControl", "cloudfront:GetOriginAccessControl",
    "cloudfront:CreateResponseHeadersPolicy", "cloudfront:UpdateResponseHeadersPolicy",
    "cloudfront:DeleteResponseHeadersPolicy", "cloudfront:GetResponseHeadersPolicy",
    "cloudfront:CreateFunction", "cloudfront:UpdateFunction", "cloudfront:DeleteFunction",
    "cloudfront:DescribeFunction", "cloudfront:GetFunction", "cloudfront:PublishFunction",
]  # fmt: skip

_COGNITO_MANAGEMENT = [
    "cognito-idp:DeleteUserPool", "cognito-idp:DescribeUserPool",
    "cognito-idp:UpdateUserPool", "cognito-idp:GetUserPoolMfaConfig",
    "cognito-idp:SetUserPoolMfaConfig", "cognito-idp:CreateUserPoolClient",
    "cognito-idp:DeleteUserPoolClient", "cognito-idp:DescribeUserPoolClient",
    "cognito-idp:UpdateUserPoolClient", "cognito-idp:CreateGroup", "cognito-idp:DeleteGroup",
    "cognito-idp:GetGroup", "cognito-idp:UpdateGroup", "cognito-idp:TagResource",
    "cognito-idp:UntagResource", "cognito-idp:ListTagsForResource",
    "cognito-identity:DeleteIdentityPool",
    "cognito-identity:DescribeIdentityPool", "cognito-identity:UpdateIdentityPool",
    "cognito-identity:GetIdentityPoolRoles",
    "cognito-identity:TagResource", "cognito-identity:UntagResource",
    "cognito-identity:ListTagsForResource",
]  # fmt: skip


def deploy_policy(config: WhimsyConfig) -> dict[str, Any]:
    boundary = {"StringEquals": {"iam:PermissionsBoundary": boundary_ref(config)}}
    buckets = _buckets(config)
    zone = f"arn:aws:route53:::hostedzone/{config.domains.hosted_zone_id}"
    statements: list[dict[str, Any]] = [
        *_state_statements(config, write=True),
        # Bucket configuration only: no object action is listed, so no user file is readable.
        {"Sid": "Buckets", "Effect": "Allow",
         "Action": ["s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucket*",
                    "s3:PutBucket*", "s3:DeleteBucketPolicy", "s3:GetAccelerateConfiguration",
                    "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
                    "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration",
                    "s3:PutEncryptionConfiguration"],
         "Resource": buckets},
        {"Sid": "Tables", "Effect": "Allow",
         "Action": ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable",
                    "dynamodb:UpdateTable", "dynamodb:DescribeContinuousBackups",
                    "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeTimeToLive",
                    "dynamodb:UpdateTimeToLive", "dynamodb:ListTagsOfResource",
                    "dynamodb:TagResource", "dynamodb:UntagResource"],
         "Resource": _tables(config)},
        {"Sid": "Functions", "Effect": "Allow",
         "Action": ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction",
                    "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode",
                    "lambda:UpdateFunctionConfiguration", "lambda:ListVersionsByFunction",
                    "lambda:GetFunctionCodeSigningConfig", "lambda:GetPolicy",
                    "lambda:AddPermission", "lambda:RemovePermission", "lambda:TagResource",
                    "lambda:UntagResource", "lambda:ListTags"],
         "Resource": _functions(config)},
        # Platform roles only with the boundary on: whatever their policies say, they can
        # never exceed it (and the boundary itself is not this role's to change).
        {"Sid": "PlatformRolesWithinTheBoundary", "Effect": "Allow",
         "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                    "iam:AttachRolePolicy", "iam:DetachRolePolicy",
                    "iam:PutRolePermissionsBoundary"],
         "Resource": _platform_roles(config), "Condition": boundary},
        {"Sid": "PlatformRoles", "Effect": "Allow",
         "Action": ["iam:GetRole", "iam:DeleteRole", "iam:UpdateRole",
                    "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
                    "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                    "iam:ListInstanceProfilesForRole"],
         "Resource": _platform_roles(config)},
        {"Sid": "PassPlatformRoles", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": _platform_roles(config),
         "Condition": {"StringEquals": {"iam:PassedToService": [
             "apigateway.amazonaws.com", "cognito-identity.amazonaws.com",
             "lambda.amazonaws.com"]}}},
        {"Sid": "ReadBoundaryAndProvider", "Effect": "Allow",
         "Action": ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetOpenIDConnectProvider"],
         "Resource": [_iam(config, f"policy/{boundary_name(config)}"),
                      _iam(config, f"oidc-provider/{GITHUB_ISSUER}")]},
        {"Sid": "LogGroups", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
                    "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource",
                    "logs:TagLogGroup", "logs:ListTagsForResource", "logs:ListTagsLogGroup"],
         "Resource": _log_groups(config)},
        {"Sid": "DnsRecords", "Effect": "Allow",
         "Action": ["route53:GetHostedZone", "route53:ChangeResourceRecordSets",
                    "route53:ListResourceRecordSets"],
         "Resource": zone},
        {"Sid": "DnsChanges", "Effect": "Allow", "Action": "route53:GetChange",
         "Resource": "arn:aws:route53:::change/*"},
        # Management calls only: no sign-in, no user administration, no credentials for
        # identities, no certificate export. Create calls cannot name their resource.
        {"Sid": "CreateUnnamed", "Effect": "Allow",
         "Action": ["cognito-idp:CreateUserPool", "cognito-identity:CreateIdentityPool",
                    "acm:RequestCertificate", "cloudfront:CreateOriginAccessControl",
                    "cognito-identity:SetIdentityPoolRoles",
                    "logs:DescribeLogGroups", "sts:GetCallerIdentity"],
         "Resource": "*"},
        {"Sid": "CognitoPools", "Effect": "Allow", "Action": _COGNITO_MANAGEMENT,
         "Resource": [_arn(config, "cognito-idp", "userpool/*"),
                      _arn(config, "cognito-identity", "identitypool/*")]},
        {"Sid": "Certificates", "Effect": "Allow",
         "Action": ["acm:DescribeCertificate", "acm:DeleteCertificate",
                    "acm:ListTagsForCertificate", "acm:AddTagsToCertificate",
                    "acm:RemoveTagsFromCertificate"],
         "Resource": _arn(config, "acm", "certificate/*", region="us-east-1")},
        {"Sid": "Apis", "Effect": "Allow",
         "Action": ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH",
                    "apigateway:DELETE"],
         "Resource": [f"arn:aws:apigateway:{config.project.region}::/*"]},
        {"Sid": "Distributions", "Effect": "Allow", "Action": _CLOUDFRONT_MANAGEMENT,
         "Resource": f"arn:aws:cloudfront::{_account(config)}:*"},
        # Secret containers only: the deploy role never reads a secret's value.
        {"Sid": "SecretContainers", "Effect": "Allow",
         "Action": ["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret",
                    "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret",
                    "secretsmanager:TagResource", "secretsmanager:UntagResource",
                    "secretsmanager:GetResourcePolicy"],
         "Resource": _secrets(config)},
        {"Sid": "NeverTheDeliveryItself", "Effect": "Deny",
         "Action": ["iam:*"], "Resource": _delivery_resources(config)},
        {"Sid": "NeverDropTheBoundary", "Effect": "Deny",
         "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
        # The bucket prefix may match the state bucket: only the state's own object is its.
        {"Sid": "NeverTheStateBucket", "Effect": "Deny",
         "NotAction": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
         "Resource": _state_bucket(config)},
    ]  # fmt: skip
    if any(t.name for t in config.kv.tables) and _seeds(config):
        statements.append(_seed_statement(config))
    return {"Version": "2012-10-17", "Statement": statements}


def _seeds(config: WhimsyConfig) -> bool:
    subdomains = config.sites.user_subdomains
    return bool(subdomains and subdomains.seed_handles)


def _seed_statement(config: WhimsyConfig) -> dict[str, Any]:
    """The handle seeds are table items that Terraform writes."""
    assert config.sites.user_subdomains is not None
    table = config.sites.user_subdomains.handles_table
    return {"Sid": "HandleSeeds", "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            "Resource": _arn(config, "dynamodb", f"table/{table}")}  # fmt: skip


def github_thumbprints() -> list[str]:
    """GitHub's published thumbprints; AWS trusts GitHub's CA for this provider anyway."""
    return ["1c58a3a8518e8759bf075b76b750d4f2df264fcd", "6938fd4d98bab03faadb97b34396831e3780aea1"]
