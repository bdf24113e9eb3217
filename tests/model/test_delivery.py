"""The delivery roles, decided by the IAM evaluator: what CI may and may not do."""

from __future__ import annotations

from typing import Any

import pytest

from generator.config import load_config
from generator.model import delivery
from generator.model.refs import resolve_refs
from generator.review.iam import Principal, Request, explain
from tests.conftest import SAMPLE

CONFIG = load_config(SAMPLE, check_lambdas=False).config
ACCOUNT = "123456789012"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/whimsy-platform-boundary"
KNOWN = {
    "aws_iam_policy.platform_boundary.arn": BOUNDARY,
    "aws_iam_openid_connect_provider.github.arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
}
DEPLOY: dict[str, Any] = resolve_refs(delivery.deploy_policy(CONFIG), KNOWN)
PLAN: dict[str, Any] = resolve_refs(delivery.plan_policy(CONFIG), KNOWN)
ROLE = Principal("aws", f"arn:aws:iam::{ACCOUNT}:role/whimsy-deploy")


def allowed(policy: dict[str, Any], action: str, resource: str, **context: Any) -> bool:
    return explain([policy], Request(action, resource, ROLE, context)).allowed


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        (
            "s3:GetObject",
            "arn:aws:s3:::whimsy-fs/us-east-1:00000000-0000-0000-0000-000000000000/notes",
        ),
        ("s3:PutObject", "arn:aws:s3:::whimsy-fs/anything"),
        (
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:whimsy/stripe-secret-key-AbCdEf",
        ),
        ("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/whimsy-user-data"),
        ("dynamodb:Scan", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/whimsy-entitlements"),
        (
            "cognito-idp:AdminInitiateAuth",
            f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_X",
        ),
        ("cognito-identity:GetCredentialsForIdentity", "*"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/whimsy-deploy"),
        ("iam:CreatePolicyVersion", BOUNDARY),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/someone-else"),
        ("lambda:UpdateFunctionCode", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:other-team"),
        ("acm:ExportCertificate", f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/x"),
    ],
)
def test_the_deploy_role_cannot_reach_data_secrets_or_itself(action: str, resource: str) -> None:
    assert not allowed(DEPLOY, action, resource, **{"iam:PermissionsBoundary": BOUNDARY})


def test_the_deploy_role_manages_platform_roles_only_inside_the_boundary() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/whimsy-uploads-fn"
    assert allowed(DEPLOY, "iam:PutRolePolicy", role, **{"iam:PermissionsBoundary": BOUNDARY})
    assert not allowed(DEPLOY, "iam:PutRolePolicy", role)
    other = f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"
    assert not allowed(DEPLOY, "iam:CreateRole", role, **{"iam:PermissionsBoundary": other})
    assert not allowed(DEPLOY, "iam:DeleteRolePermissionsBoundary", role)


def test_the_deploy_role_deploys_what_the_config_names() -> None:
    assert allowed(
        DEPLOY, "lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:*:function:whimsy-uploads"
    )
    assert allowed(
        DEPLOY, "dynamodb:UpdateTable", "arn:aws:dynamodb:us-east-1:*:table/whimsy-user-data"
    )
    assert allowed(DEPLOY, "s3:PutBucketPolicy", "arn:aws:s3:::whimsy-fs")
    assert allowed(
        DEPLOY,
        "s3:PutObject",
        "arn:aws:s3:::whimsy-space-terraform-state/platform/terraform.tfstate",
    )
    assert allowed(
        DEPLOY,
        "route53:ChangeResourceRecordSets",
        "arn:aws:route53:::hostedzone/Z0123456789WHIMSYSPACE",
    )
    assert not allowed(
        DEPLOY, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/ZOTHER"
    )


def test_the_plan_role_only_reads_configuration() -> None:
    assert allowed(PLAN, "s3:GetBucketPolicy", "arn:aws:s3:::whimsy-fs")
    assert allowed(
        PLAN, "s3:GetObject", "arn:aws:s3:::whimsy-space-terraform-state/platform/terraform.tfstate"
    )
    assert not allowed(
        PLAN, "s3:PutObject", "arn:aws:s3:::whimsy-space-terraform-state/platform/terraform.tfstate"
    )
    assert not allowed(
        PLAN,
        "s3:GetObject",
        "arn:aws:s3:::whimsy-fs/us-east-1:00000000-0000-0000-0000-000000000000/x",
    )
    assert not allowed(
        PLAN, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:*:table/whimsy-user-data"
    )
    assert not allowed(
        PLAN, "lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:*:function:whimsy-uploads"
    )


def test_trust_is_pinned_to_the_repository() -> None:
    settings = CONFIG.delivery.github
    assert settings is not None
    assert delivery.deploy_subjects(settings) == ["repo:whimsy-space/platform:ref:refs/heads/main"]
    assert delivery.plan_subjects(settings) == ["repo:whimsy-space/platform:pull_request"]
    gated = settings.model_copy(update={"environment": "production"})
    assert delivery.deploy_subjects(gated) == ["repo:whimsy-space/platform:environment:production"]
