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


# --- a routine change, deployed by the roles generated before it ---------------------------------
#
# The sample grows by a per-user table (which changes the users' role policies, as a folder rule
# does) and a function with its own table, role, log group, route and permission. Both sides
# are generated for real; every resource the change adds or changes is turned into the AWS calls
# the provider makes for it, and each call is decided against the deploy role and boundary
# generated from the sample *before* the change.


@pytest.fixture(scope="module")
def routine_terraform(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.changes import routine_change, sample_project
    from tests.conftest import generated_tree, terraform_document

    project = sample_project(tmp_path_factory.mktemp("routine"), routine_change())
    return terraform_document(generated_tree(project / "whimsy_config.yaml"))


def _resources(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{kind}.{name}": body
        for kind, blocks in document["resource"].items()
        for name, body in blocks.items()
    }


def _arn_of(body: dict[str, Any], kind: str, routine: dict[str, dict[str, Any]]) -> str:
    """The ARN the provider's calls name for a resource of the changed side."""
    region = "us-east-1"
    if kind == "aws_dynamodb_table":
        return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{body['name']}"
    if kind == "aws_iam_role":
        return f"arn:aws:iam::{ACCOUNT}:role/{body['name']}"
    if kind == "aws_iam_role_policy":
        role = routine[body["role"].removeprefix("${").split(".name")[0].split(".id")[0]]
        return f"arn:aws:iam::{ACCOUNT}:role/{role['name']}"
    if kind in ("aws_lambda_function", "aws_lambda_permission"):
        name = body["function_name"]
        if name.startswith("${"):
            name = routine[name.removeprefix("${").split(".function_name")[0]]["function_name"]
        return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
    if kind == "aws_cloudwatch_log_group":
        return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{body['name']}"
    if kind.startswith("aws_apigatewayv2_"):
        return f"arn:aws:apigateway:{region}::/apis/a1b2c3d4e5/routes/r1"
    raise AssertionError(f"no calls known for {kind}: the test must learn this resource type")


# The calls the AWS provider makes to create (or update) a resource and read it back.
CALLS: dict[str, tuple[str, ...]] = {
    "aws_dynamodb_table": ("dynamodb:CreateTable", "dynamodb:DescribeTable",
                           "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups",
                           "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource",
                           "dynamodb:TagResource", "dynamodb:UpdateTable"),
    "aws_iam_role": ("iam:CreateRole", "iam:GetRole", "iam:TagRole", "iam:ListRolePolicies",
                     "iam:ListAttachedRolePolicies", "iam:UpdateAssumeRolePolicy"),
    "aws_iam_role_policy": ("iam:PutRolePolicy", "iam:GetRolePolicy"),
    "aws_lambda_function": ("lambda:CreateFunction", "lambda:GetFunction",
                            "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig",
                            "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
                            "lambda:TagResource"),
    "aws_lambda_permission": ("lambda:AddPermission", "lambda:GetPolicy"),
    "aws_cloudwatch_log_group": ("logs:CreateLogGroup", "logs:PutRetentionPolicy",
                                 "logs:ListTagsForResource", "logs:TagResource"),
    "aws_apigatewayv2_route": ("apigateway:POST", "apigateway:GET", "apigateway:PATCH"),
    "aws_apigatewayv2_integration": ("apigateway:POST", "apigateway:GET", "apigateway:PATCH"),
}  # fmt: skip


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    old, new = _resources(before), _resources(after)
    return {a: body for a, body in new.items() if old.get(a) != body}


def test_a_routine_change_leaves_the_delivery_as_it_was(
    sample_terraform: dict[str, Any], routine_terraform: dict[str, Any]
) -> None:
    changed = _changed(sample_terraform, routine_terraform)
    assert (
        "aws_dynamodb_table.whimsy_notes" in changed and "aws_lambda_function.fn_notes" in changed
    )
    delivery_addresses = {
        "aws_iam_role.deploy", "aws_iam_role.plan", "aws_iam_role_policy.deploy",
        "aws_iam_role_policy.plan", "aws_iam_policy.platform_boundary",
        "aws_iam_openid_connect_provider.github",
    }  # fmt: skip
    assert delivery_addresses <= _resources(sample_terraform).keys()
    assert not delivery_addresses & changed.keys()


def test_the_deploy_role_before_a_routine_change_may_apply_it(
    sample_terraform: dict[str, Any], routine_terraform: dict[str, Any]
) -> None:
    routine = _resources(routine_terraform)
    boundary = {"iam:PermissionsBoundary": BOUNDARY}
    refused = []
    for address, body in sorted(_changed(sample_terraform, routine_terraform).items()):
        kind = address.split(".")[0]
        arn = _arn_of(body, kind, routine)
        for action in CALLS[kind]:
            if not allowed(DEPLOY, action, arn, **boundary):
                refused.append(f"{address}: {action} on {arn}")
        if kind == "aws_lambda_function":
            local = body["role"].removeprefix("${").split(".arn")[0]
            role = f"arn:aws:iam::{ACCOUNT}:role/{routine[local]['name']}"
            passed = {"iam:PassedToService": "lambda.amazonaws.com"}
            if not allowed(DEPLOY, "iam:PassRole", role, **passed):
                refused.append(f"{address}: iam:PassRole of {role}")
    assert refused == []
    # a new role without the boundary is refused: the boundary is what makes the above safe
    new_role = f"arn:aws:iam::{ACCOUNT}:role/{routine['aws_iam_role.fn_notes']['name']}"
    assert not allowed(DEPLOY, "iam:CreateRole", new_role)


def test_the_new_function_role_stays_inside_the_boundary_generated_before_it(
    routine_terraform: dict[str, Any],
) -> None:
    from generator.review.deployed import deployment_from_terraform

    role = deployment_from_terraform(routine_terraform).roles["fn_notes"]
    assert _resources(routine_terraform)["aws_iam_role.fn_notes"]["permissions_boundary"] == (
        "${aws_iam_policy.platform_boundary.arn}"
    )
    boundary = resolve_refs(delivery.boundary_policy(CONFIG), KNOWN)
    identity = "3f0c2a9e-7b1d-4c5e-9a8f-0d1e2f3a4b5c"
    granted, outside = [], []
    for policy in role.policies:
        for statement in policy["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    concrete = resource.replace("????????-????-????-????-????????????", identity)
                    concrete = concrete.replace("*", "x")
                    granted.append(action)
                    if not explain([boundary], Request(action, concrete, ROLE, {})).allowed:
                        outside.append(f"{action} on {concrete}")
    assert "dynamodb:PutItem" in granted
    assert outside == []


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/whimsy-deploy"),
        ("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/whimsy-plan"),
        ("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/whimsy-deploy"),
        ("iam:CreatePolicyVersion", BOUNDARY),
        ("iam:DeletePolicy", BOUNDARY),
        ("iam:UpdateOpenIDConnectProviderThumbprint",
         f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"),
        ("iam:DeleteRolePermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:role/whimsy-notes-fn"),
        ("s3:PutBucketPolicy", "arn:aws:s3:::whimsy-space-terraform-state"),
        ("s3:DeleteBucket", "arn:aws:s3:::whimsy-space-terraform-state"),
        ("s3:PutObject", "arn:aws:s3:::whimsy-space-terraform-state/other/terraform.tfstate"),
        ("s3:GetObject", "arn:aws:s3:::whimsy-notes-export/us-east-1:x/notes"),
    ],
)  # fmt: skip
def test_the_deploy_role_may_not_change_the_delivery_or_the_state_bucket(
    action: str, resource: str
) -> None:
    assert not allowed(DEPLOY, action, resource, **{"iam:PermissionsBoundary": BOUNDARY})


def test_no_platform_role_may_reach_the_state_even_though_its_name_has_the_prefix() -> None:
    boundary = resolve_refs(delivery.boundary_policy(CONFIG), KNOWN)
    state = "arn:aws:s3:::whimsy-space-terraform-state"
    assert state.startswith("arn:aws:s3:::whimsy-")
    assert explain([boundary], Request("s3:GetObject", f"{state}/x", ROLE, {})).effect == "Deny"
    assert explain(
        [boundary], Request("s3:GetObject", "arn:aws:s3:::whimsy-fs/k", ROLE, {})
    ).allowed
