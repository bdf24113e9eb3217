"""Adopting the running platform, end to end, on the emulator: the legacy account made with
plain boto3 (tests/adopt/legacy.py), then what an operator runs (docs/adopt.md): `whimsy
adopt --write`, the confirmations validate asks for, `whimsy generate`, a plan that imports
every stateful resource and destroys or replaces none, the apply, a second plan with no
changes, and an inventory identical to the one taken before: every object version and ETag,
every user and item, the same pool, client and identity pool ids; users sign in with their
old passwords, keep their identity ids and read their own files."""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.adopt import _yaml
from generator.config import load_config
from generator.local.seed import sign_in
from generator.local.terraform import duplicate_permissions
from generator.model.stateful import is_stateful
from generator.review.gate import rules
from tests.adopt import legacy
from tests.adopt.conftest import Account, deployment, planned, project, sample_text, whimsy

pytestmark = [pytest.mark.e2e, pytest.mark.terraform]

# provider #20298 again, at apply: an imported client's generate_secret is null in the state
# (never read back); the first update records false and reports the difference as an
# "inconsistent result" although it applied. The state then holds false and a second apply
# completes (docs/adopt.md, step 6).
CLIENT_SECRET_TRAP = re.compile(
    r"When applying changes to aws_cognito_user_pool_client\.\w+.*?\.generate_secret: was null, "
    r"but now cty\.False",
    re.DOTALL,
)


@dataclass
class Adoption:
    config: Path
    report: str  # what `whimsy adopt --write` printed
    unconfirmed: str  # what validate said before the confirmations
    plan: dict[str, Any]
    first_apply_trap: bool
    replan_exit_code: int
    after: dict[str, Any]
    terraform: Any
    seconds: dict[str, float]


def confirm(config: Path) -> None:
    """What the operator adds after reading the report: each destructive change, confirmed."""
    yaml = _yaml()
    document = yaml.load(config.read_text(encoding="utf-8"))
    document["adopt"]["user_pool"]["remove_auth_flows"] = True
    bucket = document["adopt"]["buckets"][0]
    bucket["replace"] = ["policy"]
    bucket["expire_noncurrent_versions"] = True
    stream = io.StringIO()
    yaml.dump(document, stream)
    config.write_text(stream.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def adoption(legacy_account: Account, tmp_path_factory: pytest.TempPathFactory) -> Adoption:
    account, seconds = legacy_account, {"legacy account": legacy_account.build_seconds}
    base = tmp_path_factory.mktemp("adoption")
    config = project(base / "project", sample_text(account.legacy.zone_id))

    def timed(step: str, *args: str) -> Any:
        started = time.perf_counter()
        result = whimsy(*args, cwd=config.parent)
        seconds[step] = time.perf_counter() - started
        return result

    adopted = timed("whimsy adopt", "adopt", "--write", "--endpoint-url", account.endpoint)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    unconfirmed = whimsy("validate", cwd=config.parent)
    assert unconfirmed.returncode == 1, unconfirmed.stdout
    confirm(config)
    generated = timed("whimsy generate", "generate")
    assert generated.returncode == 0, generated.stdout + generated.stderr

    started = time.perf_counter()
    terraform = deployment(config.parent / "out", base / "state", account.endpoint,
                           account.legacy.zone_id)  # fmt: skip
    plan = planned(terraform, "adopt")
    seconds["terraform init + plan"] = time.perf_counter() - started
    started = time.perf_counter()
    trap = False
    try:
        terraform.run("apply", "apply", "-input=false", "-no-color", "-auto-approve",
                      "-parallelism=10", "adopt.tfplan")  # fmt: skip
    except Exception:
        log = (base / "state" / "terraform-apply.log").read_text(encoding="utf-8")
        # the trap, and at most what the loaded emulator recorded twice (imported by the
        # wrapper on the next apply, as `whimsy local up` does)
        duplicates = len(duplicate_permissions(log)) + len(re.findall("already exists", log))
        assert CLIENT_SECRET_TRAP.search(log), log[-4000:]
        assert log.count("Error: ") <= 1 + duplicates, log[-4000:]
        trap = True
        terraform.apply("apply-again")
    seconds["terraform apply"] = time.perf_counter() - started
    started = time.perf_counter()
    replan = terraform.plan_exit_code()
    seconds["second plan"] = time.perf_counter() - started
    print("\nadoption on the emulator: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return Adoption(config, adopted.stdout, unconfirmed.stderr, plan, trap, replan,
                    account.inventory(), terraform, seconds)  # fmt: skip


def _changes(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["address"]: c["change"] for c in plan["resource_changes"] if c["mode"] == "managed"}


def test_adopt_reports_what_the_first_apply_changes(adoption: Adoption) -> None:
    report = adoption.report
    assert "adopt: 0 refused, 3 to confirm, 1 to know" in report
    assert "allows ALLOW_USER_PASSWORD_AUTH; the first apply removes them" in report
    assert "whimsy-fs's policy (1 statement(s)) is replaced" in report
    assert "keeps every old version today" in report
    # the seed's '*/public/*' also opened <id>/drafts/public/: whimsy's policy does not
    assert report.count("drafts/public/idea.txt") == 3
    # validate refuses the written block until each of them is confirmed, at its position
    lines = adoption.unconfirmed.splitlines()
    assert lines[-1] == "3 errors in whimsy_config.yaml"
    assert all(re.match(r"whimsy_config\.yaml:\d+:\d+: adopt\.", line) for line in lines[:-1])


def test_the_block_names_the_live_ids(adoption: Adoption, legacy_account: Account) -> None:
    adopt = load_config(adoption.config).config.adopt
    live = legacy_account.legacy
    assert adopt.user_pool is not None and adopt.identity_pool is not None
    assert (adopt.user_pool.id, adopt.user_pool.client_id) == (live.user_pool_id, live.client_id)
    assert adopt.identity_pool.id == live.identity_pool_id
    assert adopt.certificate_arn == live.certificate_arn
    assert adopt.distributions == {f"danielx.{legacy.APEX}": live.distribution_id}
    assert adopt.tables == [legacy.TABLE]
    assert [b.name for b in adopt.buckets] == [legacy.BUCKET]
    # the rest of the file is as the operator wrote it, comments and all
    before = sample_text(live.zone_id).splitlines()
    assert adoption.config.read_text(encoding="utf-8").splitlines()[: len(before)] == before


def test_the_plan_imports_every_stateful_resource_and_destroys_nothing(
    adoption: Adoption,
) -> None:
    changes = _changes(adoption.plan)
    imported = {address for address, change in changes.items() if change.get("importing")}
    assert imported == {
        "aws_acm_certificate.site",
        "aws_cloudfront_distribution.user_site_danielx",
        "aws_cognito_identity_pool.identities",
        "aws_cognito_identity_pool_roles_attachment.identities",
        "aws_cognito_user_pool.users",
        "aws_cognito_user_pool_client.web",
        "aws_dynamodb_table.whimsy_user_data",
        "aws_route53_record.user_site_danielx_a",
        "aws_route53_record.user_subdomains_a",
        "aws_s3_bucket.user_files",
        "aws_s3_bucket_ownership_controls.user_files",
        "aws_s3_bucket_policy.user_files",
        "aws_s3_bucket_server_side_encryption_configuration.user_files",
        "aws_s3_bucket_versioning.user_files",
    }
    stateful = {a: c for a, c in changes.items() if is_stateful(a.split(".")[0])}
    assert [a for a, c in stateful.items() if "delete" in c["actions"]] == []  # 0 destroy/replace
    created = {a for a, c in stateful.items() if c["actions"] == ["create"]}
    # what did not exist is created: the other buckets and tables; nothing adopted among them
    assert created.isdisjoint(imported)
    assert "aws_dynamodb_table.whimsy_handles" in created
    # the one replacement is the identity pool's role mapping (its roles change), not data
    replaced = [a for a, c in changes.items() if "delete" in c["actions"]]
    assert replaced == ["aws_cognito_identity_pool_roles_attachment.identities"]
    # and the gate's data-loss rule agrees
    adopt = load_config(adoption.config).config.adopt
    assert rules.check_plan(adoption.plan, adopt) == []


def test_the_first_apply_converges_and_a_second_plan_has_no_changes(adoption: Adoption) -> None:
    assert adoption.replan_exit_code == 0


def test_nothing_is_lost(adoption: Adoption, legacy_account: Account) -> None:
    before = legacy_account.before
    assert len(before["versions"]) == 3 * 3 * 3  # users x files x versions
    assert adoption.after == before


def test_users_keep_their_logins_identity_ids_and_files(
    adoption: Adoption, legacy_account: Account
) -> None:
    live = legacy_account.legacy
    idp, identity = legacy_account.client("cognito-idp"), legacy_account.client("cognito-identity")
    flows = idp.describe_user_pool_client(UserPoolId=live.user_pool_id, ClientId=live.client_id)
    assert flows["UserPoolClient"]["ExplicitAuthFlows"] == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    for user in live.users:
        tokens = sign_in(idp, live.client_id, live.user_pool_id, user.email, user.password)
        logins = {live.provider: tokens["IdToken"]}
        identity_id = identity.get_id(IdentityPoolId=live.identity_pool_id, Logins=logins)
        assert identity_id["IdentityId"] == user.identity_id
        credentials = identity.get_credentials_for_identity(
            IdentityId=user.identity_id, Logins=logins
        )["Credentials"]
        s3 = legacy_account.client(
            "s3",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretKey"],
            aws_session_token=credentials["SessionToken"],
        )
        key = legacy.user_keys(user)[0]
        assert s3.get_object(Bucket=legacy.BUCKET, Key=key)["Body"].read() == f"{key} v2".encode()


# --- refusals --------------------------------------------------------------------------------


def test_adopt_refuses_a_zone_that_is_not_the_accounts_at_its_position(
    legacy_account: Account, tmp_path: Path
) -> None:
    config = project(tmp_path, sample_text())  # the sample's placeholder zone id
    result = whimsy("adopt", "--endpoint-url", legacy_account.endpoint, cwd=tmp_path)
    assert result.returncode == 1
    line = next(i for i, t in enumerate(sample_text().splitlines(), 1) if "hosted_zone_id" in t)
    assert (
        f"whimsy_config.yaml:{line}:3: domains.hosted_zone_id: the hosted zone of whimsy.space "
        f"is {legacy_account.legacy.zone_id}"
    ) in result.stdout
    assert "adopt:" in result.stdout  # the block is shown, not written
    assert config.read_text(encoding="utf-8") == sample_text()


def test_adopt_refuses_a_key_that_would_replace_a_table_at_its_position(
    legacy_account: Account, tmp_path: Path
) -> None:
    text = sample_text(legacy_account.legacy.zone_id).replace(
        "partition_key: identity_id\n      sort_key: key",
        "partition_key: identity_id\n      sort_key: sk",
        1,
    )
    project(tmp_path, text)
    result = whimsy("adopt", "--write", "--endpoint-url", legacy_account.endpoint, cwd=tmp_path)
    assert result.returncode == 1
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "sort_key: sk" in t)
    assert (
        f"whimsy_config.yaml:{line}:7: kv.tables.0.sort_key: the live table whimsy-user-data "
        "(6 items) has key (type S) as its sort key: a different key replaces the table"
    ) in result.stdout
    assert (tmp_path / "whimsy_config.yaml").read_text(encoding="utf-8") == text  # not written


def test_adopt_refuses_a_renamed_user_pool(legacy_account: Account, tmp_path: Path) -> None:
    text = sample_text(legacy_account.legacy.zone_id).replace(
        "name: whimsy-users", "name: zineos-users"
    )
    project(tmp_path, text)
    result = whimsy("adopt", "--endpoint-url", legacy_account.endpoint, cwd=tmp_path)
    assert result.returncode == 1
    # by name nothing is found, but the identity pool signs in users of the live pool
    assert "auth.user_pool.name: no user pool named 'zineos-users'" in result.stdout
    assert f"signs in users of {legacy_account.legacy.user_pool_id}" in result.stdout
    # once the id is given, the rename itself is refused
    text += f"adopt:\n  user_pool:\n    id: {legacy_account.legacy.user_pool_id}\n"
    project(tmp_path / "by-id", text)
    result = whimsy("adopt", "--endpoint-url", legacy_account.endpoint, cwd=tmp_path / "by-id")
    assert result.returncode == 1
    assert "auth.user_pool.name: the live pool" in result.stdout
    assert "set name: whimsy-users" in result.stdout


# --- after adoption --------------------------------------------------------------------------


def test_after_adoption_a_sort_key_change_is_data_loss_everywhere(
    adoption: Adoption, tmp_path: Path
) -> None:
    text = adoption.config.read_text(encoding="utf-8").replace(
        "partition_key: identity_id\n      sort_key: key",
        "partition_key: identity_id\n      sort_key: sk",
        1,
    )
    changed = project(tmp_path, text)
    assert whimsy("generate", cwd=tmp_path).returncode == 0
    diff = whimsy("diff", "--base-dir", str(adoption.config.parent / "out"), "-o", "out",
                  cwd=tmp_path)  # fmt: skip
    assert diff.returncode == 4, diff.stdout + diff.stderr
    assert diff.stdout.startswith("DATA LOSS: 1 stateful resource destroyed or replaced")
    assert "aws_dynamodb_table.whimsy_user_data: loses its table (every item)" in diff.stdout
    # and Terraform itself refuses: prevent_destroy stops the plan
    working = adoption.terraform.workdir / "main.tf.json"
    kept = working.read_text(encoding="utf-8")
    try:
        working.write_text((tmp_path / "out/terraform/main.tf.json").read_text(), encoding="utf-8")
        with pytest.raises(Exception, match="Instance cannot be destroyed"):
            adoption.terraform.run("plan-sort-key", "plan", "-input=false", "-no-color")
    finally:
        working.write_text(kept, encoding="utf-8")
    assert json.loads(kept)  # the adopted platform is untouched
    assert changed.is_file()
