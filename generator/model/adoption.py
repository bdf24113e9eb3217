"""Adopting what exists and losing nothing: what the synthesized Terraform gains on top of
the resources themselves.

- `import` blocks for every resource the config's `adopt:` section says exists (Terraform
  >= 1.5 imports them at the first apply instead of creating a second one), with the import
  id each resource type expects;
- `lifecycle.prevent_destroy` on every stateful resource (generator/model/stateful.py), and
  the ignore_changes that known provider traps need on adopted Cognito resources;
- `removed { lifecycle { destroy = false } }` for what `retired:` lists: Terraform forgets it,
  AWS keeps it;
- the check that no stateful resource of the previous out/ silently disappears.

Pure functions over the config and the synthesized document (no jsii), so they are tested
without synthesis.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.config.models import WhimsyConfig
from generator.model import names
from generator.model.stateful import is_stateful, what_is_lost

Document = dict[str, Any]
Resources = dict[str, dict[str, dict[str, Any]]]

# The bucket sub-configuration each `adopt.buckets[].existing` entry names; all import by the
# bucket's name.
BUCKET_PARTS: dict[str, str] = {
    "policy": "aws_s3_bucket_policy",
    "versioning": "aws_s3_bucket_versioning",
    "cors": "aws_s3_bucket_cors_configuration",
    "lifecycle": "aws_s3_bucket_lifecycle_configuration",
    "notification": "aws_s3_bucket_notification",
    "public_access_block": "aws_s3_bucket_public_access_block",
    "ownership": "aws_s3_bucket_ownership_controls",
    "encryption": "aws_s3_bucket_server_side_encryption_configuration",
    "logging": "aws_s3_bucket_logging",
}

# Provider traps on imported Cognito resources (hashicorp/terraform-provider-aws):
# #20298 an imported app client's generate_secret is not read back, so it plans a replacement;
# #21654 schema changes plan in place and fail at apply (whimsy declares no custom schema, a
# legacy pool may have some: leave them be).
ADOPTED_IGNORES: dict[str, list[str]] = {
    "aws_cognito_user_pool_client": ["generate_secret"],
    "aws_cognito_user_pool": ["schema"],
}


def _resources(document: Document) -> Resources:
    found: Resources = document.get("resource", {})
    return found


def _reference(address: str) -> str:
    return "${" + address + ".id}"


def _find(document: Document, kind: str, attribute: str, value: str) -> str | None:
    """The address of the `kind` resource whose `attribute` is `value`."""
    for name, body in sorted(_resources(document).get(kind, {}).items()):
        if body.get(attribute) == value:
            return f"{kind}.{name}"
    return None


def _only(document: Document, kind: str) -> str | None:
    found = sorted(_resources(document).get(kind, {}))
    return f"{kind}.{found[0]}" if len(found) == 1 else None


def _bucket_imports(config: WhimsyConfig, document: Document) -> Iterator[tuple[str, str]]:
    for adopted in config.adopt.buckets:
        bucket = _find(document, "aws_s3_bucket", "bucket", adopted.name)
        if bucket is None:
            continue  # checks.check_adopt reports it
        yield bucket, adopted.name
        for part in adopted.existing:
            kind = BUCKET_PARTS[part]
            address = _find(document, kind, "bucket", _reference(bucket))
            if address is not None:
                yield address, adopted.name


def record_import_id(zone_id: str, name: str, kind: str) -> str:
    """aws_route53_record's import id: ZONE_name_TYPE (the name without its final dot)."""
    return f"{zone_id}_{name.rstrip('.').lower()}_{kind}"


def _record_imports(config: WhimsyConfig, document: Document) -> Iterator[tuple[str, str]]:
    zone = config.domains.hosted_zone_id
    records = _resources(document).get("aws_route53_record", {})
    for wanted in config.adopt.dns_records:
        for name, body in sorted(records.items()):
            if body.get("name") == wanted.name and body.get("type") == wanted.type:
                yield f"aws_route53_record.{name}", record_import_id(zone, wanted.name, wanted.type)


def import_ids(config: WhimsyConfig, document: Document) -> dict[str, str]:
    """Terraform address -> import id, for everything the config says exists."""
    adopt = config.adopt
    found: dict[str, str] = dict(_bucket_imports(config, document))
    for table in adopt.tables:
        address = _find(document, "aws_dynamodb_table", "name", table)
        if address is not None:
            found[address] = table
    if adopt.user_pool is not None:
        pool = _only(document, "aws_cognito_user_pool")
        if pool is not None:
            found[pool] = adopt.user_pool.id
        client = _only(document, "aws_cognito_user_pool_client")
        if client is not None and adopt.user_pool.client_id is not None:
            found[client] = f"{adopt.user_pool.id}/{adopt.user_pool.client_id}"
    if adopt.identity_pool is not None:
        identities = _only(document, "aws_cognito_identity_pool")
        if identities is not None:
            found[identities] = adopt.identity_pool.id
        attachment = _only(document, "aws_cognito_identity_pool_roles_attachment")
        if attachment is not None and adopt.identity_pool.roles_attached:
            found[attachment] = adopt.identity_pool.id
    if adopt.certificate_arn is not None:
        certificate = _only(document, "aws_acm_certificate")
        if certificate is not None:
            found[certificate] = adopt.certificate_arn
    for domain, distribution_id in adopt.distributions.items():
        for name, body in sorted(
            _resources(document).get("aws_cloudfront_distribution", {}).items()
        ):
            if domain in (body.get("aliases") or []):
                found[f"aws_cloudfront_distribution.{name}"] = distribution_id
    found.update(_record_imports(config, document))
    return dict(sorted(found.items()))


def import_blocks(config: WhimsyConfig, document: Document) -> list[dict[str, str]]:
    return [{"to": to, "id": id_} for to, id_ in import_ids(config, document).items()]


def removed_blocks(config: WhimsyConfig) -> list[dict[str, Any]]:
    """Retired resources: dropped from the state, kept in AWS."""
    retired = [names.table_address(table) for table in config.retired.tables]
    retired += config.retired.addresses
    return [{"from": address, "lifecycle": {"destroy": False}} for address in sorted(retired)]


def _merge_lifecycle(body: dict[str, Any], values: dict[str, Any]) -> None:
    lifecycle = body.setdefault("lifecycle", {})
    for key, value in values.items():
        if key == "ignore_changes":
            lifecycle[key] = sorted({*lifecycle.get(key, []), *value})
        else:
            lifecycle[key] = value


def protect(config: WhimsyConfig, document: Document) -> Document:
    """The document with prevent_destroy on every stateful resource, the adopted-resource
    ignores, its import and removed blocks."""
    adopted = import_ids(config, document)
    for kind, bodies in _resources(document).items():
        for name, body in bodies.items():
            if is_stateful(kind):
                _merge_lifecycle(body, {"prevent_destroy": True})
            if f"{kind}.{name}" in adopted and kind in ADOPTED_IGNORES:
                _merge_lifecycle(body, {"ignore_changes": ADOPTED_IGNORES[kind]})
    imports = import_blocks(config, document)
    if imports:
        document["import"] = imports
    removed = removed_blocks(config)
    if removed:
        document["removed"] = removed
    return document


def stateful_addresses(document: Document) -> dict[str, str]:
    """Address -> what destroying it loses, for every stateful resource of a document."""
    return {
        f"{kind}.{name}": what_is_lost(kind)
        for kind, bodies in sorted(_resources(document).items())
        if is_stateful(kind)
        for name in sorted(bodies)
    }


def vanished(previous: Document, current: Document) -> dict[str, str]:
    """Stateful resources of the previous document that the current one neither declares nor
    retires (a `removed` block): each would be planned as a destroy."""
    kept = set(stateful_addresses(current))
    retired = {block["from"] for block in current.get("removed", [])}
    return {
        address: lost
        for address, lost in stateful_addresses(previous).items()
        if address not in kept and address not in retired
    }
