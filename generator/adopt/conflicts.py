"""What `whimsy adopt` found, held against the config: the `adopt:` block to write and the
conflict report an operator reads before the first apply. Pure functions over
generator.adopt.discovery's facts (no AWS calls, no boto3).

Severities:
- refused: the first apply would replace a stateful resource or cannot adopt it (a pool
  name or sign-in attributes that differ, a table key, several pools of one name, a zone
  that is not the config's): fix the config at the position given, then run adopt again;
- confirm: the first apply changes live data or access (a bucket policy, CORS, lifecycle or
  notification replaced, old versions expiring, auth flows removed): `whimsy validate`
  refuses the config until the `adopt:` block confirms it;
- note: what the operator should know (objects that become private, what is created new).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from generator.adopt.discovery import Discovery, LiveBucket, LiveUserPool
from generator.config.models import REPLACED_BUCKET_PARTS, WhimsyConfig
from generator.model import names, storage
from generator.model.identity import WEB_CLIENT_AUTH_FLOWS

Severity = Literal["refused", "confirm", "note"]
Path = tuple[str | int, ...]
SHOWN_KEYS = 5  # sample keys quoted per finding


@dataclass(frozen=True)
class Conflict:
    severity: Severity
    path: Path  # where in the config it is decided (for file:line:col)
    message: str


def refused(path: Path, message: str) -> Conflict:
    return Conflict("refused", path, message)


def confirm(path: Path, message: str) -> Conflict:
    return Conflict("confirm", path, message)


def note(path: Path, message: str) -> Conflict:
    return Conflict("note", path, message)


# --- the adopt: block -------------------------------------------------------------------------


def chosen_user_pool(config: WhimsyConfig, found: Discovery) -> LiveUserPool | None:
    return found.user_pools[0] if len(found.user_pools) == 1 else None


def chosen_client(config: WhimsyConfig, pool: LiveUserPool) -> Any:
    wanted = config.adopt.user_pool.client_id if config.adopt.user_pool else None
    if wanted is not None:
        return next((c for c in pool.clients if c.id == wanted), None)
    return pool.clients[0] if len(pool.clients) == 1 else None


def adopt_block(config: WhimsyConfig, found: Discovery) -> dict[str, Any]:
    """The `adopt:` section for what exists, keeping the confirmations already in the config."""
    block: dict[str, Any] = {}
    previous = config.adopt
    pool = chosen_user_pool(config, found)
    if pool is not None:
        entry: dict[str, Any] = {"id": pool.id}
        client = chosen_client(config, pool)
        if client is not None:
            entry["client_id"] = client.id
            if client.auth_flows:
                entry["client_auth_flows"] = list(client.auth_flows)
            if previous.user_pool and previous.user_pool.remove_auth_flows:
                entry["remove_auth_flows"] = True
        block["user_pool"] = entry
    if len(found.identity_pools) == 1:
        identities = found.identity_pools[0]
        block["identity_pool"] = {"id": identities.id, "roles_attached": bool(identities.roles)}
    buckets = []
    confirmed = {b.name: b for b in previous.buckets}
    for name, live in sorted(found.buckets.items()):
        if live is None:
            continue
        entry = {"name": name, "existing": sorted(live.parts)}
        earlier = confirmed.get(name)
        if earlier is not None:
            kept = sorted(set(earlier.replace) & live.parts)
            if kept:
                entry["replace"] = kept
            if earlier.expire_noncurrent_versions:
                entry["expire_noncurrent_versions"] = True
        buckets.append(entry)
    if buckets:
        block["buckets"] = buckets
    tables = [name for name, live in sorted(found.tables.items()) if live is not None]
    if tables:
        block["tables"] = tables
    certificate = matching_certificate(config, found)
    if certificate is not None:
        block["certificate_arn"] = certificate
    if found.distributions:
        block["distributions"] = dict(found.distributions)
    records = [{"name": n, "type": t} for n, t in found.records if t in ("A", "AAAA")]
    if records:
        block["dns_records"] = records
    return block


def matching_certificate(config: WhimsyConfig, found: Discovery) -> str | None:
    """An issued certificate with exactly the config's names (a different set of names is a
    replacement: the new one is requested and validated instead)."""
    wanted = tuple(sorted(config.domains.certificate_names))
    for certificate in found.certificates:
        if certificate.names == wanted and certificate.status == "ISSUED":
            return certificate.arn
    return None


# --- the report -------------------------------------------------------------------------------


def conflicts(config: WhimsyConfig, found: Discovery) -> list[Conflict]:
    return [
        *_user_pool(config, found),
        *_identity_pool(config, found),
        *_buckets(config, found),
        *_tables(config, found),
        *_dns(config, found),
        *_certificate(config, found),
    ]


def _user_pool(config: WhimsyConfig, found: Discovery) -> Iterator[Conflict]:
    declared, adopted = config.auth.user_pool, config.adopt.user_pool
    if not found.user_pools:
        if adopted is not None:
            yield refused(
                ("adopt", "user_pool", "id"), f"no user pool {adopted.id} in {found.region}"
            )
        else:
            yield note(
                ("auth", "user_pool", "name"),
                f"no user pool named '{declared.name}': the first apply creates one",
            )
        return
    if len(found.user_pools) > 1:
        listed = ", ".join(f"{p.id} ({p.users} users)" for p in found.user_pools)
        yield refused(
            ("auth", "user_pool", "name"),
            f"{len(found.user_pools)} user pools are named '{declared.name}' ({listed}): "
            "Cognito names are not unique; name the one to adopt in "
            "adopt.user_pool.id",
        )
        return
    pool = found.user_pools[0]
    if pool.name != declared.name:
        yield refused(
            ("auth", "user_pool", "name"),
            f"the live pool {pool.id} is named '{pool.name}': a new name replaces the "
            f"pool and loses every login; set name: {pool.name}",
        )
    wanted = tuple(sorted(declared.sign_in_with))
    if pool.username_attributes != wanted:
        live = ", ".join(pool.username_attributes) or "a username"
        yield refused(
            ("auth", "user_pool", "sign_in_with"),
            f"the live pool signs users in with {live}; changing it replaces the pool "
            f"(every login lost): set sign_in_with: [{', '.join(pool.username_attributes)}]",
        )
    if pool.alias_attributes:
        yield refused(
            ("auth", "user_pool"),
            f"the live pool also signs in with the aliases "
            f"{', '.join(pool.alias_attributes)}, which whimsy's pool does not have: "
            "removing them replaces the pool",
        )
    if pool.custom_attributes:
        yield note(
            ("auth", "user_pool"),
            f"the live pool has custom attributes ({', '.join(pool.custom_attributes)}); "
            "whimsy leaves an adopted pool's schema as it is (provider #21654)",
        )
    yield from _client(config, pool)


def _client(config: WhimsyConfig, pool: LiveUserPool) -> Iterator[Conflict]:
    adopted = config.adopt.user_pool
    if adopted is not None and adopted.client_id is not None:
        if chosen_client(config, pool) is None:
            yield refused(
                ("adopt", "user_pool", "client_id"),
                f"the pool {pool.id} has no app client {adopted.client_id}",
            )
            return
    elif len(pool.clients) > 1:
        listed = ", ".join(f"{c.id} ({c.name})" for c in pool.clients)
        yield refused(
            ("adopt", "user_pool"),
            f"the pool has {len(pool.clients)} app clients ({listed}): name the one "
            "browser apps use in adopt.user_pool.client_id",
        )
        return
    client = chosen_client(config, pool)
    if client is None:
        yield note(
            ("auth", "user_pool"),
            "the pool has no app client: the first apply creates one (apps need its id)",
        )
        return
    dropped = sorted(set(client.auth_flows) - set(WEB_CLIENT_AUTH_FLOWS))
    if dropped:
        yield confirm(
            ("adopt", "user_pool", "remove_auth_flows"),
            f"the app client {client.id} allows {', '.join(dropped)}; the first apply "
            "removes them (apps that still sign in that way stop working)",
        )
    if client.has_secret:
        yield note(
            ("adopt", "user_pool", "client_id"),
            f"the app client {client.id} has a secret: whimsy keeps it as it is "
            "(provider #20298), but a browser app cannot keep a secret",
        )


def _identity_pool(config: WhimsyConfig, found: Discovery) -> Iterator[Conflict]:
    declared, adopted = config.auth.identity_pool, config.adopt.identity_pool
    pool = chosen_user_pool(config, found)
    if not found.identity_pools:
        if adopted is not None:
            yield refused(
                ("adopt", "identity_pool", "id"), f"no identity pool {adopted.id} in {found.region}"
            )
        elif pool is not None and pool.users:
            yield refused(
                ("auth", "identity_pool", "name"),
                f"the user pool has {pool.users} users but no identity pool is named "
                f"'{declared.name}': a new pool issues new identity ids and every "
                "user loses their folder; name the existing one in "
                "adopt.identity_pool.id",
            )
        else:
            yield note(
                ("auth", "identity_pool", "name"),
                f"no identity pool named '{declared.name}': the first apply creates one",
            )
        return
    if len(found.identity_pools) > 1:
        listed = ", ".join(p.id for p in found.identity_pools)
        yield refused(
            ("auth", "identity_pool", "name"),
            f"{len(found.identity_pools)} identity pools are named '{declared.name}' "
            f"({listed}): name the one to adopt in adopt.identity_pool.id",
        )
        return
    identities = found.identity_pools[0]
    if identities.name != declared.name:
        yield refused(
            ("auth", "identity_pool", "name"),
            f"the live identity pool {identities.id} is named '{identities.name}': a "
            f"new name replaces it (new identity ids, every folder orphaned); set "
            f"name: {identities.name}",
        )
    signed_in = sorted({name.rsplit("/", 1)[-1] for name, _ in identities.providers})
    if pool is None and signed_in:
        yield refused(
            ("auth", "user_pool"),
            f"the identity pool {identities.id} signs in users of {', '.join(signed_in)}, "
            "which the config does not adopt: a new user pool would give every user a new "
            "identity id (and lose their folder); name it in adopt.user_pool.id",
        )
    if pool is not None:
        provider = f"cognito-idp.{found.region}.amazonaws.com/{pool.id}"
        if identities.providers and provider not in {name for name, _ in identities.providers}:
            yield refused(
                ("adopt", "identity_pool", "id"),
                f"the identity pool {identities.id} does not sign in users of the "
                f"pool {pool.id}: its users would get new identity ids",
            )
    if identities.allow_guests != declared.allow_guests:
        state = "allows" if identities.allow_guests else "does not allow"
        yield note(
            ("auth", "identity_pool", "allow_guests"),
            f"the live identity pool {state} guests; the first apply changes that",
        )


def _bucket_path(config: WhimsyConfig, name: str) -> Path:
    if name == config.storage.bucket:
        return ("storage", "bucket")
    if config.sites.apex and name == config.sites.apex.bucket:
        return ("sites", "apex", "bucket")
    return ("storage",)


def _buckets(config: WhimsyConfig, found: Discovery) -> Iterator[Conflict]:
    for name in found.foreign_buckets:
        yield refused(
            _bucket_path(config, name),
            f"a bucket named {name} exists in another account: choose another name",
        )
    for name, live in sorted(found.buckets.items()):
        if live is None:
            continue
        path = _bucket_path(config, name)
        if live.region != found.region:
            yield refused(
                path,
                f"the bucket {name} is in {live.region}, the config's region is {found.region}",
            )
        yield from _replaced_parts(live, path)
        if name == config.storage.bucket:
            yield from _user_files(config, live)


def _replaced_parts(live: LiveBucket, path: Path) -> Iterator[Conflict]:
    details = {
        "policy": f"{len((live.policy or {}).get('Statement') or [])} statement(s)",
        "cors": f"{live.cors_rules} rule(s)",
        "lifecycle": f"rules {', '.join(live.lifecycle_rules) or '(unnamed)'}",
        "notification": f"{live.notifications} destination(s)",
    }
    for part in REPLACED_BUCKET_PARTS:
        if part in live.parts:
            yield confirm(
                path,
                f"the bucket {live.name}'s {part} ({details[part]}) is replaced by "
                f"whimsy's at the first apply",
            )


def _user_files(config: WhimsyConfig, live: LiveBucket) -> Iterator[Conflict]:
    lifecycle = config.storage.lifecycle
    if live.versioning == "Enabled" and lifecycle.noncurrent_version_expiration_days:
        yield confirm(
            ("storage", "lifecycle", "noncurrent_version_expiration_days"),
            f"the bucket {live.name} keeps every old version today; whimsy's rule "
            f"deletes those older than {lifecycle.noncurrent_version_expiration_days} "
            "days at the first apply",
        )
    public_after = [_iam_pattern(arn) for arn in storage.public_read_resources(config)]
    arn = names.bucket_arn(live.name)

    def public_now_and_later(key: str) -> bool:
        return any(p.fullmatch(f"{arn}/{key}") for p in public_after)

    by_acl = [key for key in live.public_by_acl if not public_now_and_later(key)]
    if by_acl:
        yield note(
            ("storage", "folders"),
            f"{len(by_acl)} of {len(live.sampled_keys)} sampled objects are public "
            f"through their ACL and outside the public folders; whimsy turns ACLs off "
            f"(BucketOwnerEnforced), so they become private: {_keys(by_acl)}",
        )
    public_before = [_iam_pattern(r) for r in _policy_public_resources(live.policy)]
    closed = [
        key
        for key in live.sampled_keys
        if any(p.fullmatch(f"{arn}/{key}") for p in public_before) and not public_now_and_later(key)
    ]
    if closed:
        yield note(
            ("storage", "folders"),
            f"{len(closed)} of {len(live.sampled_keys)} sampled objects are public "
            f"under today's bucket policy and not under whimsy's (only "
            f"<identity-id>/public/ is): {_keys(closed)}",
        )


def _keys(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOWN_KEYS])
    return shown + (f" and {len(keys) - SHOWN_KEYS} more" if len(keys) > SHOWN_KEYS else "")


def _iam_pattern(pattern: str) -> re.Pattern[str]:
    """An IAM resource pattern ('*' any run, '?' any one character) as a regex."""
    return re.compile(
        ".*?".join(".".join(map(re.escape, p.split("?"))) for p in pattern.split("*")), re.DOTALL
    )


def _policy_public_resources(policy: dict[str, Any] | None) -> list[str]:
    """Object patterns a bucket policy lets anyone read."""
    found: list[str] = []
    for statement in (policy or {}).get("Statement") or []:
        principal = statement.get("Principal")
        anyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else actions or []
        reads = any(a in ("s3:GetObject", "s3:*", "*", "s3:Get*") for a in actions)
        if (
            statement.get("Effect") == "Allow"
            and anyone
            and reads
            and not statement.get("Condition")
        ):
            resources = statement.get("Resource")
            found += [resources] if isinstance(resources, str) else resources or []
    return found


def _tables(config: WhimsyConfig, found: Discovery) -> Iterator[Conflict]:
    for i, declared in enumerate(config.kv.tables):
        live = found.tables.get(declared.name)
        if live is None:
            continue
        keys = {kind: (name, type_) for name, kind, type_ in live.keys}
        wanted = {"HASH": (declared.partition_key, "S")}
        if declared.sort_key is not None:
            wanted["RANGE"] = (declared.sort_key, "S")
        for kind, field in (("HASH", "partition_key"), ("RANGE", "sort_key")):
            if keys.get(kind) == wanted.get(kind):
                continue
            have = keys.get(kind)
            live_key = f"{have[0]} (type {have[1]})" if have else "none"
            yield refused(
                ("kv", "tables", i, field),
                f"the live table {declared.name} ({live.items} items) has {live_key} "
                f"as its {field.replace('_', ' ')}: a different key replaces the "
                "table and every item is lost",
            )


def _dns(config: WhimsyConfig, found: Discovery) -> Iterator[Conflict]:
    if found.zone_id is None:
        yield refused(
            ("domains", "hosted_zone_id"),
            f"no public hosted zone for {config.domains.apex} in this account",
        )
        return
    if found.zone_id != config.domains.hosted_zone_id:
        yield refused(
            ("domains", "hosted_zone_id"),
            f"the hosted zone of {config.domains.apex} is {found.zone_id}",
        )
    for name, kind in found.records:
        if kind == "CNAME":
            yield refused(
                ("domains",),
                f"{name} is a CNAME today; Route53 cannot hold whimsy's alias records "
                "next to it: delete it right before the first apply (docs/adopt.md)",
            )


def _certificate(config: WhimsyConfig, found: Discovery) -> Iterator[Conflict]:
    if found.certificates and matching_certificate(config, found) is None:
        listed = "; ".join(
            f"{c.arn} ({', '.join(c.names)}, {c.status})" for c in found.certificates
        )
        yield note(
            ("domains", "certificate_names"),
            f"no issued certificate has exactly these names ({listed}): the first "
            "apply requests and validates a new one",
        )
