"""whimsy's own checks: what checkov does not cover for this platform.

Each rule is a small pure function of the Terraform configuration (tfjson.Configuration) that
yields findings; they run in milliseconds, without checkov or Terraform, so plain unit tests
can mutate the generated document and assert the finding.

- WHIMSY_COGNITO_PASSWORD_POLICY  user pools: a password policy of at least 12 characters and
                                  temporary passwords valid at most 7 days
- WHIMSY_COGNITO_MFA              user pools: MFA optional or required, with a factor enabled
- WHIMSY_IDENTITY_POOL            identity pools: enhanced flow only (the classic flow would
                                  hand any role trusting the pool, the admin role too, to every
                                  user) and server-side token checks (revoked tokens stop working)
- WHIMSY_TRUST_CONDITIONS         roles trusting Cognito: only AssumeRoleWithWebIdentity, an
                                  exact `aud` (our identity pool) and an `amr` that matches the
                                  role's use; no role trusts everyone
- WHIMSY_S3_TLS_ONLY              every bucket's policy denies requests without TLS
- WHIMSY_S3_PUBLIC_ACCESS         every bucket blocks ACLs; a relaxed public access block only
                                  where the policy publishes something, and what is published is
                                  read-only and confined to a fixed folder (no `*` before the end)
- WHIMSY_S3_VERSIONING            buckets that hold users' files keep versions
- WHIMSY_API_THROTTLING           every API Gateway stage has rate and burst limits
- WHIMSY_IAM_WILDCARD             identity policies: no wildcard actions, NotAction, or
                                  Resource "*" (beyond actions that only support it); the
                                  delivery roles and the boundary are held to WHIMSY_DELIVERY
- WHIMSY_DELIVERY                 CI roles trust one repository (exact aud and sub, no
                                  wildcards); the plan role only reads; the deploy role changes
                                  IAM only under the platform boundary and never the delivery
                                  itself; every other role carries the boundary
- WHIMSY_IAM_ATTACHED_POLICY      function and user roles carry only their generated inline policy
- WHIMSY_IAM_USER_SCOPE           users' roles: no Scan/PartiQL, LeadingKeys with its Null guard,
                                  listing only under the caller's own prefix, objects only in
                                  the caller's own folder
- WHIMSY_S3_CROSS_USER            function roles: users' files only inside <identity-id>/public/
                                  (any other reach into every user's folder needs a reason)

One rule reads the plan instead (what Terraform will do is only known there) and the config's
`adopt:` section (PLAN_RULES):

- WHIMSY_DATA_LOSS                the plan destroys or replaces no stateful resource
                                  (generator/model/stateful.py), and creates no bucket, user pool
                                  or identity pool that `adopt:` says exists without importing it
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from generator.config.folders import PUBLIC_OBJECT_KEY
from generator.model.stateful import ADOPTABLE_CREATIONS, is_stateful, what_is_lost
from generator.review.gate.findings import Finding
from generator.review.gate.tfjson import (
    Configuration,
    Resource,
    as_list,
    block,
    policy,
    referenced,
    statements,
)

if TYPE_CHECKING:
    from generator.config.models import Adopt

Rule = Callable[[Configuration], Iterator[Finding]]
PlanRule = Callable[[Mapping[str, Any], "Adopt"], Iterator[Finding]]

MIN_PASSWORD_LENGTH = 12

MAX_TEMPORARY_PASSWORD_DAYS = 7
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"
IDENTITY_VARIABLE = "${cognito-identity.amazonaws.com:sub}"
# Actions that AWS only authorizes on Resource "*" (nothing narrower exists for them).
RESOURCE_STAR_ONLY = frozenset(
    ("xray:puttracesegments", "xray:puttelemetryrecords", "cloudwatch:putmetricdata")
)
DYNAMODB_NO_KEY_ACTIONS = ("dynamodb:scan", "dynamodb:partiql")
S3_LIST_ACTIONS = frozenset(
    ("s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads")
)
_IDENTITY_POOL_ID = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d:[0-9a-f-]{36}$")


def _finding(check: str, resource: Resource | str, message: str) -> Finding:
    address = resource if isinstance(resource, str) else resource.address
    return Finding(check, address, message, "whimsy")


def _condition(statement: dict[str, Any], operator: str, key: str) -> list[Any] | None:
    """Values of one condition (operator case-sensitive as in IAM, key case-insensitive)."""
    block_ = (statement.get("Condition") or {}).get(operator)
    if not isinstance(block_, dict):
        return None
    for name, value in block_.items():
        if name.lower() == key.lower():
            return as_list(value)
    return None


def _actions(statement: dict[str, Any]) -> list[str]:
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str)]


def _allows(statement: dict[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def _principal_values(statement: dict[str, Any], kind: str) -> list[Any]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    return as_list(principal.get(kind)) if isinstance(principal, dict) else []


def _is_everyone(statement: dict[str, Any]) -> bool:
    return statement.get("Principal") == "*" or "*" in _principal_values(statement, "AWS")


# --- Cognito --------------------------------------------------------------------------------


def cognito_password_policy(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_COGNITO_PASSWORD_POLICY"
    for pool in config.of_type("aws_cognito_user_pool"):
        password = block(pool.values, "password_policy")
        if not password:
            yield _finding(
                check, pool, "no password_policy: Cognito's default of 8 characters applies"
            )
            continue
        length = password.get("minimum_length")
        if not isinstance(length, int) or length < MIN_PASSWORD_LENGTH:
            yield _finding(
                check,
                pool,
                f"minimum_length is {length}; passwords need at least "
                f"{MIN_PASSWORD_LENGTH} characters",
            )
        days = password.get("temporary_password_validity_days")
        if isinstance(days, int) and days > MAX_TEMPORARY_PASSWORD_DAYS:
            yield _finding(
                check,
                pool,
                f"temporary passwords stay valid {days} days (at most "
                f"{MAX_TEMPORARY_PASSWORD_DAYS})",
            )


def cognito_mfa(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_COGNITO_MFA"
    for pool in config.of_type("aws_cognito_user_pool"):
        mode = str(pool.values.get("mfa_configuration", "OFF")).upper()
        if mode not in ("ON", "OPTIONAL"):
            yield _finding(
                check, pool, f"mfa_configuration is {mode}: users cannot add a second factor"
            )
            continue
        totp = block(pool.values, "software_token_mfa_configuration").get("enabled") is True
        sms = bool(block(pool.values, "sms_configuration"))
        email = bool(block(pool.values, "email_mfa_configuration"))
        if not (totp or sms or email):
            yield _finding(check, pool, f"mfa_configuration is {mode} but no MFA factor is enabled")


def identity_pool(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_IDENTITY_POOL"
    for pool in config.of_type("aws_cognito_identity_pool"):
        if pool.values.get("allow_classic_flow") is not False:
            yield _finding(
                check,
                pool,
                "allow_classic_flow is not false: the basic flow lets any user assume "
                "any role that trusts the pool (the admin role included)",
            )
        for provider in as_list(pool.values.get("cognito_identity_providers")):
            if isinstance(provider, dict) and provider.get("server_side_token_check") is not True:
                yield _finding(
                    check,
                    pool,
                    "server_side_token_check is off: signed-out or revoked user "
                    "pool tokens still get AWS credentials",
                )


def _role_attachment_amr(config: Configuration) -> dict[str, str]:
    """role address -> the amr its identity pool hands it out for (from roles attachments)."""
    expected: dict[str, str] = {}
    for attachment in config.of_type("aws_cognito_identity_pool_roles_attachment"):
        roles = attachment.values.get("roles")
        for state, value in roles.items() if isinstance(roles, dict) else []:
            address = referenced(value)
            if address:
                expected[address] = state
    return expected


def trust_conditions(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_TRUST_CONDITIONS"
    pools = {p.address for p in config.of_type("aws_cognito_identity_pool")}
    by_attachment = _role_attachment_amr(config)
    for role in config.of_type("aws_iam_role"):
        document = policy(role.values.get("assume_role_policy"))
        for statement in statements(document):
            if not _allows(statement):
                continue
            if _is_everyone(statement):
                yield _finding(check, role, "the trust policy lets any principal assume the role")
                continue
            actions = [a.lower() for a in _actions(statement)]
            if any("*" in a for a in actions):
                yield _finding(check, role, f"trust policy allows wildcard actions {actions}")
            if COGNITO_IDENTITY not in _principal_values(statement, "Federated"):
                continue
            if actions != ["sts:assumerolewithwebidentity"]:
                yield _finding(
                    check,
                    role,
                    f"a role trusting Cognito allows {actions}; only sts:AssumeRoleWithWebIdentity",
                )
            aud = _condition(statement, "StringEquals", f"{COGNITO_IDENTITY}:aud")
            if aud is None:
                yield _finding(
                    check,
                    role,
                    "trust policy without a StringEquals "
                    "cognito-identity.amazonaws.com:aud condition: identities of any identity "
                    "pool, in any account, may assume the role",
                )
            elif len(aud) != 1 or not (
                referenced(aud[0]) in pools or _IDENTITY_POOL_ID.match(str(aud[0]))
            ):
                yield _finding(
                    check, role, f"the aud condition {aud} is not exactly our identity pool"
                )
            amr = _condition(statement, "ForAnyValue:StringLike", f"{COGNITO_IDENTITY}:amr")
            want = by_attachment.get(role.address, "authenticated")
            if amr is None:
                yield _finding(
                    check,
                    role,
                    "trust policy without a ForAnyValue:StringLike "
                    "cognito-identity.amazonaws.com:amr condition: guest (unauthenticated) "
                    "identities may assume the role",
                )
            elif amr != [want]:
                yield _finding(
                    check, role, f"the amr condition is {amr}; this role is for {want!r}"
                )


# --- S3 -------------------------------------------------------------------------------------


def _bucket_policies(config: Configuration) -> dict[str, dict[str, Any] | None]:
    """bucket address -> its bucket policy document (unescaped)."""
    found: dict[str, dict[str, Any] | None] = {}
    for item in config.of_type("aws_s3_bucket_policy"):
        address = referenced(item.values.get("bucket"))
        if address:
            found[address] = policy(item.values.get("policy"))
    return found


def _bucket_arns(bucket: Resource) -> tuple[set[str], set[str]]:
    """(ways to write the bucket's ARN, ways to write all its objects)."""
    arns = {f"${{{bucket.address}.arn}}"}
    name = bucket.values.get("bucket")
    if isinstance(name, str) and name:
        arns.add(f"arn:aws:s3:::{name}")
    return arns, {f"{arn}/*" for arn in arns}


def _by_bucket(config: Configuration, kind: str) -> dict[str, Resource]:
    return {
        address: item
        for item in config.of_type(kind)
        if (address := referenced(item.values.get("bucket")))
    }


def s3_tls_only(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_S3_TLS_ONLY"
    policies = _bucket_policies(config)
    for bucket in config.of_type("aws_s3_bucket"):
        if bucket.address not in policies:
            yield _finding(
                check, bucket, "no bucket policy, so nothing denies requests without TLS"
            )
            continue
        arns, objects = _bucket_arns(bucket)
        for statement in statements(policies[bucket.address]):
            resources = set(as_list(statement.get("Resource")))
            if (
                statement.get("Effect") == "Deny"
                and _is_everyone(statement)
                and {"s3:*", "*"} & {a.lower() for a in _actions(statement)}
                and resources & arns
                and resources & objects
                and [
                    str(v).lower()
                    for v in _condition(statement, "Bool", "aws:SecureTransport") or []
                ]
                == ["false"]
            ):
                break
        else:
            yield _finding(
                check,
                bucket,
                "the bucket policy has no Deny of s3:* for everyone on the bucket "
                "and its objects when aws:SecureTransport is false (TLS-only)",
            )


def _public_statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [s for s in statements(document) if _allows(s) and _is_everyone(s)]


def _object_key(resource: str, arns: set[str]) -> str | None:
    for arn in arns:
        if resource.startswith(arn + "/"):
            return resource[len(arn) + 1 :]
    return None


def s3_public_access(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_S3_PUBLIC_ACCESS"
    policies = _bucket_policies(config)
    blocks = _by_bucket(config, "aws_s3_bucket_public_access_block")
    for bucket in config.of_type("aws_s3_bucket"):
        public = _public_statements(policies.get(bucket.address))
        access = blocks.get(bucket.address)
        if access is None:
            yield _finding(check, bucket, "no public access block")
        else:
            for key in ("block_public_acls", "ignore_public_acls"):
                if access.values.get(key) is not True:
                    yield _finding(
                        check, access, f"{key} is not true: ACLs could make objects public"
                    )
            relaxed = [
                key
                for key in ("block_public_policy", "restrict_public_buckets")
                if access.values.get(key) is not True
            ]
            if relaxed and not public:
                yield _finding(
                    check,
                    access,
                    f"{' and '.join(relaxed)} relaxed although the bucket policy publishes nothing",
                )
        arns, _ = _bucket_arns(bucket)
        for statement in public:
            actions = sorted({a for a in _actions(statement) if a.lower() != "s3:getobject"})
            if actions or "NotAction" in statement:
                yield _finding(
                    check,
                    bucket,
                    f"anyone may {actions or 'NotAction'}: public access is read-only",
                )
            for resource in as_list(statement.get("Resource")) + as_list(
                statement.get("NotResource")
            ):
                path = _object_key(str(resource), arns)
                if path is None or "*" in path[:-1] or not PUBLIC_OBJECT_KEY.match(path):
                    yield _finding(
                        check,
                        bucket,
                        f"public read of {resource}: anyone may read only inside one "
                        "identity's public folder (<identity-id>/public/..., `*` only at the "
                        "end): nobody but the owner reads a user's other files",
                    )


def _identity_pool_roles(config: Configuration) -> list[Resource]:
    return [
        role
        for role in config.of_type("aws_iam_role")
        if any(
            COGNITO_IDENTITY in _principal_values(s, "Federated")
            for s in statements(policy(role.values.get("assume_role_policy")))
        )
    ]


def _service_roles(config: Configuration, service: str) -> list[Resource]:
    return [
        role
        for role in config.of_type("aws_iam_role")
        if any(
            service in _principal_values(s, "Service")
            for s in statements(policy(role.values.get("assume_role_policy")))
        )
    ]


def _role_policies(config: Configuration, role: Resource) -> list[tuple[Resource, dict[str, Any]]]:
    found = []
    for item in config.of_type("aws_iam_role_policy"):
        document = policy(item.values.get("policy"))
        if referenced(item.values.get("role")) == role.address and document is not None:
            found.append((item, document))
    inline = role.values.get("inline_policy")
    for entry in as_list(inline):
        document = policy(entry.get("policy")) if isinstance(entry, dict) else None
        if document is not None:
            found.append((role, document))
    return found


def s3_versioning(config: Configuration) -> Iterator[Finding]:
    """Buckets that users write to (named by an identity-pool role's policy) keep versions."""
    check = "WHIMSY_S3_VERSIONING"
    versioning = _by_bucket(config, "aws_s3_bucket_versioning")
    named: set[str] = set()
    for role in _identity_pool_roles(config):
        for _, document in _role_policies(config, role):
            for statement in statements(document):
                named.update(str(r) for r in as_list(statement.get("Resource")))
    for bucket in config.of_type("aws_s3_bucket"):
        arns, _ = _bucket_arns(bucket)
        if not any(r == arn or r.startswith(arn + "/") for r in named for arn in arns):
            continue
        status = block(
            (versioning.get(bucket.address) or Resource("", "", {})).values,
            "versioning_configuration",
        ).get("status")
        if status != "Enabled":
            yield _finding(
                check,
                bucket,
                f"users' files without versioning (status {status}): an "
                "overwrite or delete cannot be undone",
            )


# --- API Gateway ----------------------------------------------------------------------------


def api_throttling(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_API_THROTTLING"
    for stage in config.of_type("aws_apigatewayv2_stage"):
        settings = block(stage.values, "default_route_settings")
        limits = [settings.get(k) for k in ("throttling_burst_limit", "throttling_rate_limit")]
        if not all(isinstance(v, int | float) and v > 0 for v in limits):
            yield _finding(
                check,
                stage,
                "no throttling (default_route_settings throttling_burst_limit and "
                "throttling_rate_limit): only the account-wide limit stands between a flood of "
                "requests and the functions behind the stage",
            )
    throttled = {
        referenced(s.values.get("rest_api_id"))
        for s in config.of_type("aws_api_gateway_method_settings")
        if (block(s.values, "settings").get("throttling_rate_limit") or 0) > 0
    }
    for stage in config.of_type("aws_api_gateway_stage"):
        if referenced(stage.values.get("rest_api_id")) not in throttled:
            yield _finding(check, stage, "no aws_api_gateway_method_settings with throttling")


# --- IAM ------------------------------------------------------------------------------------

_IDENTITY_POLICY_TYPES = (
    "aws_iam_role_policy",
    "aws_iam_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
)


def _too_broad(resource: str) -> bool:
    if resource == "*":
        return True
    fields = resource.split(":", 5)
    return len(fields) == 6 and fields[0] == "arn" and fields[5].strip("*/") == ""


def iam_wildcard(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_IAM_WILDCARD"
    delivery = _delivery_addresses(config)
    for kind in _IDENTITY_POLICY_TYPES:
        for item in config.of_type(kind):
            if item.address in delivery or referenced(item.values.get("role")) in delivery:
                continue  # deploying the platform takes service-wide actions: WHIMSY_DELIVERY
            for statement in statements(policy(item.values.get("policy"))):
                if not _allows(statement):
                    continue
                label = statement.get("Sid") or "a statement"
                actions = _actions(statement)
                wild = [a for a in actions if "*" in a or "?" in a]
                if wild:
                    yield _finding(check, item, f"{label} allows wildcard actions {wild}")
                if "NotAction" in statement or "NotResource" in statement:
                    yield _finding(check, item, f"{label} allows with NotAction/NotResource")
                broad = [r for r in as_list(statement.get("Resource")) if _too_broad(str(r))]
                if broad and not all(a.lower() in RESOURCE_STAR_ONLY for a in actions):
                    yield _finding(check, item, f"{label} allows {actions} on Resource {broad}")


def iam_attached_policy(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_IAM_ATTACHED_POLICY"
    guarded = {r.address for r in _service_roles(config, "lambda.amazonaws.com")}
    guarded |= {r.address for r in _identity_pool_roles(config)}
    for item in config.of_type("aws_iam_role_policy_attachment"):
        if referenced(item.values.get("role")) in guarded:
            yield _finding(
                check,
                item,
                f"attaches {item.values.get('policy_arn')} to a function or user "
                "role; these roles carry only their generated inline policy",
            )
    for item in config.of_type("aws_iam_policy_attachment"):
        roles = {referenced(r) for r in as_list(item.values.get("roles"))}
        if roles & guarded:
            yield _finding(check, item, "attaches a managed policy to a function or user role")
    for role in config.of_type("aws_iam_role"):
        if role.address in guarded and role.values.get("managed_policy_arns"):
            yield _finding(check, role, "managed_policy_arns on a function or user role")


def iam_user_scope(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_IAM_USER_SCOPE"
    for role in _identity_pool_roles(config):
        for item, document in _role_policies(config, role):
            for statement in statements(document):
                if not _allows(statement):
                    continue
                label = statement.get("Sid") or "a statement"
                actions = [a.lower() for a in _actions(statement)]
                keyless = [a for a in actions if a.startswith(DYNAMODB_NO_KEY_ACTIONS)]
                if keyless or "dynamodb:*" in actions:
                    yield _finding(
                        check,
                        item,
                        f"{label} grants users {keyless or ['dynamodb:*']}: a "
                        "request without a partition key reads every user's items",
                    )
                operators = (statement.get("Condition") or {}).keys()
                leading = [
                    o
                    for o in operators
                    if _condition(statement, o, "dynamodb:LeadingKeys") is not None
                ]
                guard = _condition(statement, "Null", "dynamodb:LeadingKeys")
                if leading and [str(v).lower() for v in guard or []] != ["false"]:
                    yield _finding(
                        check,
                        item,
                        f"{label} limits dynamodb:LeadingKeys without the Null "
                        "guard (Null dynamodb:LeadingKeys = false): ForAllValues is vacuously true "
                        "for requests that carry no key",
                    )
                if S3_LIST_ACTIONS & set(actions):
                    prefixes = (_condition(statement, "StringLike", "s3:prefix") or []) + (
                        _condition(statement, "StringEquals", "s3:prefix") or []
                    )
                    if not prefixes or not all(
                        str(p).startswith(IDENTITY_VARIABLE + "/") for p in prefixes
                    ):
                        yield _finding(
                            check,
                            item,
                            f"{label} lets users list the bucket without an "
                            f"s3:prefix condition under {IDENTITY_VARIABLE}/: they would see "
                            "every user's file names",
                        )
                    continue
                if not any(a.startswith("s3:") for a in actions):
                    continue
                for resource in as_list(statement.get("Resource")):
                    key = (
                        str(resource).partition("/")[2]
                        if str(resource).startswith("arn:aws:s3:::")
                        else None
                    )
                    if key is not None and not key.startswith(IDENTITY_VARIABLE + "/"):
                        yield _finding(
                            check,
                            item,
                            f"{label} grants users {resource}: outside their own "
                            f"folder {IDENTITY_VARIABLE}/",
                        )


def _user_buckets(config: Configuration) -> set[str]:
    """Buckets of users' folders: those the identity-pool roles reach by the caller's id."""
    found = set()
    for role in _identity_pool_roles(config):
        for _, document in _role_policies(config, role):
            for statement in statements(document):
                for resource in as_list(statement.get("Resource")):
                    name, _, key = str(resource).removeprefix("arn:aws:s3:::").partition("/")
                    if str(resource).startswith("arn:aws:s3:::") and IDENTITY_VARIABLE in key:
                        found.add(name)
    return found


def s3_cross_user(config: Configuration) -> Iterator[Finding]:
    """A function role that reaches users' files outside their public folders can touch every
    user's private data: each needs a reviewed reason in the allow list."""
    check = "WHIMSY_S3_CROSS_USER"
    buckets = _user_buckets(config)
    for role in _service_roles(config, "lambda.amazonaws.com"):
        for item, document in _role_policies(config, role):
            for statement in statements(document):
                if not _allows(statement):
                    continue
                objects = [a for a in _actions(statement) if a.lower().startswith("s3:")]
                for resource in as_list(statement.get("Resource")):
                    name, _, key = str(resource).removeprefix("arn:aws:s3:::").partition("/")
                    outside = not (PUBLIC_OBJECT_KEY.match(key) and "*" not in key[:-1])
                    if objects and name in buckets and key and outside:
                        yield _finding(
                            check,
                            item,
                            f"{role.address} may {sorted(objects)} on {resource}: every user's "
                            "files outside their public folder",
                        )


# --- delivery (CI roles) ----------------------------------------------------------------------

GITHUB_ISSUER = "token.actions.githubusercontent.com"
_WRITE_VERB = re.compile(
    r"^[a-z0-9-]+:(\*|create|put|delete|update|tag|untag|attach|detach|add|remove|set|pass|"
    r"change|post|patch|request)",
    re.IGNORECASE,
)
_BOUNDED_IAM_WRITES = ("iam:createrole", "iam:putrolepolicy", "iam:deleterolepolicy",
                       "iam:attachrolepolicy", "iam:detachrolepolicy",
                       "iam:putrolepermissionsboundary")  # fmt: skip


def _github_roles(config: Configuration) -> list[Resource]:
    roles = []
    for role in config.of_type("aws_iam_role"):
        for statement in statements(policy(role.values.get("assume_role_policy"))):
            federated = _principal_values(statement, "Federated")
            if any(str(referenced(f) or "").startswith("aws_iam_openid_connect_provider.")
                   or GITHUB_ISSUER in str(f) for f in federated):  # fmt: skip
                roles.append(role)
                break
    return roles


def _boundaries(config: Configuration) -> set[str]:
    return {
        address
        for role in config.of_type("aws_iam_role")
        if (address := referenced(role.values.get("permissions_boundary")))
    }


def _delivery_addresses(config: Configuration) -> set[str]:
    return {r.address for r in _github_roles(config)} | _boundaries(config)


def delivery(config: Configuration) -> Iterator[Finding]:
    check = "WHIMSY_DELIVERY"
    github = _github_roles(config)
    if not github:
        return
    boundaries = _boundaries(config)
    for role in github:
        for statement in statements(policy(role.values.get("assume_role_policy"))):
            aud = _condition(statement, "StringEquals", f"{GITHUB_ISSUER}:aud")
            sub = _condition(statement, "StringEquals", f"{GITHUB_ISSUER}:sub")
            if aud != ["sts.amazonaws.com"]:
                yield _finding(check, role, f"GitHub trust without aud sts.amazonaws.com ({aud})")
            if not sub or any("*" in str(s) or "?" in str(s) for s in sub):
                yield _finding(
                    check, role,
                    f"GitHub trust must name exact subjects (StringEquals, no wildcards): {sub}; "
                    "otherwise any repository or branch may take the role",
                )  # fmt: skip
        documents = [
            policy(item.values.get("policy"))
            for item in config.of_type("aws_iam_role_policy")
            if referenced(item.values.get("role")) == role.address
        ]
        allows = [s for d in documents for s in statements(d) if _allows(s)]
        writes = sorted({a for s in allows for a in _actions(s) if _WRITE_VERB.match(a)})
        if role.values.get("name", "").endswith("-plan") and writes:
            yield _finding(check, role, f"the plan role may change things: {writes}")
        for statement in allows:
            bounded = [a for a in _actions(statement) if a.lower() in _BOUNDED_IAM_WRITES]
            condition = _condition(statement, "StringEquals", "iam:PermissionsBoundary")
            if bounded and not (condition and referenced(condition[0]) in boundaries):
                yield _finding(
                    check, role,
                    f"{statement.get('Sid', 'a statement')} allows {bounded} without the "
                    "iam:PermissionsBoundary condition: CI could create an unbounded role",
                )  # fmt: skip
        if writes and not any(
            s.get("Effect") == "Deny" and "iam:*" in _actions(s)
            for d in documents for s in statements(d)
        ):  # fmt: skip
            yield _finding(check, role, "no Deny of iam:* on the delivery roles and boundary")
    delivery_roles = {r.address for r in github}
    for role in config.of_type("aws_iam_role"):
        if role.address in delivery_roles:
            continue
        if referenced(role.values.get("permissions_boundary")) not in boundaries or not boundaries:
            yield _finding(check, role, "a platform role without the platform boundary")


# --- data loss (on the plan) ----------------------------------------------------------------

# Terraform's action_reason (`terraform show -json`), in words.
_ACTION_REASONS = {
    "delete_because_no_resource_config": "it is no longer in the configuration",
    "delete_because_no_module": "its module is no longer in the configuration",
    "delete_because_count_index": "its count index is gone",
    "delete_because_each_key": "its for_each key is gone",
    "delete_because_wrong_repetition": "count/for_each changed",
    "delete_because_no_move_target": "its moved block points at nothing",
    "replace_because_tainted": "it is tainted",
    "replace_by_request": "-replace asked for it",
    "replace_by_triggers": "a replace_triggered_by reference changed",
    "replace_because_cannot_update": "an attribute cannot change in place",
}


def _replace_reason(resource_change: Mapping[str, Any], change: Mapping[str, Any]) -> str:
    paths = [
        ".".join(str(step) for step in path)
        for path in change.get("replace_paths") or []
        if isinstance(path, list) and path
    ]
    if paths:
        return f"{', '.join(paths)} forces replacement"
    reason = resource_change.get("action_reason")
    return _ACTION_REASONS.get(str(reason), "Terraform plans a replacement")


def _adopted_bucket(after: Mapping[str, Any], adopt: Adopt) -> str | None:
    name = after.get("bucket")
    if any(bucket.name == name for bucket in adopt.buckets):
        return f"adopt.buckets names {name}"
    return None


def _adopted_user_pool(after: Mapping[str, Any], adopt: Adopt) -> str | None:
    return None if adopt.user_pool is None else f"adopt.user_pool names {adopt.user_pool.id}"


def _adopted_identity_pool(after: Mapping[str, Any], adopt: Adopt) -> str | None:
    pool = adopt.identity_pool
    return None if pool is None else f"adopt.identity_pool names {pool.id}"


# Per type in generator.model.stateful.ADOPTABLE_CREATIONS: where the config says the resource
# the plan creates exists already (for the message), or None. A test keeps the two in step.
ADOPTION_MATCHERS: dict[str, Callable[[Mapping[str, Any], Adopt], str | None]] = {
    "aws_s3_bucket": _adopted_bucket,
    "aws_cognito_user_pool": _adopted_user_pool,
    "aws_cognito_identity_pool": _adopted_identity_pool,
}


def data_loss(plan: Mapping[str, Any], adopt: Adopt) -> Iterator[Finding]:
    """The plan destroys or replaces a stateful resource (its actions include "delete": a
    delete, or a replacement in either order), or creates a bucket, user pool or identity pool
    that the config's `adopt:` says exists, without importing it (a second one would be
    made). Importing shows as `change.importing` with actions no-op or update."""
    check = "WHIMSY_DATA_LOSS"
    for resource_change in plan.get("resource_changes") or []:
        if not isinstance(resource_change, dict):
            continue
        kind = str(resource_change.get("type", ""))
        if resource_change.get("mode", "managed") != "managed" or not is_stateful(kind):
            continue
        address = str(resource_change.get("address", kind))
        change = resource_change.get("change") or {}
        actions = [str(a) for a in change.get("actions") or []]
        lost = what_is_lost(kind)
        if "delete" in actions:
            if "create" not in actions:
                why = _ACTION_REASONS.get(str(resource_change.get("action_reason")), "")
                verb = f"destroys it ({why})" if why else "destroys it"
            else:
                order = (
                    "destroys it, then creates a new one"
                    if actions.index("delete") < actions.index("create")
                    else "creates a new one, then destroys this one"
                )
                verb = f"replaces it ({order}) because {_replace_reason(resource_change, change)}"
            yield _finding(check, address, f"the plan {verb}: the {lost} is lost")
        elif (
            actions == ["create"]
            and kind in ADOPTABLE_CREATIONS
            and not change.get("importing")
            and kind in ADOPTION_MATCHERS
            and (where := ADOPTION_MATCHERS[kind](change.get("after") or {}, adopt))
        ):
            yield _finding(
                check,
                address,
                f"the plan creates it although {where} as existing, and nothing imports it: "
                f"Terraform would create a new one instead of adopting it, leaving the existing "
                f"{lost} behind",
            )


PLAN_RULES: dict[str, PlanRule] = {
    "WHIMSY_DATA_LOSS": data_loss,
}


RULES: dict[str, Rule] = {
    "WHIMSY_COGNITO_PASSWORD_POLICY": cognito_password_policy,
    "WHIMSY_COGNITO_MFA": cognito_mfa,
    "WHIMSY_IDENTITY_POOL": identity_pool,
    "WHIMSY_TRUST_CONDITIONS": trust_conditions,
    "WHIMSY_S3_TLS_ONLY": s3_tls_only,
    "WHIMSY_S3_PUBLIC_ACCESS": s3_public_access,
    "WHIMSY_S3_VERSIONING": s3_versioning,
    "WHIMSY_API_THROTTLING": api_throttling,
    "WHIMSY_IAM_WILDCARD": iam_wildcard,
    "WHIMSY_IAM_ATTACHED_POLICY": iam_attached_policy,
    "WHIMSY_IAM_USER_SCOPE": iam_user_scope,
    "WHIMSY_S3_CROSS_USER": s3_cross_user,
    "WHIMSY_DELIVERY": delivery,
}


def check(config: Configuration) -> list[Finding]:
    """Every rule over the configuration, findings sorted."""
    return sorted({finding for rule in RULES.values() for finding in rule(config)})


def check_plan(plan: Mapping[str, Any], adopt: Adopt) -> list[Finding]:
    """Every plan rule over `terraform show -json` output and the config's adopt section."""
    return sorted({finding for rule in PLAN_RULES.values() for finding in rule(plan, adopt)})
