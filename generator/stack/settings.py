"""Terraform settings: the S3 state backend, the AWS providers and their default tags."""

from __future__ import annotations

from cdktn import S3Backend, TerraformStack
from cdktn_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from generator.config.models import WhimsyConfig

# S3-native state locking (use_lockfile) arrived in Terraform 1.10.
REQUIRED_TERRAFORM = ">= 1.10"
CLOUDFRONT_REGION = "us-east-1"


def _tags(config: WhimsyConfig) -> dict[str, str]:
    return {**config.project.tags, "ManagedBy": "whimsy", "WhimsyProject": config.project.name}


def add_settings(stack: TerraformStack, config: WhimsyConfig) -> AwsProvider:
    """Configure backend and providers; return the us-east-1 provider used for CloudFront/ACM."""
    state = config.project.state
    S3Backend(
        stack,
        bucket=state.bucket,
        key=state.key,
        region=state.region,
        encrypt=True,
        use_lockfile=True,
    )
    accounts = [config.project.account_id] if config.project.account_id else None
    tags = [AwsProviderDefaultTags(tags=_tags(config))]
    AwsProvider(
        stack, "aws", region=config.project.region, default_tags=tags, allowed_account_ids=accounts
    )
    edge = AwsProvider(
        stack,
        "aws_us_east_1",
        alias="us_east_1",
        region=CLOUDFRONT_REGION,
        default_tags=tags,
        allowed_account_ids=accounts,
    )
    # cdktn pins the exact version it was generated for; admit the configured range instead.
    stack.add_override(
        "terraform.required_providers.aws",
        {"source": "hashicorp/aws", "version": config.project.aws_provider_version},
    )
    stack.add_override("terraform.required_version", REQUIRED_TERRAFORM)
    return edge
