"""`whimsy diff`: access and resource changes between two generated trees."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.review import diff
from tests.conftest import REPO

PUBLIC = "whimsy-fs/us-east-1:????????-????-????-????-????????????/public/*"


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO / "out/terraform/main.tf.json").read_text())
    return document


def edited(
    document: dict[str, Any], kind: str, name: str, edit: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(document))
    edit(copy["resource"][kind][name])
    return copy


def edit_policy(attribute: str, old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        assert old in body[attribute], old
        body[attribute] = body[attribute].replace(old, new)

    return change


def test_no_change_no_finding(sample: dict[str, Any]) -> None:
    report = diff.compare(sample, sample)
    assert report.access == [] and report.resources == [] and not report.widened


def test_widened_public_path_is_widened(sample: dict[str, Any]) -> None:
    after = edited(
        sample,
        "aws_s3_bucket_policy",
        "user_files",
        edit_policy("policy", PUBLIC, "whimsy-fs/*/public/*"),
    )
    report = diff.compare(sample, after)
    assert report.widened
    [change] = report.access
    assert change.holder == "bucket policy whimsy-fs"
    assert (
        change.what
        == f'Allow s3:getobject on arn:aws:s3:::{PUBLIC} -> arn:aws:s3:::whimsy-fs/*/public/* to "*"'
    )
    assert [(r.kind, r.address, r.attributes) for r in report.resources] == [
        ("changed", "aws_s3_bucket_policy.user_files", ("policy",))
    ]


def test_narrowed_public_path_is_narrowed(sample: dict[str, Any]) -> None:
    narrower = PUBLIC.replace("public/*", "public/site/*")
    after = edited(
        sample, "aws_s3_bucket_policy", "user_files", edit_policy("policy", PUBLIC, narrower)
    )
    report = diff.compare(sample, after)
    assert not report.widened and [c.direction for c in report.access] == ["narrowed"]


def test_dropped_partition_condition_widens_and_adding_it_back_narrows(
    sample: dict[str, Any],
) -> None:
    guard = ',"Null":{"dynamodb:LeadingKeys":"false"}'
    after = edited(sample, "aws_iam_role_policy", "authenticated", edit_policy("policy", guard, ""))
    forward = diff.compare(sample, after)
    assert forward.widened
    assert {c.holder for c in forward.access} == {"role whimsy-authenticated"}
    assert all("conditions" in c.what and c.direction == "widened" for c in forward.access)
    backward = diff.compare(after, sample)
    assert not backward.widened and {c.direction for c in backward.access} == {"narrowed"}


def test_removed_tls_deny_widens(sample: dict[str, Any]) -> None:
    def drop_deny(body: dict[str, Any]) -> None:
        policy = json.loads(body["policy"])
        policy["Statement"] = [s for s in policy["Statement"] if s["Effect"] != "Deny"]
        body["policy"] = json.dumps(policy)

    report = diff.compare(sample, edited(sample, "aws_s3_bucket_policy", "user_files", drop_deny))
    assert report.widened
    assert report.access[0].what.startswith("no longer denies s3:* on arn:aws:s3:::whimsy-fs")


def test_new_grant_widens_removed_grant_narrows(sample: dict[str, Any]) -> None:
    scan = '"dynamodb:Query","dynamodb:UpdateItem"'
    after = edited(
        sample,
        "aws_iam_role_policy",
        "authenticated",
        edit_policy("policy", scan, scan + ',"dynamodb:Scan"'),
    )
    report = diff.compare(sample, after)
    assert [(c.direction, c.holder) for c in report.access] == [
        ("widened", "role whimsy-authenticated")
    ]
    assert report.access[0].what.startswith(
        "now grants dynamodb:scan on arn:aws:dynamodb:us-east-1:123456789012:table/whimsy-user-data"
    )
    reverse = diff.compare(after, sample)
    assert [c.direction for c in reverse.access] == ["narrowed"]


def test_trust_without_amr_widens(sample: dict[str, Any]) -> None:
    amr = ',"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}'
    after = edited(
        sample, "aws_iam_role", "authenticated", edit_policy("assume_role_policy", amr, "")
    )
    report = diff.compare(sample, after)
    assert report.widened and report.access[0].holder == "trust of role whimsy-authenticated"


def test_resource_changes_added_removed_replaced_changed(sample: dict[str, Any]) -> None:
    after: dict[str, Any] = json.loads(json.dumps(sample))
    tables = after["resource"]["aws_dynamodb_table"]
    tables["whimsy_user_data"]["name"] = "whimsy-user-data-v2"  # ForceNew
    tables["whimsy_new"] = dict(tables["whimsy_usage"], name="whimsy-new")
    del after["resource"]["aws_dynamodb_table_item"]
    after["resource"]["aws_lambda_function"]["fn_usage"]["memory_size"] = 1024
    kinds = {(r.kind, r.address) for r in diff.compare(sample, after).resources}
    assert ("replaced", "aws_dynamodb_table.whimsy_user_data") in kinds
    assert ("added", "aws_dynamodb_table.whimsy_new") in kinds
    assert ("changed", "aws_lambda_function.fn_usage") in kinds
    assert any(
        kind == "removed" and address.startswith("aws_dynamodb_table_item.")
        for kind, address in kinds
    )


def test_a_pattern_with_policy_variables_compares_them_literally() -> None:
    own = "arn:aws:s3:::whimsy-fs/${cognito-identity.amazonaws.com:sub}/*"
    assert not diff._pattern_widens(own, own.replace("/*", "/public/*"))
    assert diff._pattern_widens(own, "arn:aws:s3:::whimsy-fs/*")
    assert diff._pattern_widens(
        own, own.replace("${cognito-identity.amazonaws.com:sub}", "${aws:userid}")
    )


def write_out(root: Path, document: dict[str, Any]) -> Path:
    (root / "terraform").mkdir(parents=True, exist_ok=True)
    (root / "terraform/main.tf.json").write_text(json.dumps(document))
    return root


def test_cli_base_dir_markdown_and_exit_code(
    tmp_path: Path, sample: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_out(tmp_path / "base", sample)
    after = edited(
        sample, "aws_s3_bucket_policy", "user_files", edit_policy("policy", PUBLIC, "whimsy-fs/*")
    )
    out = write_out(tmp_path / "out", after)
    assert (
        main(["diff", "--base-dir", str(base), "-o", str(out), "--format", "markdown"])
        == diff.EXIT_CRITICAL
    )
    printed = capsys.readouterr().out
    assert printed.startswith(
        "### whimsy diff: CRITICAL: private data exposed or trust widened; do not merge without "
        "a security review (bucket policy whimsy-fs: anyone may now reach beyond "
        "<identity-id>/public/)"
    )
    assert "| 🛑 critical | `bucket policy whimsy-fs` |" in printed
    assert main(["diff", "--base-dir", str(base), "-o", str(base)]) == 0
    assert "Access: 0 widened, 0 narrowed" in capsys.readouterr().out


def test_cli_base_git_ref(
    tmp_path: Path, sample: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "ops"
    out = write_out(repo / "out", sample)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "base"], check=True)
    narrower = edited(
        sample,
        "aws_s3_bucket_policy",
        "user_files",
        edit_policy("policy", PUBLIC, PUBLIC.replace("public/*", "public/a/*")),
    )
    write_out(out, narrower)
    assert main(["diff", "--base", "HEAD", "-o", str(out)]) == 0
    assert "NARROWED bucket policy whimsy-fs" in capsys.readouterr().out
    assert main(["diff", "--base", "no-such-ref", "-o", str(out)]) == 1
    assert "no-such-ref" in capsys.readouterr().err
    shutil.rmtree(out / "terraform")
    write_out(out, sample)


def test_cli_first_generation_is_all_added(
    tmp_path: Path, sample: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = write_out(tmp_path / "out", sample)
    # the delivery roles are new (an administrator applies them) and the uploads function
    # writes into every user's paint-composer/ folder: high, not critical
    assert main(["diff", "--base-dir", str(empty), "-o", str(out)]) == diff.EXIT_HIGH
    assert (
        f"Resources: {sum(len(v) for v in sample['resource'].values())} added"
        in capsys.readouterr().out
    )


# --- data loss ----------------------------------------------------------------------------------


def _set(attribute: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        assert attribute in body, attribute
        body[attribute] = value

    return change


def test_sort_key_change_is_data_loss_first_in_text_and_markdown(
    tmp_path: Path, sample: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_out(tmp_path / "base", sample)
    after = edited(sample, "aws_dynamodb_table", "whimsy_user_data", _set("range_key", "sort"))
    out = write_out(tmp_path / "out", after)
    assert main(["diff", "--base-dir", str(base), "-o", str(out)]) == diff.EXIT_DATA_LOSS
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "DATA LOSS: 1 stateful resource destroyed or replaced"
    assert text[1] == (
        "  aws_dynamodb_table.whimsy_user_data: loses its table (every item); "
        "replaced (destroyed and created anew) because range_key changed"
    )
    assert "  -/+ aws_dynamodb_table.whimsy_user_data (range_key)" in text
    args = ["diff", "--base-dir", str(base), "-o", str(out), "--format", "markdown"]
    assert main(args) == diff.EXIT_DATA_LOSS
    markdown = capsys.readouterr().out
    assert markdown.startswith("## ⚠ DATA LOSS: 1 stateful resource destroyed or replaced\n")
    assert (
        "| `aws_dynamodb_table.whimsy_user_data` | table (every item) | "
        "replaced (destroyed and created anew) because range_key changed |"
    ) in markdown
    assert markdown.index("DATA LOSS") < markdown.index("### whimsy diff")


@pytest.mark.parametrize(
    ("kind", "name", "attribute", "value"),
    [
        ("aws_dynamodb_table", "whimsy_user_data", "hash_key", "owner"),
        ("aws_dynamodb_table", "whimsy_user_data", "name", "whimsy-user-data-v2"),
        ("aws_s3_bucket", "user_files", "bucket", "whimsy-fs-2"),
        ("aws_cognito_identity_pool", "identities", "identity_pool_name", "whimsy_ids"),
    ],
)
def test_a_replacing_attribute_of_a_stateful_resource_is_data_loss(
    sample: dict[str, Any], kind: str, name: str, attribute: str, value: str
) -> None:
    report = diff.compare(sample, edited(sample, kind, name, _set(attribute, value)))
    [loss] = report.data_loss
    assert loss.address == f"{kind}.{name}" and attribute in loss.why
    assert report.exit_code == diff.EXIT_DATA_LOSS


def test_a_removed_table_is_data_loss_unless_retired(sample: dict[str, Any]) -> None:
    after: dict[str, Any] = json.loads(json.dumps(sample))
    del after["resource"]["aws_dynamodb_table"]["whimsy_handles"]
    report = diff.compare(sample, after)
    assert [(loss.address, loss.lost, loss.why) for loss in report.data_loss] == [
        (
            "aws_dynamodb_table.whimsy_handles",
            "table (every item)",
            "removed from the config (Terraform destroys it)",
        )
    ]
    assert report.exit_code == diff.EXIT_DATA_LOSS
    after["removed"] = [
        {"from": "aws_dynamodb_table.whimsy_handles", "lifecycle": {"destroy": False}}
    ]
    retired = diff.compare(sample, after)
    assert retired.data_loss == [] and retired.exit_code != diff.EXIT_DATA_LOSS
    assert (
        "  -   aws_dynamodb_table.whimsy_handles (retired: Terraform forgets it, AWS keeps it)"
        in diff.render_text(retired)
    )


def test_a_replaced_lambda_is_no_data_loss(sample: dict[str, Any]) -> None:
    after = edited(sample, "aws_lambda_function", "fn_usage", _set("function_name", "usage-v2"))
    report = diff.compare(sample, after)
    assert ("replaced", "aws_lambda_function.fn_usage") in {
        (r.kind, r.address) for r in report.resources
    }
    assert report.data_loss == [] and report.exit_code != diff.EXIT_DATA_LOSS
    assert "DATA LOSS" not in diff.render_text(report) + diff.render_markdown(report)


def test_data_loss_is_high_and_shown_first_even_next_to_a_critical_change(
    tmp_path: Path, sample: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    lost = json.loads(json.dumps(sample))
    del lost["resource"]["aws_dynamodb_table"]["zineos_system_config"]
    report = diff.compare(sample, lost)
    assert report.severity == "high" and report.exit_code == diff.EXIT_DATA_LOSS
    after = edited(
        lost, "aws_s3_bucket_policy", "user_files", edit_policy("policy", PUBLIC, "whimsy-fs/*")
    )
    base = write_out(tmp_path / "base", sample)
    out = write_out(tmp_path / "out", after)
    assert main(["diff", "--base-dir", str(base), "-o", str(out)]) == diff.EXIT_CRITICAL
    printed = capsys.readouterr().out
    assert printed.startswith("DATA LOSS:")
    assert "CRITICAL bucket policy whimsy-fs" in printed


# --- severity -----------------------------------------------------------------------------------

FN_CATALOG_S3 = (
    "whimsy-fs/us-east-1:????????-????-????-????-????????????/public/whimsy.space/profile.json"
)


def test_a_function_granted_every_users_folder_is_high(sample: dict[str, Any]) -> None:
    whole = "whimsy-fs/us-east-1:????????-????-????-????-????????????/*"
    after = edited(
        sample, "aws_iam_role_policy", "fn_catalog", edit_policy("policy", FN_CATALOG_S3, whole)
    )
    report = diff.compare(sample, after)
    assert report.severity == "high" and report.exit_code == diff.EXIT_HIGH
    assert {(c.severity, c.holder, c.why) for c in report.access if c.direction == "widened"} == {
        ("high", "role whimsy-catalog-fn", "reaches into every user's private files")
    }


def test_a_users_role_reaching_other_users_files_is_critical(sample: dict[str, Any]) -> None:
    own = "whimsy-fs/$${cognito-identity.amazonaws.com:sub}/*"  # as Terraform JSON escapes it
    after = edited(
        sample, "aws_iam_role_policy", "authenticated", edit_policy("policy", own, "whimsy-fs/*")
    )
    report = diff.compare(sample, after)
    assert report.exit_code == diff.EXIT_CRITICAL
    assert report.access[0].why == "a user's role reaches other users' private files"


def test_a_new_per_user_table_is_routine(sample: dict[str, Any]) -> None:
    def add_table(body: dict[str, Any]) -> None:
        policy = json.loads(body["policy"])
        [own] = [st for st in policy["Statement"] if st.get("Sid") == "OwnItemsWhimsyUserData"]
        notes = json.loads(json.dumps(own).replace("whimsy_user_data", "whimsy_notes"))
        notes["Sid"] = "OwnItemsWhimsyNotes"
        policy["Statement"].append(notes)
        body["policy"] = json.dumps(policy)

    after = edited(sample, "aws_iam_role_policy", "authenticated", add_table)
    report = diff.compare(sample, after)
    widened = [c for c in report.access if c.direction == "widened"]
    assert widened and {c.severity for c in widened} == {"routine"}
    assert {c.why for c in widened} == {"confined to the caller's own partition"}
    assert report.exit_code == diff.EXIT_WIDENED


def test_a_trust_widened_to_another_account_is_critical(sample: dict[str, Any]) -> None:
    def trust_another_account(body: dict[str, Any]) -> None:
        trust = json.loads(body["assume_role_policy"])
        trust["Statement"].append({"Effect": "Allow", "Action": "sts:AssumeRole",
                                   "Principal": {"AWS": "arn:aws:iam::999999999999:root"}})  # fmt: skip
        body["assume_role_policy"] = json.dumps(trust)

    after = edited(sample, "aws_iam_role", "fn_catalog", trust_another_account)
    report = diff.compare(sample, after)
    assert report.exit_code == diff.EXIT_CRITICAL
    [change] = report.access
    assert (change.holder, change.why) == (
        "trust of role whimsy-catalog-fn", "who may assume the role widened")  # fmt: skip
    assert diff.headline(report).startswith("CRITICAL")


def test_each_severity_has_its_exit_code() -> None:
    assert [diff.EXIT_CODES[s] for s in diff.SEVERITIES] == [5, 4, 3, 0]


def test_a_renamed_table_is_one_row_per_holder_not_one_per_action(sample: dict[str, Any]) -> None:
    after = edited(sample, "aws_dynamodb_table", "whimsy_catalog", _set("name", "whimsy-software"))
    report = diff.compare(sample, after)
    [change] = report.access  # the catalog function's eight actions, moved together
    assert change.holder == "role whimsy-catalog-fn" and change.severity == "routine"
    assert change.what.split(" on ")[0].count("dynamodb:") == 8
    assert change.what.endswith("table/whimsy-catalog -> arn:aws:dynamodb:us-east-1:123456789012:"
                                "table/whimsy-software")  # fmt: skip
    assert [loss.address for loss in report.data_loss] == ["aws_dynamodb_table.whimsy_catalog"]


def test_a_table_named_outside_the_prefix_needs_an_administrator_apply(
    sample: dict[str, Any],
) -> None:
    legacy = "arn:aws:dynamodb:us-east-1:*:table/zineos-legacy-notes"

    def also_legacy(body: dict[str, Any]) -> None:
        policy = json.loads(body["policy"])
        [tables] = [
            st for st in policy["Statement"] if st.get("Sid") == "ReadPlatformConfiguration"
        ]
        tables["Resource"].append(legacy)
        body["policy"] = json.dumps(policy)

    after = edited(sample, "aws_iam_role_policy", "plan", also_legacy)
    report = diff.compare(sample, after)
    assert report.administrator_apply == ["aws_iam_role_policy.plan"]
    [change] = report.access
    # only the table's own actions: the statement's iam, lambda and s3 reads do not apply to it
    assert change.what.startswith("now grants ") and legacy in change.what
    assert "dynamodb:" in change.what
    assert all(not word.startswith(("iam:", "lambda:", "s3:")) for word in change.what.split())
    assert change.why == "the delivery roles: needs an administrator apply"
    markdown = diff.render_markdown(report)
    assert "**Apply: needs an administrator apply" in markdown
    assert "aws_iam_role_policy.plan" in markdown.split("\n")[2]


def test_a_change_of_platform_resources_only_is_applied_by_ci(sample: dict[str, Any]) -> None:
    after = edited(sample, "aws_dynamodb_table", "whimsy_catalog", _set("name", "whimsy-software"))
    report = diff.compare(sample, after)
    assert report.administrator_apply == []
    assert "Apply: by CI" in diff.render_text(report)
    assert "**Apply: by CI" in diff.render_markdown(report)


def test_a_statement_names_only_grants_of_each_resources_own_service() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Action": ["iam:GetRole", "dynamodb:DescribeTable"],
                             "Resource": ["arn:aws:iam::*:role/whimsy-*",
                                          "arn:aws:dynamodb:us-east-1:*:table/whimsy-*", "*"]}]}  # fmt: skip
    found = {(g.action, g.resource) for g in diff._grants("role r", policy)}
    assert found == {
        ("iam:getrole", "arn:aws:iam::*:role/whimsy-*"),
        ("dynamodb:describetable", "arn:aws:dynamodb:us-east-1:*:table/whimsy-*"),
        ("iam:getrole", "*"),
        ("dynamodb:describetable", "*"),
    }
