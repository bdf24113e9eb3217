"""The state-bucket root (out/bootstrap/main.tf.json): what it promises, and that it plans
offline against the real provider schema."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from generator.config import WhimsyConfig
from generator.model.bootstrap import state_bucket_root
from tests.conftest import run
from tests.stack.test_terraform import OFFLINE


def test_the_state_bucket_is_versioned_encrypted_private_tls_only_and_kept(
    sample_config: WhimsyConfig,
) -> None:
    root = state_bucket_root(sample_config)
    resources = root["resource"]
    bucket = resources["aws_s3_bucket"]["state"]
    assert bucket == {
        "bucket": "whimsy-space-terraform-state",
        "lifecycle": {"prevent_destroy": True},
    }
    assert resources["aws_s3_bucket_versioning"]["state"]["versioning_configuration"] == [
        {"status": "Enabled"}
    ]
    encryption = resources["aws_s3_bucket_server_side_encryption_configuration"]["state"]
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"] == [
        {"sse_algorithm": "AES256"}
    ]
    blocked = resources["aws_s3_bucket_public_access_block"]["state"]
    assert all(blocked[k] is True for k in ("block_public_acls", "block_public_policy",
                                            "ignore_public_acls", "restrict_public_buckets"))  # fmt: skip
    [deny] = json.loads(resources["aws_s3_bucket_policy"]["state"]["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert root["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}
    assert root["provider"]["aws"][0]["region"] == sample_config.project.state.region


@pytest.mark.terraform
def test_the_bootstrap_root_plans_against_the_real_provider(
    terraform: tuple[str, Path], sample_config: WhimsyConfig, tmp_path: Path
) -> None:
    binary, plugins = terraform
    (tmp_path / "main.tf.json").write_text(json.dumps(state_bucket_root(sample_config)))
    override: dict[str, Any] = {"provider": {"aws": [OFFLINE]}}
    (tmp_path / "offline_override.tf.json").write_text(json.dumps(override))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true", "CHECKPOINT_DISABLE": "1"}  # fmt: skip
    run([binary, "init", "-input=false", "-no-color", f"-plugin-dir={plugins}"], tmp_path, env)
    validate = json.loads(run([binary, "validate", "-json", "-no-color"], tmp_path, env))
    assert validate["valid"] and validate["warning_count"] == 0, validate
    run([binary, "plan", "-input=false", "-no-color", "-refresh=false", "-out=plan.bin"],
        tmp_path, env)  # fmt: skip
    shown = json.loads(run([binary, "show", "-json", "plan.bin"], tmp_path, env))
    assert sorted(c["address"] for c in shown["resource_changes"]) == [
        "aws_s3_bucket.state",
        "aws_s3_bucket_ownership_controls.state",
        "aws_s3_bucket_policy.state",
        "aws_s3_bucket_public_access_block.state",
        "aws_s3_bucket_server_side_encryption_configuration.state",
        "aws_s3_bucket_versioning.state",
    ]
