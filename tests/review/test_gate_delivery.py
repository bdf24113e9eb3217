"""WHIMSY_DELIVERY: the CI roles stay pinned to one repository and inside the boundary."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from generator.review.gate import rules
from generator.review.gate.tfjson import Configuration
from tests.conftest import REPO

Document = dict[str, Any]


@pytest.fixture(scope="module")
def committed() -> Document:
    document: Document = json.loads((REPO / "out/terraform/main.tf.json").read_text())
    return document


def delivery_findings(document: Document) -> list[tuple[str, str]]:
    return [(f.resource, f.message) for f in rules.delivery(Configuration(document))]


def mutate(document: Document, kind: str, name: str, attribute: str,
           edit: Callable[[Document], None]) -> Document:  # fmt: skip
    copy: Document = json.loads(json.dumps(document))
    body = copy["resource"][kind][name]
    parsed = json.loads(body[attribute].replace("$${", "\\u0024{"))
    edit(parsed)
    body[attribute] = json.dumps(parsed).replace("\\u0024{", "$${")
    return copy


def test_the_committed_delivery_is_clean(committed: Document) -> None:
    assert delivery_findings(committed) == []
    roles = committed["resource"]["aws_iam_role"]
    bounded = [name for name, role in roles.items() if role.get("permissions_boundary")]
    assert sorted(set(roles) - set(bounded)) == ["deploy", "plan"]


def test_a_wildcard_subject_is_caught(committed: Document) -> None:
    def any_branch(trust: Document) -> None:
        condition = trust["Statement"][0]["Condition"]
        condition["StringLike"] = {"token.actions.githubusercontent.com:sub": "repo:whimsy-space/*"}
        del condition["StringEquals"]["token.actions.githubusercontent.com:sub"]

    found = delivery_findings(
        mutate(committed, "aws_iam_role", "deploy", "assume_role_policy", any_branch)
    )
    assert found == [
        (
            "aws_iam_role.deploy",
            "GitHub trust must name exact subjects (StringEquals, no wildcards): None; otherwise any repository or branch may take the role",
        )
    ]


def test_a_missing_audience_is_caught(committed: Document) -> None:
    def no_aud(trust: Document) -> None:
        del trust["Statement"][0]["Condition"]["StringEquals"][
            "token.actions.githubusercontent.com:aud"
        ]

    found = delivery_findings(
        mutate(committed, "aws_iam_role", "plan", "assume_role_policy", no_aud)
    )
    assert found == [("aws_iam_role.plan", "GitHub trust without aud sts.amazonaws.com (None)")]


def test_a_plan_role_that_writes_is_caught(committed: Document) -> None:
    def write(policy: Document) -> None:
        policy["Statement"].append(
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::whimsy-fs/*"}
        )

    found = delivery_findings(mutate(committed, "aws_iam_role_policy", "plan", "policy", write))
    assert ("aws_iam_role.plan", "the plan role may change things: ['s3:PutObject']") in found


def test_role_creation_without_the_boundary_condition_is_caught(committed: Document) -> None:
    def unbounded(policy: Document) -> None:
        statement = next(
            s for s in policy["Statement"] if s.get("Sid") == "PlatformRolesWithinTheBoundary"
        )
        del statement["Condition"]

    found = delivery_findings(
        mutate(committed, "aws_iam_role_policy", "deploy", "policy", unbounded)
    )
    assert len(found) == 1 and found[0][0] == "aws_iam_role.deploy"
    assert "without the iam:PermissionsBoundary condition" in found[0][1]


def test_dropping_the_deny_on_the_delivery_is_caught(committed: Document) -> None:
    def no_deny(policy: Document) -> None:
        policy["Statement"] = [
            s for s in policy["Statement"] if s.get("Sid") != "NeverTheDeliveryItself"
        ]

    found = delivery_findings(mutate(committed, "aws_iam_role_policy", "deploy", "policy", no_deny))
    assert found == [("aws_iam_role.deploy", "no Deny of iam:* on the delivery roles and boundary")]


def test_a_platform_role_without_the_boundary_is_caught(committed: Document) -> None:
    copy: Document = json.loads(json.dumps(committed))
    del copy["resource"]["aws_iam_role"]["fn_uploads"]["permissions_boundary"]
    assert delivery_findings(copy) == [
        ("aws_iam_role.fn_uploads", "a platform role without the platform boundary")
    ]
