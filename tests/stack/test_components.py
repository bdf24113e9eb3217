"""Properties of the synthesized Terraform: what each component promises, asserted directly."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

pytestmark = pytest.mark.synth


def resources(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = document["resource"].get(kind, {})
    return found


def one(document: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return resources(document, kind)[name]


def policy(resource: dict[str, Any]) -> dict[str, Any]:
    text = resource.get("policy") or resource["assume_role_policy"]
    # Terraform turns $${ into ${ when it reads the string; do the same to get the real JSON.
    parsed: dict[str, Any] = json.loads(text.replace("$${", "${"))
    return parsed


def test_settings_backend_and_provider_range(sample_terraform: dict[str, Any]) -> None:
    settings = sample_terraform["terraform"]
    assert settings["backend"] == {
        "s3": {
            "bucket": "whimsy-space-terraform-state",
            "key": "platform/terraform.tfstate",
            "region": "us-east-1",
            "encrypt": True,
            "use_lockfile": True,
        }
    }
    assert settings["required_providers"]["aws"] == {
        "source": "hashicorp/aws",
        "version": ">= 5.100, < 7.0",
    }
    providers = sample_terraform["provider"]["aws"]
    assert [p.get("alias") for p in providers] == [None, "us_east_1"]
    assert providers[1]["region"] == "us-east-1"
    assert providers[0]["default_tags"][0]["tags"]["ManagedBy"] == "whimsy"


def test_provider_range_admits_offline_and_current_majors() -> None:
    from generator.config.models import Project

    constraint = Project.model_fields["aws_provider_version"].default
    bounds = re.findall(r"([<>]=?)\s*([\d.]+)", constraint)

    def admits(version: str) -> bool:
        v = tuple(int(x) for x in version.split("."))
        for op, bound in bounds:
            b = tuple(int(x) for x in bound.split("."))
            b = b + (0,) * (3 - len(b))
            if not {"<": v < b, "<=": v <= b, ">": v > b, ">=": v >= b}[op]:
                return False
        return True

    assert admits("5.100.0") and admits("6.69.1")
    assert not admits("5.99.0") and not admits("7.0.0")


def test_no_cdktn_metadata_or_absolute_paths(sample_terraform: dict[str, Any]) -> None:
    text = json.dumps(sample_terraform)
    assert '"//"' not in text
    assert "/tmp" not in text and "/home" not in text and "/root" not in text
    assert "local" not in sample_terraform["terraform"]["backend"]


def test_certificate_in_us_east_1_with_dns_validation(sample_terraform: dict[str, Any]) -> None:
    certificate = one(sample_terraform, "aws_acm_certificate", "site")
    assert certificate["provider"] == "aws.us_east_1"
    assert certificate["domain_name"] == "whimsy.space"
    assert certificate["subject_alternative_names"] == ["*.whimsy.space"]
    assert certificate["validation_method"] == "DNS"
    assert certificate["lifecycle"]["create_before_destroy"] is True
    record = one(sample_terraform, "aws_route53_record", "certificate_validation")
    assert record["zone_id"] == "Z0123456789WHIMSYSPACE"
    assert record["for_each"] == '${toset(["whimsy.space"])}'
    validation = one(sample_terraform, "aws_acm_certificate_validation", "site")
    assert validation["provider"] == "aws.us_east_1"
    assert "aws_route53_record.certificate_validation" in validation["validation_record_fqdns"]


def test_validation_keys_share_wildcard_records() -> None:
    from generator.model.dns import validation_keys

    assert validation_keys(["a.org", "*.a.org"]) == ["a.org"]
    assert validation_keys(["*.a.org"]) == ["*.a.org"]
    assert validation_keys(["a.org", "api.a.org", "*.b.a.org"]) == [
        "*.b.a.org",
        "a.org",
        "api.a.org",
    ]


def test_user_files_bucket_is_secure_by_default(sample_terraform: dict[str, Any]) -> None:
    assert one(sample_terraform, "aws_s3_bucket", "user_files")["bucket"] == "whimsy-fs"
    ownership = one(sample_terraform, "aws_s3_bucket_ownership_controls", "user_files")
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"
    encryption = one(
        sample_terraform, "aws_s3_bucket_server_side_encryption_configuration", "user_files"
    )
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "AES256"
    }
    block = one(sample_terraform, "aws_s3_bucket_public_access_block", "user_files")
    # ACLs never; the (generated) bucket policy may be public because public folders exist.
    assert block["block_public_acls"] and block["ignore_public_acls"]
    assert not block["block_public_policy"] and not block["restrict_public_buckets"]
    versioning = one(sample_terraform, "aws_s3_bucket_versioning", "user_files")
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    (rule,) = one(sample_terraform, "aws_s3_bucket_lifecycle_configuration", "user_files")["rule"]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 30
    assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 7
    (cors,) = one(sample_terraform, "aws_s3_bucket_cors_configuration", "user_files")["cors_rule"]
    assert cors["allowed_origins"] == ["https://whimsy.space", "https://*.whimsy.space"]
    assert "ETag" in cors["expose_headers"]
    logging = one(sample_terraform, "aws_s3_bucket_logging", "user_files")
    assert logging["target_bucket"] == "${aws_s3_bucket.access_logs.id}"
    bucket_policy = one(sample_terraform, "aws_s3_bucket_policy", "user_files")
    assert bucket_policy["depends_on"] == ["aws_s3_bucket_public_access_block.user_files"]
    deny = policy(bucket_policy)["Statement"][0]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_log_bucket_is_fully_private(sample_terraform: dict[str, Any]) -> None:
    block = one(sample_terraform, "aws_s3_bucket_public_access_block", "access_logs")
    assert all(block[key] for key in ("block_public_acls", "ignore_public_acls",
                                      "block_public_policy", "restrict_public_buckets"))  # fmt: skip
    statements = policy(one(sample_terraform, "aws_s3_bucket_policy", "access_logs"))["Statement"]
    assert statements[1]["Principal"] == {"Service": "logging.s3.amazonaws.com"}


def test_private_platform_blocks_all_public_access(minimal_terraform: dict[str, Any]) -> None:
    block = one(minimal_terraform, "aws_s3_bucket_public_access_block", "user_files")
    assert block["block_public_policy"] and block["restrict_public_buckets"]
    statements = policy(one(minimal_terraform, "aws_s3_bucket_policy", "user_files"))["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport"]


def test_public_policy_is_only_top_level_public_folders(sample_terraform: dict[str, Any]) -> None:
    statements = policy(one(sample_terraform, "aws_s3_bucket_policy", "user_files"))["Statement"]
    public = [s for s in statements if s["Effect"] == "Allow"]
    assert public == [
        {
            "Sid": "PublicFolders",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::whimsy-fs/us-east-1:????????-????-????-????-????????????/public/*",
        }
    ]


def test_policy_variables_are_escaped_for_terraform(sample_terraform: dict[str, Any]) -> None:
    text = json.dumps(sample_terraform)
    assert "$${cognito-identity.amazonaws.com:sub}" in text
    assert re.search(r"(?<!\$)\$\{cognito-identity", text) is None


def test_cognito_user_pool_and_client(sample_terraform: dict[str, Any]) -> None:
    pool = one(sample_terraform, "aws_cognito_user_pool", "users")
    assert pool["username_attributes"] == ["email"]
    assert pool["auto_verified_attributes"] == ["email"]
    assert pool["mfa_configuration"] == "OPTIONAL"
    assert pool["software_token_mfa_configuration"] == {"enabled": True}
    assert pool["deletion_protection"] == "ACTIVE"
    assert pool["password_policy"]["minimum_length"] == 12
    client = one(sample_terraform, "aws_cognito_user_pool_client", "web")
    assert client["generate_secret"] is False
    assert client["explicit_auth_flows"] == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    assert client["prevent_user_existence_errors"] == "ENABLED"
    assert client["token_validity_units"] == [
        {"access_token": "minutes", "id_token": "minutes", "refresh_token": "days"}
    ]


def test_identity_pool_and_role_trust(sample_terraform: dict[str, Any]) -> None:
    pool = one(sample_terraform, "aws_cognito_identity_pool", "identities")
    assert pool["allow_unauthenticated_identities"] is False
    assert pool["allow_classic_flow"] is False
    assert pool["cognito_identity_providers"][0]["server_side_token_check"] is True
    for role in ("authenticated", "admin"):
        (statement,) = policy(one(sample_terraform, "aws_iam_role", role))["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"] == {
            "StringEquals": {
                "cognito-identity.amazonaws.com:aud": "${aws_cognito_identity_pool.identities.id}"
            },
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
        }
    attachment = one(sample_terraform, "aws_cognito_identity_pool_roles_attachment", "identities")
    assert attachment["roles"] == {"authenticated": "${aws_iam_role.authenticated.arn}"}
    assert attachment["role_mapping"][0]["type"] == "Token"
    group = one(sample_terraform, "aws_cognito_user_group", "admins")
    assert group["role_arn"] == "${aws_iam_role.admin.arn}"


def test_guests_get_a_role_with_no_permissions(minimal_terraform: dict[str, Any]) -> None:
    pool = one(minimal_terraform, "aws_cognito_identity_pool", "identities")
    assert pool["allow_unauthenticated_identities"] is True
    guest = one(minimal_terraform, "aws_iam_role", "guest")
    condition = policy(guest)["Statement"][0]["Condition"]
    assert condition["ForAnyValue:StringLike"] == {
        "cognito-identity.amazonaws.com:amr": "unauthenticated"
    }
    assert "guest" not in resources(minimal_terraform, "aws_iam_role_policy")
    assert "inline_policy" not in guest and "managed_policy_arns" not in guest


def test_tables_are_on_demand_recoverable_and_protected(sample_terraform: dict[str, Any]) -> None:
    tables = resources(sample_terraform, "aws_dynamodb_table")
    assert set(tables) == {
        "whimsy_user_data", "zineos_system_config", "whimsy_handles", "whimsy_entitlements",
        "whimsy_usage", "whimsy_catalog", "whimsy_collab", "whimsy_services",
    }  # fmt: skip
    for table in tables.values():
        assert table["billing_mode"] == "PAY_PER_REQUEST"
        assert table["point_in_time_recovery"] == {"enabled": True}
        assert table["server_side_encryption"] == {"enabled": True}
        assert table["deletion_protection_enabled"] is True
    user_data = tables["whimsy_user_data"]
    assert user_data["hash_key"] == "identity_id" and user_data["range_key"] == "key"
    assert "range_key" not in tables["zineos_system_config"]


def test_role_policy_matches_the_review_file(sample_terraform: dict[str, Any], repo: Any) -> None:
    """out/policies/ shows reviewers exactly what is deployed (modulo Terraform references)."""
    deployed = policy(one(sample_terraform, "aws_iam_role_policy", "authenticated"))
    review = json.loads((repo / "out/policies/role-authenticated.json").read_text())
    as_deployed = json.loads(json.dumps(review).replace("${tf:", "${"))
    assert deployed == as_deployed


def test_functions_deploy_the_generated_zips(
    sample_terraform: dict[str, Any], sample_tree: dict[str, bytes], sample_config: Any
) -> None:
    import base64
    import hashlib

    lambdas = resources(sample_terraform, "aws_lambda_function")
    assert len(lambdas) == len(sample_config.functions) == 8
    for name, function in sample_config.functions.items():
        local = "fn_" + name.replace("-", "_")
        deployed = lambdas[local]
        archive = sample_tree[f"lambdas/{name}.zip"]
        assert deployed["filename"] == f"${{path.module}}/../lambdas/{name}.zip"
        assert (
            deployed["source_code_hash"]
            == base64.b64encode(hashlib.sha256(archive).digest()).decode()
        )
        assert deployed["function_name"] == f"whimsy-{name}"
        assert deployed["runtime"] == function.runtime == "python3.12"
        assert deployed["architectures"] == ["arm64"]
        assert deployed["memory_size"] == function.memory_mb
        assert deployed["timeout"] == function.timeout_seconds
        assert deployed["role"] == f"${{aws_iam_role.{local}.arn}}"
        assert deployed["depends_on"] == [
            f"aws_cloudwatch_log_group.{local}",
            f"aws_iam_role_policy.{local}",
        ]
        log_group = one(sample_terraform, "aws_cloudwatch_log_group", local)
        assert log_group["name"] == f"/aws/lambda/whimsy-{name}"
        assert log_group["retention_in_days"] == function.log_retention_days
    assert lambdas["fn_subdomain_proxy"]["memory_size"] == 512
    assert lambdas["fn_collab"]["timeout"] == 30


def test_secrets_are_containers_only(sample_terraform: dict[str, Any]) -> None:
    secrets = resources(sample_terraform, "aws_secretsmanager_secret")
    assert sorted(s["name"] for s in secrets.values()) == [
        "whimsy/services-signing-key",
        "whimsy/stripe-secret-key",
        "whimsy/stripe-webhook-secret",
    ]
    assert "aws_secretsmanager_secret_version" not in sample_terraform["resource"]
    assert "secret_string" not in json.dumps(sample_terraform)


def test_function_trust_is_lambda_only(sample_terraform: dict[str, Any]) -> None:
    for local, role in resources(sample_terraform, "aws_iam_role").items():
        if local.startswith("fn_"):
            (statement,) = policy(role)["Statement"]
            assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
            assert statement["Action"] == "sts:AssumeRole"


def test_well_known_files_trigger_their_indexers(sample_terraform: dict[str, Any]) -> None:
    notification = one(sample_terraform, "aws_s3_bucket_notification", "user_files")
    catalog, services = notification["lambda_function"]
    assert catalog["lambda_function_arn"] == "${aws_lambda_function.fn_catalog.arn}"
    assert catalog["events"] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert catalog["filter_suffix"] == "public/whimsy.space/profile.json"
    assert services["lambda_function_arn"] == "${aws_lambda_function.fn_services.arn}"
    assert services["filter_suffix"] == "public/whimsy.space/services.json"
    assert notification["depends_on"] == [
        "aws_lambda_permission.fn_catalog_s3", "aws_lambda_permission.fn_services_s3"
    ]  # fmt: skip
    permission = one(sample_terraform, "aws_lambda_permission", "fn_catalog_s3")
    assert permission["principal"] == "s3.amazonaws.com"
