"""adopt: and retired: mistakes are reported at their line, before any plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.config import load_config
from generator.config.models import WhimsyConfig
from generator.errors import ConfigErrors

REPO = Path(__file__).resolve().parents[2]
SAMPLE = (REPO / "whimsy_config.yaml").read_text()
POOL = "us-east-1_AbCdEf123"
IDENTITY_POOL = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"


def write(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "whimsy_config.yaml").write_text(SAMPLE + extra)
    shutil.copytree(REPO / "lambdas", tmp_path / "lambdas")
    return tmp_path / "whimsy_config.yaml"


def loaded(tmp_path: Path, extra: str) -> WhimsyConfig:
    return load_config(write(tmp_path, extra)).config


def problems(tmp_path: Path, extra: str) -> list[str]:
    with pytest.raises(ConfigErrors) as failure:
        load_config(write(tmp_path, extra))
    return [p.render("whimsy_config.yaml") for p in failure.value.problems]


def line(extra: str, text: str) -> int:
    return SAMPLE.count("\n") + extra.splitlines().index(text) + 1


def test_a_complete_adoption_validates(tmp_path: Path) -> None:
    config = loaded(
        tmp_path,
        f"""
adopt:
  user_pool: {{id: {POOL}, client_id: 1h2j3k4l5m6n7o8p9q0r1s2t3u, client_auth_flows: [ALLOW_USER_SRP_AUTH]}}
  identity_pool: {{id: "{IDENTITY_POOL}"}}
  buckets:
    - {{name: whimsy-fs, existing: [policy, versioning, encryption], replace: [policy], expire_noncurrent_versions: true}}
  tables: [whimsy-user-data]
  distributions: {{danielx.whimsy.space: E2QWRUHAPOMQZL}}
  dns_records: [{{name: "*.whimsy.space", type: A}}]
""",
    )
    assert config.adopt.user_pool is not None and config.adopt.user_pool.id == POOL


def test_an_id_of_another_region_is_refused_at_its_line(tmp_path: Path) -> None:
    extra = "\nadopt:\n  user_pool: {id: eu-west-1_AbCdEf123}\n"
    at = line(extra, "  user_pool: {id: eu-west-1_AbCdEf123}")
    assert problems(tmp_path, extra) == [
        f"whimsy_config.yaml:{at}:15: adopt.user_pool.id: 'eu-west-1_AbCdEf123' is a user pool "
        "of another region than us-east-1"
    ]


def test_an_id_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, "\nadopt:\n  identity_pool: {id: not-a-pool}\n")
    assert len(found) == 1 and "adopt.identity_pool.id" in found[0]


def test_a_bucket_part_that_would_be_replaced_needs_confirming(tmp_path: Path) -> None:
    extra = "\nadopt:\n  buckets:\n    - {name: whimsy-fs, existing: [lifecycle, encryption]}\n"
    found = problems(tmp_path, extra)
    assert any(
        "adopt.buckets[0].existing: the bucket's current lifecycle would be replaced" in p
        for p in found
    ), found


def test_expiring_old_versions_of_a_versioned_bucket_needs_confirming(tmp_path: Path) -> None:
    extra = "\nadopt:\n  buckets:\n    - {name: whimsy-fs, existing: [versioning]}\n"
    (found,) = problems(tmp_path, extra)
    assert "keeps old object versions today" in found and "expire_noncurrent_versions" in found


def test_removing_a_legacy_auth_flow_needs_confirming(tmp_path: Path) -> None:
    extra = (
        f"\nadopt:\n  user_pool: {{id: {POOL}, client_id: abc123, "
        "client_auth_flows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_USER_SRP_AUTH]}\n"
    )
    (found,) = problems(tmp_path, extra)
    assert "removes ALLOW_USER_PASSWORD_AUTH" in found


def test_adopting_what_the_config_does_not_declare_is_refused(tmp_path: Path) -> None:
    extra = "\nadopt:\n  tables: [nope-table]\n  buckets: [{name: other-bucket}]\n"
    found = problems(tmp_path, extra)
    assert any("table 'nope-table' is not in kv.tables" in p for p in found)
    assert any("bucket 'other-bucket' is not one the config declares" in p for p in found)


def test_a_retired_table_still_declared_is_refused(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "\nretired:\n  tables: [whimsy-user-data]\n")
    assert "retired.tables[0]: table 'whimsy-user-data' is still in kv.tables" in found
