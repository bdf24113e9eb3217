"""`whimsy prove`: the sample's promises hold, and realistic policy mistakes are caught with a
counterexample that the independent evaluator (generator/review/iam.py) confirms."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.review import iam, prove
from generator.review.deployed import Deployment
from tests.conftest import REPO, SAMPLE

SUB = "${cognito-identity.amazonaws.com:sub}"
ID = re.compile(r"us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
USER_ROLE = "signed-in users (role whimsy-authenticated)"
ADMIN_ROLE = "group admins (role whimsy-admin)"


@pytest.fixture(scope="module")
def sample_outcomes(facts: prove.Facts, deployment: Deployment) -> list[prove.Outcome]:
    return prove.run_proofs(facts, deployment)


def outcome(outcomes: list[prove.Outcome], name: str) -> prove.Outcome:
    return next(o for o in outcomes if o.name == name)


def failed(outcomes: list[prove.Outcome]) -> dict[str, prove.Outcome]:
    return {o.name: o for o in outcomes if not o.holds}


# --- the sample -------------------------------------------------------------------------------


def test_every_promise_holds_on_the_sample(sample_outcomes: list[prove.Outcome]) -> None:
    assert failed(sample_outcomes) == {}
    proofs = [o for o in sample_outcomes if o.kind == "proof"]
    witnesses = [o for o in sample_outcomes if o.kind == "witness"]
    # both identity-pool roles (users, admins) x 7/6 promises, 3 anonymous promises
    assert len(proofs) == 8 + 7 + 3
    assert len(witnesses) == 3


def test_the_proofs_cover_the_roles_the_identity_pool_hands_out(
    sample_outcomes: list[prove.Outcome],
) -> None:
    names = {o.name.split(": ")[0] for o in sample_outcomes if o.kind == "proof"}
    assert names == {USER_ROLE, ADMIN_ROLE, "anonymous"}


def test_admins_may_write_system_tables_users_may_not(
    sample_outcomes: list[prove.Outcome],
) -> None:
    names = [o.name for o in sample_outcomes]
    assert f"{USER_ROLE}: system tables: read-only" in names
    assert not any(n.startswith(ADMIN_ROLE) and "system tables" in n for n in names)


def test_witness_examples_are_real_requests(sample_outcomes: list[prove.Outcome]) -> None:
    write = outcome(sample_outcomes, "a signed-in user can write into their own folder")
    assert ID.fullmatch(write.example["caller"])
    assert write.example["key"].startswith(write.example["caller"] + "/")
    read = outcome(sample_outcomes, "anyone can read a file in a public folder")
    assert re.fullmatch(r"us-east-1:.{8}-.{4}-.{4}-.{4}-.{12}/public/.*", read.example["key"], re.S)


def test_cli_prints_each_proof_with_its_time(capsys: pytest.CaptureFixture[str]) -> None:
    from generator.cli import main

    assert main(["prove", "-c", str(SAMPLE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("21 of 21 hold")
    assert all(re.match(r"(proved|reachable) +\d+\.\d{3} s  ", line) for line in lines[:-1])


# --- mutations: each is a realistic mistake, caught with a confirmed counterexample ------------


def with_role(
    deployment: Deployment, role: str, edit: Callable[[list[dict[str, Any]]], None]
) -> Deployment:
    roles = copy.deepcopy(deployment.roles)
    edit(roles[role].policies[0]["Statement"])
    return dataclasses.replace(deployment, roles=roles)


def with_trust(
    deployment: Deployment, role: str, edit: Callable[[dict[str, Any]], None]
) -> Deployment:
    roles = copy.deepcopy(deployment.roles)
    edit(roles[role].trust["Statement"][0])
    return dataclasses.replace(deployment, roles=roles)


def with_bucket_policy(
    deployment: Deployment, edit: Callable[[list[dict[str, Any]]], None]
) -> Deployment:
    policies = copy.deepcopy(deployment.bucket_policies)
    edit(policies["whimsy-fs"]["Statement"])
    return dataclasses.replace(deployment, bucket_policies=policies)


def sid(statements: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(s for s in statements if s.get("Sid") == name)


def confirm_object_request(deployment: Deployment, found: prove.Outcome, role: str | None) -> None:
    """The counterexample is allowed by the independent evaluator too (no solver artefact)."""
    policies: list[Any] = [deployment.bucket_policies["whimsy-fs"]]
    principal = iam.ANONYMOUS
    context: dict[str, iam.ContextValue] = {"aws:SecureTransport": "true"}
    if role is not None:
        policies += list(deployment.roles[role].policies)
        principal = iam.Principal("aws", deployment.roles[role].arn)
        context["cognito-identity.amazonaws.com:sub"] = found.example["caller"]
    request = iam.Request(found.action, f"arn:aws:s3:::whimsy-fs/{found.example['key']}",
                          principal, context)  # fmt: skip
    assert iam.explain(policies, request).allowed, found.detail


def only_failure(facts: prove.Facts, mutated: Deployment) -> prove.Outcome:
    failures = failed(prove.run_proofs(facts, mutated))
    assert len(failures) >= 1
    return next(iter(failures.values()))


def test_wildcard_public_path_exposes_nested_public_folders(
    facts: prove.Facts, deployment: Deployment
) -> None:
    def widen(statements: list[dict[str, Any]]) -> None:
        sid(statements, "PublicFolders")["Resource"] = "arn:aws:s3:::whimsy-fs/*/public/*"

    mutated = with_bucket_policy(deployment, widen)
    failures = failed(prove.run_proofs(facts, mutated))
    found = failures["anonymous: in a user's folder, reads only its top-level public/ folder"]
    key = found.example["key"]
    owner, _, rest = key.partition("/")
    assert ID.fullmatch(owner) and "/public/" in "/" + rest and not rest.startswith("public/")
    confirm_object_request(mutated, found, role=None)
    assert "anonymous: reads only keys <region>:<uuid shape>/public/..." in failures


def test_whole_bucket_public_is_caught(facts: prove.Facts, deployment: Deployment) -> None:
    def widen(statements: list[dict[str, Any]]) -> None:
        sid(statements, "PublicFolders")["Resource"] = "arn:aws:s3:::whimsy-fs/*"

    mutated = with_bucket_policy(deployment, widen)
    found = failed(prove.run_proofs(facts, mutated))[
        "anonymous: reads only keys <region>:<uuid shape>/public/..."
    ]
    assert "/public/" not in found.example["key"][46:54]
    confirm_object_request(mutated, found, role=None)


def test_anonymous_upload_into_public_folders_is_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    def allow_put(statements: list[dict[str, Any]]) -> None:
        sid(statements, "PublicFolders")["Action"] = ["s3:GetObject", "s3:PutObject"]

    mutated = with_bucket_policy(deployment, allow_put)
    found = failed(prove.run_proofs(facts, mutated))[
        "anonymous: never writes, deletes, lists or changes the bucket"
    ]
    assert found.action == "s3:PutObject"
    confirm_object_request(mutated, found, role=None)


def test_missing_null_guard_lets_a_scan_through(facts: prove.Facts, deployment: Deployment) -> None:
    def drop_guard_add_scan(statements: list[dict[str, Any]]) -> None:
        statement = sid(statements, "OwnItemsWhimsyUserData")
        del statement["Condition"]["Null"]
        statement["Action"].append("dynamodb:Scan")

    found = failed(
        prove.run_proofs(facts, with_role(deployment, "authenticated", drop_guard_add_scan))
    )[f"{USER_ROLE}: per-user tables: only items in the caller's own partition"]
    assert found.action == "dynamodb:Scan"


def test_the_null_guard_is_what_stops_that_scan(facts: prove.Facts, deployment: Deployment) -> None:
    """Scan in the guarded statement is harmless (a Scan carries no LeadingKeys): no false alarm."""

    def add_scan(statements: list[dict[str, Any]]) -> None:
        sid(statements, "OwnItemsWhimsyUserData")["Action"].append("dynamodb:Scan")

    assert failed(prove.run_proofs(facts, with_role(deployment, "authenticated", add_scan))) == {}


def test_scan_granted_in_its_own_statement_is_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    def grant_scan(statements: list[dict[str, Any]]) -> None:
        table = sid(statements, "OwnItemsWhimsyUserData")["Resource"]
        statements.append(
            {"Sid": "Sync", "Effect": "Allow", "Action": "dynamodb:Scan", "Resource": table}
        )

    found = failed(prove.run_proofs(facts, with_role(deployment, "authenticated", grant_scan)))[
        f"{USER_ROLE}: per-user tables: only items in the caller's own partition"
    ]
    assert found.action == "dynamodb:Scan"


def test_partiql_granted_is_caught(facts: prove.Facts, deployment: Deployment) -> None:
    def grant(statements: list[dict[str, Any]]) -> None:
        sid(statements, "OwnItemsWhimsyUserData")["Action"].append("dynamodb:PartiQL*")
        del sid(statements, "OwnItemsWhimsyUserData")["Condition"]["Null"]

    found = failed(prove.run_proofs(facts, with_role(deployment, "authenticated", grant)))[
        f"{USER_ROLE}: per-user tables: only items in the caller's own partition"
    ]
    assert found.action.startswith("dynamodb:PartiQL")


def test_leading_keys_on_the_wrong_variable_is_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """Keyed by the user-pool sub (a different id) instead of the identity id."""

    def wrong_key(statements: list[dict[str, Any]]) -> None:
        condition = sid(statements, "OwnItemsWhimsyUserData")["Condition"]
        condition["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"] = ["${aws:userid}"]

    found = failed(prove.run_proofs(facts, with_role(deployment, "authenticated", wrong_key)))[
        f"{USER_ROLE}: per-user tables: only items in the caller's own partition"
    ]
    foreign = [v for k, v in found.example.items() if k.startswith("partition key")]
    assert any(v != found.example["caller"] for v in foreign)


def test_list_bucket_without_prefix_condition_is_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    def drop_condition(statements: list[dict[str, Any]]) -> None:
        del sid(statements, "Folder0RootList")["Condition"]

    found = failed(prove.run_proofs(facts, with_role(deployment, "authenticated", drop_condition)))[
        f"{USER_ROLE}: lists only inside the caller's own folder"
    ]
    example = found.example
    assert example["prefix given"] == "false" or not example["prefix"].startswith(
        example["caller"] + "/"
    )


def test_list_prefix_wildcard_is_caught(facts: prove.Facts, deployment: Deployment) -> None:
    def any_prefix(statements: list[dict[str, Any]]) -> None:
        sid(statements, "Folder0RootList")["Condition"]["StringLike"]["s3:prefix"] = ["*"]

    found = failed(prove.run_proofs(facts, with_role(deployment, "authenticated", any_prefix)))[
        f"{USER_ROLE}: lists only inside the caller's own folder"
    ]
    assert found.example["prefix given"] == "true"
    assert not found.example["prefix"].startswith(found.example["caller"] + "/")


def test_folder_grant_without_the_slash_is_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    def no_slash(statements: list[dict[str, Any]]) -> None:
        sid(statements, "Folder0RootObjects")["Resource"] = f"arn:aws:s3:::whimsy-fs/{SUB}*"

    mutated = with_role(deployment, "authenticated", no_slash)
    found = failed(prove.run_proofs(facts, mutated))[
        f"{USER_ROLE}: writes and deletes only inside the caller's own folder"
    ]
    caller, key = found.example["caller"], found.example["key"]
    assert key.startswith(caller) and not key.startswith(caller + "/")
    confirm_object_request(mutated, found, role="authenticated")


def test_s3_star_on_the_user_role_is_caught(facts: prove.Facts, deployment: Deployment) -> None:
    def s3_star(statements: list[dict[str, Any]]) -> None:
        statements.append(
            {
                "Sid": "Everything",
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::whimsy-fs", "arn:aws:s3:::whimsy-fs/*"],
            }
        )

    mutated = with_role(deployment, "authenticated", s3_star)
    failures = failed(prove.run_proofs(facts, mutated))
    found = failures[f"{USER_ROLE}: writes and deletes only inside the caller's own folder"]
    assert not found.example["key"].startswith(found.example["caller"] + "/")
    confirm_object_request(mutated, found, role="authenticated")
    assert f"{USER_ROLE}: cannot change the bucket's settings or policy" in failures
    assert f"{USER_ROLE}: lists only inside the caller's own folder" in failures


def test_system_config_writes_for_everyone_are_caught(
    facts: prove.Facts, deployment: Deployment
) -> None:
    def grant(statements: list[dict[str, Any]]) -> None:
        sid(statements, "ReadConfigZineosSystemConfig")["Action"].append("dynamodb:PutItem")

    found = failed(prove.run_proofs(facts, with_role(deployment, "authenticated", grant)))[
        f"{USER_ROLE}: system tables: read-only"
    ]
    assert found.action == "dynamodb:PutItem"


def test_trust_policy_without_amr_is_caught(facts: prove.Facts, deployment: Deployment) -> None:
    def drop_amr(statement: dict[str, Any]) -> None:
        del statement["Condition"]["ForAnyValue:StringLike"]

    found = failed(prove.run_proofs(facts, with_trust(deployment, "authenticated", drop_amr)))[
        f"{USER_ROLE}: only signed-in identities of this pool can take the role"
    ]
    example = found.example
    assert example["principal"] == "federated:cognito-identity.amazonaws.com"
    assert example["aud"] == "<identity pool>"
    assert example["amr given"] == "false" or "authenticated" not in (
        example["amr 1"],
        example["amr 2"],
    )


def test_trust_policy_without_aud_is_caught(facts: prove.Facts, deployment: Deployment) -> None:
    def drop_aud(statement: dict[str, Any]) -> None:
        del statement["Condition"]["StringEquals"]

    found = failed(prove.run_proofs(facts, with_trust(deployment, "admin", drop_aud)))[
        f"{ADMIN_ROLE}: only signed-in identities of this pool can take the role"
    ]
    assert found.example["aud given"] == "false" or found.example["aud"] != "<identity pool>"


def test_trusting_the_account_is_caught(facts: prove.Facts, deployment: Deployment) -> None:
    """ "Let our own roles assume it too, for debugging": any role in the account becomes a user."""
    roles = copy.deepcopy(deployment.roles)
    roles["authenticated"].trust["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    )
    found = failed(prove.run_proofs(facts, dataclasses.replace(deployment, roles=roles)))[
        f"{USER_ROLE}: only signed-in identities of this pool can take the role"
    ]
    assert found.example["principal"] == "arn:aws:iam::123456789012:role/any-role-in-the-account"
    assert found.action == "sts:AssumeRole"


def test_a_policy_that_denies_everything_fails_the_witnesses(
    facts: prove.Facts, deployment: Deployment
) -> None:
    """Proofs alone pass vacuously on a role with no access; the witnesses do not."""

    def nothing(statements: list[dict[str, Any]]) -> None:
        statements.append({"Effect": "Deny", "Action": "*", "Resource": "*"})

    failures = failed(prove.run_proofs(facts, with_role(deployment, "authenticated", nothing)))
    assert set(failures) == {
        "a signed-in user can write into their own folder",
        "a signed-in user can read their own items in whimsy-user-data",
    }
    assert all(o.kind == "witness" for o in failures.values())


def test_failed_proof_exits_1_with_the_counterexample(
    tmp_path: Path, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import shutil

    from generator.cli import main

    out = tmp_path / "out"
    shutil.copytree(REPO / "out" / "terraform", out / "terraform")
    path = out / "terraform" / "main.tf.json"
    document = json.loads(path.read_text())
    policy = document["resource"]["aws_s3_bucket_policy"]["user_files"]
    policy["policy"] = policy["policy"].replace(
        "whimsy-fs/us-east-1:????????-????-????-????-????????????/public/*", "whimsy-fs/*"
    )
    path.write_text(json.dumps(document))
    assert main(["prove", "-c", str(SAMPLE), "-o", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "FAILED" in printed and "counterexample: anonymous is allowed s3:GetObject" in printed


def test_unsupported_constructs_are_refused_not_guessed(
    facts: prove.Facts, deployment: Deployment
) -> None:
    from generator.review.smt import EncodingError

    def not_resource(statements: list[dict[str, Any]]) -> None:
        statements.append(
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x/*"}
        )

    with pytest.raises(EncodingError, match="NotResource"):
        prove.run_proofs(facts, with_role(deployment, "authenticated", not_resource))

    def if_exists(statements: list[dict[str, Any]]) -> None:
        sid(statements, "Folder0RootList")["Condition"] = {"StringLikeIfExists": {"s3:prefix": "x"}}

    with pytest.raises(EncodingError, match="IfExists"):
        prove.run_proofs(facts, with_role(deployment, "authenticated", if_exists))
