"""Delivery from GitHub Actions: OIDC provider, deploy and plan roles, the platform boundary."""

from __future__ import annotations

from typing import Any

from cdktn import TerraformStack
from cdktn_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktn_provider_aws.iam_policy import IamPolicy
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.model import delivery
from generator.stack.base import named, policy_json


class Delivery(Construct):
    def __init__(self, scope: TerraformStack, config: WhimsyConfig) -> None:
        super().__init__(scope, "delivery")
        settings = delivery.github(config)
        assert settings is not None
        named(
            IamOpenidConnectProvider(
                self,
                delivery.OIDC_LOCAL,
                url=f"https://{delivery.GITHUB_ISSUER}",
                client_id_list=["sts.amazonaws.com"],
                thumbprint_list=delivery.github_thumbprints(),
            ),
            delivery.OIDC_LOCAL,
        )
        named(
            IamPolicy(
                self,
                "boundary",
                name=delivery.boundary_name(config),
                description="The most any role of the platform may do (permissions boundary)",
                policy=policy_json(delivery.boundary_policy(config)),
            ),
            delivery.BOUNDARY_LOCAL,
        )
        self._role(config, delivery.DEPLOY_LOCAL, delivery.deploy_role_name(config),
                   delivery.deploy_subjects(settings), delivery.deploy_policy(config))  # fmt: skip
        self._role(config, delivery.PLAN_LOCAL, delivery.plan_role_name(config),
                   delivery.plan_subjects(settings), delivery.plan_policy(config))  # fmt: skip

    def _role(self, config: WhimsyConfig, purpose: str, name: str, subjects: list[str],
              permissions: dict[str, Any]) -> None:  # fmt: skip
        role = named(
            IamRole(
                self,
                f"{purpose}_role",
                name=name,
                assume_role_policy=policy_json(delivery.trust(config, subjects)),
                max_session_duration=3600,
            ),
            purpose,
        )
        named(
            IamRolePolicy(
                self, f"{purpose}_policy", role=role.id, name=f"{purpose}-access",
                policy=policy_json(permissions),
            ),
            purpose,
        )  # fmt: skip
