"""Review of `whimsy prove` for soundness: mutated deployments that real IAM would let breach a
promise, which the prover once reported as proved (all fixed now; kept as regressions), and
edge cases the prover handles correctly.

Where the breach is a plain policy decision, the independent evaluator (generator/review/iam.py)
confirms that the request is allowed before the prover is asked, so that an xfail cannot hide a
broken premise. A prover that refuses a deployment (EncodingError / UserError) counts as a fix:
refusing is sound, a silent "proved" is not.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from generator.errors import UserError
from generator.review import iam, prove
from generator.review.deployed import (
    ACCOUNT,
    TERRAFORM_FILE,
    Deployment,
    Role,
    deployment_from_terraform,
)
from generator.review.smt import EncodingError
from tests.conftest import REPO

SUB = "${cognito-identity.amazonaws.com:sub}"
USER_ROLE = "signed-in users (role whimsy-authenticated)"
USER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/whimsy-authenticated"
CALLER = "us-east-1:0123abcd-0123-4567-89ab-0123456789ab"
OTHER = "us-east-1:ffffffff-0123-4567-89ab-0123456789ab"
BUCKET = "arn:aws:s3:::whimsy-fs"
USER_DATA = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/whimsy-user-data"
SERVICE_TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/whimsy-entitlements"
SYSTEM_TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/zineos-system-config"


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    return json.loads((REPO / "out" / TERRAFORM_FILE).read_text(encoding="utf-8"))


# --- helpers ----------------------------------------------------------------------------------


def failed(outcomes: list[prove.Outcome]) -> dict[str, prove.Outcome]:
    return {o.name: o for o in outcomes if not o.holds}


def caught(facts: prove.Facts, deployment: Deployment) -> bool:
    """Some proof (not a witness) fails, or the prover refuses the deployment: both are sound."""
    try:
        outcomes = prove.run_proofs(facts, deployment)
        return any(not o.holds for o in outcomes if o.kind == "proof")
    except (EncodingError, UserError):
        return True


def caught_tf(facts: prove.Facts, document: dict[str, Any]) -> bool:
    try:
        deployment = deployment_from_terraform(document)
    except (EncodingError, UserError):
        return True
    return caught(facts, deployment)


def with_statements(deployment: Deployment, role: str, *statements: dict[str, Any]) -> Deployment:
    roles = copy.deepcopy(deployment.roles)
    roles[role].policies[0]["Statement"].extend(statements)
    return dataclasses.replace(deployment, roles=roles)


def with_trust_statement(
    deployment: Deployment, role: str, statement: dict[str, Any]
) -> Deployment:
    roles = copy.deepcopy(deployment.roles)
    roles[role].trust["Statement"].append(statement)
    return dataclasses.replace(deployment, roles=roles)


def with_bucket_statement(deployment: Deployment, statement: dict[str, Any]) -> Deployment:
    policies = copy.deepcopy(deployment.bucket_policies)
    policies["whimsy-fs"]["Statement"].append(statement)
    return dataclasses.replace(deployment, bucket_policies=policies)


def edit_tf(document: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    mutated = copy.deepcopy(document)
    edit(mutated["resource"])
    return mutated


def allow(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def user_allows(deployment: Deployment, action: str, resource: str, **context: Any) -> bool:
    """The independent evaluator's decision for the user role (identity + bucket policy)."""
    policies: list[Any] = list(deployment.roles["authenticated"].policies)
    if resource.startswith(BUCKET):
        policies.append(deployment.bucket_policies["whimsy-fs"])
    request = iam.Request(
        action,
        resource,
        iam.Principal("aws", USER_ROLE_ARN),
        {"cognito-identity.amazonaws.com:sub": CALLER, "aws:SecureTransport": "true", **context},
    )
    return iam.is_allowed(policies, request)


TRUST_OK = {
    "Effect": "Allow",
    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
        "StringEquals": {
            "cognito-identity.amazonaws.com:aud": "${aws_cognito_identity_pool.identities.id}"
        },
        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
    },
}


def extra_role(
    resources: dict[str, Any], local: str, trust: dict[str, Any], policy: dict[str, Any]
) -> None:
    """A role with an inline policy, added to the Terraform resources."""
    resources["aws_iam_role"][local] = {
        "name": f"whimsy-{local}",
        "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
    }
    resources["aws_iam_role_policy"][local] = {
        "name": f"{local}-access",
        "role": f"${{aws_iam_role.{local}.id}}",
        "policy": json.dumps({"Version": "2012-10-17", "Statement": [policy]}),
    }


S3_EVERYTHING = allow("s3:*", [BUCKET, f"{BUCKET}/*"])


# === SOUNDNESS REGRESSIONS (each once reported as proved) ===========================================================

# --- trust policies: the enumerated callers miss real principals ------------------------------


def test_trust_of_a_foreign_account_is_missed(facts: prove.Facts, deployment: Deployment) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": "sts:AssumeRole",
    }
    mutated = with_trust_statement(deployment, "authenticated", statement)
    foreign = iam.Principal("aws", "arn:aws:iam::999999999999:role/attacker")
    assert iam.is_allowed(
        [mutated.roles["authenticated"].trust],
        iam.Request("sts:AssumeRole", USER_ROLE_ARN, foreign),
    )
    assert caught(facts, mutated)


def test_trust_of_a_named_role_in_the_account_is_missed(
    facts: prove.Facts, deployment: Deployment
) -> None:
    function_role = f"arn:aws:iam::{ACCOUNT}:role/whimsy-uploads-fn"
    statement = {"Effect": "Allow", "Principal": {"AWS": function_role}, "Action": "sts:AssumeRole"}
    mutated = with_trust_statement(deployment, "authenticated", statement)
    assert iam.is_allowed(
        [mutated.roles["authenticated"].trust],
        iam.Request("sts:AssumeRole", USER_ROLE_ARN, iam.Principal("aws", function_role)),
    )
    assert caught(facts, mutated)


def test_trust_of_an_oidc_provider_is_missed(facts: prove.Facts, deployment: Deployment) -> None:
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    mutated = with_trust_statement(deployment, "authenticated", statement)
    assert iam.is_allowed(
        [mutated.roles["authenticated"].trust],
        iam.Request(
            "sts:AssumeRoleWithWebIdentity", USER_ROLE_ARN, iam.Principal("federated", provider)
        ),
    )
    assert caught(facts, mutated)


def test_trust_of_another_service_is_missed(facts: prove.Facts, deployment: Deployment) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    mutated = with_trust_statement(deployment, "authenticated", statement)
    assert iam.is_allowed(
        [mutated.roles["authenticated"].trust],
        iam.Request("sts:AssumeRole", USER_ROLE_ARN, iam.Principal("service", "ec2.amazonaws.com")),
    )
    assert caught(facts, mutated)


# --- bucket policy: principals other than anonymous and the user roles ------------------------


def test_bucket_grant_to_cloudfront_without_source_arn_is_missed(
    facts: prove.Facts, deployment: Deployment
) -> None:
    statement = {
        "Sid": "CloudFrontReadsFiles",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/*",
    }
    mutated = with_bucket_statement(deployment, statement)
    request = iam.Request(
        "s3:GetObject",
        f"{BUCKET}/{CALLER}/private.txt",
        iam.Principal("service", "cloudfront.amazonaws.com"),
        {
            "aws:SecureTransport": "true",
            "aws:SourceArn": "arn:aws:cloudfront::999999999999:distribution/X",
        },
    )
    assert iam.is_allowed([mutated.bucket_policies["whimsy-fs"]], request)
    assert caught(facts, mutated)


def test_bucket_grant_to_a_foreign_account_is_missed(
    facts: prove.Facts, deployment: Deployment
) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "Resource": [BUCKET, f"{BUCKET}/*"],
    }
    assert caught(facts, with_bucket_statement(deployment, statement))


def test_bucket_grant_to_the_role_session_is_missed(
    facts: prove.Facts, deployment: Deployment
) -> None:
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/whimsy-authenticated/CognitoIdentityCredentials"
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": session},
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/*",
    }
    assert caught(facts, with_bucket_statement(deployment, statement))


# --- resource matching --------------------------------------------------------------------------


def test_short_arn_pattern_with_trailing_wildcard_is_missed(
    facts: prove.Facts, deployment: Deployment
) -> None:
    mutated = with_statements(deployment, "authenticated", allow("s3:GetObject", "arn:aws:s3:*"))
    assert caught(facts, mutated)


def test_short_dynamodb_arn_pattern_is_missed(facts: prove.Facts, deployment: Deployment) -> None:
    mutated = with_statements(
        deployment, "authenticated", allow("dynamodb:Scan", "arn:aws:dynamodb:us-east-1:*")
    )
    assert caught(facts, mutated)


def test_brackets_in_a_deny_action_are_not_a_character_class(
    facts: prove.Facts, deployment: Deployment
) -> None:
    statements = (
        allow("s3:*", f"{BUCKET}/*"),
        {"Effect": "Deny", "Action": "s3:[a-z]*", "Resource": f"{BUCKET}/*"},
    )
    mutated = with_statements(deployment, "authenticated", *statements)
    assert user_allows(mutated, "s3:PutObject", f"{BUCKET}/{OTHER}/x")
    assert caught(facts, mutated)


# --- action universes ---------------------------------------------------------------------------

# Each of these is a real IAM action; the grant is on the resource the action works on.
MISSING_ACTIONS = [
    # bucket settings that exfiltrate or lock everyone's files
    ("s3:PutReplicationConfiguration", BUCKET),  # replicate every object to another bucket
    ("s3:PutInventoryConfiguration", BUCKET),  # every key, daily, into an outside bucket
    ("s3:PutBucketObjectLockConfiguration", BUCKET),  # lock everyone's files (ransom)
    ("s3:PutBucketWebsite", BUCKET),
    ("s3:PutBucketRequestPayment", BUCKET),
    # object reads / writes outside the caller's folder
    ("s3:GetObjectVersionAttributes", f"{BUCKET}/*"),
    ("s3:GetObjectVersionTagging", f"{BUCKET}/*"),
    ("s3:GetObjectVersionAcl", f"{BUCKET}/*"),
    ("s3:PutObjectVersionTagging", f"{BUCKET}/*"),
    ("s3:DeleteObjectVersionTagging", f"{BUCKET}/*"),
    ("s3:BypassGovernanceRetention", f"{BUCKET}/*"),
    # DynamoDB: every item of the per-user table without LeadingKeys
    ("dynamodb:GetRecords", f"{USER_DATA}/stream/*"),
    ("dynamodb:EnableKinesisStreamingDestination", USER_DATA),
    ("dynamodb:CreateTableReplica", USER_DATA),
    ("dynamodb:DeleteResourcePolicy", USER_DATA),
    ("dynamodb:UpdateContinuousBackups", USER_DATA),
    # service tables: "no access"
    ("dynamodb:GetRecords", f"{SERVICE_TABLE}/stream/*"),
    ("dynamodb:EnableKinesisStreamingDestination", SERVICE_TABLE),
]


@pytest.mark.parametrize(("action", "resource"), MISSING_ACTIONS)
def test_actions_outside_the_universes_are_missed(
    facts: prove.Facts, deployment: Deployment, action: str, resource: str
) -> None:
    mutated = with_statements(deployment, "authenticated", allow(action, resource))
    assert caught(facts, mutated)


def test_the_same_grants_with_s3_put_star_are_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """Contrast: a wildcard that also covers a named action is caught, by that action only."""
    mutated = with_statements(deployment, "authenticated", allow("s3:Put*", BUCKET))
    found = failed(prove.run_proofs(facts, mutated))
    assert f"{USER_ROLE}: cannot change the bucket's settings or policy" in found


# --- multivalued keys ---------------------------------------------------------------------------


def test_three_leading_keys_are_beyond_the_model(
    facts: prove.Facts, deployment: Deployment
) -> None:
    statements = (
        allow(
            "dynamodb:BatchGetItem",
            USER_DATA,
            Condition={
                "ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": SUB},
                "ForAnyValue:StringLike": {"dynamodb:LeadingKeys": "a*"},
            },
        ),
        # ... and a second statement is a separate operator block: one more value is needed
        {
            "Effect": "Deny",
            "Action": "dynamodb:BatchGetItem",
            "Resource": USER_DATA,
            "Condition": {"ForAllValues:StringNotLike": {"dynamodb:LeadingKeys": "b*"}},
        },
    )
    mutated = with_statements(deployment, "authenticated", *statements)
    assert user_allows(
        mutated,
        "dynamodb:BatchGetItem",
        USER_DATA,
        **{"dynamodb:LeadingKeys": [CALLER, "a-victim", "b-victim"]},
    )
    assert caught(facts, mutated)


# --- the roles users can get ------------------------------------------------------------------


def guest_role_deployment(deployment: Deployment, *statements: dict[str, Any]) -> Deployment:
    roles = copy.deepcopy(deployment.roles)
    user = roles["authenticated"]
    trust = copy.deepcopy(user.trust)
    trust["Statement"][0]["Condition"]["ForAnyValue:StringLike"][
        "cognito-identity.amazonaws.com:amr"
    ] = "unauthenticated"
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    roles["guest"] = Role("aws_iam_role.guest", "whimsy-guest", trust, (policy,))
    identity_roles = {**deployment.identity_roles, "unauthenticated": "guest"}
    return dataclasses.replace(deployment, roles=roles, identity_roles=identity_roles)


def test_guest_role_writing_other_folders_is_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """The guest promises that do exist work."""
    mutated = guest_role_deployment(deployment, allow("s3:PutObject", f"{BUCKET}/*"))
    found = failed(prove.run_proofs(facts, mutated))
    assert (
        "guests (role whimsy-guest): writes and deletes only inside the guest's own folder" in found
    )


@pytest.mark.parametrize(
    "statement",
    [
        allow("s3:ListBucket", BUCKET),
        allow("s3:PutBucketPolicy", BUCKET),
        allow("dynamodb:PutItem", SYSTEM_TABLE),
    ],
    ids=["list", "bucket-policy", "system-table-write"],
)
def test_guest_role_promises_are_incomplete(
    facts: prove.Facts, deployment: Deployment, statement: dict[str, Any]
) -> None:
    assert caught(facts, guest_role_deployment(deployment, statement))


def test_rules_role_mapping_is_ignored(facts: prove.Facts, terraform: dict[str, Any]) -> None:
    def edit(resources: dict[str, Any]) -> None:
        extra_role(resources, "editors", TRUST_OK, S3_EVERYTHING)
        attachment = resources["aws_cognito_identity_pool_roles_attachment"]["identities"]
        attachment["role_mapping"][0]["type"] = "Rules"
        attachment["role_mapping"][0]["mapping_rule"] = [
            {
                "claim": "custom:team",
                "match_type": "Equals",
                "value": "editors",
                "role_arn": "${aws_iam_role.editors.arn}",
            }
        ]

    assert caught_tf(facts, edit_tf(terraform, edit))


def test_classic_flow_reaches_roles_outside_the_pool(
    facts: prove.Facts, terraform: dict[str, Any]
) -> None:
    def edit(resources: dict[str, Any]) -> None:
        resources["aws_cognito_identity_pool"]["identities"]["allow_classic_flow"] = True
        extra_role(resources, "debug", TRUST_OK, S3_EVERYTHING)

    assert caught_tf(facts, edit_tf(terraform, edit))


def test_trusting_another_identity_pool_is_missed(
    facts: prove.Facts, terraform: dict[str, Any]
) -> None:
    def edit(resources: dict[str, Any]) -> None:
        pools = resources["aws_cognito_identity_pool"]
        pools["open"] = {"identity_pool_name": "anyone", "allow_unauthenticated_identities": True}
        role = resources["aws_iam_role"]["authenticated"]
        role["assume_role_policy"] = role["assume_role_policy"].replace(
            "aws_cognito_identity_pool.identities.id", "aws_cognito_identity_pool.open.id"
        )

    assert caught_tf(facts, edit_tf(terraform, edit))


# --- documents the reader does not see ----------------------------------------------------------


def test_unresolved_account_reference_makes_a_grant_vanish(
    facts: prove.Facts, terraform: dict[str, Any]
) -> None:
    arn = "arn:aws:dynamodb:us-east-1:${data.aws_caller_identity.current.account_id}:table/whimsy-user-data"

    def edit(resources: dict[str, Any]) -> None:
        policy = json.loads(resources["aws_iam_role_policy"]["authenticated"]["policy"])
        policy["Statement"].append(allow("dynamodb:Scan", arn))
        resources["aws_iam_role_policy"]["authenticated"]["policy"] = json.dumps(policy)

    assert caught_tf(facts, edit_tf(terraform, edit))


def test_dynamodb_resource_policy_is_ignored(facts: prove.Facts, terraform: dict[str, Any]) -> None:
    def edit(resources: dict[str, Any]) -> None:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "${aws_iam_role.authenticated.arn}"},
                    "Action": "dynamodb:*",
                    "Resource": "*",
                }
            ],
        }
        resources["aws_dynamodb_resource_policy"] = {
            "user_data": {
                "resource_arn": "${aws_dynamodb_table.whimsy_user_data.arn}",
                "policy": json.dumps(policy),
            }
        }

    assert caught_tf(facts, edit_tf(terraform, edit))


def test_inline_policy_block_of_the_role_is_ignored(
    facts: prove.Facts, terraform: dict[str, Any]
) -> None:
    def edit(resources: dict[str, Any]) -> None:
        resources["aws_iam_role"]["authenticated"]["inline_policy"] = [
            {
                "name": "extra",
                "policy": json.dumps({"Version": "2012-10-17", "Statement": [S3_EVERYTHING]}),
            }
        ]

    assert caught_tf(facts, edit_tf(terraform, edit))


@pytest.mark.parametrize("how", ["aws_iam_policy_attachment", "managed_policy_arns"])
def test_other_managed_policy_attachments_are_ignored(
    facts: prove.Facts, terraform: dict[str, Any], how: str
) -> None:
    full = "arn:aws:iam::aws:policy/AmazonS3FullAccess"

    def edit(resources: dict[str, Any]) -> None:
        if how == "managed_policy_arns":
            resources["aws_iam_role"]["authenticated"]["managed_policy_arns"] = [full]
        else:
            resources["aws_iam_policy_attachment"] = {
                "s3": {
                    "name": "s3",
                    "policy_arn": full,
                    "roles": ["${aws_iam_role.authenticated.name}"],
                }
            }

    assert caught_tf(facts, edit_tf(terraform, edit))


# === handled correctly (passing) ===============================================================


def test_managed_policy_attachment_is_refused(
    facts: prove.Facts, terraform: dict[str, Any]
) -> None:
    def edit(resources: dict[str, Any]) -> None:
        resources["aws_iam_role_policy_attachment"]["s3"] = {
            "role": "${aws_iam_role.authenticated.name}",
            "policy_arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        }

    with pytest.raises(UserError, match="managed policies"):
        prove.run_proofs(facts, deployment_from_terraform(edit_tf(terraform, edit)))


def test_principal_aws_star_is_everyone(facts: prove.Facts, deployment: Deployment) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/*",
    }
    found = failed(prove.run_proofs(facts, with_bucket_statement(deployment, statement)))
    assert "anonymous: reads only keys <region>:<uuid shape>/public/..." in found


def test_federated_principal_in_a_bucket_policy_is_not_the_role(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """The caller is the role session, not the web identity provider: no false alarm."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/*",
    }
    assert failed(prove.run_proofs(facts, with_bucket_statement(deployment, statement))) == {}


def test_same_account_root_principal_in_bucket_policy_counts_for_the_role(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """Over-approximation (the root principal only delegates to IAM): sound, flagged."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": ACCOUNT},
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
    }
    found = failed(prove.run_proofs(facts, with_bucket_statement(deployment, statement)))
    assert f"{USER_ROLE}: writes and deletes only inside the caller's own folder" in found


def test_action_names_are_case_insensitive(facts: prove.Facts, deployment: Deployment) -> None:
    mutated = with_statements(deployment, "authenticated", allow("S3:putOBJECT", f"{BUCKET}/*"))
    found = failed(prove.run_proofs(facts, mutated))
    assert found[f"{USER_ROLE}: writes and deletes only inside the caller's own folder"].action == (
        "s3:PutObject"
    )


def test_condition_key_names_are_case_insensitive(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """The folder grant with the variable spelled in another case still proves and is usable."""
    roles = copy.deepcopy(deployment.roles)
    for statement in roles["authenticated"].policies[0]["Statement"]:
        if statement.get("Sid") == "Folder0RootObjects":
            statement["Resource"] = f"{BUCKET}/${{Cognito-Identity.AmazonAWS.com:SUB}}/*"
    outcomes = prove.run_proofs(facts, dataclasses.replace(deployment, roles=roles))
    assert failed(outcomes) == {}


def test_condition_values_are_case_sensitive(facts: prove.Facts, deployment: Deployment) -> None:
    """StringEquals on the pool id: another case is another pool."""
    roles = copy.deepcopy(deployment.roles)
    condition = roles["authenticated"].trust["Statement"][0]["Condition"]
    condition["StringEquals"]["cognito-identity.amazonaws.com:aud"] = "<IDENTITY POOL>"
    found = failed(prove.run_proofs(facts, dataclasses.replace(deployment, roles=roles)))
    assert found[f"{USER_ROLE}: only signed-in identities of this pool can take the role"]


def test_negated_operator_holds_for_an_absent_key(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """StringNotLike '*' can only hold when the key is absent; IAM then grants."""
    statement = allow(
        "s3:PutObject", f"{BUCKET}/*", Condition={"StringNotLike": {"aws:userid": "*"}}
    )
    mutated = with_statements(deployment, "authenticated", statement)
    assert user_allows(mutated, "s3:PutObject", f"{BUCKET}/{OTHER}/x")
    found = failed(prove.run_proofs(facts, mutated))
    assert f"{USER_ROLE}: writes and deletes only inside the caller's own folder" in found


def test_for_any_value_mixing_own_and_foreign_keys_is_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    roles = copy.deepcopy(deployment.roles)
    for statement in roles["authenticated"].policies[0]["Statement"]:
        if statement.get("Sid") == "OwnItemsWhimsyUserData":
            condition = statement["Condition"]
            condition["ForAnyValue:StringEquals"] = condition.pop("ForAllValues:StringEquals")
    found = failed(prove.run_proofs(facts, dataclasses.replace(deployment, roles=roles)))
    example = found[f"{USER_ROLE}: per-user tables: only items in the caller's own partition"]
    keys = {example.example["partition key 1"], example.example["partition key 2"]}
    assert example.example["caller"] in keys and len(keys) == 2


def test_sub_is_always_present_for_the_role(facts: prove.Facts, deployment: Deployment) -> None:
    """A grant guarded by 'sub is absent' never applies to a Cognito session: no false alarm."""
    statement = allow(
        "s3:PutObject",
        f"{BUCKET}/*",
        Condition={"Null": {"cognito-identity.amazonaws.com:sub": "true"}},
    )
    assert (
        failed(prove.run_proofs(facts, with_statements(deployment, "authenticated", statement)))
        == {}
    )


def test_deny_with_variable_and_wildcard_resource_is_refused(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """Existential splitting under a Deny (negated) would be unsound: refused."""
    statement = {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"{BUCKET}/{SUB}/*"}
    with pytest.raises(EncodingError, match="negated"):
        prove.run_proofs(facts, with_statements(deployment, "authenticated", statement))


def test_allow_with_negated_variable_wildcard_pattern_is_refused(
    facts: prove.Facts, deployment: Deployment
) -> None:
    statement = allow(
        "s3:ListBucket", BUCKET, Condition={"StringNotLike": {"s3:prefix": f"{SUB}/*"}}
    )
    with pytest.raises(EncodingError, match="negated"):
        prove.run_proofs(facts, with_statements(deployment, "authenticated", statement))


def test_deny_unless_own_prefix_is_double_negation_and_proves(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """Deny + StringNotLike: the pattern ends up positive, so the existential split is sound."""
    roles = copy.deepcopy(deployment.roles)
    statements = roles["authenticated"].policies[0]["Statement"]
    statements.append(allow("s3:ListBucket", BUCKET))
    statements.append(
        {
            "Effect": "Deny",
            "Action": "s3:ListBucket",
            "Resource": BUCKET,
            "Condition": {"StringNotLike": {"s3:prefix": f"{SUB}/*"}},
        }
    )
    assert failed(prove.run_proofs(facts, dataclasses.replace(deployment, roles=roles))) == {}
    # ... and with the Deny's pattern loosened, the proof fails
    statements[-1]["Condition"]["StringNotLike"]["s3:prefix"] = f"{SUB}*"
    found = failed(prove.run_proofs(facts, dataclasses.replace(deployment, roles=roles)))
    assert f"{USER_ROLE}: lists only inside the caller's own folder" in found


def test_escaped_star_is_a_literal(facts: prove.Facts, deployment: Deployment) -> None:
    """${*} in a resource is a literal '*': the only key it exposes is '*' itself."""
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/${{*}}",
    }
    found = failed(prove.run_proofs(facts, with_bucket_statement(deployment, statement)))
    assert (
        found["anonymous: reads only keys <region>:<uuid shape>/public/..."].example["key"] == "*"
    )


def test_wildcards_in_leading_arn_fields(facts: prove.Facts, deployment: Deployment) -> None:
    mutated = with_statements(
        deployment, "authenticated", allow("s3:GetObject", "arn:aws:s3:*:*:*")
    )
    found = failed(prove.run_proofs(facts, mutated))
    assert f"{USER_ROLE}: reads only the caller's own folder and <id>/public/ folders" in found


def test_star_in_the_resource_part_crosses_colons_and_slashes(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """Keys hold ':' (identity ids); 'whimsy-fs/us-east-1*' reaches other users' folders."""
    mutated = with_statements(
        deployment, "authenticated", allow("s3:DeleteObject", f"{BUCKET}/us-east-1*")
    )
    found = failed(prove.run_proofs(facts, mutated))
    example = found[f"{USER_ROLE}: writes and deletes only inside the caller's own folder"].example
    assert example["key"].startswith("us-east-1")


def test_trust_amr_pattern_matching_unauthenticated_is_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    roles = copy.deepcopy(deployment.roles)
    condition = roles["authenticated"].trust["Statement"][0]["Condition"]
    condition["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"] = "*authenticated"
    found = failed(prove.run_proofs(facts, dataclasses.replace(deployment, roles=roles)))
    example = found[
        f"{USER_ROLE}: only signed-in identities of this pool can take the role"
    ].example
    assert "authenticated" not in (example["amr 1"], example["amr 2"])


def test_trusting_every_principal_is_caught(facts: prove.Facts, deployment: Deployment) -> None:
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    found = failed(prove.run_proofs(facts, with_trust_statement(deployment, "admin", statement)))
    assert (
        "group admins (role whimsy-admin): only signed-in identities of this pool can take the role"
        in found
    )


def test_copy_and_multi_delete_are_covered_by_their_iam_actions(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """CopyObject is s3:GetObject + s3:PutObject, DeleteObjects is s3:DeleteObject, Select is
    s3:GetObject: the universes need no separate names for them. Granting DeleteObject broadly
    is caught."""
    mutated = with_statements(deployment, "authenticated", allow("s3:DeleteObject", f"{BUCKET}/*"))
    found = failed(prove.run_proofs(facts, mutated))
    assert found[f"{USER_ROLE}: writes and deletes only inside the caller's own folder"].action == (
        "s3:DeleteObject"
    )
