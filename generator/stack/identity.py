"""Cognito: the user pool (logins), its SPA client, the identity pool and its IAM roles."""

from __future__ import annotations

from typing import Any

from cdktn import TerraformStack
from cdktn_provider_aws.cognito_identity_pool import (
    CognitoIdentityPool,
    CognitoIdentityPoolCognitoIdentityProviders,
)
from cdktn_provider_aws.cognito_identity_pool_roles_attachment import (
    CognitoIdentityPoolRolesAttachment,
    CognitoIdentityPoolRolesAttachmentRoleMapping,
)
from cdktn_provider_aws.cognito_user_group import CognitoUserGroup
from cdktn_provider_aws.cognito_user_pool import (
    CognitoUserPool,
    CognitoUserPoolAccountRecoverySetting,
    CognitoUserPoolAccountRecoverySettingRecoveryMechanism,
    CognitoUserPoolAdminCreateUserConfig,
    CognitoUserPoolPasswordPolicy,
    CognitoUserPoolSoftwareTokenMfaConfiguration,
    CognitoUserPoolVerificationMessageTemplate,
)
from cdktn_provider_aws.cognito_user_pool_client import (
    CognitoUserPoolClient,
    CognitoUserPoolClientTokenValidityUnits,
)
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.model import identity, names
from generator.stack.base import named, permissions_boundary, policy_json

MFA_MODES = {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}


class Identity(Construct):
    def __init__(self, scope: TerraformStack, config: WhimsyConfig) -> None:
        super().__init__(scope, "identity")
        auth = config.auth
        pool = auth.user_pool
        self.user_pool = named(
            CognitoUserPool(
                self,
                "user_pool",
                name=pool.name,
                username_attributes=list(pool.sign_in_with),
                auto_verified_attributes=["email"] if pool.verify_email else None,
                password_policy=CognitoUserPoolPasswordPolicy(
                    minimum_length=pool.password.min_length,
                    require_lowercase=pool.password.require_lowercase,
                    require_uppercase=pool.password.require_uppercase,
                    require_numbers=pool.password.require_numbers,
                    require_symbols=pool.password.require_symbols,
                    temporary_password_validity_days=pool.password.temporary_password_days,
                ),
                mfa_configuration=MFA_MODES[pool.mfa],
                software_token_mfa_configuration=(
                    CognitoUserPoolSoftwareTokenMfaConfiguration(enabled=True)
                    if pool.mfa != "off"
                    else None
                ),
                deletion_protection="ACTIVE" if pool.deletion_protection else "INACTIVE",
                admin_create_user_config=CognitoUserPoolAdminCreateUserConfig(
                    allow_admin_create_user_only=False
                ),
                account_recovery_setting=CognitoUserPoolAccountRecoverySetting(
                    recovery_mechanism=[
                        CognitoUserPoolAccountRecoverySettingRecoveryMechanism(
                            name="verified_email", priority=1
                        )
                    ]
                ),
                verification_message_template=CognitoUserPoolVerificationMessageTemplate(
                    default_email_option="CONFIRM_WITH_CODE"
                ),
            ),
            "users",
        )
        tokens = pool.tokens
        self.client = named(
            CognitoUserPoolClient(
                self,
                "spa_client",
                name=f"{config.project.name}-web",
                user_pool_id=self.user_pool.id,
                # A browser app cannot keep a secret; SRP keeps the password off the wire.
                generate_secret=False,
                explicit_auth_flows=list(identity.WEB_CLIENT_AUTH_FLOWS),
                prevent_user_existence_errors="ENABLED",
                enable_token_revocation=True,
                supported_identity_providers=["COGNITO"],
                access_token_validity=tokens.access_token_minutes,
                id_token_validity=tokens.id_token_minutes,
                refresh_token_validity=tokens.refresh_token_days,
                token_validity_units=[
                    CognitoUserPoolClientTokenValidityUnits(
                        access_token="minutes", id_token="minutes", refresh_token="days"
                    )
                ],
            ),
            "web",
        )
        self.identity_pool = named(
            CognitoIdentityPool(
                self,
                "identity_pool",
                identity_pool_name=auth.identity_pool.name,
                allow_unauthenticated_identities=auth.identity_pool.allow_guests,
                allow_classic_flow=False,
                cognito_identity_providers=[
                    CognitoIdentityPoolCognitoIdentityProviders(
                        client_id=self.client.id,
                        provider_name=self.user_pool.endpoint,
                        server_side_token_check=True,
                    )
                ],
            ),
            "identities",
        )
        authenticated = self._role(config, "authenticated", identity.user_policy(config))
        roles = {"authenticated": authenticated.arn}
        if auth.identity_pool.allow_guests:
            # Guests get credentials that can do nothing: the role has no permissions.
            guest = named(
                IamRole(
                    self,
                    "guest_role",
                    name=names.role_name(config, "guest"),
                    assume_role_policy=policy_json(identity.trust_policy("unauthenticated")),
                    permissions_boundary=permissions_boundary(config),
                ),
                "guest",
            )
            roles["unauthenticated"] = guest.arn
        role_mapping = None
        if auth.admin_group:
            admin = self._role(config, "admin", identity.admin_policy(config))
            named(
                CognitoUserGroup(
                    self,
                    "admin_group",
                    name=auth.admin_group,
                    user_pool_id=self.user_pool.id,
                    role_arn=admin.arn,
                    precedence=0,
                    description="Administrators: may write system configuration tables",
                ),
                "admins",
            )
            # Token-based mapping: members of the group get the admin role, others the user role.
            role_mapping = [
                CognitoIdentityPoolRolesAttachmentRoleMapping(
                    identity_provider=f"{self.user_pool.endpoint}:{self.client.id}",
                    type="Token",
                    ambiguous_role_resolution="AuthenticatedRole",
                )
            ]
        named(
            CognitoIdentityPoolRolesAttachment(
                self,
                "roles",
                identity_pool_id=self.identity_pool.id,
                roles=roles,
                role_mapping=role_mapping,
            ),
            "identities",
        )

    def _role(self, config: WhimsyConfig, purpose: str, permissions: dict[str, Any]) -> IamRole:
        role = named(
            IamRole(
                self,
                f"{purpose}_role",
                name=names.role_name(config, purpose),
                assume_role_policy=policy_json(identity.trust_policy("authenticated")),
                max_session_duration=3600,
                permissions_boundary=permissions_boundary(config),
            ),
            purpose,
        )
        named(
            IamRolePolicy(
                self,
                f"{purpose}_policy",
                name=f"{purpose}-access",
                role=role.id,
                policy=policy_json(permissions),
            ),
            purpose,
        )
        return role
