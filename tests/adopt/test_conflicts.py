"""The conflict report and the adopt: block, from discovery facts written out by hand (the
emulator e2e, tests/adopt/test_e2e.py, reads the same facts from a live account)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from generator.adopt import render_block, with_block
from generator.adopt.conflicts import Conflict, adopt_block, conflicts
from generator.adopt.discovery import (
    Discovery,
    LiveBucket,
    LiveCertificate,
    LiveClient,
    LiveIdentityPool,
    LiveTable,
    LiveUserPool,
)
from generator.config import WhimsyConfig, parse_config
from tests.conftest import SAMPLE

POOL = "us-east-1_AbCdEf123"
CLIENT = "1h2j3k4l5m6n7o8p9q0r1s2t3u"
IDENTITIES = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
USER = "us-east-1:e4d94092-1099-4c4d-aa01-1dbbf7e1f1df"
ZONE = "Z0123456789WHIMSYSPACE"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/1b4e28ba-2fa1-41d2-883f-0016d3cca427"


def live_pool(**changes: Any) -> LiveUserPool:
    client = LiveClient(CLIENT, "my-briefcase", ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"),
                        False)  # fmt: skip
    pool = LiveUserPool(POOL, "whimsy-users", ("email",), (), (), 120, (client,))
    return dataclasses.replace(pool, **changes)


def live_bucket(**changes: Any) -> LiveBucket:
    bucket = LiveBucket(
        name="whimsy-fs", region="us-east-1", parts=frozenset({"versioning", "encryption"}),
        versioning="Enabled", policy=None, cors_rules=0, lifecycle_rules=(), notifications=0,
        sampled_keys=(f"{USER}/notes.txt", f"{USER}/public/index.html"), public_by_acl=(),
    )  # fmt: skip
    return dataclasses.replace(bucket, **changes)


def account(**changes: Any) -> Discovery:
    found = Discovery(
        region="us-east-1",
        user_pools=[live_pool()],
        identity_pools=[
            LiveIdentityPool(
                IDENTITIES,
                "whimsy_identities",
                ((f"cognito-idp.us-east-1.amazonaws.com/{POOL}", CLIENT),),
                ("authenticated",),
                False,
            )
        ],
        buckets={"whimsy-fs": live_bucket(), "whimsy-space-site": None},
        tables={
            "whimsy-user-data": LiveTable(
                "whimsy-user-data", (("identity_id", "HASH", "S"), ("key", "RANGE", "S")), 42
            )
        },
        zone_id=ZONE,
        certificates=[
            LiveCertificate(
                CERTIFICATE, "whimsy.space", ("*.whimsy.space", "whimsy.space"), "ISSUED"
            )
        ],
        distributions={"danielx.whimsy.space": "E1ABCDEFGHIJKL"},
        records=[("danielx.whimsy.space", "A")],
    )
    return dataclasses.replace(found, **changes)


@pytest.fixture(scope="module")
def config() -> WhimsyConfig:
    return parse_config(SAMPLE.read_bytes(), confirmations=False)


def by_severity(found: list[Conflict]) -> dict[str, list[tuple[tuple[str | int, ...], str]]]:
    grouped: dict[str, list[tuple[tuple[str | int, ...], str]]] = {}
    for conflict in found:
        grouped.setdefault(conflict.severity, []).append((conflict.path, conflict.message))
    return grouped


def test_a_matching_account_needs_only_the_version_expiry_confirmed(config: WhimsyConfig) -> None:
    found = by_severity(conflicts(config, account()))
    assert "refused" not in found
    assert [path for path, _ in found["confirm"]] == [
        ("storage", "lifecycle", "noncurrent_version_expiration_days")
    ]
    assert adopt_block(config, account()) == {
        "user_pool": {"id": POOL, "client_id": CLIENT,
                      "client_auth_flows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]},
        "identity_pool": {"id": IDENTITIES, "roles_attached": True},
        "buckets": [{"name": "whimsy-fs", "existing": ["encryption", "versioning"]}],
        "tables": ["whimsy-user-data"],
        "certificate_arn": CERTIFICATE,
        "distributions": {"danielx.whimsy.space": "E1ABCDEFGHIJKL"},
        "dns_records": [{"name": "danielx.whimsy.space", "type": "A"}],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("pool", "path", "words"),
    [
        (live_pool(name="zineos"), ("auth", "user_pool", "name"), "set name: zineos"),
        (live_pool(username_attributes=()), ("auth", "user_pool", "sign_in_with"), "a username"),
        (live_pool(alias_attributes=("preferred_username",)), ("auth", "user_pool"), "aliases"),
    ],
)
def test_what_would_replace_the_user_pool_is_refused(
    config: WhimsyConfig, pool: LiveUserPool, path: tuple[str, ...], words: str
) -> None:
    [(where, message)] = by_severity(conflicts(config, account(user_pools=[pool])))["refused"]
    assert where == path and words in message and "replaces the pool" in message


def test_several_pools_of_one_name_are_refused_until_one_is_named(config: WhimsyConfig) -> None:
    twins = [live_pool(), live_pool(id="us-east-1_Other9")]
    refused = by_severity(conflicts(config, account(user_pools=twins)))["refused"]
    assert any("2 user pools are named 'whimsy-users'" in m for _, m in refused)
    assert "user_pool" not in adopt_block(config, account(user_pools=twins))


def test_an_identity_pool_of_other_users_or_none_at_all_is_refused(config: WhimsyConfig) -> None:
    missing = by_severity(conflicts(config, account(identity_pools=[])))["refused"]
    assert missing == [(("auth", "identity_pool", "name"), missing[0][1])]
    assert "every user loses their folder" in missing[0][1]
    other = account().identity_pools[0]
    other = dataclasses.replace(other, providers=(("cognito-idp.us-east-1.amazonaws.com/x", "c"),))
    refused = by_severity(conflicts(config, account(identity_pools=[other])))["refused"]
    assert any("would get new identity ids" in m for _, m in refused)
    unadopted = by_severity(conflicts(config, account(user_pools=[])))["refused"]
    assert any(f"signs in users of {POOL}" in m for _, m in unadopted)


def test_a_table_key_that_differs_is_refused_at_the_key(config: WhimsyConfig) -> None:
    table = LiveTable("whimsy-user-data", (("identity_id", "HASH", "S"), ("key", "RANGE", "N")), 42)
    [(path, message)] = by_severity(conflicts(config, account(tables={"whimsy-user-data": table})))[
        "refused"
    ]
    assert path == ("kv", "tables", 0, "sort_key")
    assert "has key (type N) as its sort key" in message and "every item is lost" in message


def test_replaced_bucket_parts_legacy_auth_flows_and_closed_folders_are_reported(
    config: WhimsyConfig,
) -> None:
    seed_policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                  "Resource": "arn:aws:s3:::whimsy-fs/*/public/*"}]}  # fmt: skip
    bucket = live_bucket(
        parts=frozenset({"policy", "cors", "versioning"}), policy=seed_policy, cors_rules=2,
        sampled_keys=(f"{USER}/public/a.png", f"{USER}/drafts/public/b.txt", "tmp/public/c"),
        public_by_acl=("shared/old.zip", f"{USER}/public/a.png"),
    )  # fmt: skip
    pool = live_pool(clients=(LiveClient(CLIENT, "old", ("ALLOW_USER_PASSWORD_AUTH",), False),))
    found = by_severity(conflicts(config, account(buckets={"whimsy-fs": bucket},
                                                  user_pools=[pool])))  # fmt: skip
    confirmed = [m for _, m in found["confirm"]]
    assert any("policy (1 statement(s)) is replaced" in m for m in confirmed)
    assert any("cors (2 rule(s)) is replaced" in m for m in confirmed)
    assert any("allows ALLOW_USER_PASSWORD_AUTH" in m for m in confirmed)
    notes = " ".join(m for _, m in found["note"])
    # public today and not under <identity-id>/public/: reported; the user's public file is not
    assert f"{USER}/drafts/public/b.txt" in notes and "tmp/public/c" in notes
    assert "shared/old.zip" in notes and f"{USER}/public/a.png" not in notes


def test_the_zone_and_a_cname_at_a_served_name_are_refused(config: WhimsyConfig) -> None:
    refused = by_severity(conflicts(config, account(zone_id="ZOTHERZONE")))["refused"]
    assert refused == [
        (("domains", "hosted_zone_id"), "the hosted zone of whimsy.space is ZOTHERZONE")
    ]
    cname = account(records=[("*.whimsy.space", "CNAME")])
    [(_, message)] = by_severity(conflicts(config, cname))["refused"]
    assert "*.whimsy.space is a CNAME today" in message
    assert "dns_records" not in adopt_block(config, cname)


def test_confirmations_already_given_are_kept(config: WhimsyConfig) -> None:
    text = SAMPLE.read_text(encoding="utf-8") + (
        "adopt:\n  buckets:\n    - name: whimsy-fs\n      existing: [policy]\n"
        "      replace: [policy]\n      expire_noncurrent_versions: true\n"
    )
    confirmed = parse_config(text.encode(), confirmations=False)
    bucket = live_bucket(parts=frozenset({"policy", "versioning"}), policy={"Statement": []})
    block = adopt_block(confirmed, account(buckets={"whimsy-fs": bucket}))
    assert block["buckets"] == [{"name": "whimsy-fs", "existing": ["policy", "versioning"],
                                 "replace": ["policy"], "expire_noncurrent_versions": True}]  # fmt: skip


def test_the_block_is_written_into_the_config_keeping_everything_else(
    config: WhimsyConfig,
) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    block = adopt_block(config, account())
    written = with_block(text, block)
    assert written.startswith(text)  # comments, nulls and layout above untouched
    assert written[len(text) :] == render_block(block)
    reread = parse_config(written.encode(), confirmations=False)
    assert reread.adopt.user_pool is not None and reread.adopt.user_pool.id == POOL
    # and written again (a second `adopt --write`) it replaces itself
    assert with_block(written, block) == written
