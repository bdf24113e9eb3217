"""Imports, protection and retirement added to the synthesized Terraform (no synthesis: the
committed sample document stands in for it)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from generator.build import refuse_vanished
from generator.config.models import Adopt, Retired, WhimsyConfig
from generator.errors import UserError
from generator.model import adoption
from generator.model.stateful import STATEFUL_TYPES

REPO = Path(__file__).resolve().parents[2]
POOL = "us-east-1_AbCdEf123"
CLIENT = "1h2j3k4l5m6n7o8p9q0r1s2t3u"
IDENTITY_POOL = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/1b4e28ba-2fa1-41d2-883f-0016d3cca427"
ZONE = "Z0123456789WHIMSYSPACE"


@pytest.fixture
def document() -> dict[str, Any]:
    committed: dict[str, Any] = json.loads((REPO / "out/terraform/main.tf.json").read_text())
    return committed


def adopting(config: WhimsyConfig, **adopt: Any) -> WhimsyConfig:
    return config.model_copy(update={"adopt": Adopt.model_validate(adopt)})


def test_every_stateful_resource_carries_prevent_destroy(document: dict[str, Any]) -> None:
    found = {kind for kind in document["resource"] if kind in STATEFUL_TYPES}
    assert found == set(STATEFUL_TYPES)  # the sample generates every stateful type
    for kind in STATEFUL_TYPES:
        for name, body in document["resource"][kind].items():
            assert body["lifecycle"]["prevent_destroy"] is True, f"{kind}.{name}"


def test_the_sample_adopts_nothing(document: dict[str, Any]) -> None:
    assert "import" not in document and "removed" not in document


def test_each_adopted_resource_is_imported_with_its_types_id(
    sample_config: WhimsyConfig, document: dict[str, Any]
) -> None:
    config = adopting(
        sample_config,
        user_pool={"id": POOL, "client_id": CLIENT, "client_auth_flows": []},
        identity_pool={"id": IDENTITY_POOL},
        buckets=[{"name": "whimsy-fs", "existing": ["policy", "versioning", "encryption"],
                  "replace": ["policy"], "expire_noncurrent_versions": True}],
        tables=["whimsy-user-data"],
        certificate_arn=CERTIFICATE,
        distributions={"danielx.whimsy.space": "E2QWRUHAPOMQZL"},
        dns_records=[{"name": "*.whimsy.space", "type": "A"},
                     {"name": "danielx.whimsy.space", "type": "AAAA"}],
    )  # fmt: skip
    bare = copy.deepcopy(document)
    assert adoption.import_ids(config, bare) == {
        "aws_acm_certificate.site": CERTIFICATE,
        "aws_cloudfront_distribution.user_site_danielx": "E2QWRUHAPOMQZL",
        "aws_cognito_identity_pool.identities": IDENTITY_POOL,
        "aws_cognito_identity_pool_roles_attachment.identities": IDENTITY_POOL,
        "aws_cognito_user_pool.users": POOL,
        "aws_cognito_user_pool_client.web": f"{POOL}/{CLIENT}",  # POOL/CLIENT
        "aws_dynamodb_table.whimsy_user_data": "whimsy-user-data",
        "aws_route53_record.user_site_danielx_aaaa": f"{ZONE}_danielx.whimsy.space_AAAA",
        "aws_route53_record.user_subdomains_a": f"{ZONE}_*.whimsy.space_A",  # ZONE_name_TYPE
        "aws_s3_bucket.user_files": "whimsy-fs",
        # only the parts that exist: importing an absent one fails the whole plan
        "aws_s3_bucket_policy.user_files": "whimsy-fs",
        "aws_s3_bucket_server_side_encryption_configuration.user_files": "whimsy-fs",
        "aws_s3_bucket_versioning.user_files": "whimsy-fs",
    }
    protected = adoption.protect(config, bare)
    assert protected["import"][0] == {"to": "aws_acm_certificate.site", "id": CERTIFICATE}
    client = protected["resource"]["aws_cognito_user_pool_client"]["web"]["lifecycle"]
    assert client == {"ignore_changes": ["generate_secret"], "prevent_destroy": True}  # #20298
    pool = protected["resource"]["aws_cognito_user_pool"]["users"]["lifecycle"]
    assert pool["ignore_changes"] == ["schema"]  # #21654


def test_a_retired_table_is_removed_from_state_not_destroyed(
    sample_config: WhimsyConfig, document: dict[str, Any]
) -> None:
    config = sample_config.model_copy(update={"retired": Retired(tables=["whimsy-catalog"])})
    assert adoption.removed_blocks(config) == [
        {"from": "aws_dynamodb_table.whimsy_catalog", "lifecycle": {"destroy": False}}
    ]
    current = copy.deepcopy(document)
    del current["resource"]["aws_dynamodb_table"]["whimsy_catalog"]
    assert adoption.vanished(document, current) == {
        "aws_dynamodb_table.whimsy_catalog": "table (every item)"
    }
    current["removed"] = adoption.removed_blocks(config)
    assert adoption.vanished(document, current) == {}


def test_generate_refuses_a_table_that_silently_leaves_the_config(document: dict[str, Any]) -> None:
    current = copy.deepcopy(document)
    del current["resource"]["aws_dynamodb_table"]["whimsy_catalog"]
    with pytest.raises(UserError, match=r"aws_dynamodb_table.whimsy_catalog: table \(every item\)"):
        refuse_vanished(json.dumps(document).encode(), json.dumps(current).encode())
    refuse_vanished(None, json.dumps(current).encode())  # a first generate has nothing to lose
