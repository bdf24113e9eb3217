"""Checks of `adopt:` and `retired:`: ids of the right shape and region, adopted things the
config declares, and no destructive first-adoption change left unconfirmed.

whimsy adopt writes the facts these read (which bucket parts exist, the client's flows);
here they are held against what the first apply would do.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.config.checks import Finding, served_domains
from generator.config.models import REPLACED_BUCKET_PARTS, WhimsyConfig

CLOUDFRONT_REGION = "us-east-1"  # CloudFront takes certificates from us-east-1 only


def declared_buckets(config: WhimsyConfig) -> set[str]:
    names = {config.storage.bucket, config.storage.log_bucket_name}
    sites = config.sites
    if sites.apex:
        names.add(sites.apex.bucket)
    if sites.apex or sites.legacy_user_sites or sites.user_subdomains:
        names.add(sites.log_bucket or f"{config.storage.bucket}-cdn-logs")
    return names


def _region_of(resource_id: str, separator: str) -> str:
    return resource_id.split(separator, 1)[0]


def check_adopted_ids(config: WhimsyConfig) -> Iterator[Finding]:
    adopt, region = config.adopt, config.project.region
    if adopt.user_pool and _region_of(adopt.user_pool.id, "_") != region:
        yield (
            ("adopt", "user_pool", "id"),
            f"'{adopt.user_pool.id}' is a user pool of another region than {region}",
        )
    if adopt.identity_pool and _region_of(adopt.identity_pool.id, ":") != region:
        yield (
            ("adopt", "identity_pool", "id"),
            f"'{adopt.identity_pool.id}' is an identity pool of another region than {region}",
        )
    if adopt.certificate_arn:
        _, _, _, cert_region, account, _ = adopt.certificate_arn.split(":", 5)
        if cert_region != CLOUDFRONT_REGION:
            yield (
                ("adopt", "certificate_arn"),
                f"is in {cert_region}; CloudFront uses certificates from {CLOUDFRONT_REGION} only",
            )
        if config.project.account_id and account != config.project.account_id:
            yield (
                ("adopt", "certificate_arn"),
                f"belongs to account {account}, not project.account_id {config.project.account_id}",
            )


def check_adopted_are_declared(config: WhimsyConfig) -> Iterator[Finding]:
    adopt = config.adopt
    buckets = declared_buckets(config)
    for i, bucket in enumerate(adopt.buckets):
        if bucket.name not in buckets:
            yield (
                ("adopt", "buckets", i, "name"),
                f"bucket '{bucket.name}' is not one the config declares "
                f"({', '.join(sorted(buckets))})",
            )
    tables = {table.name for table in config.kv.tables}
    for i, table in enumerate(adopt.tables):
        if table not in tables:
            yield ("adopt", "tables", i), f"table '{table}' is not in kv.tables"
    sites = {domain for _, domain in served_domains(config)}
    for domain in adopt.distributions:
        if domain not in sites:
            yield ("adopt", "distributions", domain), f"no site of the config serves '{domain}'"
    for i, record in enumerate(adopt.dns_records):
        if record.name not in sites or record.type == "CNAME":
            yield (
                ("adopt", "dns_records", i),
                f"whimsy generates no {record.type} record '{record.name}' (only A/AAAA "
                "aliases of the sites and APIs it serves)",
            )


def check_adoption_is_confirmed(config: WhimsyConfig) -> Iterator[Finding]:
    """What the first apply overwrites on live data stays off until the config says so."""
    for i, bucket in enumerate(config.adopt.buckets):
        path = ("adopt", "buckets", i)
        for j, part in enumerate(bucket.replace):
            if part not in bucket.existing:
                yield (*path, "replace", j), f"'{part}' is not listed as existing"
        for replaced in REPLACED_BUCKET_PARTS:
            if replaced in bucket.existing and replaced not in bucket.replace:
                yield (
                    (*path, "existing"),
                    f"the bucket's current {replaced} would be replaced by whimsy's at the first "
                    f"apply; review it in `whimsy adopt`'s report and add '{replaced}' to replace "
                    "to confirm",
                )
        keeps_versions = "versioning" in bucket.existing
        if (
            keeps_versions
            and bucket.name == config.storage.bucket
            and not bucket.expire_noncurrent_versions
        ):
            days = config.storage.lifecycle.noncurrent_version_expiration_days
            yield (
                path,
                f"the bucket keeps old object versions today; whimsy's lifecycle rule deletes "
                f"those older than {days} days. Set expire_noncurrent_versions: true to confirm",
            )
    pool = config.adopt.user_pool
    if pool and pool.client_id:
        from generator.model.identity import WEB_CLIENT_AUTH_FLOWS

        dropped = sorted(set(pool.client_auth_flows) - set(WEB_CLIENT_AUTH_FLOWS))
        if dropped and not pool.remove_auth_flows:
            yield (
                ("adopt", "user_pool", "client_auth_flows"),
                f"the first apply removes {', '.join(dropped)} from the app client (apps that "
                "still sign in that way stop working); set remove_auth_flows: true to confirm",
            )


def check_retired(config: WhimsyConfig) -> Iterator[Finding]:
    tables = {table.name for table in config.kv.tables}
    for i, table in enumerate(config.retired.tables):
        if table in tables:
            yield ("retired", "tables", i), f"table '{table}' is still in kv.tables"
        if table in config.adopt.tables:
            yield ("retired", "tables", i), f"table '{table}' is also adopted"


ADOPTION_CHECKS = (
    check_adopted_ids,
    check_adopted_are_declared,
    check_adoption_is_confirmed,
    check_retired,
)
