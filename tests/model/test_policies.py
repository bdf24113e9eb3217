"""What the generated policy documents let people do, decided by generator.review.iam.

The documents come from the sample whimsy_config.yaml; Terraform-only values are resolved to
fake but well-formed ARNs. Every check is a table of requests with the expected decision, so the
same tables run against the real documents (they must all hold) and against deliberately
weakened documents (at least the named request must then be decided wrongly): a check that
cannot fail proves nothing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

from generator.config import WhimsyConfig, load_config
from generator.model import functions, identity, names
from generator.model.policies import all_policies
from generator.model.refs import resolve_refs
from generator.review.iam import ANONYMOUS, ContextValue, Decision, Principal, Request, explain

Docs = dict[str, dict[str, Any]]

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "whimsy_config.yaml").config
ACCOUNT = "123456789012"
REGION = CONFIG.project.region
POOL_ID = f"{REGION}:0c0ffee0-0000-4000-8000-00000000000a"
SUB = "cognito-identity.amazonaws.com:sub"
AUD = "cognito-identity.amazonaws.com:aud"
AMR = "cognito-identity.amazonaws.com:amr"
COGNITO = "cognito-identity.amazonaws.com"

# Two users whose ids differ only in the last character.
A = f"{REGION}:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
B = f"{REGION}:1b4e28ba-2fa1-41d2-883f-0016d3cca428"

BUCKET = CONFIG.storage.bucket
USER_DATA = "whimsy-user-data"
SYSTEM = "zineos-system-config"
SERVICE_TABLES = [
    "whimsy-handles",
    "whimsy-services",
    "whimsy-entitlements",
    "whimsy-usage",
    "whimsy-catalog",
    "whimsy-collab",
]


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def fake_refs(config: WhimsyConfig) -> dict[str, str]:
    known = {identity.IDENTITY_POOL_ID[len("${tf:") : -1]: POOL_ID}
    for table in config.kv.tables:
        known[f"{names.table_address(table.name)}.arn"] = table_arn(table.name)
    for name, function in config.functions.items():
        known[f"{functions.log_group_address(name)}.arn"] = (
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/whimsy-{name}"
        )
        for secret in function.secrets:
            known[f"{functions.secret_address(secret)}.arn"] = (
                f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret}-AbCdEf"
            )
    known["aws_cloudfront_distribution.apex.arn"] = (
        f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2EXAMPLE"
    )
    known[f"{functions.WEBSOCKET_API_ADDRESS}.execution_arn"] = (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123"
    )
    known["aws_iam_openid_connect_provider.github.arn"] = (
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    )
    known["aws_iam_policy.platform_boundary.arn"] = (
        f"arn:aws:iam::{ACCOUNT}:policy/whimsy-platform-boundary"
    )
    return known


def documents(config: WhimsyConfig) -> Docs:
    docs: Docs = resolve_refs(all_policies(config), fake_refs(config))
    assert "${tf:" not in json.dumps(docs), "a Terraform reference was left unresolved"
    return docs


POLICIES = documents(CONFIG)


def session(role: str) -> Principal:
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{names.role_name(CONFIG, role)}/CognitoIdentity"
    return Principal("aws", arn)


def obj(key: str) -> str:
    return f"arn:aws:s3:::{BUCKET}/{key}"


def ids(template: str) -> str:
    return template.format(A=A, B=B)


@dataclass(frozen=True)
class Case:
    """A request, the documents that apply to it, and the decision it must get."""

    id: str
    documents: tuple[str, ...]
    request: Request
    expected: bool


def decide(docs: Docs, case: Case) -> Decision:
    return explain([docs[name] for name in case.documents], case.request)


def violations(docs: Docs, cases: list[Case]) -> list[str]:
    return [case.id for case in cases if decide(docs, case).allowed is not case.expected]


def check(docs: Docs, case: Case) -> None:
    decision = decide(docs, case)
    assert decision.allowed is case.expected, f"{case.id}: {decision}"


def user_case(
    role: str,
    action: str,
    resource: str,
    expected: bool,
    context: dict[str, ContextValue] | None = None,
    caller: str = A,
    secure: bool = True,
    label: str = "",
) -> Case:
    ctx: dict[str, ContextValue] = {SUB: caller, "aws:SecureTransport": str(secure).lower()}
    ctx.update(context or {})
    short = "user" if role == "authenticated" else role
    request = Request(action, resource, session(role), ctx)
    docs = (f"role-{role}", "bucket-user-files")
    return Case(f"{short} {action} {label or resource}", docs, request, expected)


# --- S3: a signed-in user --------------------------------------------------------------------

USER_OBJECT_CASES = [
    user_case("authenticated", action, obj(ids(key)), expected, label=key)
    for action in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    for key, expected in [
        ("{A}/x", True),
        ("{A}/public/x", True),
        ("{A}/deep/er/x", True),
        ("{A}/drafts/public/x", True),
        ("{B}/x", False),
        ("{B}/drafts/public/x", False),
        ("{A}", False),  # the folder name itself is no key of the folder
        ("{A}x/y", False),  # a longer 'id' sharing A's text is not A's folder
        ("x", False),
        ("{B}/public/x", action == "s3:GetObject"),  # public reading, not writing
    ]
] + [
    user_case("authenticated", "s3:AbortMultipartUpload", obj(A + "/x"), True, label="{A}/x"),
    user_case("authenticated", "s3:AbortMultipartUpload", obj(B + "/x"), False, label="{B}/x"),
    # Versions are the operators' undo: users can neither read nor purge them.
    user_case("authenticated", "s3:DeleteObjectVersion", obj(A + "/x"), False, label="{A}/x"),
    user_case("authenticated", "s3:GetObjectVersion", obj(A + "/x"), False, label="{A}/x"),
    user_case("authenticated", "s3:PutObjectAcl", obj(A + "/x"), False, label="{A}/x"),
    user_case("authenticated", "s3:PutBucketPolicy", f"arn:aws:s3:::{BUCKET}", False),
    user_case("authenticated", "s3:ListBucketVersions", f"arn:aws:s3:::{BUCKET}", False),
    user_case("authenticated", "s3:GetObject", obj(A + "/x"), False, secure=False,
              label="{A}/x over plain HTTP"),
    user_case("authenticated", "s3:PutObject", obj(A + "/x"), False, secure=False,
              label="{A}/x over plain HTTP"),
]  # fmt: skip


def list_case(prefix: str | None, expected: bool, role: str = "authenticated") -> Case:
    context: dict[str, ContextValue] = {} if prefix is None else {"s3:prefix": ids(prefix)}
    label = "without prefix" if prefix is None else f"prefix={prefix!r}"
    return user_case(
        role, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", expected, context, label=label
    )


USER_LIST_CASES = [
    list_case("{A}/", True),
    list_case("{A}/sub/", True),
    list_case("{A}/sub", True),
    list_case("{A}/../{B}/", True),  # S3 prefixes are literal: this lists only keys inside A/
    list_case("{B}/", False),
    list_case("{B}/public/", False),
    list_case("", False),
    list_case(None, False),
    list_case(f"{REGION}:", False),
    list_case("{A}", False),  # no trailing slash: refused (see test_list_without_slash...)
    list_case("{A}*", False),
    list_case("*", False),
    list_case("{A}/", True, role="admin"),
    list_case("{B}/", False, role="admin"),
]


@pytest.mark.parametrize("case", USER_OBJECT_CASES + USER_LIST_CASES, ids=lambda c: c.id)
def test_user_files(case: Case) -> None:
    check(POLICIES, case)


def test_plain_http_is_refused_by_the_bucket_policy_deny() -> None:
    case = user_case("authenticated", "s3:GetObject", obj(A + "/x"), False, secure=False)
    assert decide(POLICIES, case).statement == "DenyInsecureTransport"


def test_list_without_slash_is_refused_and_would_show_nothing_more() -> None:
    """Prefix '<A>' (no '/') is refused. Allowing it would not leak: identity ids have a fixed
    length, so the only keys starting with '<A>' are A's own ('<A>/...'), and nobody can write
    the key '<A>' itself. Refusing costs clients nothing that prefix '<A>/' does not give."""
    assert violations(POLICIES, [list_case("{A}", False)]) == []
    assert len(A) == len(B) == len(REGION) + 1 + 36
    put_bare = user_case("authenticated", "s3:PutObject", obj(A), False)
    assert violations(POLICIES, [put_bare]) == []


# --- S3: anyone on the internet --------------------------------------------------------------


def anonymous_case(action: str, key: str, expected: bool, secure: bool = True) -> Case:
    resource = f"arn:aws:s3:::{BUCKET}" if action == "s3:ListBucket" else obj(ids(key))
    context: dict[str, ContextValue] = {"aws:SecureTransport": str(secure).lower()}
    if action == "s3:ListBucket":
        context["s3:prefix"] = ids(key)
    request = Request(action, resource, ANONYMOUS, context)
    suffix = "" if secure else " over plain HTTP"
    return Case(f"anonymous {action} {key}{suffix}", ("bucket-user-files",), request, expected)


ANONYMOUS_CASES = [
    anonymous_case("s3:GetObject", "{A}/public/x", True),
    anonymous_case("s3:GetObject", "{A}/public/deep/x", True),
    anonymous_case("s3:GetObject", "{A}/public/whimsy.space/profile.json", True),
    anonymous_case("s3:GetObject", "{B}/public/index.html", True),
    anonymous_case("s3:GetObject", "{A}/x", False),
    anonymous_case("s3:GetObject", "{A}/drafts/public/x", False),
    anonymous_case("s3:GetObject", "{A}/drafts/{B}/public/x", False),
    anonymous_case("s3:GetObject", "{A}/public", False),
    anonymous_case("s3:GetObject", "{A}/publicx", False),
    anonymous_case("s3:GetObject", "{A}/Public/x", False),
    anonymous_case("s3:GetObject", "public/x", False),
    anonymous_case("s3:GetObject", "x/public/x", False),
    anonymous_case("s3:GetObject", "eu-west-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427/public/x", False),
    anonymous_case("s3:GetObject", "{A}/public/x", False, secure=False),
    anonymous_case("s3:GetObjectVersion", "{A}/public/x", False),
    anonymous_case("s3:GetObjectAcl", "{A}/public/x", False),
] + [
    anonymous_case(action, key, False)
    for action in ["s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:AbortMultipartUpload"]
    for key in ["{A}/public/x", "{A}/x", "{A}/", "x"]
]  # fmt: skip


@pytest.mark.parametrize("case", ANONYMOUS_CASES, ids=lambda c: c.id)
def test_anonymous(case: Case) -> None:
    check(POLICIES, case)


def test_anonymous_may_read_the_public_folder_marker() -> None:
    """'<A>/public/' (empty rest) is readable: '*' matches the empty string. Only A can create
    that key (a console's zero-byte 'folder' object), so it reveals nothing."""
    assert decide(POLICIES, anonymous_case("s3:GetObject", "{A}/public/", True)).allowed


def test_public_pattern_question_marks_also_match_slashes() -> None:
    """names.UUID_PATTERN's comment says '?' cannot match across '/'. In IAM it can: the public
    pattern also matches keys that are not under any identity folder. This is harmless only
    because no user can write such keys (test_readable_keys_a_user_can_write...)."""
    odd = f"{REGION}:aaaaaaa/-bbbb-cccc-dddd-eeeeeeeeeeee/public/x"
    assert decide(POLICIES, anonymous_case("s3:GetObject", odd, True)).allowed


# --- DynamoDB --------------------------------------------------------------------------------


def kv_case(role: str, table: str, action: str, keys: list[str] | None, expected: bool) -> Case:
    context: dict[str, ContextValue] = {}
    if keys is not None:
        context["dynamodb:LeadingKeys"] = [ids(k) for k in keys]
    label = f"{table} keys={keys}"
    return user_case(role, action, table_arn(table), expected, context, label=label)


PER_USER_CASES = [
    kv_case(role, USER_DATA, action, keys, expected)
    for role in ["authenticated", "admin"]
    for action in [
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
        "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
    ]
    for keys, expected in [
        (["{A}"], True),
        (["{A}", "{A}"], True),
        (["{B}"], False),
        (["{A}", "{B}"], False),
        ([f"{REGION}:*"], False),
        (None, False),  # no partition key in the request: the Null guard refuses
    ]
] + [
    kv_case("authenticated", USER_DATA, action, keys, False)
    for action in [
        "dynamodb:Scan", "dynamodb:ExecuteStatement", "dynamodb:PartiQLSelect",
        "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
        "dynamodb:BatchExecuteStatement", "dynamodb:DescribeTable", "dynamodb:DeleteTable",
        "dynamodb:UpdateTable", "dynamodb:CreateBackup", "dynamodb:ExportTableToPointInTime",
    ]
    for keys in [None, ["{A}"]]
] + [
    user_case("authenticated", "dynamodb:Query", table_arn(USER_DATA) + "/index/any", False,
              {"dynamodb:LeadingKeys": [A]}, label=f"{USER_DATA} index"),
]  # fmt: skip

SYSTEM_CONFIG_CASES = [
    kv_case("authenticated", SYSTEM, "dynamodb:GetItem", None, True),
    kv_case("authenticated", SYSTEM, "dynamodb:Query", None, True),
    kv_case("authenticated", SYSTEM, "dynamodb:BatchGetItem", None, True),
    kv_case("authenticated", SYSTEM, "dynamodb:Scan", None, False),
    kv_case("authenticated", SYSTEM, "dynamodb:PartiQLSelect", None, False),
] + [
    kv_case(role, SYSTEM, action, None, role == "admin")
    for role in ["authenticated", "admin"]
    for action in [
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ]
] + [
    kv_case("admin", SYSTEM, "dynamodb:Scan", None, False),
    kv_case("admin", SYSTEM, "dynamodb:DeleteTable", None, False),
]  # fmt: skip

SERVICE_TABLE_CASES = [
    kv_case(role, table, action, keys, False)
    for role in ["authenticated", "admin"]
    for table in SERVICE_TABLES
    for action in [
        "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:BatchGetItem",
    ]
    for keys in [None, ["{A}"]]
]  # fmt: skip

KV_CASES = PER_USER_CASES + SYSTEM_CONFIG_CASES + SERVICE_TABLE_CASES


@pytest.mark.parametrize("case", KV_CASES, ids=lambda c: c.id)
def test_tables(case: Case) -> None:
    check(POLICIES, case)


def test_every_table_is_covered() -> None:
    covered = {USER_DATA, SYSTEM, *SERVICE_TABLES}
    assert covered == {table.name for table in CONFIG.kv.tables}
    by_access = {table.name: table.access for table in CONFIG.kv.tables}
    assert by_access[USER_DATA] == "per_user" and by_access[SYSTEM] == "system_config"
    assert {by_access[t] for t in SERVICE_TABLES} == {"service"}


# --- trust policies --------------------------------------------------------------------------


WEB_IDENTITY = Principal("federated", COGNITO)


def trust_case(
    policy: str,
    expected: bool,
    aud: str | None = POOL_ID,
    amr: list[str] | None = None,
    principal: Principal = WEB_IDENTITY,
    action: str = "sts:AssumeRoleWithWebIdentity",
    label: str = "",
) -> Case:
    context: dict[str, ContextValue] = {}
    if aud is not None:
        context[AUD] = aud
    if amr is not None:
        context[AMR] = amr
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{policy}"
    return Case(
        f"{policy} {label}", (policy,), Request(action, role_arn, principal, context), expected
    )


SIGNED_IN = ["authenticated", f"cognito-idp.{REGION}.amazonaws.com/{REGION}_pool"]
GUEST = ["unauthenticated"]
OTHER_POOL = f"{REGION}:0c0ffee0-0000-4000-8000-00000000000b"


def trust_cases(policy: str, amr_ok: list[str], amr_wrong: list[str]) -> list[Case]:
    return [
        trust_case(policy, True, amr=amr_ok, label="right pool and state"),
        trust_case(policy, False, amr=amr_wrong, label="wrong authentication state"),
        trust_case(policy, False, amr=[], label="empty amr"),
        trust_case(policy, False, amr=None, label="no amr"),
        trust_case(policy, False, aud=OTHER_POOL, amr=amr_ok, label="another identity pool"),
        trust_case(policy, False, aud=None, amr=amr_ok, label="no aud"),
        trust_case(policy, False, amr=amr_ok, principal=Principal("federated", "accounts.google.com"),
                   label="another provider"),
        trust_case(policy, False, amr=amr_ok, principal=Principal("aws", f"arn:aws:iam::{ACCOUNT}:root"),
                   action="sts:AssumeRole", label="account principal"),
        trust_case(policy, False, amr=amr_ok, action="sts:AssumeRole", label="sts:AssumeRole"),
    ]  # fmt: skip


def guest_config() -> WhimsyConfig:
    pool = CONFIG.auth.identity_pool.model_copy(update={"allow_guests": True})
    auth = CONFIG.auth.model_copy(update={"identity_pool": pool})
    return CONFIG.model_copy(update={"auth": auth})


TRUST_CASES = trust_cases("role-authenticated-trust", SIGNED_IN, GUEST) + trust_cases(
    "role-admin-trust", SIGNED_IN, GUEST
)
GUEST_POLICIES = documents(guest_config())
GUEST_TRUST_CASES = trust_cases("role-guest-trust", GUEST, SIGNED_IN)


@pytest.mark.parametrize("case", TRUST_CASES, ids=lambda c: c.id)
def test_trust(case: Case) -> None:
    check(POLICIES, case)


@pytest.mark.parametrize("case", GUEST_TRUST_CASES, ids=lambda c: c.id)
def test_guest_trust_when_guests_are_allowed(case: Case) -> None:
    check(GUEST_POLICIES, case)


def test_sample_has_no_guest_role() -> None:
    assert "role-guest-trust" not in POLICIES


@pytest.mark.parametrize(
    ("name", "amr"),
    [
        ("role-authenticated-trust", "authenticated"),
        ("role-admin-trust", "authenticated"),
    ],
)
def test_trust_policy_structure(name: str, amr: str) -> None:
    (statement,) = all_policies(CONFIG)[name]["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Principal": {"Federated": COGNITO},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {AUD: identity.IDENTITY_POOL_ID},
            "ForAnyValue:StringLike": {AMR: amr},
        },
    }
    assert identity.IDENTITY_POOL_ID == "${tf:aws_cognito_identity_pool.identities.id}"


# --- the access-log bucket -------------------------------------------------------------------

LOGS = names.log_bucket(CONFIG)
DELIVERY = Principal("service", "logging.s3.amazonaws.com")


def log_case(
    label: str,
    expected: bool,
    principal: Principal = DELIVERY,
    key: str = f"{BUCKET}/log",
    source: str | None = f"arn:aws:s3:::{BUCKET}",
    account: str | None = None,
    secure: bool = True,
    action: str = "s3:PutObject",
) -> Case:
    context: dict[str, ContextValue] = {"aws:SecureTransport": str(secure).lower()}
    if source is not None:
        context["aws:SourceArn"] = source
    if account is not None:
        context["aws:SourceAccount"] = account
    request = Request(action, f"arn:aws:s3:::{LOGS}/{key}", principal, context)
    return Case(f"logs {label}", ("bucket-access-logs",), request, expected)


LOG_CASES = [
    log_case("delivery from the user-files bucket", True),
    log_case("delivery from another bucket", False, source="arn:aws:s3:::someone-else"),
    log_case("delivery without source", False, source=None),
    log_case("delivery outside the bucket's prefix", False, key="other/log"),
    log_case("delivery over plain HTTP", False, secure=False),
    log_case("delivery may not read", False, action="s3:GetObject"),
    log_case("anonymous", False, principal=ANONYMOUS),
    log_case("another service", False, principal=Principal("service", "lambda.amazonaws.com")),
]  # fmt: skip


@pytest.mark.parametrize("case", LOG_CASES, ids=lambda c: c.id)
def test_access_log_bucket(case: Case) -> None:
    check(POLICIES, case)


def test_log_delivery_is_pinned_to_the_account_only_when_configured() -> None:
    (_, delivery) = POLICIES["bucket-access-logs"]["Statement"]
    assert "StringEquals" not in delivery["Condition"]  # the sample leaves account_id unset
    project = CONFIG.project.model_copy(update={"account_id": ACCOUNT})
    pinned = documents(CONFIG.model_copy(update={"project": project}))
    own = log_case("from the own account", True, account=ACCOUNT)
    other = log_case("from another account", False, account="999999999999")
    assert violations(pinned, [own, other]) == []


# --- broad grants ----------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# Calls that AWS authorizes only on Resource "*" (creates that cannot name their resource yet,
# account-wide listings); the delivery roles need them to deploy.
RESOURCE_STAR_ONLY = frozenset((
    "logs:describeloggroups", "sts:getcalleridentity", "cognito-idp:createuserpool",
    "cognito-identity:createidentitypool", "cognito-identity:setidentitypoolroles",
    "acm:requestcertificate", "cloudfront:createoriginaccesscontrol",
))  # fmt: skip


def broad_grants(docs: Docs) -> list[str]:
    """Allow statements that grant a whole service, everything, or to everyone beyond reads."""
    problems: list[str] = []
    for name, doc in docs.items():
        for index, statement in enumerate(doc["Statement"]):
            if statement["Effect"] != "Allow":
                continue
            where = f"{name}: {statement.get('Sid', index)}"
            actions = [a.lower() for a in as_list(statement.get("Action", []))]
            if "NotAction" in statement or "NotResource" in statement:
                problems.append(f"{where}: Allow with NotAction/NotResource")
            if any(a == "*" or a.endswith(":*") for a in actions):
                problems.append(f"{where}: Allow of a whole service")
            is_identity = "Principal" not in statement
            only_star = all(a in RESOURCE_STAR_ONLY for a in actions)
            if is_identity and "*" in as_list(statement.get("Resource")) and not only_star:
                problems.append(f"{where}: identity Allow on Resource '*'")
            if statement.get("Principal") in ("*", {"AWS": "*"}) and actions != ["s3:getobject"]:
                problems.append(f"{where}: everyone may do more than read")
    return problems


def test_case_ids_are_unique() -> None:
    all_ids = [case.id for case in ALL_CASES + GUEST_TRUST_CASES]
    assert len(all_ids) == len(set(all_ids))


def test_no_broad_grants() -> None:
    assert broad_grants(POLICIES) == []
    assert broad_grants(GUEST_POLICIES) == []


def test_every_user_grant_names_the_bucket_or_a_table() -> None:
    allowed = (f"arn:aws:s3:::{BUCKET}", "arn:aws:dynamodb:")
    for name in ("role-authenticated", "role-admin"):
        for statement in POLICIES[name]["Statement"]:
            for resource in as_list(statement["Resource"]):
                assert resource.startswith(allowed), (name, statement.get("Sid"))


# --- weakened documents must be caught ---------------------------------------------------------

ALL_CASES = (
    USER_OBJECT_CASES + USER_LIST_CASES + ANONYMOUS_CASES + KV_CASES + TRUST_CASES + LOG_CASES
)


def statement(docs: Docs, policy: str, sid: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in docs[policy]["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"{policy} has {len(found)} statements {sid}"
    return found[0]


def set_resource(policy: str, sid: str, resource: str) -> Callable[[Docs], None]:
    def weaken(docs: Docs) -> None:
        statement(docs, policy, sid)["Resource"] = resource

    return weaken


def both_roles(weaken_one: Callable[[Docs, str], None]) -> Callable[[Docs], None]:
    def weaken(docs: Docs) -> None:
        for role in ("role-authenticated", "role-admin"):
            weaken_one(docs, role)

    return weaken


def drop_null_guard(docs: Docs, role: str) -> None:
    del statement(docs, role, "OwnItemsWhimsyUserData")["Condition"]["Null"]


def for_any_value(docs: Docs, role: str) -> None:
    condition = statement(docs, role, "OwnItemsWhimsyUserData")["Condition"]
    condition["ForAnyValue:StringEquals"] = condition.pop("ForAllValues:StringEquals")


def drop_list_condition(docs: Docs, role: str) -> None:
    del statement(docs, role, "Folder0RootList")["Condition"]


def list_prefix_star(docs: Docs, role: str) -> None:
    statement(docs, role, "Folder0RootList")["Condition"]["StringLike"]["s3:prefix"] = ["*"]


def users_write_config(docs: Docs) -> None:
    docs["role-authenticated"] = copy.deepcopy(docs["role-admin"])


def users_read_handles(docs: Docs) -> None:
    extra = {**statement(docs, "role-authenticated", "ReadConfigZineosSystemConfig")}
    extra["Resource"] = table_arn("whimsy-handles")
    docs["role-authenticated"]["Statement"].append(extra)


def drop_tls_deny(docs: Docs) -> None:
    docs["bucket-user-files"]["Statement"].pop(0)


def trust_without_aud(docs: Docs) -> None:
    del docs["role-admin-trust"]["Statement"][0]["Condition"]["StringEquals"]


def trust_any_amr(docs: Docs) -> None:
    condition = docs["role-authenticated-trust"]["Statement"][0]["Condition"]
    condition["ForAnyValue:StringLike"][AMR] = "*"


def logs_without_source(docs: Docs) -> None:
    del docs["bucket-access-logs"]["Statement"][1]["Condition"]


OWN = f"arn:aws:s3:::{BUCKET}/${{{SUB}}}"
PUBLIC_ID = f"arn:aws:s3:::{BUCKET}/{names.identity_id_pattern(REGION)}"

WEAKENINGS: list[tuple[str, Callable[[Docs], None], str]] = [
    # (what, how, a request that must then be decided wrongly)
    ("the seed's public pattern */public/*",
     set_resource("bucket-user-files", "PublicFolders", f"arn:aws:s3:::{BUCKET}/*/public/*"),
     "anonymous s3:GetObject {A}/drafts/public/x"),
    ("public pattern region:*",
     set_resource("bucket-user-files", "PublicFolders", f"arn:aws:s3:::{BUCKET}/{REGION}:*/public/*"),
     "anonymous s3:GetObject {A}/drafts/{B}/public/x"),
    ("public pattern without the trailing slash",
     set_resource("bucket-user-files", "PublicFolders", f"{PUBLIC_ID}/public*"),
     "anonymous s3:GetObject {A}/publicx"),
    ("public pattern for the whole folder",
     set_resource("bucket-user-files", "PublicFolders", f"{PUBLIC_ID}/*"),
     "anonymous s3:GetObject {A}/x"),
    ("owner Resource whimsy-fs/*",
     set_resource("role-authenticated", "Folder0RootObjects", f"arn:aws:s3:::{BUCKET}/*"),
     "user s3:PutObject {B}/x"),
    ("owner Resource without the slash after the id",
     set_resource("role-authenticated", "Folder0RootObjects", OWN + "*"),
     "user s3:DeleteObject {A}x/y"),
    ("list without condition", both_roles(drop_list_condition),
     "user s3:ListBucket prefix='{B}/'"),
    ("list prefix '*'", both_roles(list_prefix_star), "user s3:ListBucket prefix=''"),
    ("per-user table without the Null guard", both_roles(drop_null_guard),
     f"user dynamodb:GetItem {USER_DATA} keys=None"),
    ("per-user table with ForAnyValue", both_roles(for_any_value),
     f"user dynamodb:BatchGetItem {USER_DATA} keys=['{{A}}', '{{B}}']"),
    ("users get the admin grants", users_write_config,
     f"user dynamodb:PutItem {SYSTEM} keys=None"),
    ("users read a service table", users_read_handles,
     "user dynamodb:GetItem whimsy-handles keys=['{A}']"),
    ("no TLS deny", drop_tls_deny, "user s3:GetObject {A}/x over plain HTTP"),
    ("trust without aud", trust_without_aud, "role-admin-trust another identity pool"),
    ("trust with any amr", trust_any_amr, "role-authenticated-trust wrong authentication state"),
    ("log delivery from any bucket", logs_without_source, "logs delivery from another bucket"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "weaken", "caught_by"), WEAKENINGS, ids=[w[0] for w in WEAKENINGS]
)
def test_weakened_documents_are_caught(
    what: str, weaken: Callable[[Docs], None], caught_by: str
) -> None:
    assert caught_by in {case.id for case in ALL_CASES}, f"no such case: {caught_by}"
    assert violations(POLICIES, ALL_CASES) == []
    weakened = copy.deepcopy(POLICIES)
    weaken(weakened)
    assert weakened != POLICIES
    assert caught_by in violations(weakened, ALL_CASES)


@pytest.mark.parametrize(
    "weaken",
    [
        lambda docs: docs["role-authenticated"]["Statement"].append(
            {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
        ),
        lambda docs: docs["role-admin"]["Statement"].append(
            {"Effect": "Allow", "Action": "*", "Resource": table_arn(SYSTEM)}
        ),
        lambda docs: docs["role-authenticated"]["Statement"].append(
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}
        ),
        lambda docs: docs["bucket-user-files"]["Statement"].append(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
             "Resource": f"arn:aws:s3:::{BUCKET}"}
        ),
        lambda docs: docs["role-authenticated"]["Statement"].append(
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": f"arn:aws:s3:::{BUCKET}"}
        ),
    ],
    ids=["s3:*", "Action *", "Resource *", "public list", "NotAction"],
)  # fmt: skip
def test_broad_grants_are_caught(weaken: Callable[[Docs], None]) -> None:
    weakened = copy.deepcopy(POLICIES)
    weaken(weakened)
    assert broad_grants(weakened) != []


# --- properties over random identities and keys ----------------------------------------------

IDENTITIES = st.uuids().map(lambda u: f"{REGION}:{u}")
TEXT = st.text(max_size=24)
SUFFIXES = st.one_of(
    TEXT,
    TEXT.map(lambda t: "public/" + t),
    TEXT.map(lambda t: "public" + t),
    TEXT.map(lambda t: t + "/public/x"),
)


def anonymous_reads(docs: Docs, key: str) -> bool:
    request = Request("s3:GetObject", obj(key), ANONYMOUS, {"aws:SecureTransport": "true"})
    return explain([docs["bucket-user-files"]], request).allowed


def user_may(docs: Docs, caller: str, action: str, key: str) -> bool:
    case = user_case("authenticated", action, obj(key), True, caller=caller)
    return decide(docs, case).allowed


@given(IDENTITIES, SUFFIXES)
def test_anonymous_reads_exactly_the_public_folders(owner: str, suffix: str) -> None:
    # The brief's oracle says "non-empty rest"; IAM's '*' also matches the empty rest, so the
    # folder marker '<id>/public/' is readable too (see test_anonymous_may_read_the_public...).
    assert anonymous_reads(POLICIES, f"{owner}/{suffix}") is suffix.startswith("public/")


@given(IDENTITIES, st.text(min_size=1, max_size=24))
def test_anonymous_reads_public_files_with_a_nonempty_rest(owner: str, rest: str) -> None:
    assert anonymous_reads(POLICIES, f"{owner}/public/{rest}")


@given(IDENTITIES, IDENTITIES, SUFFIXES, st.sampled_from(["s3:PutObject", "s3:DeleteObject"]))
def test_users_write_exactly_their_own_folder(
    caller: str, owner: str, suffix: str, action: str
) -> None:
    for key in (f"{owner}/{suffix}", f"{owner}{suffix}", suffix, f"{caller}/{suffix}"):
        assert user_may(POLICIES, caller, action, key) is key.startswith(caller + "/")


@given(IDENTITIES, st.one_of(SUFFIXES, IDENTITIES.map(lambda i: i + "/")))
def test_users_list_exactly_their_own_folder(caller: str, prefix: str) -> None:
    for candidate in (prefix, f"{caller}/{prefix}", f"{caller}{prefix}"):
        context: dict[str, ContextValue] = {"s3:prefix": candidate}
        case = user_case("authenticated", "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", True,
                         context, caller=caller)  # fmt: skip
        assert decide(POLICIES, case).allowed is candidate.startswith(caller + "/")


@given(IDENTITIES, st.text(max_size=60))
def test_readable_keys_a_user_can_write_are_in_their_public_folder(caller: str, key: str) -> None:
    """Whatever the '?' pattern matches beyond real folders, no user can put anything there."""
    for candidate in (key, f"{caller}/{key}"):
        if anonymous_reads(POLICIES, candidate) and user_may(
            POLICIES, caller, "s3:PutObject", candidate
        ):
            assert candidate.startswith(f"{caller}/public/")


@given(IDENTITIES, st.lists(st.one_of(IDENTITIES, st.just("")), max_size=3))
def test_users_touch_exactly_their_own_items(caller: str, others: list[str]) -> None:
    for keys in (others, [caller, *others], [caller] * len(others)):
        context: dict[str, ContextValue] = {"dynamodb:LeadingKeys": keys}
        for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"):
            case = user_case("authenticated", action, table_arn(USER_DATA), True, context,
                             caller=caller)  # fmt: skip
            expected = bool(keys) and set(keys) == {caller}
            assert decide(POLICIES, case).allowed is expected
