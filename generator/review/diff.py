"""`whimsy diff`: what a change of out/ does to access and to resources, for a pull request.

Both sides are read from generated Terraform (main.tf.json), never from the config, so the diff
shows what apply would change. Access is compared grant by grant: every policy statement is cut
into atomic grants (holder, effect, principal, action, resource, conditions); a grant added,
removed, or changed in its resource pattern or conditions is classified as widening or
narrowing access. Resource patterns are compared as languages (is every ARN the new pattern
matches also matched by the old one?) with the SMT solver; an undecidable or mixed change counts
as widening, so the exit code errs on the side of a closer review.

Data loss: a stateful resource (generator/model/stateful.py: buckets, user pool, app client,
identity pool, tables, certificate, secrets) that the change removes from the configuration, or
replaces because an attribute the provider cannot change in place changed, loses what it holds.
It is reported first, loudly, and decides the exit code. A resource retired with a
`removed { lifecycle { destroy = false } }` block is only forgotten by Terraform, not lost.

Severity: every widened grant is ranked (severity_of): critical (anyone reading or writing
beyond <identity-id>/public/, a user's role reaching other users' files or items, a trust
widened), high (a function's or the delivery roles' reach into every user's private files or
a per-user table; data loss), routine (everything else that widens, e.g. a new grant confined
to the caller's own folder or partition, a new function's role), narrowed.

Apply: a change that touches the delivery itself (the deploy and plan roles, their policies, the
boundary, the OIDC provider) is one the deploy role may not make; the report says it needs an
administrator's apply. Everything else the deploy role generated before the change may apply.

Exit codes, by the highest severity: 0 nothing widened or lost, 3 routine, 4 high (data loss
included), 5 critical; 1 a problem with the command (no such ref or directory).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from generator.config.folders import PUBLIC_OBJECT_KEY
from generator.errors import MissingDependency, UserError
from generator.model.delivery import DELIVERY_ADDRESSES, DEPLOY_LOCAL, PLAN_LOCAL
from generator.model.stateful import is_stateful, what_is_lost
from generator.review.deployed import TERRAFORM_FILE, Deployment, deployment_from_terraform

EXIT_WIDENED = 3  # routine
EXIT_HIGH = EXIT_DATA_LOSS = 4
EXIT_CRITICAL = 5
Direction = Literal["widened", "narrowed"]
Severity = Literal["critical", "high", "routine", "narrowed"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "routine", "narrowed")
EXIT_CODES: Mapping[Severity, int] = {
    "critical": EXIT_CRITICAL, "high": EXIT_HIGH, "routine": EXIT_WIDENED, "narrowed": 0,
}  # fmt: skip
IDENTITY_SUB = "${cognito-identity.amazonaws.com:sub}"

# Attributes whose change makes the AWS provider replace the resource (ForceNew in its schema),
# for the resource types whimsy generates. Curated from the provider's source (the JSON schema
# does not say); for the stateful types checked against hashicorp/aws 5.100. Where a later
# provider lets an attribute change in place (aws_cognito_user_pool `name`, from 6.x) it stays
# listed: the versions allowed are ">= 5.100, < 7.0", and a false alarm costs a look, a missed
# replacement costs the data.
FORCE_NEW: Mapping[str, frozenset[str]] = {
    "aws_s3_bucket": frozenset({"bucket", "bucket_prefix", "object_lock_enabled"}),
    "aws_dynamodb_table": frozenset({"name", "hash_key", "range_key", "local_secondary_index"}),
    "aws_dynamodb_table_item": frozenset({"table_name", "hash_key", "range_key"}),
    "aws_lambda_function": frozenset({"function_name"}),
    "aws_iam_role": frozenset({"name", "name_prefix", "path"}),
    "aws_iam_role_policy": frozenset({"name", "role"}),
    "aws_cognito_user_pool": frozenset(
        {"name", "alias_attributes", "username_attributes", "username_configuration"}
    ),
    "aws_cognito_user_pool_client": frozenset({"user_pool_id", "generate_secret"}),
    "aws_cognito_identity_pool": frozenset({"identity_pool_name", "developer_provider_name"}),
    "aws_cognito_user_group": frozenset({"name", "user_pool_id"}),
    "aws_secretsmanager_secret": frozenset({"name", "name_prefix"}),
    "aws_cloudwatch_log_group": frozenset({"name"}),
    "aws_acm_certificate": frozenset(
        {
            "domain_name",
            "subject_alternative_names",
            "validation_method",
            "validation_option",
            "key_algorithm",
            "certificate_authority_arn",
        }
    ),
    "aws_route53_record": frozenset({"name", "type", "zone_id"}),
    "aws_apigatewayv2_api": frozenset({"protocol_type"}),
    "aws_apigatewayv2_domain_name": frozenset({"domain_name"}),
    "aws_apigatewayv2_stage": frozenset({"api_id", "name"}),
    "aws_apigatewayv2_route": frozenset({"api_id"}),
    "aws_apigatewayv2_integration": frozenset({"api_id", "integration_type"}),
    "aws_lambda_permission": frozenset(
        {"function_name", "principal", "source_arn", "statement_id", "action"}
    ),
    "aws_cloudfront_function": frozenset({"name"}),
}


@dataclass(frozen=True, order=True)
class Grant:
    """One action on one resource pattern, as a policy statement grants (or denies) it."""

    holder: str  # "role whimsy-authenticated", "bucket policy whimsy-fs", "trust of role ..."
    effect: str
    principal: str  # canonical JSON of a resource policy's Principal, "" for identity policies
    action: str
    resource: str
    conditions: str  # canonical JSON


@dataclass(frozen=True)
class AccessChange:
    direction: Direction
    holder: str
    what: str  # in words
    severity: Severity = "routine"
    why: str = ""  # why this severity, in words


@dataclass(frozen=True)
class Context:
    """What the severity of a grant depends on, read from both sides of the change."""

    user_holders: frozenset[str] = frozenset()  # "role <name>" of the identity-pool roles
    delivery_holders: frozenset[str] = frozenset()  # the CI roles
    user_buckets: frozenset[str] = frozenset()  # buckets of users' folders
    per_user_tables: frozenset[str] = frozenset()  # table ARNs users reach by partition
    existing_holders: frozenset[str] = frozenset()  # holders on the base side (a new role's
    # trust is not a widened trust)


@dataclass(frozen=True)
class ResourceChange:
    kind: Literal["added", "removed", "replaced", "changed"]
    address: str
    attributes: tuple[str, ...] = ()  # every top-level attribute that differs
    forcing: tuple[str, ...] = ()  # replaced: those among them the provider replaces it for
    retired: bool = False  # removed: with a `removed { destroy = false }` block (AWS keeps it)

    @property
    def resource_type(self) -> str:
        return self.address.split(".")[0]


@dataclass(frozen=True)
class DataLoss:
    """A stateful resource that the change destroys or replaces."""

    address: str
    lost: str  # what_is_lost(), in words
    why: str  # "removed from the config", "replaced because range_key changed"


@dataclass
class Report:
    access: list[AccessChange] = field(default_factory=list)
    resources: list[ResourceChange] = field(default_factory=list)

    @property
    def widened(self) -> bool:
        return any(change.direction == "widened" for change in self.access)

    @property
    def data_loss(self) -> list[DataLoss]:
        return data_losses(self.resources)

    @property
    def severity(self) -> Severity:
        found = {change.severity for change in self.access}
        if self.data_loss:
            found.add("high")
        return next((s for s in SEVERITIES if s in found), "narrowed")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.severity]

    @property
    def administrator_apply(self) -> list[str]:
        """The delivery's resources the change touches: the deploy role may not apply those."""
        return [c.address for c in self.resources if c.address in DELIVERY_ADDRESSES]


# --- grants -----------------------------------------------------------------------------------


def grants(deployment: Deployment) -> set[Grant]:
    found: set[Grant] = set()
    for bucket, policy in deployment.bucket_policies.items():
        found |= _grants(f"bucket policy {bucket}", policy)
    for role in deployment.roles.values():
        for policy in role.policies:
            found |= _grants(f"role {role.name}", policy)
        for arn in role.managed:
            found.add(Grant(f"role {role.name}", "Allow", "", f"managed policy {arn}", "*", ""))
        found |= _grants(f"trust of role {role.name}", role.trust)
    return found


def _grants(holder: str, policy: Mapping[str, Any]) -> set[Grant]:
    out = set()
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = _canonical(statement["Principal"]) if "Principal" in statement else ""
        actions = _as_list(statement.get("Action", statement.get("NotAction", [])))
        if "NotAction" in statement:
            actions = [f"everything but {a}" for a in actions]
        resources = _as_list(statement.get("Resource", statement.get("NotResource", ["*"])))
        if "NotResource" in statement:
            resources = [f"everything but {r}" for r in resources]
        conditions = _canonical(statement.get("Condition", {}))
        for action in actions:
            for resource in resources:
                if "NotAction" not in statement and not _same_service(action, resource):
                    continue
                out.add(Grant(holder, statement["Effect"], principal, action.lower(), resource,
                              conditions))  # fmt: skip
    return out


def _same_service(action: str, resource: str) -> bool:
    """IAM authorizes an action only on its own service's resources: a statement that lists
    iam and dynamodb actions and ARNs grants no iam action on a table (so no such grant row)."""
    fields = resource.split(":")
    if not resource.startswith("arn:") or len(fields) < 3 or "*" in fields[2] or "?" in fields[2]:
        return True
    service = action.split(":")[0].lower()
    return "*" in service or "?" in service or service == fields[2].lower()


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _canonical(value: Any) -> str:
    if not value:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# --- classifying changes ----------------------------------------------------------------------


def access_changes(
    before: set[Grant], after: set[Grant], context: Context | None = None
) -> list[AccessChange]:
    context = context or Context()

    def _change(widens: bool, grant: Grant, what: str, actions: Sequence[str] = ()) -> AccessChange:
        # a statement's actions together: the change is as severe as its most severe action
        ranked = sorted(
            severity_of(dataclasses.replace(grant, action=a), widens, context)
            for a in (actions or [grant.action])
        )
        severity, why = min(ranked, key=lambda found: SEVERITIES.index(found[0]))
        return AccessChange("widened" if widens else "narrowed", grant.holder, what, severity, why)

    added = sorted(after - before)
    removed = sorted(before - after)
    changes: list[AccessChange] = []
    unpaired: list[Grant] = []
    # a grant whose resource or conditions changed is paired with the one it replaces; pairs
    # that differ the same way (a renamed table: every action of a statement) make one row
    moved: dict[tuple[Grant, Grant], list[str]] = {}
    for grant in added:
        partner = _partner(grant, removed)
        if partner is None:
            unpaired.append(grant)
            continue
        removed.remove(partner)
        key = (dataclasses.replace(partner, action=""), dataclasses.replace(grant, action=""))
        moved.setdefault(key, []).append(grant.action)
    for (partner, grant), actions in moved.items():
        listed = ", ".join(sorted(actions))
        if partner.resource != grant.resource:
            wider = _pattern_widens(partner.resource, grant.resource)
            what = f"{listed} on {partner.resource} -> {grant.resource}"
        else:
            wider = _conditions_widen(partner.conditions, grant.conditions)
            what = (f"{listed} on {grant.resource}: conditions "
                    f"{partner.conditions or 'none'} -> {grant.conditions or 'none'}")  # fmt: skip
        widens = wider if grant.effect == "Allow" else not wider
        changes.append(_change(widens, grant, f"{grant.effect} {what}{_who(grant)}", actions))
    for grant, actions in _by_statement(unpaired).items():
        widens = grant.effect == "Allow"
        verb = "grants" if widens else "denies"
        changes.append(_change(widens, grant, f"now {verb} {_describe(grant, actions)}", actions))
    for grant, actions in _by_statement(removed).items():
        widens = grant.effect == "Deny"
        verb = "no longer grants" if not widens else "no longer denies"
        changes.append(_change(widens, grant, f"{verb} {_describe(grant, actions)}", actions))
    return _merge(changes)


def _by_statement(found: Iterable[Grant]) -> dict[Grant, list[str]]:
    """Grants that differ only in their action, together (one line per statement, roughly)."""
    groups: dict[Grant, list[str]] = {}
    for grant in sorted(found):
        groups.setdefault(dataclasses.replace(grant, action=""), []).append(grant.action)
    return groups


def _partner(grant: Grant, removed: Sequence[Grant]) -> Grant | None:
    """The old grant this one replaces: same holder, effect, principal and action, and either
    the same resource (the conditions changed) or the same conditions (the resource changed)."""
    for old in removed:
        same = (old.holder, old.effect, old.principal, old.action) == (
            grant.holder, grant.effect, grant.principal, grant.action)  # fmt: skip
        if same and (old.resource == grant.resource or old.conditions == grant.conditions):
            return old
    return None


def _pattern_widens(before: str, after: str) -> bool:
    """Does `after` match some ARN that `before` does not? (Unknown counts as yes.)"""
    try:
        from generator.review.smt import pattern_regex as regex, z3

        api = z3()
        subject = api.String("arn")
        solver = api.SolverFor("QF_S")
        solver.set("tlimit-per", 5000)
        solver.add(api.InRe(subject, regex(_escape_variables(after), True)))
        solver.add(api.Not(api.InRe(subject, regex(_escape_variables(before), True))))
        return bool(solver.check() != api.unsat)
    except (ImportError, MissingDependency):  # no solver installed: be conservative
        return True


def _escape_variables(pattern: str) -> str:
    """Text for smt.pattern_regex ('\\x' is a literal x): policy variables compare as literal
    text, since both sides name the same variable; ${*} ${?} ${$} are the literal characters."""
    out = ""
    i = 0
    while i < len(pattern):
        end = pattern.find("}", i) if pattern.startswith("${", i) else -1
        if end != -1:
            name = pattern[i + 2 : end]
            literal = name if name in ("*", "?", "$") else pattern[i : end + 1]
            out += "".join("\\" + char for char in literal)
            i = end + 1
        else:
            out += "\\\\" if pattern[i] == "\\" else pattern[i]
            i += 1
    return out


def _conditions_widen(before: str, after: str) -> bool:
    """Fewer (or different) conditions widen; strictly more of the same narrow."""
    old, new = _condition_set(before), _condition_set(after)
    return not old <= new


def _condition_set(text: str) -> set[tuple[str, str, str]]:
    block = json.loads(text) if text else {}
    return {
        (operator, key, _canonical(values))
        for operator, keys in block.items()
        for key, values in keys.items()
    }


# --- severity ---------------------------------------------------------------------------------


def _object_key(resource: str, buckets: frozenset[str]) -> str | None:
    """The key pattern of an object ARN in one of the buckets, else None."""
    for bucket in buckets:
        prefix = f"arn:aws:s3:::{bucket}/"
        if resource.startswith(prefix):
            return resource[len(prefix) :]
    return None


def _anonymous(principal: str) -> bool:
    return principal in ('"*"', '{"AWS":"*"}')


def severity_of(grant: Grant, widens: bool, context: Context) -> tuple[Severity, str]:
    """How much a widened grant matters: who gains it, on whose data (module docstring)."""
    if not widens:
        return "narrowed", ""
    resource = grant.resource
    key = _object_key(resource, context.user_buckets)
    public = key is not None and bool(PUBLIC_OBJECT_KEY.match(key)) and "*" not in key[:-1]
    private_files = key is not None and not public and IDENTITY_SUB not in key
    if grant.effect == "Deny":
        return "high", "a deny no longer applies"
    if grant.holder.startswith("trust of role") and grant.holder in context.existing_holders:
        return "critical", "who may assume the role widened"
    if grant.holder.startswith("bucket policy") and _anonymous(grant.principal):
        if grant.action == "s3:getobject" and (key is None or public):
            return "routine", "anyone reads one more public path"
        return "critical", "anyone may now reach beyond <identity-id>/public/"
    per_user_items = resource in context.per_user_tables or any(
        resource.startswith(table + "/") for table in context.per_user_tables
    )
    if grant.holder in context.user_holders:
        if private_files:
            return "critical", "a user's role reaches other users' private files"
        if per_user_items:
            if "dynamodb:LeadingKeys" not in grant.conditions:
                return "critical", "a user's role reaches other users' items"
            return "routine", "confined to the caller's own partition"
        if key is not None and IDENTITY_SUB in key:
            return "routine", "confined to the caller's own folder"
        return "routine", ""
    if private_files:
        return "high", "reaches into every user's private files"
    if per_user_items:
        return "high", "reaches into a per-user table's items (every user's)"
    if grant.holder in context.delivery_holders:
        return "high", "the delivery roles: needs an administrator apply"
    return "routine", ""


def context_of(before: Deployment | None, after: Deployment | None) -> Context:
    sides = [d for d in (before, after) if d is not None]
    existing = {grant.holder for grant in grants(before)} if before is not None else set()
    return dataclasses.replace(_context(*sides), existing_holders=frozenset(existing))


def _context(*deployments: Deployment) -> Context:
    user_holders, delivery, buckets, tables = set(), set(), set(), set()
    for deployment in deployments:
        for local in deployment.identity_roles.values():
            role = deployment.roles[local]
            user_holders.add(f"role {role.name}")
            for policy in role.policies:
                for grant in _grants("", policy):
                    if IDENTITY_SUB in grant.resource and grant.resource.startswith(
                        "arn:aws:s3:::"
                    ):
                        buckets.add(grant.resource.removeprefix("arn:aws:s3:::").split("/")[0])
                    if "dynamodb:LeadingKeys" in grant.conditions:
                        tables.add(grant.resource.split("/index/")[0])
        for local in (DEPLOY_LOCAL, PLAN_LOCAL):
            if local in deployment.roles:
                delivery.add(f"role {deployment.roles[local].name}")
    return Context(frozenset(user_holders), frozenset(delivery), frozenset(buckets),
                   frozenset(tables))  # fmt: skip


def _describe(grant: Grant, actions: Sequence[str]) -> str:
    conditions = f" when {grant.conditions}" if grant.conditions else ""
    return f"{', '.join(actions)} on {grant.resource}{_who(grant)}{conditions}"


def _who(grant: Grant) -> str:
    return f" to {grant.principal}" if grant.principal else ""


def _merge(changes: Iterable[AccessChange]) -> list[AccessChange]:
    unique = dict.fromkeys(changes)
    return sorted(unique, key=lambda c: (SEVERITIES.index(c.severity), c.holder, c.what))


# --- resources --------------------------------------------------------------------------------


def resource_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[ResourceChange]:
    old, new = _resources(before), _resources(after)
    retired = _retired(after)
    changes = [ResourceChange("added", a) for a in sorted(new.keys() - old.keys())]
    changes += [
        ResourceChange("removed", a, retired=a in retired) for a in sorted(old.keys() - new.keys())
    ]
    for address in sorted(old.keys() & new.keys()):
        differing = tuple(
            sorted(
                key
                for key in old[address].keys() | new[address].keys()
                if old[address].get(key) != new[address].get(key)
            )
        )
        if differing:
            kind = address.split(".")[0]
            forcing = tuple(a for a in differing if a in FORCE_NEW.get(kind, frozenset()))
            changes.append(
                ResourceChange("replaced" if forcing else "changed", address, differing, forcing)
            )
    return changes


def _retired(document: Mapping[str, Any]) -> set[str]:
    """Addresses that a `removed { lifecycle { destroy = false } }` block lets Terraform forget
    while AWS keeps them."""
    blocks = document.get("removed") or []
    found = set()
    for block in blocks if isinstance(blocks, list) else [blocks]:
        lifecycle = block.get("lifecycle") if isinstance(block, dict) else None
        if isinstance(lifecycle, dict) and lifecycle.get("destroy") is False and "from" in block:
            found.add(str(block["from"]))
    return found


def data_losses(changes: Iterable[ResourceChange]) -> list[DataLoss]:
    """The stateful resources among the changes that are destroyed or replaced."""
    found = []
    for change in changes:
        if not is_stateful(change.resource_type):
            continue
        if change.kind == "removed" and not change.retired:
            why = "removed from the config (Terraform destroys it)"
        elif change.kind == "replaced":
            why = (
                f"replaced (destroyed and created anew) because {', '.join(change.forcing)} changed"
            )
        else:
            continue
        found.append(DataLoss(change.address, what_is_lost(change.resource_type), why))
    return found


def _resources(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{kind}.{name}": body
        for kind, blocks in document.get("resource", {}).items()
        for name, body in blocks.items()
    }


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> Report:
    old, new = (deployment_from_terraform(dict(d)) if d else None for d in (before, after))
    return Report(
        access=access_changes(_grants_of(before), _grants_of(after), context_of(old, new)),
        resources=resource_changes(before, after),
    )


def _grants_of(document: Mapping[str, Any]) -> set[Grant]:
    if not document:
        return set()
    return grants(deployment_from_terraform(dict(document)))


# --- rendering --------------------------------------------------------------------------------

_SYMBOLS = {"added": "+", "removed": "-", "replaced": "-/+", "changed": "~"}


def render_text(report: Report) -> str:
    lines = []
    if report.data_loss:
        lines.append(f"DATA LOSS: {_loss_summary(report)}")
        for loss in report.data_loss:
            lines.append(f"  {loss.address}: loses its {loss.lost}; {loss.why}")
        lines.append(f"  {_LOSS_ADVICE}")
    lines.append(_apply_summary(report))
    lines.append(_access_summary(report))
    lines += [f"  {c.severity.upper():<8} {c.holder}: {c.what}{_because(c)}" for c in report.access]
    lines.append(_resource_summary(report))
    for change in report.resources:
        detail = f" ({', '.join(change.attributes)})" if change.attributes else ""
        if change.retired:
            detail = f" ({_RETIRED})"
        lines.append(f"  {_SYMBOLS[change.kind]:<3} {change.address}{detail}")
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    lines = []
    if report.data_loss:
        lines += [f"## ⚠ DATA LOSS: {_loss_summary(report)}", ""]
        lines += ["| resource | what is lost | why |", "| --- | --- | --- |"]
        for loss in report.data_loss:
            lines.append(f"| `{loss.address}` | {_plain(loss.lost)} | {_plain(loss.why)} |")
        lines += ["", f"**{_LOSS_ADVICE}**", ""]
    lines += [f"### whimsy diff: {headline(report)}", "", f"**{_apply_summary(report)}**", ""]
    lines += [f"**{_access_summary(report)}**", ""]
    if report.access:
        lines += ["| severity | holder | change | why |", "| --- | --- | --- | --- |"]
        for c in report.access:
            lines.append(
                f"| {_MARKS[c.severity]} | {_cell(c.holder)} | {_cell(c.what)} | {_plain(c.why)} |"
            )
        lines.append("")
    lines += [f"**{_resource_summary(report)}**", ""]
    if report.resources:
        lines += ["| | resource | attributes |", "| --- | --- | --- |"]
        for change in report.resources:
            attributes = ", ".join(f"`{a}`" for a in change.attributes)
            if change.retired:
                attributes = _RETIRED
            lines.append(f"| {change.kind} | `{change.address}` | {attributes} |")
        lines.append("")
    return "\n".join(lines)


_RETIRED = "retired: Terraform forgets it, AWS keeps it"
_LOSS_ADVICE = (
    "Apply would destroy what these hold. To keep a resource in AWS, list it under `retired:` "
    "in whimsy_config.yaml; to change a key or name, create a new resource and migrate."
)


def _loss_summary(report: Report) -> str:
    count = len(report.data_loss)
    return f"{count} stateful resource{'s' if count != 1 else ''} destroyed or replaced"


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def _plain(text: str) -> str:
    return text.replace("|", "\\|")


_MARKS: Mapping[Severity, str] = {
    "critical": "🛑 critical", "high": "⚠️ high", "routine": "routine", "narrowed": "narrowed",
}  # fmt: skip
_HEADLINES: Mapping[Severity, str] = {
    "critical": "CRITICAL: private data exposed or trust widened; do not merge without a "
    "security review",
    "high": "HIGH: needs a security review",
    "routine": "routine: least-privilege grants only",
    "narrowed": "no access widened",
}


def headline(report: Report) -> str:
    """The highest severity and why (the first change of that severity, or the data loss)."""
    severity = report.severity
    first = next((c for c in report.access if c.severity == severity and c.why), None)
    if first is not None and severity in ("critical", "high"):
        return f"{_HEADLINES[severity]} ({first.holder}: {first.why})"
    if severity == "high" and report.data_loss:
        return f"{_HEADLINES[severity]} (data loss)"
    return _HEADLINES[severity]


def _because(change: AccessChange) -> str:
    return f" ({change.why})" if change.why else ""


def _apply_summary(report: Report) -> str:
    touched = report.administrator_apply
    if not touched:
        return "Apply: by CI (the deploy role may make every change here)"
    return (f"Apply: needs an administrator apply (the change touches the delivery itself, "
            f"which the deploy role may not change: {', '.join(touched)})")  # fmt: skip


def _access_summary(report: Report) -> str:
    counts = {s: sum(c.severity == s for c in report.access) for s in SEVERITIES}
    widened = len(report.access) - counts["narrowed"]
    ranked = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES[:3] if counts[s])
    ranked = f" ({ranked})" if ranked else ""
    return f"Access: {widened} widened{ranked}, {counts['narrowed']} narrowed"


def _resource_summary(report: Report) -> str:
    counts = {kind: sum(c.kind == kind for c in report.resources) for kind in _SYMBOLS}
    return "Resources: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())


# --- reading both sides -----------------------------------------------------------------------


def read_out_dir(out_dir: Path) -> dict[str, Any]:
    path = out_dir / TERRAFORM_FILE
    if not out_dir.is_dir():
        raise UserError(f"{out_dir}: no such directory")
    if not path.is_file():
        return {}  # nothing generated yet: everything is new
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def read_git(ref: str, out_dir: Path) -> dict[str, Any]:
    """main.tf.json of out_dir as committed at ref ({} if it did not exist there)."""
    where = out_dir.resolve()
    top = _git(["rev-parse", "--show-toplevel"], where if where.is_dir() else Path.cwd()).strip()
    relative = (where / TERRAFORM_FILE).relative_to(Path(top).resolve()).as_posix()
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], Path(top))
    try:
        text = _git(["show", f"{ref}:{relative}"], Path(top))
    except UserError:
        return {}
    document: dict[str, Any] = json.loads(text)
    return document


def _git(args: list[str], cwd: Path) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                                check=False, timeout=60)  # fmt: skip
    except FileNotFoundError:
        raise UserError("git is not installed; use --base-dir instead") from None
    if result.returncode != 0:
        raise UserError(f"git {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result.stdout


# --- command line -----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--base", metavar="GIT_REF", default=None,
                      help="compare with out/ as committed at GIT_REF (default: HEAD)")  # fmt: skip
    base.add_argument("--base-dir", type=Path, metavar="DIR", default=None,
                      help="compare with another generated out/ directory")  # fmt: skip
    parser.add_argument("-o", "--out", type=Path, default=Path("out"), metavar="DIR",
                        help="the changed side (default: out/)")  # fmt: skip
    parser.add_argument("--format", choices=("text", "markdown"), default="text",
                        help="markdown: for a pull-request comment")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    after = read_out_dir(args.out)
    before = (
        read_out_dir(args.base_dir) if args.base_dir else read_git(args.base or "HEAD", args.out)
    )
    report = compare(before, after)
    print(render_markdown(report) if args.format == "markdown" else render_text(report), end="")
    return report.exit_code
