"""What the generated Terraform really deploys, read back as plain IAM documents.

Review tools (the access matrix, the proofs, the diff) read main.tf.json rather than the config,
so they judge what `terraform apply` will create. Terraform strings hold two kinds of `${...}`:
IAM policy variables, escaped as `$${...}`, and Terraform references, which become readable
placeholders here (a table's ARN from its name, the identity pool as `<identity pool>`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import UserError

TERRAFORM_FILE = Path("terraform/main.tf.json")
# Placeholders for values only AWS knows; the account id never matters to a same-account proof.
ACCOUNT = "123456789012"
IDENTITY_POOL = "<identity pool>"
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_ESCAPED = "\x00"


@dataclass(frozen=True)
class Role:
    """An IAM role: its Terraform name, trust policy and the documents that grant it access."""

    address: str
    name: str
    trust: dict[str, Any]
    policies: tuple[dict[str, Any], ...]
    managed: tuple[str, ...] = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/{self.name}"


@dataclass(frozen=True)
class Facts:
    """What the config says the policies must protect."""

    bucket: str
    per_user_tables: tuple[str, ...]
    system_tables: tuple[str, ...]
    service_tables: tuple[str, ...]
    admin_group: str | None


def facts_from_config(config: Any) -> Facts:
    tables: dict[str, list[str]] = {"per_user": [], "system_config": [], "service": []}
    for table in config.kv.tables:
        tables[table.access].append(table.name)
    return Facts(
        bucket=config.storage.bucket,
        per_user_tables=tuple(sorted(tables["per_user"])),
        system_tables=tuple(sorted(tables["system_config"])),
        service_tables=tuple(sorted(tables["service"])),
        admin_group=config.auth.admin_group,
    )


@dataclass(frozen=True)
class Deployment:
    region: str
    roles: dict[str, Role]  # by Terraform local name
    # which roles identity-pool users get: "authenticated", "unauthenticated", "group:<name>"
    identity_roles: dict[str, str]
    bucket_policies: dict[str, dict[str, Any]]  # bucket name -> policy
    tables: dict[str, str] = field(default_factory=dict)  # table name -> ARN
    table_policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # resource

    def identity_role(self, purpose: str) -> Role | None:
        local = self.identity_roles.get(purpose)
        return self.roles[local] if local else None


def read_deployment(out_dir: Path) -> Deployment:
    path = out_dir / TERRAFORM_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: not found; run `whimsy generate` first") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return deployment_from_terraform(document)


def deployment_from_terraform(document: dict[str, Any]) -> Deployment:
    resources: dict[str, dict[str, Any]] = document.get("resource", {})
    region = _region(document)
    names = _physical_names(resources)
    resolve = _Resolver(region, names, _attached_pools(resources))
    roles = _roles(resources, resolve)
    bucket_policies = {
        resolve.text(body["bucket"]): resolve.document(body["policy"])
        for body in resources.get("aws_s3_bucket_policy", {}).values()
    }
    tables = {
        body["name"]: f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{body['name']}"
        for body in resources.get("aws_dynamodb_table", {}).values()
    }
    table_policies: dict[str, list[dict[str, Any]]] = {}
    for body in resources.get("aws_dynamodb_resource_policy", {}).values():
        table = resolve.text(body["resource_arn"]).rpartition("table/")[2].split("/")[0]
        table_policies.setdefault(table, []).append(resolve.document(body["policy"]))
    return Deployment(
        region=region,
        roles=roles,
        identity_roles=_identity_roles(resources, roles),
        bucket_policies=dict(sorted(bucket_policies.items())),
        tables=dict(sorted(tables.items())),
        table_policies=table_policies,
    )


def _attached_pools(resources: dict[str, dict[str, Any]]) -> set[str]:
    """The identity pools whose roles attachment whimsy generated (the platform's pool)."""
    return {
        str(body.get("identity_pool_id", "")).removeprefix("${").removesuffix(".id}")
        for body in resources.get("aws_cognito_identity_pool_roles_attachment", {}).values()
    }


def _region(document: dict[str, Any]) -> str:
    providers = document.get("provider", {}).get("aws", [])
    for provider in providers:
        if "alias" not in provider and "region" in provider:
            return str(provider["region"])
    raise UserError("main.tf.json has no default aws provider with a region")


def _physical_names(resources: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Terraform address -> the resource's physical name, where the config fixed one."""
    names: dict[str, str] = {}
    for kind, blocks in resources.items():
        for local, body in blocks.items():
            name = body.get("name", body.get("bucket", body.get("function_name")))
            if isinstance(name, str) and "${" not in name:
                names[f"{kind}.{local}"] = name
    return names


class _Resolver:
    """Turns Terraform strings into the values a reviewer (or a solver) can reason about."""

    def __init__(self, region: str, names: dict[str, str], pools: set[str]) -> None:
        self.region = region
        self.names = names
        self.pools = pools

    def text(self, value: str) -> str:
        return _REFERENCE.sub(self._placeholder, value.replace("$${", _ESCAPED)).replace(
            _ESCAPED, "${"
        )

    def document(self, value: str) -> dict[str, Any]:
        # Decode first: references sit inside JSON strings, their placeholders need no escaping.
        return self._walk(json.loads(value))  # type: ignore[no-any-return]

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, dict):
            return {k: self._walk(v) for k, v in value.items()}
        return value

    def _placeholder(self, match: re.Match[str]) -> str:
        reference = match.group(1)
        address, _, attribute = reference.rpartition(".")
        kind = address.split(".")[0]
        name = self.names.get(address)
        if kind == "aws_cognito_identity_pool" and attribute == "id":
            # only the pool that hands out the roles is "ours"; any other stays distinct
            return IDENTITY_POOL if address in self.pools else f"<identity pool {address}>"
        if name is not None:
            arn = _arn(kind, name, self.region)
            if attribute == "arn" and arn:
                return arn
            if attribute in ("id", "name", "bucket", "function_name"):
                return name
        return f"<{reference}>"


def _arn(kind: str, name: str, region: str) -> str | None:
    arns = {
        "aws_dynamodb_table": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}",
        "aws_s3_bucket": f"arn:aws:s3:::{name}",
        "aws_iam_role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "aws_lambda_function": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}",
        "aws_cloudwatch_log_group": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}",
        "aws_secretsmanager_secret": f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}",
    }
    return arns.get(kind)


def _roles(resources: dict[str, dict[str, Any]], resolve: _Resolver) -> dict[str, Role]:
    inline: dict[str, list[dict[str, Any]]] = {}
    for body in resources.get("aws_iam_role_policy", {}).values():
        inline.setdefault(_role_local(body["role"]), []).append(resolve.document(body["policy"]))
    managed: dict[str, list[str]] = {}
    for body in resources.get("aws_iam_role_policy_attachment", {}).values():
        managed.setdefault(_role_local(body["role"]), []).append(body["policy_arn"])
    for body in resources.get("aws_iam_policy_attachment", {}).values():
        for role in body.get("roles", []):
            managed.setdefault(_role_local(role), []).append(str(body.get("policy_arn")))
    for local, body in resources.get("aws_iam_role", {}).items():
        for block in body.get("inline_policy", []) or []:
            if block.get("policy"):
                inline.setdefault(local, []).append(resolve.document(block["policy"]))
        for arn in body.get("managed_policy_arns", []) or []:
            managed.setdefault(local, []).append(str(arn))
    return {
        local: Role(
            address=f"aws_iam_role.{local}",
            name=body["name"],
            trust=resolve.document(body["assume_role_policy"]),
            policies=tuple(inline.get(local, [])),
            managed=tuple(sorted(managed.get(local, []))),
        )
        for local, body in sorted(resources.get("aws_iam_role", {}).items())
    }


def _role_local(reference: str) -> str:
    """'${aws_iam_role.admin.id}' -> 'admin'."""
    match = re.fullmatch(r"\$\{aws_iam_role\.([A-Za-z0-9_-]+)\.(?:id|name|arn)\}", reference)
    if match is None:
        raise UserError(f"a role policy names its role as {reference!r}; expected a reference")
    return match.group(1)


def _identity_roles(resources: dict[str, dict[str, Any]], known: dict[str, Role]) -> dict[str, str]:
    """Every role an identity of the pool can get: the attachment's roles, role-mapping rules,
    group roles, and any other role whose trust admits Cognito identities (reachable with the
    classic flow, so proved as well)."""
    roles: dict[str, str] = {}
    for body in resources.get("aws_cognito_identity_pool_roles_attachment", {}).values():
        for purpose, reference in sorted(body.get("roles", {}).items()):
            roles[purpose] = _role_local(reference)
        for mapping in body.get("role_mapping", []) or []:
            for rule in mapping.get("mapping_rule", []) or []:
                purpose = f"rule:{rule.get('claim')}={rule.get('value')}"
                roles[purpose] = _role_local(rule["role_arn"])
    for body in resources.get("aws_cognito_user_group", {}).values():
        if body.get("role_arn"):
            roles[f"group:{body['name']}"] = _role_local(body["role_arn"])
    for local, role in known.items():
        if local not in roles.values() and "cognito-identity.amazonaws.com" in json.dumps(
            role.trust
        ):
            roles[f"trusting the pool:{local}"] = local
    return roles
