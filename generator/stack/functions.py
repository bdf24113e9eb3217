"""Lambda functions: code from out/lambdas/, a role derived from config, a managed log group."""

from __future__ import annotations

from cdktn import TerraformStack
from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.lambda_function import LambdaFunction, LambdaFunctionEnvironment
from cdktn_provider_aws.lambda_permission import LambdaPermission
from cdktn_provider_aws.s3_bucket_notification import (
    S3BucketNotification,
    S3BucketNotificationLambdaFunction,
)
from cdktn_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.model import functions, names
from generator.model.refs import to_terraform_string
from generator.stack.base import named, permissions_boundary, policy_json

S3_EVENTS = {"created": "s3:ObjectCreated:*", "removed": "s3:ObjectRemoved:*"}
# Where generate writes the zips, relative to the Terraform configuration in out/terraform/.
ZIP_DIRECTORY = "../lambdas"


class Secrets(Construct):
    """Secret containers only: values are put out of band (aws secretsmanager put-secret-value),
    so they never pass through the config, out/ or Terraform state."""

    def __init__(self, scope: TerraformStack, config: WhimsyConfig) -> None:
        super().__init__(scope, "secrets")
        wanted = sorted({secret for f in config.functions.values() for secret in f.secrets})
        for secret in wanted:
            named(
                SecretsmanagerSecret(
                    self,
                    secret,
                    name=secret,
                    description="Value set out of band; whimsy manages only its existence.",
                    recovery_window_in_days=7,
                ),
                "secret_" + secret,
            )


class Functions(Construct):
    def __init__(
        self, scope: TerraformStack, config: WhimsyConfig, source_hashes: dict[str, str]
    ) -> None:
        super().__init__(scope, "functions")
        self.by_name = {
            name: self._function(config, name, source_hashes[name])
            for name in sorted(config.functions)
        }
        self._s3_triggers(config)

    def _s3_triggers(self, config: WhimsyConfig) -> None:
        """One notification configuration for the user-files bucket (S3 keeps exactly one),
        created after S3 may invoke each target function."""
        targets = []
        permissions = []
        for name in sorted(config.functions):
            triggers = config.functions[name].s3_triggers
            if not triggers:
                continue
            function = self.by_name[name]
            permissions.append(
                named(
                    LambdaPermission(
                        self,
                        f"{name}_s3_permission",
                        statement_id="s3-user-files",
                        action="lambda:InvokeFunction",
                        function_name=function.function_name,
                        principal="s3.amazonaws.com",
                        source_arn=names.bucket_arn(config.storage.bucket),
                    ),
                    f"fn_{name}_s3",
                )
            )
            for trigger in triggers:
                targets.append(
                    S3BucketNotificationLambdaFunction(
                        lambda_function_arn=function.arn,
                        events=[S3_EVENTS[event] for event in trigger.events],
                        filter_suffix=trigger.suffix,
                    )
                )
        if targets:
            named(
                S3BucketNotification(
                    self,
                    "user_files_notification",
                    bucket="${aws_s3_bucket.user_files.id}",
                    lambda_function=targets,
                    depends_on=permissions,
                ),
                "user_files",
            )

    def _function(self, config: WhimsyConfig, name: str, source_hash: str) -> LambdaFunction:
        function = config.functions[name]
        local = "fn_" + name
        full_name = functions.function_name(config, name)
        log_group = named(
            CloudwatchLogGroup(
                self,
                f"{name}_logs",
                name=f"/aws/lambda/{full_name}",
                retention_in_days=function.log_retention_days,
            ),
            local,
        )
        role = named(
            IamRole(
                self,
                f"{name}_role",
                name=f"{full_name}-fn",
                assume_role_policy=policy_json(functions.LAMBDA_TRUST),
                permissions_boundary=permissions_boundary(config),
            ),
            local,
        )
        policy = named(
            IamRolePolicy(
                self,
                f"{name}_policy",
                name="function-access",
                role=role.id,
                policy=policy_json(functions.function_policy(config, name)),
            ),
            local,
        )
        return named(
            LambdaFunction(
                self,
                name,
                function_name=full_name,
                description=function.description or None,
                role=role.arn,
                handler=function.handler,
                runtime=function.runtime,
                architectures=[function.architecture],
                memory_size=function.memory_mb,
                timeout=function.timeout_seconds,
                reserved_concurrent_executions=function.reserved_concurrency,
                filename=f"${{path.module}}/{ZIP_DIRECTORY}/{name}.zip",
                source_code_hash=source_hash,
                environment=LambdaFunctionEnvironment(
                    variables={
                        key: to_terraform_string(value)
                        for key, value in functions.function_environment(config, name).items()
                    }
                ),
                # The log group and the permissions exist before the first invocation.
                depends_on=[log_group, policy],
            ),
            local,
        )
