"""`whimsy prove`: the platform's isolation promises, machine-checked with cvc5.

Each promise is a theorem over every object key, every identity id of the Cognito format
(`<region>:<lowercase uuid>`) and every value of the condition keys a request could carry. The
solver is asked for a request that the generated policies allow and the promise forbids; "no
such request" (unsat) is the proof, and a found one is printed as a counterexample. Witnesses run
the other way: they show the intended access exists, so that a policy denying everything cannot
pass as "secure".

The documents come from out/terraform/main.tf.json (what will be deployed), through the roles
the identity pool really hands out; the config only says which bucket holds users' folders and
which tables are per-user, system configuration or service-only.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.review.deployed import (
    ACCOUNT,
    IDENTITY_POOL,
    Deployment,
    Facts,
    Role,
    facts_from_config,
    read_deployment,
)
from generator.review.smt import Key, Request, allowed, single, z3

# Action universes. Wildcards in policies are matched against these, so every action a
# promise is about must be named here.
S3_WRITE = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload",
            "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:PutObjectTagging",
            "s3:DeleteObjectTagging", "s3:RestoreObject", "s3:PutObjectRetention",
            "s3:PutObjectLegalHold", "s3:ReplicateObject", "s3:ReplicateDelete",
            "s3:PutObjectVersionTagging", "s3:DeleteObjectVersionTagging",
            "s3:BypassGovernanceRetention",
            # stands for actions AWS adds later: only a wildcard grant can match it
            "s3:ZzFutureAction")  # fmt: skip
S3_READ = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectTagging",
           "s3:GetObjectAttributes", "s3:ListMultipartUploadParts",
           "s3:GetObjectVersionAttributes", "s3:GetObjectVersionTagging",
           "s3:GetObjectVersionAcl")  # fmt: skip
S3_LIST = ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads")
S3_BUCKET_SETTINGS = ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl",
                      "s3:DeleteBucket", "s3:PutBucketPublicAccessBlock", "s3:PutBucketCORS",
                      "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
                      "s3:PutBucketOwnershipControls", "s3:PutEncryptionConfiguration",
                      "s3:PutBucketNotification", "s3:PutBucketLogging",
                      "s3:PutReplicationConfiguration", "s3:PutInventoryConfiguration",
                      "s3:PutBucketObjectLockConfiguration", "s3:PutBucketWebsite",
                      "s3:PutBucketRequestPayment", "s3:ZzFutureBucketAction")  # fmt: skip
DDB_ITEM_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                 "dynamodb:ConditionCheckItem")  # fmt: skip
DDB_ITEM_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                  "dynamodb:BatchWriteItem")  # fmt: skip
# Requests that carry no dynamodb:LeadingKeys: they reach every partition (or the table itself).
DDB_TABLE_WIDE = ("dynamodb:Scan", "dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert",
                  "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
                  "dynamodb:ExportTableToPointInTime", "dynamodb:DeleteTable",
                  "dynamodb:UpdateTable", "dynamodb:CreateBackup",
                  "dynamodb:RestoreTableToPointInTime", "dynamodb:UpdateTimeToLive",
                  "dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy",
                  "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:EnableKinesisStreamingDestination", "dynamodb:CreateTableReplica",
                  "dynamodb:UpdateContinuousBackups", "dynamodb:ZzFutureAction")  # fmt: skip
ASSUME = ("sts:AssumeRoleWithWebIdentity", "sts:AssumeRole", "sts:AssumeRoleWithSAML")
TRUST_CALLERS = ("federated:cognito-identity.amazonaws.com", "federated:accounts.google.com",
                 f"arn:aws:iam::{ACCOUNT}:role/any-role-in-the-account", "anonymous",
                 "service:lambda.amazonaws.com")  # fmt: skip
COGNITO = "federated:cognito-identity.amazonaws.com"


@dataclass(frozen=True)
class Outcome:
    name: str
    kind: str  # "proof" (expected unsat) or "witness" (expected sat)
    holds: bool
    seconds: float
    detail: str  # the counterexample (failed proof), the example (witness), or ""
    action: str = ""  # of the counterexample or example
    example: Mapping[str, str] = field(default_factory=dict)  # its values, by name


@dataclass
class _Case:
    """One way to break a promise: an action's request and the constraint of a violation."""

    request: Request
    formula: Any
    shown: dict[str, Any]  # names -> terms to print from the model


# --- the request shapes -----------------------------------------------------------------------


def identity_regex(region: str) -> Any:
    """Cognito identity ids: <region>:<uuid>, lowercase hex."""
    api = z3()
    hexdigit = api.Union(api.Range("0", "9"), api.Range("a", "f"))
    groups = [api.Loop(hexdigit, n, n) for n in (8, 4, 4, 4, 12)]
    dashed = [groups[0]]
    for group in groups[1:]:
        dashed += [api.Re("-"), group]
    return api.Concat(api.Re(f"{region}:"), *dashed)


def public_shape(region: str) -> Any:
    """Keys `<region>:????????-????-????-????-????????????/public/...` (the IAM pattern's shape)."""
    api = z3()
    parts: list[Any] = [api.Re(f"{region}:")]
    for n in (8, 4, 4, 4, 12):
        if len(parts) > 1:
            parts.append(api.Re("-"))
        parts.append(api.Loop(api.AllChar(), n, n))
    return api.Concat(*parts, api.Re("/public/"), api.Star(api.AllChar()))


def _object_request(action: str, principal: str, bucket: str, key: Any) -> Request:
    return Request(action, ("arn", "aws", "s3", "", ""), key, principal, f"{bucket}/")


def _bucket_request(action: str, principal: str, bucket: str) -> Request:
    return Request(action, ("arn", "aws", "s3", "", ""), z3().StringVal(bucket), principal)


def _table_request(action: str, principal: str, region: str, table: str) -> Request:
    api = z3()
    resource = api.String(f"resource:{table}")
    request = Request(action, ("arn", "aws", "dynamodb", region, ACCOUNT), resource, principal)
    return request


def _table_resource(request: Request, table: str) -> Any:
    """The table itself, any of its indexes or its stream."""
    api = z3()
    return api.Or(
        request.resource == api.StringVal(f"table/{table}"),
        api.PrefixOf(api.StringVal(f"table/{table}/index/"), request.resource),
        api.PrefixOf(api.StringVal(f"table/{table}/stream/"), request.resource),
    )


def _signed_in(request: Request, caller: Any) -> Request:
    request.set_key("cognito-identity.amazonaws.com:sub", single(caller))
    return request


def _leading_keys(request: Request, carried: bool) -> Key:
    """Item actions always carry the partition keys they touch; table-wide ones carry none."""
    api = z3()
    name = "dynamodb:LeadingKeys"
    key = request.key(name)
    fixed = Key(key.values, api.BoolVal(carried), multivalued=True)
    request.set_key(name, fixed)
    return fixed


# --- the promises -----------------------------------------------------------------------------


def _user_role_cases(
    facts: Facts, deployment: Deployment, role: Role, admin: bool
) -> dict[str, Callable[[], list[_Case]]]:
    api = z3()
    region = deployment.region
    ids = identity_regex(region)
    bucket_policy = deployment.bucket_policies.get(facts.bucket)
    resource_policies = [bucket_policy] if bucket_policy else []

    def object_cases(actions: Sequence[str], violation: Callable[[Any, Any], Any]) -> list[_Case]:
        cases = []
        for action in actions:
            caller, key = api.String("caller"), api.String("key")
            request = _signed_in(_object_request(action, role.arn, facts.bucket, key), caller)
            allow = allowed(request, role.policies, resource_policies)
            formula = api.And(api.InRe(caller, ids), allow, violation(caller, key))
            cases.append(_Case(request, formula, {"caller": caller, "key": key}))
        return cases

    def own_folder(caller: Any, key: Any) -> Any:
        return api.PrefixOf(api.Concat(caller, api.StringVal("/")), key)

    def writes() -> list[_Case]:
        return object_cases(S3_WRITE, lambda c, k: api.Not(own_folder(c, k)))

    def reads() -> list[_Case]:
        public = public_shape(region)
        return object_cases(
            S3_READ, lambda c, k: api.And(api.Not(own_folder(c, k)), api.Not(api.InRe(k, public)))
        )

    def lists() -> list[_Case]:
        cases = []
        for action in S3_LIST:
            caller = api.String("caller")
            request = _signed_in(_bucket_request(action, role.arn, facts.bucket), caller)
            prefix = request.key("s3:prefix")
            confined = api.And(
                prefix.present,
                api.PrefixOf(api.Concat(caller, api.StringVal("/")), prefix.values[0]),
            )
            allow = allowed(request, role.policies, resource_policies)
            formula = api.And(api.InRe(caller, ids), allow, api.Not(confined))
            cases.append(_Case(request, formula, {"caller": caller, "prefix": prefix.values[0],
                                                  "prefix given": prefix.present}))  # fmt: skip
        return cases

    def bucket_settings() -> list[_Case]:
        cases = []
        for action in S3_BUCKET_SETTINGS:
            caller = api.String("caller")
            request = _signed_in(_bucket_request(action, role.arn, facts.bucket), caller)
            allow = allowed(request, role.policies, resource_policies)
            cases.append(_Case(request, api.And(api.InRe(caller, ids), allow), {"caller": caller}))
        return cases

    def table_cases(
        tables: Sequence[str], actions: Sequence[str], violation: Callable[[Any, Key], Any]
    ) -> list[_Case]:
        cases = []
        for table in tables:
            for action in actions:
                caller = api.String("caller")
                request = _table_request(action, role.arn, region, table)
                _signed_in(request, caller)
                keys = _leading_keys(request, carried=action not in DDB_TABLE_WIDE)
                allow = allowed(request, role.policies, deployment.table_policies.get(table, []))
                formula = api.And(
                    api.InRe(caller, ids), _table_resource(request, table), allow,
                    violation(caller, keys),
                )  # fmt: skip
                shown = {"caller": caller, "table resource": request.resource}
                shown |= {f"partition key {i + 1}": v for i, v in enumerate(keys.values)}
                cases.append(_Case(request, formula, shown))
        return cases

    def own_partition() -> list[_Case]:
        def foreign(caller: Any, keys: Key) -> Any:
            # table-wide actions carry no keys: any allowed one reaches other users' items
            return api.Or(api.Not(keys.present), *[value != caller for value in keys.values])

        actions = DDB_ITEM_READ + DDB_ITEM_WRITE + DDB_TABLE_WIDE
        return table_cases(facts.per_user_tables, actions, foreign)

    def system_read_only() -> list[_Case]:
        return table_cases(
            facts.system_tables, DDB_ITEM_WRITE + DDB_TABLE_WIDE, lambda c, k: api.BoolVal(True)
        )

    def service_closed() -> list[_Case]:
        actions = DDB_ITEM_READ + DDB_ITEM_WRITE + DDB_TABLE_WIDE
        return table_cases(facts.service_tables, actions, lambda c, k: api.BoolVal(True))

    promises = {
        "writes and deletes only inside the caller's own folder": writes,
        "lists only inside the caller's own folder": lists,
        "reads only the caller's own folder and <id>/public/ folders": reads,
        "cannot change the bucket's settings or policy": bucket_settings,
        "per-user tables: only items in the caller's own partition": own_partition,
        "service tables: no access": service_closed,
    }
    if not admin:
        promises["system tables: read-only"] = system_read_only
    return promises


def _trust_cases(deployment: Deployment, role: Role, amr: str) -> list[_Case]:
    api = z3()
    cases = []
    for caller in _callers(role.trust):
        for action in ASSUME:
            request = Request(action, ("arn", "aws", "iam", "", ACCOUNT),
                              api.StringVal(f"role/{role.name}"), caller)  # fmt: skip
            aud = request.key("cognito-identity.amazonaws.com:aud")
            methods = request.key("cognito-identity.amazonaws.com:amr")
            allow = allowed(request, [], [role.trust])
            intended = api.And(
                api.BoolVal(caller == COGNITO),
                aud.present,
                aud.values[0] == api.StringVal(IDENTITY_POOL),
                methods.present,
                api.Or(*[value == api.StringVal(amr) for value in methods.values]),
            )
            shown = {
                "principal": api.StringVal(caller),
                "action": api.StringVal(action),
                "aud": aud.values[0],
                "aud given": aud.present,
                "amr given": methods.present,
            }
            shown |= {f"amr {i + 1}": v for i, v in enumerate(methods.values)}  # fmt: skip
            cases.append(_Case(request, api.And(allow, api.Not(intended)), shown))
    return cases


def _callers(policy: Mapping[str, Any]) -> list[str]:
    """Fixed callers, plus every principal the policy names: a grant to anyone not tried here
    could not match (principal_matches matches only named principals and '*')."""
    return list(dict.fromkeys([*TRUST_CALLERS, *_named(policy)]))


def _named(policy: Mapping[str, Any]) -> list[str]:
    callers = []
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        if not isinstance(principal, Mapping):
            continue
        for kind, values in principal.items():
            for name in values if isinstance(values, list) else [values]:
                callers.append(_caller(kind, str(name)))
    return callers


def _caller(kind: str, name: str) -> str:
    if kind == "AWS":
        if name == "*":
            return "anonymous"
        account = name if name.isdigit() else name.split(":")[4]
        if ":role/" in name or ":assumed-role/" in name:
            role = name.split("/")[1]
            return f"arn:aws:iam::{account}:role/{role}"
        return f"arn:aws:iam::{account}:role/any-role-in-{account}"
    return f"{kind.lower()}:{name}"


def _outsiders(deployment: Deployment, bucket: str) -> list[str]:
    """Who the bucket policy could admit from outside the account: anyone, services, others."""
    policy = deployment.bucket_policies.get(bucket, {})
    # web identities cannot call S3 before they take a role; same-account roles are proved
    named = [c for c in _named(policy)
             if not c.startswith((f"arn:aws:iam::{ACCOUNT}:", "federated:"))]  # fmt: skip
    return list(dict.fromkeys(["anonymous", *named]))


def _anonymous_cases(
    facts: Facts, deployment: Deployment, outsider: str = "anonymous"
) -> dict[str, Callable[[], list[_Case]]]:
    api = z3()
    region = deployment.region
    policy = deployment.bucket_policies.get(facts.bucket)
    policies = [policy] if policy else []

    def reads(violation: Callable[[Any], Any]) -> list[_Case]:
        cases = []
        for action in S3_READ:
            key = api.String("key")
            request = _object_request(action, outsider, facts.bucket, key)
            formula = api.And(allowed(request, [], policies), violation(key))
            cases.append(_Case(request, formula, {"key": key}))
        return cases

    def public_only() -> list[_Case]:
        return reads(lambda key: api.Not(api.InRe(key, public_shape(region))))

    def top_level_public_only() -> list[_Case]:
        # Ids have a fixed length: "in some user's folder, not its public/" by position. (The
        # same as regular expressions with a complement, which cvc5 struggles with.)
        length = len(region) + 37

        def nested(key: Any) -> Any:
            return api.And(
                api.Length(key) > length,
                api.InRe(api.SubString(key, 0, length), identity_regex(region)),
                api.SubString(key, length, 1) == api.StringVal("/"),
                api.SubString(key, length + 1, 7) != api.StringVal("public/"),
            )

        return reads(nested)

    def no_writes() -> list[_Case]:
        cases = []
        for action in S3_WRITE:
            key = api.String("key")
            request = _object_request(action, outsider, facts.bucket, key)
            cases.append(_Case(request, allowed(request, [], policies), {"key": key}))
        for action in S3_LIST + S3_BUCKET_SETTINGS:
            request = _bucket_request(action, outsider, facts.bucket)
            cases.append(_Case(request, allowed(request, [], policies), {}))
        return cases

    return {
        "reads only keys <region>:<uuid shape>/public/...": public_only,
        "in a user's folder, reads only its top-level public/ folder": top_level_public_only,
        "never writes, deletes, lists or changes the bucket": no_writes,
    }


def _witness_cases(facts: Facts, deployment: Deployment, role: Role) -> dict[str, _Case]:
    """Intended access that must exist, so that proofs are not vacuous."""
    api = z3()
    ids = identity_regex(deployment.region)
    policy = deployment.bucket_policies.get(facts.bucket)
    resource_policies = [policy] if policy else []
    caller, key = api.String("caller"), api.String("key")
    write = _signed_in(_object_request("s3:PutObject", role.arn, facts.bucket, key), caller)
    anonymous_key = api.String("key")
    read = _object_request("s3:GetObject", "anonymous", facts.bucket, anonymous_key)
    witnesses = {
        "a signed-in user can write into their own folder": _Case(
            write,
            api.And(api.InRe(caller, ids), allowed(write, role.policies, resource_policies)),
            {"caller": caller, "key": key},
        ),
        "anyone can read a file in a public folder": _Case(
            read, allowed(read, [], resource_policies), {"key": anonymous_key}
        ),
    }
    for table in facts.per_user_tables[:1]:
        own = api.String("caller")
        request = _signed_in(
            _table_request("dynamodb:GetItem", role.arn, deployment.region, table), own
        )
        keys = _leading_keys(request, carried=True)
        witnesses[f"a signed-in user can read their own items in {table}"] = _Case(
            request,
            api.And(api.InRe(own, ids), _table_resource(request, table),
                    allowed(request, role.policies, []), *[v == own for v in keys.values]),
            {"caller": own},
        )  # fmt: skip
    return witnesses


# --- running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    satisfiable: bool
    seconds: float
    detail: str = ""
    action: str = ""
    example: Mapping[str, str] = field(default_factory=dict)


def _solve(cases: Sequence[_Case]) -> _Answer:
    """Is any case satisfiable? If so, the first satisfied case with the model's values."""
    api = z3()
    solver = api.SolverFor("QF_SLIA")
    solver.set("strings-exp", True)
    solver.add(api.Or(*[case.formula for case in cases]) if cases else api.BoolVal(False))
    started = time.perf_counter()
    result = solver.check()
    seconds = time.perf_counter() - started
    if result == api.unknown:
        raise UserError(f"the solver gave up ({solver.reason_unknown()})")
    if result == api.unsat:
        return _Answer(False, seconds)
    model = solver.model()
    for case in cases:
        if api.is_true(model.eval(case.formula, model_completion=True)):
            example = _values(model, case)
            return _Answer(True, seconds, _describe(case, example), case.request.action, example)
    raise AssertionError("the solver's model satisfies none of the cases it was given")


def _values(model: Any, case: _Case) -> dict[str, str]:
    api = z3()
    values = {}
    for name, term in case.shown.items():
        value = model.eval(term, model_completion=True)
        values[name] = value.as_string() if api.is_string_value(value) else str(value).lower()
    return values


def _describe(case: _Case, example: Mapping[str, str]) -> str:
    request = case.request
    shown = ", ".join(f"{name}={value!r}" for name, value in example.items())
    return f"{request.principal} is allowed {request.action}: {shown}"


def _refuse_unresolved(facts: Facts, deployment: Deployment) -> None:
    """A Terraform reference whimsy could not resolve would make a grant silently vanish."""
    roles = [deployment.roles[local] for local in deployment.identity_roles.values()]
    documents = [deployment.bucket_policies.get(facts.bucket), deployment.table_policies,
                 [(r.trust, r.policies) for r in roles]]  # fmt: skip
    found = re.search(r"<(?:data\.)?aws_[a-z0-9_]+\.[^>]*>", json.dumps(documents))
    if found:
        raise UserError(f"a policy refers to {found.group(0)}, which the prover cannot resolve")


def run_proofs(facts: Facts, deployment: Deployment) -> list[Outcome]:
    _refuse_unresolved(facts, deployment)
    outcomes: list[Outcome] = []

    def prove(name: str, cases: Sequence[_Case]) -> None:
        answer = _solve(cases)
        outcomes.append(Outcome(name, "proof", not answer.satisfiable, answer.seconds,
                                answer.detail, answer.action, answer.example))  # fmt: skip

    for purpose, role in _identity_pool_roles(deployment):
        admin = facts.admin_group is not None and purpose == f"group:{facts.admin_group}"
        who = "signed-in users" if purpose == "authenticated" else purpose.replace(":", " ")
        label = f"{who} (role {role.name})"
        if purpose == "unauthenticated":
            continue  # guests are anonymous callers with an identity: proved below
        for promise, build in _user_role_cases(facts, deployment, role, admin).items():
            prove(f"{label}: {promise}", build())
        prove(f"{label}: only signed-in identities of this pool can take the role",
              _trust_cases(deployment, role, "authenticated"))  # fmt: skip
    for outsider in _outsiders(deployment, facts.bucket):
        who = "anonymous" if outsider == "anonymous" else f"outsider {outsider}"
        for promise, build in _anonymous_cases(facts, deployment, outsider).items():
            prove(f"{who}: {promise}", build())
    guest = deployment.identity_role("unauthenticated")
    if guest is not None:
        for promise, build in _guest_cases(facts, deployment, guest).items():
            prove(f"guests (role {guest.name}): {promise}", build())
        prove(f"guests (role {guest.name}): only guest identities of this pool take the role",
              _trust_cases(deployment, guest, "unauthenticated"))  # fmt: skip
    user = deployment.identity_role("authenticated")
    if user is not None:
        for name, case in _witness_cases(facts, deployment, user).items():
            answer = _solve([case])
            outcomes.append(Outcome(name, "witness", answer.satisfiable, answer.seconds,
                                    answer.detail, answer.action, answer.example))  # fmt: skip
    return outcomes


def _guest_cases(
    facts: Facts, deployment: Deployment, guest: Role
) -> dict[str, Callable[[], list[_Case]]]:
    """Guests get an identity id but no sign-in: hold them to the anonymous promises."""
    cases = _user_role_cases(facts, deployment, guest, admin=False)
    return {
        "writes and deletes only inside the guest's own folder": cases[
            "writes and deletes only inside the caller's own folder"
        ],
        "reads only its own folder and <id>/public/ folders": cases[
            "reads only the caller's own folder and <id>/public/ folders"
        ],
        "per-user tables: only items in its own partition": cases[
            "per-user tables: only items in the caller's own partition"
        ],
        "service tables: no access": cases["service tables: no access"],
        "lists only inside its own folder": cases["lists only inside the caller's own folder"],
        "cannot change the bucket's settings or policy": cases[
            "cannot change the bucket's settings or policy"
        ],
        "system tables: read-only": cases["system tables: read-only"],
    }


def _identity_pool_roles(deployment: Deployment) -> Iterator[tuple[str, Role]]:
    for purpose in sorted(deployment.identity_roles):
        role = deployment.identity_role(purpose)
        if role is not None:
            if role.managed:
                raise UserError(
                    f"role {role.name} has managed policies attached ({', '.join(role.managed)});"
                    " the prover reads only inline documents, so it cannot vouch for this role"
                )
            yield purpose, role


def render(outcomes: Sequence[Outcome]) -> str:
    lines = []
    for outcome in outcomes:
        if outcome.kind == "proof":
            status = "proved" if outcome.holds else "FAILED"
        else:
            status = "reachable" if outcome.holds else "UNREACHABLE"
        lines.append(f"{status:<11} {outcome.seconds:7.3f} s  {outcome.name}")
        if outcome.kind == "proof" and not outcome.holds:
            lines.append(f"{'':21}counterexample: {outcome.detail}")
        if outcome.kind == "witness" and not outcome.holds:
            lines.append(f"{'':21}no request gets this access: the policies are too strict")
    failed = [o for o in outcomes if not o.holds]
    total = sum(o.seconds for o in outcomes)
    summary = f"{len(outcomes) - len(failed)} of {len(outcomes)} hold ({total:.2f} s in the solver)"
    return "\n".join([*lines, summary]) + "\n"


# --- command line -----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", type=Path, default=Path("whimsy_config.yaml"), metavar="FILE",
        help="the config (it says which bucket and tables the promises are about)",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--out", type=Path, default=None, metavar="DIR",
        help="the generated output to prove (default: out/ next to the config)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from generator.config import load_config

    config = load_config(args.config, check_lambdas=False).config
    out_dir = args.out if args.out is not None else args.config.parent / "out"
    outcomes = run_proofs(facts_from_config(config), read_deployment(out_dir))
    print(render(outcomes), end="")
    return 0 if all(o.holds for o in outcomes) else 1
