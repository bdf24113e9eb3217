"""whimsy_runtime.transactions: a condition's cancellation is an answer, a conflict is retried."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from whimsy_runtime import transactions

from lambdas.conftest import REGION, Conflicting

pytestmark = pytest.mark.usefixtures("aws")


def put(key: str) -> dict[str, Any]:
    return {"Put": {"TableName": "t", "Item": {"pk": {"S": key}},
                    "ConditionExpression": "attribute_not_exists(pk)"}}  # fmt: skip


@pytest.fixture
def dynamodb(aws: Any) -> Any:
    aws.table("t")
    return boto3.client("dynamodb", region_name=REGION)


def test_a_commit_is_none_and_a_failed_condition_says_which_item(dynamodb: Any) -> None:
    assert transactions.transact(dynamodb, [put("a"), put("b")]) is None
    assert transactions.transact(dynamodb, [put("c"), put("b")]) == [
        "None",
        "ConditionalCheckFailed",
    ]
    assert "c" not in {i["pk"]["S"] for i in dynamodb.scan(TableName="t")["Items"]}


def test_conflicts_are_retried_with_backoff_then_busy(dynamodb: Any) -> None:
    pauses: list[int] = []
    client = Conflicting(dynamodb, 3)
    assert transactions.transact(client, [put("a")], pause=pauses.append) is None
    assert (client.calls, pauses) == (4, [0, 1, 2])
    stuck = Conflicting(dynamodb, 100)
    with pytest.raises(transactions.Busy):
        transactions.transact(stuck, [put("b")], attempts=4, pause=lambda _: None)
    assert stuck.calls == 4


def test_other_errors_are_not_swallowed(dynamodb: Any) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match=r"ResourceNotFoundException|non-existent|not found"):
        transactions.transact(
            dynamodb, [{"Put": {"TableName": "nope", "Item": {"pk": {"S": "x"}}}}]
        )
