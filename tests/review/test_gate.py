"""`whimsy gate` without checkov: whimsy's own rules, the policy lint, the allow list, reading
checkov's report, and the command. Every mutation is a realistic policy mistake made on a deep
copy of the committed out/ (never out/ itself), and the test asserts the finding that catches it.

The scans with the real checkov (and Terraform) are in test_gate_scan.py."""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.errors import UserError
from generator.review import gate
from generator.review.gate import allowlist, policy_lint, rules, scanner
from generator.review.gate.findings import Finding
from generator.review.gate.tfjson import Configuration

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "out"
ALLOWLIST = REPO / "review/gate-allowlist.yaml"
SUB = "${cognito-identity.amazonaws.com:sub}"

Document = dict[str, Any]


@pytest.fixture(scope="module")
def committed() -> Document:
    document: Document = json.loads((OUT / "terraform/main.tf.json").read_text())
    return document


@pytest.fixture(scope="module")
def entries() -> list[allowlist.Entry]:
    return allowlist.load(ALLOWLIST)


def new_rule_findings(document: Document, entries: list[allowlist.Entry]) -> list[Finding]:
    """What whimsy's rules report on a document that the allow list does not cover."""
    return allowlist.apply(entries, rules.check(Configuration(document))).new


def mutate_policy(
    document: Document, kind: str, name: str, attribute: str, change: Callable[[Document], None]
) -> Document:
    """A deep copy of the Terraform document with one policy string attribute changed."""
    mutated = copy.deepcopy(document)
    values = mutated["resource"][kind][name]
    policy = json.loads(values[attribute])  # Terraform's `$${...}` escapes stay as they are
    change(policy)
    values[attribute] = json.dumps(policy)
    return mutated


def mutate(
    document: Document, kind: str, name: str, change: Callable[[Document], None]
) -> Document:
    mutated = copy.deepcopy(document)
    change(mutated["resource"][kind][name])
    return mutated


def statement(policy: Document, sid: str) -> Document:
    found: Document = next(s for s in policy["Statement"] if s.get("Sid") == sid)
    return found


# --- the sample platform -----------------------------------------------------------------------


def test_committed_platform_passes_whimsys_rules(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    # (the sites stage's missing throttling, found by this rule, is fixed in the generator);
    # the one finding is the uploads function's reach, allowed with its reason
    found = rules.check(Configuration(committed))
    assert [(f.check, f.resource) for f in found] == [
        ("WHIMSY_S3_CROSS_USER", "aws_iam_role_policy.fn_uploads")
    ]
    assert new_rule_findings(committed, entries) == []


def test_committed_policies_lint_clean_but_for_trust_policies_and_delivery(
    committed: Document,
) -> None:
    found, documents = policy_lint.lint(OUT, Configuration(committed))
    assert documents == len(list((OUT / "policies").glob("*.json"))) >= 17
    platform = {(f.check, f.resource) for f in found if "deploy" not in f.resource
                and "plan" not in f.resource}  # fmt: skip
    assert platform == {
        ("PARLIAMENT_CREDENTIALS_EXPOSURE", f"policies/{name}.json")
        for name in (
            "role-admin-trust",
            "role-apigateway-logs-trust",
            "role-authenticated-trust",
            "role-function-trust",
        )
    }
    # the delivery roles' findings are all reviewed in the allow list (inherent to deploying)
    delivery = {f.check for f in found if "deploy" in f.resource or "plan" in f.resource}
    assert delivery == {
        "PARLIAMENT_CREDENTIALS_EXPOSURE", "PARLIAMENT_MISMATCHED_TYPE_BUT_USABLE",
        "PARLIAMENT_PERMISSIONS_MANAGEMENT_ACTIONS", "PARLIAMENT_PRIVILEGE_ESCALATION",
        "PARLIAMENT_RESOURCE_POLICY_PRIVILEGE_ESCALATION", "PARLIAMENT_UNKNOWN_CONDITION_FOR_ACTION",
        "PARLIAMENT_UNKNOWN_FEDERATION_SOURCE",
    }  # fmt: skip


def test_committed_allowlist_is_reviewed_text(entries: list[allowlist.Entry]) -> None:
    assert len(entries) >= 30
    for entry in entries:
        assert len(entry.reason) >= allowlist.MIN_REASON_CHARS, entry
        assert entry.line > 0


# --- mutations: whimsy's rules --------------------------------------------------------------


def _drop_condition(operator: str) -> Callable[[Document], None]:
    def change(policy: Document) -> None:
        del policy["Statement"][0]["Condition"][operator]

    return change


def test_trust_policy_without_amr_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    mutated = mutate_policy(
        committed,
        "aws_iam_role",
        "authenticated",
        "assume_role_policy",
        _drop_condition("ForAnyValue:StringLike"),
    )
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == (
        "WHIMSY_TRUST_CONDITIONS",
        "aws_iam_role.authenticated",
    )
    assert "without a ForAnyValue:StringLike cognito-identity.amazonaws.com:amr" in finding.message
    assert "guest (unauthenticated) identities may assume the role" in finding.message


def test_trust_policy_without_aud_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    mutated = mutate_policy(
        committed, "aws_iam_role", "admin", "assume_role_policy", _drop_condition("StringEquals")
    )
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == ("WHIMSY_TRUST_CONDITIONS", "aws_iam_role.admin")
    assert "identities of any identity pool, in any account, may assume the role" in finding.message


def test_trust_policy_with_a_wildcard_aud_or_guest_amr_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        condition = policy["Statement"][0]["Condition"]
        condition["StringEquals"]["cognito-identity.amazonaws.com:aud"] = "us-east-1:*"
        condition["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"] = (
            "unauthenticated"
        )

    mutated = mutate_policy(
        committed, "aws_iam_role", "authenticated", "assume_role_policy", change
    )
    messages = sorted(f.message for f in new_rule_findings(mutated, entries))
    assert messages == [
        "the amr condition is ['unauthenticated']; this role is for 'authenticated'",
        "the aud condition ['us-east-1:*'] is not exactly our identity pool",
    ]


def test_s3_star_on_a_function_role_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        statement(policy, "Bucket0PaintComposerObjects")["Action"] = "s3:*"

    mutated = mutate_policy(committed, "aws_iam_role_policy", "fn_uploads", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == (
        "WHIMSY_IAM_WILDCARD",
        "aws_iam_role_policy.fn_uploads",
    )
    assert finding.message == "Bucket0PaintComposerObjects allows wildcard actions ['s3:*']"


def test_dynamodb_star_on_resource_star_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        table = statement(policy, "TableWhimsyHandles")
        table["Action"], table["Resource"] = "dynamodb:*", "*"

    mutated = mutate_policy(committed, "aws_iam_role_policy", "fn_handles", "policy", change)
    assert sorted(f.message for f in new_rule_findings(mutated, entries)) == [
        "TableWhimsyHandles allows ['dynamodb:*'] on Resource ['*']",
        "TableWhimsyHandles allows wildcard actions ['dynamodb:*']",
    ]


def test_bucket_policy_without_tls_only_deny_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        policy["Statement"] = [
            s for s in policy["Statement"] if s["Sid"] != "DenyInsecureTransport"
        ]

    mutated = mutate_policy(committed, "aws_s3_bucket_policy", "user_files", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == ("WHIMSY_S3_TLS_ONLY", "aws_s3_bucket.user_files")
    assert "when aws:SecureTransport is false" in finding.message


def test_tls_deny_that_misses_the_objects_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        statement(policy, "DenyInsecureTransport")["Resource"] = "arn:aws:s3:::whimsy-fs"

    mutated = mutate_policy(committed, "aws_s3_bucket_policy", "user_files", "policy", change)
    assert [f.check for f in new_rule_findings(mutated, entries)] == ["WHIMSY_S3_TLS_ONLY"]


def test_wildcard_public_path_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    """`*/public/*` would also publish <id>/drafts/public/... (IAM's * crosses '/')."""

    def change(policy: Document) -> None:
        statement(policy, "PublicFolders")["Resource"] = "arn:aws:s3:::whimsy-fs/*/public/*"

    mutated = mutate_policy(committed, "aws_s3_bucket_policy", "user_files", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == (
        "WHIMSY_S3_PUBLIC_ACCESS",
        "aws_s3_bucket.user_files",
    )
    assert finding.message.startswith("public read of arn:aws:s3:::whimsy-fs/*/public/*:")


@pytest.mark.parametrize("folder", ["*", "shared/*"])
def test_a_public_read_outside_public_folders_is_caught(
    committed: Document, entries: list[allowlist.Entry], folder: str
) -> None:
    """What validate refuses (anyone: on {identity}/* or {identity}/shared/*), caught again in
    a document that bypassed it."""
    identity = "us-east-1:????????-????-????-????-????????????"
    resource = f"arn:aws:s3:::whimsy-fs/{identity}/{folder}"

    def change(policy: Document) -> None:
        statement(policy, "PublicFolders")["Resource"] = resource

    mutated = mutate_policy(committed, "aws_s3_bucket_policy", "user_files", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert finding.check == "WHIMSY_S3_PUBLIC_ACCESS"
    assert finding.message.startswith(f"public read of {resource}: anyone may read only inside")


def test_a_function_granted_every_users_folder_fails_without_a_reason(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    profile = "/public/whimsy.space/profile.json"

    def widen(body: Document) -> None:
        body["policy"] = body["policy"].replace(profile, "/*")

    mutated = mutate(committed, "aws_iam_role_policy", "fn_catalog", widen)
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == (
        "WHIMSY_S3_CROSS_USER", "aws_iam_role_policy.fn_catalog")  # fmt: skip
    assert "every user's files outside their public folder" in finding.message
    # the uploads function's reach is on the list, with its reason
    [entry] = [e for e in entries if e.check == "WHIMSY_S3_CROSS_USER"]
    assert "presigned" in entry.reason


def test_public_write_is_caught(committed: Document, entries: list[allowlist.Entry]) -> None:
    def change(policy: Document) -> None:
        statement(policy, "PublicFolders")["Action"] = ["s3:GetObject", "s3:PutObject"]

    mutated = mutate_policy(committed, "aws_s3_bucket_policy", "user_files", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert finding.message == "anyone may ['s3:PutObject']: public access is read-only"


def test_public_access_block_and_versioning_removed_are_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    mutated = copy.deepcopy(committed)
    mutated["resource"]["aws_s3_bucket_public_access_block"]["site"]["block_public_acls"] = False
    del mutated["resource"]["aws_s3_bucket_public_access_block"]["access_logs"]
    mutated["resource"]["aws_s3_bucket_versioning"]["user_files"]["versioning_configuration"][
        "status"
    ] = "Suspended"
    found = {(f.check, f.resource, f.message) for f in new_rule_findings(mutated, entries)}
    assert found == {
        (
            "WHIMSY_S3_PUBLIC_ACCESS",
            "aws_s3_bucket_public_access_block.site",
            "block_public_acls is not true: ACLs could make objects public",
        ),
        ("WHIMSY_S3_PUBLIC_ACCESS", "aws_s3_bucket.access_logs", "no public access block"),
        (
            "WHIMSY_S3_VERSIONING",
            "aws_s3_bucket.user_files",
            "users' files without versioning (status Suspended): an overwrite or delete cannot be undone",
        ),
    }


def test_weak_cognito_password_policy_and_mfa_off_are_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(pool: Document) -> None:
        pool["password_policy"]["minimum_length"] = 8
        pool["password_policy"]["temporary_password_validity_days"] = 30
        pool["mfa_configuration"] = "OFF"

    mutated = mutate(committed, "aws_cognito_user_pool", "users", change)
    assert sorted((f.check, f.message) for f in new_rule_findings(mutated, entries)) == [
        ("WHIMSY_COGNITO_MFA", "mfa_configuration is OFF: users cannot add a second factor"),
        (
            "WHIMSY_COGNITO_PASSWORD_POLICY",
            "minimum_length is 8; passwords need at least 12 characters",
        ),
        ("WHIMSY_COGNITO_PASSWORD_POLICY", "temporary passwords stay valid 30 days (at most 7)"),
    ]


def test_optional_mfa_without_a_factor_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    mutated = mutate(
        committed,
        "aws_cognito_user_pool",
        "users",
        lambda pool: pool.pop("software_token_mfa_configuration"),
    )
    [finding] = new_rule_findings(mutated, entries)
    assert finding.message == "mfa_configuration is OPTIONAL but no MFA factor is enabled"


def test_classic_flow_on_the_identity_pool_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    mutated = mutate(
        committed,
        "aws_cognito_identity_pool",
        "identities",
        lambda pool: pool.update(allow_classic_flow=True),
    )
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == (
        "WHIMSY_IDENTITY_POOL",
        "aws_cognito_identity_pool.identities",
    )
    assert "(the admin role included)" in finding.message


def test_api_stage_without_throttling_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    mutated = mutate(
        committed,
        "aws_apigatewayv2_stage",
        "http",
        lambda stage: stage.pop("default_route_settings"),
    )
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == (
        "WHIMSY_API_THROTTLING",
        "aws_apigatewayv2_stage.http",
    )


def test_scan_granted_to_users_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        statement(policy, "OwnItemsWhimsyUserData")["Action"].append("dynamodb:Scan")

    mutated = mutate_policy(committed, "aws_iam_role_policy", "authenticated", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == (
        "WHIMSY_IAM_USER_SCOPE",
        "aws_iam_role_policy.authenticated",
    )
    assert finding.message.startswith("OwnItemsWhimsyUserData grants users ['dynamodb:scan']")


def test_missing_leading_keys_null_guard_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        del statement(policy, "OwnItemsWhimsyUserData")["Condition"]["Null"]

    mutated = mutate_policy(committed, "aws_iam_role_policy", "admin", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert finding.resource == "aws_iam_role_policy.admin"
    assert "without the Null guard" in finding.message


def test_list_bucket_without_prefix_condition_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        del statement(policy, "Folder0RootList")["Condition"]

    mutated = mutate_policy(committed, "aws_iam_role_policy", "authenticated", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert finding.message.startswith(
        "Folder0RootList lets users list the bucket without an s3:prefix"
    )


def test_user_grant_outside_their_folder_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    def change(policy: Document) -> None:
        statement(policy, "Folder0RootObjects")["Resource"] = "arn:aws:s3:::whimsy-fs/*"

    mutated = mutate_policy(committed, "aws_iam_role_policy", "authenticated", "policy", change)
    [finding] = new_rule_findings(mutated, entries)
    assert finding.message == (
        f"Folder0RootObjects grants users arn:aws:s3:::whimsy-fs/*: outside their own folder {SUB}/"
    )


def test_managed_policy_on_a_function_role_is_caught(
    committed: Document, entries: list[allowlist.Entry]
) -> None:
    mutated = copy.deepcopy(committed)
    mutated["resource"]["aws_iam_role_policy_attachment"]["fn_catalog_extra"] = {
        "role": "${aws_iam_role.fn_catalog.name}",
        "policy_arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess",
    }
    [finding] = new_rule_findings(mutated, entries)
    assert (finding.check, finding.resource) == (
        "WHIMSY_IAM_ATTACHED_POLICY",
        "aws_iam_role_policy_attachment.fn_catalog_extra",
    )


# --- mutations: the policy lint (parliament) --------------------------------------------------


def lint(name: str, change: Callable[[Document], None], committed: Document) -> list[Finding]:
    document = json.loads((OUT / "policies" / f"{name}.json").read_text())
    change(document)
    return policy_lint.lint_document(name, json.dumps(document), Configuration(committed))


def test_parliament_flags_s3_star_on_a_function_policy(committed: Document) -> None:
    def change(policy: Document) -> None:
        statement(policy, "Bucket0PaintComposerObjects")["Action"] = "s3:*"

    found = {f.check: f for f in lint("function-uploads", change, committed)}
    assert (
        found["PARLIAMENT_PERMISSIONS_MANAGEMENT_ACTIONS"].resource
        == "policies/function-uploads.json"
    )


def test_parliament_flags_a_misspelt_action_and_an_object_action_on_the_bucket(
    committed: Document,
) -> None:
    def change(policy: Document) -> None:
        statement(policy, "TableWhimsyHandles")["Action"] = ["dynamodb:GetItems"]
        statement(policy, "Bucket0PublicObjects")["Resource"] = "arn:aws:s3:::whimsy-fs"

    found = {
        (f.check, f.message.split(":")[0])
        for f in lint("function-subdomain-proxy", change, committed)
    }
    assert ("PARLIAMENT_UNKNOWN_ACTION", "Unknown action") in found
    assert ("PARLIAMENT_RESOURCE_MISMATCH", "No resources match for the given action") in found


def test_parliament_sees_a_trust_policys_condition_keys(committed: Document) -> None:
    def change(policy: Document) -> None:
        policy["Statement"][0]["Condition"]["StringEquals"] = {
            "cognito-identity.amazonaws.com:audience": "${tf:aws_cognito_identity_pool.identities.id}"
        }

    found = {f.check for f in lint("role-authenticated-trust", change, committed)}
    assert "PARLIAMENT_UNKNOWN_CONDITION_FOR_ACTION" in found
    assert "PARLIAMENT_MALFORMED" not in found  # the role ARN stands in for the missing Resource


def test_lint_placeholders_name_the_resources(committed: Document) -> None:
    text = (OUT / "policies/function-payments.json").read_text()
    resolved = policy_lint.placeholders(text, Configuration(committed))
    assert "${" not in resolved
    assert "arn:aws:dynamodb:us-east-1:123456789012:table/whimsy-entitlements" in resolved
    assert (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:whimsy/stripe-secret-key-" in resolved
    )


def test_colons_in_object_keys_are_no_mismatch_but_buckets_still_are() -> None:
    prepared = policy_lint.prepare(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": [
                        f"arn:aws:s3:::b/{SUB}/*",
                        "arn:aws:s3:::b/us-east-1:????/public/*",
                        "arn:aws:s3:::b",
                    ],
                }
            ]
        },
        "arn:aws:iam::123456789012:role/r",
    )
    assert prepared["Statement"][0]["Resource"] == [
        "arn:aws:s3:::b/${cognito-identity.amazonaws.com_sub}/*",
        "arn:aws:s3:::b/us-east-1_????/public/*",
        "arn:aws:s3:::b",
    ]


# --- the allow list ----------------------------------------------------------------------------


def _finding(check: str, resource: str) -> Finding:
    return Finding(check, resource, "m", "checkov")


def test_patterns_match_whole_addresses_and_only_star_is_special() -> None:
    [entry] = allowlist.parse(
        {
            "allow": [
                {
                    "check": "CKV_1",
                    "resource": ['aws_route53_record.v["whimsy.space"]', "aws_x.fn_*"],
                    "reason": "x" * 40,
                }
            ]
        },
        "list.yaml",
    )
    verdict = allowlist.apply(
        [entry],
        [
            _finding("CKV_1", 'aws_route53_record.v["whimsy.space"]'),
            _finding("CKV_1", "aws_x.fn_a"),
            _finding("CKV_1", "aws_x.fn"),  # `fn_*` needs the underscore
            _finding("CKV_2", "aws_x.fn_a"),
            _finding("CKV_1", "module.m.aws_x.fn_a"),  # the whole address must match
        ],
    )
    assert [(f.check, f.resource) for f in verdict.new] == [
        ("CKV_1", "aws_x.fn"),
        ("CKV_1", "module.m.aws_x.fn_a"),
        ("CKV_2", "aws_x.fn_a"),
    ]
    assert verdict.stale == []


def test_an_entry_that_matches_nothing_is_stale(entries: list[allowlist.Entry]) -> None:
    """E.g. the webhook gets an authorizer: its allow-list entry must go in the same change."""
    findings = [_finding(e.check, p.replace("*", "x")) for e in entries for p in e.patterns]
    findings.remove(_finding("CKV_AWS_309", "aws_apigatewayv2_route.http_post_payments_webhook"))
    verdict = allowlist.apply(entries, findings)
    assert verdict.new == []
    [stale] = verdict.stale
    assert stale.render("review/gate-allowlist.yaml").endswith(
        "stale allow-list entry CKV_AWS_309 aws_apigatewayv2_route.http_post_payments_webhook: "
        "no such finding any more; remove it"
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"check": "CKV_AWS_1", "resource": "aws_s3_bucket.b"}, "missing reason"),
        (
            {"check": "CKV_AWS_1", "resource": "aws_s3_bucket.b", "reason": "false positive"},
            "reason 'false positive' does not explain anything",
        ),
        (
            {"check": "CKV_AWS_1", "resource": "aws_s3_bucket.b", "reason": "x" * 40, "until": 1},
            "unknown key(s) until",
        ),
        (
            {"check": "ckv-1", "resource": "aws_s3_bucket.b", "reason": "x" * 40},
            "check must be an id such as CKV_AWS_21",
        ),
        (
            {"check": "CKV_AWS_1", "resource": [], "reason": "x" * 40},
            "resource must be an address or a non-empty list",
        ),
    ],
)
def test_malformed_entries_are_refused_with_their_line(
    tmp_path: Path, entry: dict[str, Any], message: str
) -> None:
    path = tmp_path / "allow.yaml"
    path.write_text(
        "# header\nallow:\n"
        + "\n".join(
            f"  {'-' if i == 0 else ' '} {k}: {json.dumps(v)}"
            for i, (k, v) in enumerate(entry.items())
        )
    )
    with pytest.raises(UserError) as caught:
        allowlist.load(path)
    assert f"{path}:3: allow[0]: {message}" in str(caught.value)


def test_duplicates_are_refused() -> None:
    item = {"check": "CKV_AWS_1", "resource": "aws_s3_bucket.b", "reason": "x" * 40}
    with pytest.raises(UserError, match="already allowed"):
        allowlist.parse({"allow": [item, dict(item)]}, "list.yaml")


# --- checkov's report ----------------------------------------------------------------------------

SUMMARY_ONLY = {
    "passed": 0,
    "failed": 0,
    "skipped": 0,
    "parsing_errors": 0,
    "resource_count": 0,
    "checkov_version": "3.3.30",
}


def test_a_scan_of_zero_resources_is_a_problem() -> None:
    """What checkov prints, exit 0, for an empty plan, `{}` or a file that is not a plan."""
    scan = scanner.read_report(SUMMARY_ONLY)
    assert scan.findings == [] and scan.resource_count == 0
    assert scan.problems == [
        "checkov scanned zero resources: the plan is empty or was not understood, so a clean "
        "result would mean nothing"
    ]


def test_reports_of_several_frameworks_add_up() -> None:
    failed = {
        "check_id": "CKV_AWS_21",
        "check_name": "versioning",
        "resource": "aws_s3_bucket.b",
        "resource_address": "aws_s3_bucket.b",
    }
    one = {
        "check_type": "terraform_plan",
        "results": {"failed_checks": [failed]},
        "summary": {**SUMMARY_ONLY, "resource_count": 3, "failed": 1, "parsing_errors": 1},
    }
    scan = scanner.read_report([one, {**one, "summary": {**one["summary"], "parsing_errors": 0}}])
    assert scan.resource_count == 6
    assert scan.findings == [Finding("CKV_AWS_21", "aws_s3_bucket.b", "versioning", "checkov")]
    assert scan.problems == ["checkov could not parse 1 file(s)"]


def test_checkov_runs_offline() -> None:
    cmd = scanner.command("checkov", Path("plan.json"))
    assert "--skip-download" in cmd and cmd[cmd.index("--framework") + 1] == "terraform_plan"
    env = scanner.environment()
    assert env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true" and env["BC_SKIP_MAPPING"] == "TRUE"
    assert "BC_API_KEY" not in env


def test_a_missing_checkov_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(scanner.ENV_EXECUTABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"checkov is not installed: run \.ci/install-checkov\.sh"):
        scanner.locate(tmp_path)
    monkeypatch.setenv(scanner.ENV_EXECUTABLE, str(tmp_path / "nothing"))
    with pytest.raises(UserError, match="is not an executable file"):
        scanner.locate(tmp_path)


# --- the command, with a stand-in for checkov ----------------------------------------------------


def fake_checkov(tmp_path: Path, report: Any) -> Path:
    (tmp_path / "report.json").write_text(json.dumps(report))
    script = tmp_path / "checkov"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdout.write(open({str(tmp_path / 'report.json')!r}).read())\n"
        "sys.exit(1)\n"
    )
    script.chmod(0o755)
    return script


def run_gate(
    tmp_path: Path,
    report: Any,
    allow: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str]:
    monkeypatch.setenv(scanner.ENV_EXECUTABLE, str(fake_checkov(tmp_path, report)))
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "planned_values": {
                    "root_module": {
                        "resources": [{"address": "aws_s3_bucket.b", "mode": "managed"}]
                    }
                },
            }
        )
    )
    allow_path = tmp_path / "allow.yaml"
    allow_path.write_text(json.dumps({"allow": allow}))  # JSON is YAML
    parser = argparse.ArgumentParser()
    gate.add_arguments(parser)
    code = gate.run(
        parser.parse_args(
            ["--out", str(OUT), "--plan-json", str(plan), "--allowlist", str(allow_path)]
        )
    )
    return code, capsys.readouterr().out


def _committed_non_checkov_entries() -> list[dict[str, Any]]:
    return [
        {"check": e.check, "resource": list(e.patterns), "reason": e.reason}
        for e in allowlist.load(ALLOWLIST)
        if not e.check.startswith("CKV")
    ]


def test_gate_fails_on_a_new_finding_and_a_stale_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = {
        "check_id": "CKV_AWS_21",
        "check_name": "Ensure all data stored in the S3 bucket have versioning enabled",
        "resource": "aws_s3_bucket.b",
    }
    report = {
        "check_type": "terraform_plan",
        "results": {"failed_checks": [failed]},
        "summary": {**SUMMARY_ONLY, "resource_count": 1, "failed": 1},
    }
    stale = {
        "check": "CKV_AWS_68",
        "resource": "aws_cloudfront_distribution.gone",
        "reason": "This distribution was removed; the entry should have gone with it.",
    }
    code, output = run_gate(
        tmp_path, report, [*_committed_non_checkov_entries(), stale], capsys, monkeypatch
    )
    assert code == 1
    assert (
        "  CKV_AWS_21 aws_s3_bucket.b: Ensure all data stored in the S3 bucket have "
        "versioning enabled [checkov]"
    ) in output
    assert "stale allow-list entry CKV_AWS_68 aws_cloudfront_distribution.gone" in output
    assert "gate: FAILED (1 new findings, 1 stale allow-list entries, 0 scan problems)" in output


def test_gate_fails_on_a_scan_that_saw_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = run_gate(
        tmp_path, SUMMARY_ONLY, _committed_non_checkov_entries(), capsys, monkeypatch
    )
    assert code == 1
    assert "checkov scanned zero resources" in output
    assert "gate: FAILED (0 new findings, 0 stale allow-list entries, 1 scan problems)" in output


def test_gate_passes_when_everything_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = {
        "check_type": "terraform_plan",
        "results": {"failed_checks": []},
        "summary": {**SUMMARY_ONLY, "resource_count": 1, "passed": 4},
    }
    code, output = run_gate(tmp_path, report, _committed_non_checkov_entries(), capsys, monkeypatch)
    assert code == 0, output
    assert output.splitlines()[-2] == "gate: clean"


def test_importing_the_gate_loads_no_scanner() -> None:
    """The CLI imports the module to build its parser, for every command."""
    code = (
        "import sys, generator.review.gate\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('parliament', 'ruamel', 'jsii', 'cdktn', 'checkov', 'yaml')]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, env={**os.environ})
