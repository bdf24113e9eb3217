"""Read-only discovery of what the account holds for the config: Describe/Get/List calls only
(the plan role's rights are enough), each AWS component in its own function, returning plain
facts that generator/adopt/conflicts.py holds against the config.

boto3 is imported by the caller (the command), never at module level here: the facts and the
conflict rules are tested without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from generator.config.checks import served_domains
from generator.config.models import WhimsyConfig

# (service, region or None for the config's) -> boto3 client, endpoint set by the caller
Clients = Callable[..., Any]
# Objects sampled per bucket for the ACL and public-prefix checks: a sample, not an audit.
SAMPLE_OBJECTS = 200

# S3 error codes that mean "this sub-configuration is absent" (anything else is a real error).
_ABSENT = {
    "NoSuchBucketPolicy",
    "NoSuchCORSConfiguration",
    "NoSuchLifecycleConfiguration",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchTagSet",
}
_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@dataclass(frozen=True)
class LiveClient:
    id: str
    name: str
    auth_flows: tuple[str, ...]
    has_secret: bool


@dataclass(frozen=True)
class LiveUserPool:
    id: str
    name: str
    username_attributes: tuple[str, ...]
    alias_attributes: tuple[str, ...]
    custom_attributes: tuple[str, ...]
    users: int  # Cognito's estimate
    clients: tuple[LiveClient, ...]


@dataclass(frozen=True)
class LiveIdentityPool:
    id: str
    name: str
    providers: tuple[tuple[str, str], ...]  # (provider name, client id)
    roles: tuple[str, ...]  # "authenticated", "unauthenticated" with a role set
    allow_guests: bool


@dataclass(frozen=True)
class LiveBucket:
    name: str
    region: str
    parts: frozenset[str]  # BucketPart names that exist
    versioning: str  # "Enabled", "Suspended" or "" (never versioned)
    policy: dict[str, Any] | None
    cors_rules: int
    lifecycle_rules: tuple[str, ...]  # their ids
    notifications: int
    sampled_keys: tuple[str, ...]  # the first keys of the bucket, for the checks on access
    public_by_acl: tuple[str, ...]  # among them, those an ACL makes readable by anyone


@dataclass(frozen=True)
class LiveTable:
    name: str
    keys: tuple[tuple[str, str, str], ...]  # (attribute, HASH | RANGE, S | N | B)
    items: int  # DynamoDB's estimate


@dataclass(frozen=True)
class LiveCertificate:
    arn: str
    domain: str
    names: tuple[str, ...]  # the domain and its alternative names
    status: str


@dataclass
class Discovery:
    """What the account holds for the config. None / empty: not found."""

    region: str
    user_pools: list[LiveUserPool] = field(default_factory=list)  # by adopted id, else name
    identity_pools: list[LiveIdentityPool] = field(default_factory=list)
    buckets: dict[str, LiveBucket | None] = field(default_factory=dict)  # None: no such bucket
    foreign_buckets: list[str] = field(default_factory=list)  # exist, not ours
    tables: dict[str, LiveTable | None] = field(default_factory=dict)
    zone_id: str | None = None
    certificates: list[LiveCertificate] = field(default_factory=list)
    distributions: dict[str, str] = field(default_factory=dict)  # served domain -> id
    records: list[tuple[str, str]] = field(default_factory=list)  # (name, type), served names


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterable[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key) or []


# --- Cognito ----------------------------------------------------------------------------------


def user_pool(clients: Clients, pool_id: str) -> LiveUserPool | None:
    idp = clients("cognito-idp")
    try:
        pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return None
        raise
    found = []
    for listed in _pages(idp, "list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id):
        client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=listed["ClientId"])
        described = client["UserPoolClient"]
        found.append(
            LiveClient(
                id=described["ClientId"],
                name=described.get("ClientName", ""),
                auth_flows=tuple(sorted(described.get("ExplicitAuthFlows") or [])),
                has_secret=bool(described.get("ClientSecret")),
            )
        )
    return LiveUserPool(
        id=pool["Id"],
        name=pool.get("Name", ""),
        username_attributes=tuple(sorted(pool.get("UsernameAttributes") or [])),
        alias_attributes=tuple(sorted(pool.get("AliasAttributes") or [])),
        custom_attributes=tuple(
            sorted(
                a["Name"]
                for a in pool.get("SchemaAttributes") or []
                if a["Name"].startswith("custom:")
            )
        ),
        users=int(pool.get("EstimatedNumberOfUsers") or 0),
        clients=tuple(sorted(found, key=lambda c: c.id)),
    )


def user_pools(clients: Clients, pool_id: str | None, name: str) -> list[LiveUserPool]:
    """The adopted pool by its id, or every pool of the config's name (names are not unique)."""
    if pool_id is not None:
        found = user_pool(clients, pool_id)
        return [found] if found else []
    idp = clients("cognito-idp")
    ids = sorted(p["Id"] for p in _pages(idp, "list_user_pools", "UserPools", MaxResults=60)
                 if p.get("Name") == name)  # fmt: skip
    return [pool for pool in (user_pool(clients, i) for i in ids) if pool is not None]


def identity_pool(clients: Clients, pool_id: str) -> LiveIdentityPool | None:
    identity = clients("cognito-identity")
    try:
        pool = identity.describe_identity_pool(IdentityPoolId=pool_id)
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return None
        raise
    roles = identity.get_identity_pool_roles(IdentityPoolId=pool_id).get("Roles") or {}
    return LiveIdentityPool(
        id=pool["IdentityPoolId"],
        name=pool.get("IdentityPoolName", ""),
        providers=tuple(
            sorted(
                (p.get("ProviderName", ""), p.get("ClientId", ""))
                for p in pool.get("CognitoIdentityProviders") or []
            )
        ),
        roles=tuple(sorted(kind for kind, arn in roles.items() if arn)),
        allow_guests=bool(pool.get("AllowUnauthenticatedIdentities")),
    )


def identity_pools(clients: Clients, pool_id: str | None, name: str) -> list[LiveIdentityPool]:
    if pool_id is not None:
        found = identity_pool(clients, pool_id)
        return [found] if found else []
    identity = clients("cognito-identity")
    ids = sorted(p["IdentityPoolId"]
                 for p in _pages(identity, "list_identity_pools", "IdentityPools", MaxResults=60)
                 if p.get("IdentityPoolName") == name)  # fmt: skip
    return [pool for pool in (identity_pool(clients, i) for i in ids) if pool is not None]


# --- S3 ---------------------------------------------------------------------------------------


def _part(call: Callable[[], Any]) -> Any | None:
    try:
        return call()
    except ClientError as exc:
        if _code(exc) in _ABSENT:
            return None
        raise


def bucket(clients: Clients, name: str, sample: int = SAMPLE_OBJECTS) -> LiveBucket | None:
    """The bucket's sub-configurations, and a sample of its objects for the access checks.
    None: no such bucket. PermissionError: it exists in someone else's account."""
    s3 = clients("s3")
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        if _code(exc) in ("404", "NoSuchBucket", "NotFound"):
            return None
        if _code(exc) in ("403", "AccessDenied"):
            raise PermissionError(name) from None
        raise
    location = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
    policy = _part(lambda: s3.get_bucket_policy(Bucket=name))
    versioning = str(s3.get_bucket_versioning(Bucket=name).get("Status") or "")
    cors = _part(lambda: s3.get_bucket_cors(Bucket=name))
    lifecycle = _part(lambda: s3.get_bucket_lifecycle_configuration(Bucket=name))
    notification = s3.get_bucket_notification_configuration(Bucket=name)
    notifications = sum(
        len(notification.get(kind) or [])
        for kind in (
            "TopicConfigurations",
            "QueueConfigurations",
            "LambdaFunctionConfigurations",
        )
    ) + (1 if notification.get("EventBridgeConfiguration") is not None else 0)
    public_access_block = _part(lambda: s3.get_public_access_block(Bucket=name))
    ownership = _part(lambda: s3.get_bucket_ownership_controls(Bucket=name))
    encryption = _part(lambda: s3.get_bucket_encryption(Bucket=name))
    logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    present = {
        "policy": policy is not None,
        "versioning": bool(versioning),
        "cors": cors is not None,
        "lifecycle": lifecycle is not None,
        "notification": notifications > 0,
        "public_access_block": public_access_block is not None,
        "ownership": ownership is not None,
        "encryption": encryption is not None,
        "logging": bool(logging),
    }
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name, MaxKeys=sample).get("Contents") or []]
    return LiveBucket(
        name=name,
        region=location,
        parts=frozenset(part for part, exists in present.items() if exists),
        versioning=versioning,
        policy=json.loads(policy["Policy"]) if policy else None,
        cors_rules=len((cors or {}).get("CORSRules") or []),
        lifecycle_rules=tuple(r.get("ID", "") for r in (lifecycle or {}).get("Rules") or []),
        notifications=notifications,
        sampled_keys=tuple(keys),
        public_by_acl=tuple(key for key in keys if _public_acl(s3, name, key)),
    )


def _public_acl(s3: Any, name: str, key: str) -> bool:
    try:
        grants = s3.get_object_acl(Bucket=name, Key=key).get("Grants") or []
    except ClientError as exc:
        if _code(exc) in ("AccessControlListNotSupported", "NoSuchKey"):
            return False  # ACLs are off (BucketOwnerEnforced) or the object just went
        raise
    return any(
        (g.get("Grantee") or {}).get("URI") == _ALL_USERS
        and g.get("Permission") in ("READ", "FULL_CONTROL")
        for g in grants
    )


# --- DynamoDB ---------------------------------------------------------------------------------


def table(clients: Clients, name: str) -> LiveTable | None:
    try:
        described = clients("dynamodb").describe_table(TableName=name)["Table"]
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return None
        raise
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    keys = tuple(
        (k["AttributeName"], k["KeyType"], types.get(k["AttributeName"], "?"))
        for k in described["KeySchema"]
    )
    return LiveTable(name=name, keys=keys, items=int(described.get("ItemCount") or 0))


# --- ACM, CloudFront, Route53 -----------------------------------------------------------------


def certificates(clients: Clients, apex: str) -> list[LiveCertificate]:
    """Certificates (in us-east-1, where CloudFront takes them from) for the apex domain."""
    acm = clients("acm", "us-east-1")
    found = []
    for listed in _pages(acm, "list_certificates", "CertificateSummaryList"):
        domain = listed.get("DomainName", "")
        if domain != apex and not domain.endswith("." + apex):
            continue
        described = acm.describe_certificate(CertificateArn=listed["CertificateArn"])
        certificate = described["Certificate"]
        found.append(
            LiveCertificate(
                arn=certificate["CertificateArn"],
                domain=certificate.get("DomainName", domain),
                names=tuple(sorted(certificate.get("SubjectAlternativeNames") or [domain])),
                status=str(certificate.get("Status", "")),
            )
        )
    return sorted(found, key=lambda c: c.arn)


def distributions(clients: Clients, domains: set[str]) -> dict[str, str]:
    """Served domain -> the id of the distribution that has it as an alias."""
    cloudfront = clients("cloudfront")
    found: dict[str, str] = {}
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for item in (page.get("DistributionList") or {}).get("Items") or []:
            for alias in (item.get("Aliases") or {}).get("Items") or []:
                if alias in domains:
                    found[alias] = item["Id"]
    return dict(sorted(found.items()))


def zone_id(clients: Clients, apex: str) -> str | None:
    route53 = clients("route53")
    zones = route53.list_hosted_zones_by_name(DNSName=apex).get("HostedZones") or []
    for zone in zones:
        if zone["Name"].rstrip(".") == apex and not (zone.get("Config") or {}).get("PrivateZone"):
            return str(zone["Id"]).rsplit("/", 1)[-1]
    return None


def _record_name(name: str) -> str:
    # Route53 spells '*' as \052 in listings
    return name.rstrip(".").replace("\\052", "*").lower()


def records(clients: Clients, zone: str, domains: set[str]) -> list[tuple[str, str]]:
    """(name, type) of the zone's records at the names whimsy serves (A, AAAA, CNAME)."""
    route53 = clients("route53")
    found = set()
    for record in _pages(route53, "list_resource_record_sets", "ResourceRecordSets",
                         HostedZoneId=zone):  # fmt: skip
        name = _record_name(record["Name"])
        if name in domains and record["Type"] in ("A", "AAAA", "CNAME"):
            found.add((name, record["Type"]))
    return sorted(found)


# --- all of it --------------------------------------------------------------------------------


def declared_buckets(config: WhimsyConfig) -> list[str]:
    from generator.config.adoption_checks import declared_buckets as declared

    return sorted(declared(config))


def discover(config: WhimsyConfig, clients: Clients) -> Discovery:
    adopt, auth = config.adopt, config.auth
    found = Discovery(region=config.project.region)
    found.user_pools = user_pools(
        clients, adopt.user_pool.id if adopt.user_pool else None, auth.user_pool.name
    )
    found.identity_pools = identity_pools(
        clients, adopt.identity_pool.id if adopt.identity_pool else None, auth.identity_pool.name
    )
    for name in declared_buckets(config):
        try:
            found.buckets[name] = bucket(clients, name)
        except PermissionError:
            found.foreign_buckets.append(name)
    for declared in config.kv.tables:
        found.tables[declared.name] = table(clients, declared.name)
    apex = config.domains.apex
    served = {domain for _, domain in served_domains(config)}
    found.certificates = certificates(clients, apex)
    found.distributions = distributions(clients, served)
    found.zone_id = zone_id(clients, apex)
    if found.zone_id is not None:
        found.records = records(clients, found.zone_id, served)
    return found
