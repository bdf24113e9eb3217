"""The user-files bucket (whimsy-fs) and its access-log bucket, secure by default."""

from __future__ import annotations

from cdktn import TerraformStack
from cdktn_provider_aws.s3_bucket import S3Bucket
from cdktn_provider_aws.s3_bucket_cors_configuration import (
    S3BucketCorsConfiguration,
    S3BucketCorsConfigurationCorsRule,
)
from cdktn_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktn_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktn_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktn_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktn_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktn_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.model import names, storage
from generator.stack.base import named, policy_json

ACCESS_LOG_DAYS = 365
CORS_METHODS = ["DELETE", "GET", "HEAD", "POST", "PUT"]
# What the browser SDK needs to read back after an upload (multipart needs the ETag).
CORS_EXPOSE = ["ETag", "x-amz-version-id"]


def secure_bucket(
    scope: Construct, local: str, bucket: str, ownership: str = "BucketOwnerEnforced"
) -> S3Bucket:
    """A bucket with ACLs disabled (owner-enforced ownership) and SSE-S3 encryption.

    SSE-S3 rather than KMS: anonymous readers of public folders cannot use a KMS key.
    Only a bucket that receives ACL-based log delivery (CloudFront) asks for other ownership.
    """
    resource = named(S3Bucket(scope, f"{local}_bucket", bucket=bucket), local)
    named(
        S3BucketOwnershipControls(
            scope,
            f"{local}_ownership",
            bucket=resource.id,
            rule=S3BucketOwnershipControlsRule(object_ownership=ownership),
        ),
        local,
    )
    named(
        S3BucketServerSideEncryptionConfigurationA(
            scope,
            f"{local}_encryption",
            bucket=resource.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="AES256"
                    )
                )
            ],
        ),
        local,
    )
    return resource


def public_access_block(
    scope: Construct, local: str, bucket: S3Bucket, *, allow_public_policy: bool = False
) -> S3BucketPublicAccessBlock:
    # ACLs are always blocked; a bucket policy may be public only where the folder rules ask
    # for it, and that policy is generated, never hand-set.
    return named(
        S3BucketPublicAccessBlock(
            scope,
            f"{local}_public_access",
            bucket=bucket.id,
            block_public_acls=True,
            ignore_public_acls=True,
            block_public_policy=not allow_public_policy,
            restrict_public_buckets=not allow_public_policy,
        ),
        local,
    )


def add_lifecycle(
    scope: Construct, local: str, bucket: S3Bucket, rule: S3BucketLifecycleConfigurationRule
) -> None:
    named(
        S3BucketLifecycleConfiguration(scope, f"{local}_lifecycle", bucket=bucket.id, rule=[rule]),
        local,
    )


def expire_everything(rule_id: str, days: int) -> S3BucketLifecycleConfigurationRule:
    return S3BucketLifecycleConfigurationRule(
        id=rule_id,
        status="Enabled",
        filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
        expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=days)],
    )


class UserFiles(Construct):
    def __init__(self, scope: TerraformStack, config: WhimsyConfig) -> None:
        super().__init__(scope, "user_files")
        settings = config.storage
        public = storage.has_public_folders(config)

        logs = secure_bucket(self, "access_logs", names.log_bucket(config))
        logs_block = public_access_block(self, "access_logs", logs)
        named(
            S3BucketPolicy(
                self,
                "access_logs_policy",
                bucket=logs.id,
                policy=policy_json(storage.log_bucket_policy(config)),
                depends_on=[logs_block],
            ),
            "access_logs",
        )
        add_lifecycle(
            self, "access_logs", logs, expire_everything("expire-access-logs", ACCESS_LOG_DAYS)
        )

        self.bucket = secure_bucket(self, "user_files", settings.bucket)
        block = public_access_block(self, "user_files", self.bucket, allow_public_policy=public)
        named(
            S3BucketVersioningA(
                self,
                "versioning",
                bucket=self.bucket.id,
                versioning_configuration=S3BucketVersioningVersioningConfiguration(
                    status="Enabled" if settings.versioning else "Suspended"
                ),
            ),
            "user_files",
        )
        lifecycle = settings.lifecycle
        add_lifecycle(
            self,
            "user_files",
            self.bucket,
            S3BucketLifecycleConfigurationRule(
                id="expire-noncurrent-versions",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=lifecycle.noncurrent_version_expiration_days
                    )
                ],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=lifecycle.abort_incomplete_multipart_days
                    )
                ],
            ),
        )
        if settings.cors_origins:
            named(
                S3BucketCorsConfiguration(
                    self,
                    "cors",
                    bucket=self.bucket.id,
                    cors_rule=[
                        S3BucketCorsConfigurationCorsRule(
                            allowed_origins=list(settings.cors_origins),
                            allowed_methods=CORS_METHODS,
                            allowed_headers=["*"],
                            expose_headers=CORS_EXPOSE,
                            max_age_seconds=3000,
                        )
                    ],
                ),
                "user_files",
            )
        named(
            S3BucketLoggingA(
                self,
                "logging",
                bucket=self.bucket.id,
                target_bucket=logs.id,
                target_prefix=f"{settings.bucket}/",
            ),
            "user_files",
        )
        named(
            S3BucketPolicy(
                self,
                "policy",
                bucket=self.bucket.id,
                policy=policy_json(storage.user_files_bucket_policy(config)),
                # The block must allow the public statement before the policy is put.
                depends_on=[block],
            ),
            "user_files",
        )
