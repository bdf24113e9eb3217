"""The Terraform state bucket: a tiny separate root (out/bootstrap/main.tf.json) applied once,
by an administrator, before the platform's `terraform init` can use `project.state`.

The platform root cannot create its own backend bucket (init needs it first), so this root
keeps its own state locally: one bucket, versioned (every state ever written can be
restored), encrypted, TLS-only, public access blocked, ACLs off, and protected from destroy.
Plain JSON from the config (no synthesis): it is tiny and must not need the jsii runtime.
"""

from __future__ import annotations

import json
from typing import Any

from generator.config.models import WhimsyConfig
from generator.model import names, storage

BOOTSTRAP = "bootstrap/main.tf.json"
REQUIRED_TERRAFORM = ">= 1.10"  # the platform root's: one Terraform for both


def state_bucket_root(config: WhimsyConfig) -> dict[str, Any]:
    state = config.project.state
    arn = names.bucket_arn(state.bucket)
    ref = "${aws_s3_bucket.state.id}"
    tags = {**config.project.tags, "ManagedBy": "whimsy", "WhimsyProject": config.project.name}
    provider: dict[str, Any] = {"region": state.region, "default_tags": [{"tags": tags}]}
    if config.project.account_id:
        provider["allowed_account_ids"] = [config.project.account_id]
    policy = {"Version": "2012-10-17", "Statement": [storage.tls_only_statement([arn, f"{arn}/*"])]}
    return {
        "//": "whimsy: the Terraform state bucket of project.state. Apply once, before the "
        "platform: cd out/bootstrap && terraform init && terraform apply (docs/adopt.md).",
        "terraform": {
            "required_version": REQUIRED_TERRAFORM,
            "required_providers": {
                "aws": {"source": "hashicorp/aws", "version": config.project.aws_provider_version}
            },
            "backend": {"local": {"path": "terraform.tfstate"}},
        },
        "provider": {"aws": [provider]},
        "resource": {
            "aws_s3_bucket": {
                "state": {"bucket": state.bucket, "lifecycle": {"prevent_destroy": True}}
            },
            "aws_s3_bucket_versioning": {
                "state": {"bucket": ref, "versioning_configuration": [{"status": "Enabled"}]}
            },
            "aws_s3_bucket_server_side_encryption_configuration": {
                "state": {
                    "bucket": ref,
                    "rule": [
                        {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}
                    ],
                }
            },
            "aws_s3_bucket_public_access_block": {
                "state": {
                    "bucket": ref,
                    "block_public_acls": True,
                    "block_public_policy": True,
                    "ignore_public_acls": True,
                    "restrict_public_buckets": True,
                }
            },
            "aws_s3_bucket_ownership_controls": {
                "state": {"bucket": ref, "rule": [{"object_ownership": "BucketOwnerEnforced"}]}
            },
            "aws_s3_bucket_policy": {
                "state": {
                    "bucket": ref,
                    "policy": json.dumps(policy, sort_keys=True, separators=(",", ":")),
                    "depends_on": ["aws_s3_bucket_public_access_block.state"],
                }
            },
        },
    }
