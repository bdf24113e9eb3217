"""Is the emulator's DynamoDB a backend on which a race test means something?

The functions' exactly-once promises (one owner per handle, one grant per Stripe event, one
collab operation per revision, never more calls than a limit) rest on DynamoDB applying a
condition and its write as one step, and a transaction's conditions and writes all at once.
The concurrency tests run against the local emulator (ministack) because moto does neither
across threads. These checks hold the emulator to that, three ways:

- black box: racing threads must see exactly one winner per compare-and-swap round, no lost
  counter update, and all-or-nothing transactions;
- power: the same checks, run against a backend that evaluates a condition and writes in two
  steps (moto with a gap held open between the two), must fail: they can see the defect;
- white box: the pinned ministack serves a DynamoDB request start to finish on its one event
  loop, with no point where another request could run in between.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
RACERS = 8
ROUNDS = 20
TABLE = "atomicity"
Race = Callable[[list[Callable[[], Any]]], list[Any]]  # the `race` fixture


def create_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )


def compare_and_swap_winners(dynamodb: Any, race: Race, rounds: int = ROUNDS) -> list[int]:
    """Per round: every racer read the same value and tries SET n = v + 1 IF n = v.
    An atomic backend lets exactly one through each round."""
    key = {"pk": {"S": "counter"}}
    dynamodb.put_item(TableName=TABLE, Item={**key, "n": {"N": "0"}})
    winners = []
    for _ in range(rounds):
        seen = dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]["n"]["N"]

        def swap(seen: str = seen) -> bool:
            try:
                dynamodb.update_item(
                    TableName=TABLE,
                    Key=key,
                    UpdateExpression="SET n = :next",
                    ConditionExpression="n = :seen",
                    ExpressionAttributeValues={
                        ":seen": {"N": seen},
                        ":next": {"N": str(int(seen) + 1)},
                    },
                )
            except dynamodb.exceptions.ConditionalCheckFailedException:
                return False
            return True

        winners.append(sum(race([swap] * RACERS)))
    final = dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]["n"]["N"]
    assert int(final) == sum(winners), f"{sum(winners)} swaps succeeded, the counter moved {final}"
    return winners


def transaction_outcomes(dynamodb: Any, race: Race, rounds: int = ROUNDS) -> list[tuple[int, int]]:
    """Per round: every racer's transaction creates one contested item and one of its own,
    each only if absent. Atomic and all-or-nothing: one winner, and only its own item."""
    outcomes = []
    for round_ in range(rounds):

        def claim(racer: int, round_: int = round_) -> bool:
            items = [f"contested#{round_}", f"own#{round_}#{racer}"]
            try:
                dynamodb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": TABLE,
                                "Item": {"pk": {"S": pk}, "by": {"N": str(racer)}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        }
                        for pk in items
                    ]
                )
            except dynamodb.exceptions.TransactionCanceledException:
                return False
            return True

        won = race([lambda racer=racer: claim(racer) for racer in range(RACERS)])
        own_items = sum(
            "Item"
            in dynamodb.get_item(
                TableName=TABLE, Key={"pk": {"S": f"own#{round_}#{racer}"}}, ConsistentRead=True
            )
            for racer in range(RACERS)
        )
        outcomes.append((sum(won), own_items))
    return outcomes


def counter_total(dynamodb: Any, race: Race, increments: int = 25) -> int:
    """RACERS threads each ADD 1 `increments` times: an atomic backend loses none."""
    key = {"pk": {"S": "total"}}

    def add_many() -> None:
        for _ in range(increments):
            dynamodb.update_item(
                TableName=TABLE,
                Key=key,
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    race([add_many] * RACERS)
    item = dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
    return int(item["n"]["N"])


# --- the emulator ----------------------------------------------------------------------------


@pytest.fixture
def emulated_dynamodb(emulated_aws: Any) -> Any:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    create_table(dynamodb)
    return dynamodb


@pytest.mark.emulator
def test_the_emulator_lets_one_compare_and_swap_through_per_round(
    emulated_dynamodb: Any, race: Race
) -> None:
    assert compare_and_swap_winners(emulated_dynamodb, race) == [1] * ROUNDS


@pytest.mark.emulator
def test_the_emulator_applies_a_transaction_all_at_once(emulated_dynamodb: Any, race: Race) -> None:
    assert transaction_outcomes(emulated_dynamodb, race) == [(1, 1)] * ROUNDS


@pytest.mark.emulator
def test_the_emulator_loses_no_counter_update(emulated_dynamodb: Any, race: Race) -> None:
    assert counter_total(emulated_dynamodb, race) == RACERS * 25


# --- power: the checks catch a backend that checks, then writes --------------------------


@pytest.fixture
def gapped_moto(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto with every condition held open until all racers have evaluated theirs: the
    check-then-write interleaving that moto allows by chance, made certain."""
    import moto.dynamodb.models as models
    import moto.dynamodb.models.table as tables

    gate = threading.Barrier(RACERS, timeout=10)
    parse = models.create_condition_expression_parser
    filter_expression = models.get_filter_expression  # transactions' checks
    table_filter_expression = tables.get_filter_expression  # put_item's (a transaction's too)

    class Held:
        def __init__(self, condition: Any) -> None:
            self.condition = condition

        def expr(self, item: Any) -> bool:
            verdict = bool(self.condition.expr(item))
            if threading.current_thread() is not threading.main_thread():
                gate.wait()  # every racer has decided before any of them writes
            return verdict

    def held_parser(*args: Any, **kwargs: Any) -> Any:
        parser = parse(*args, **kwargs)
        monkeypatch.setattr(parser, "parse", lambda: Held(type(parser).parse(parser)))
        return parser

    monkeypatch.setattr(models, "create_condition_expression_parser", held_parser)
    monkeypatch.setattr(
        models, "get_filter_expression", lambda *a, **k: Held(filter_expression(*a, **k))
    )
    monkeypatch.setattr(
        tables, "get_filter_expression", lambda *a, **k: Held(table_filter_expression(*a, **k))
    )
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    create_table(dynamodb)
    yield dynamodb


def test_the_checks_catch_a_condition_checked_apart_from_its_write(
    gapped_moto: Any, race: Race
) -> None:
    # Not a test of moto: of the checks above, which must be able to fail. Every racer
    # decides before any writes, so every one of them wins.
    with pytest.raises(AssertionError, match=f"{RACERS} swaps succeeded, the counter moved 1"):
        compare_and_swap_winners(gapped_moto, race, rounds=1)
    assert transaction_outcomes(gapped_moto, race, rounds=1) == [(RACERS, RACERS)]


# --- white box: the pinned emulator's request path --------------------------------------

PROBE = """
import ast, inspect, json
from ministack.services import dynamodb

def suspends(function):
    tree = ast.parse(inspect.getsource(function).lstrip())
    names = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "")
             for n in ast.walk(tree)}
    awaits = any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for n in ast.walk(tree))
    return awaits or bool(names & {"to_thread", "run_in_executor", "create_task", "Thread"})

writes = ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"]
source = inspect.getsource(dynamodb.handle_request)
handlers = {name: getattr(dynamodb, "_" + "".join("_" + c.lower() if c.isupper() else c
                                                  for c in name).lstrip("_"))
            for name in writes}
print(json.dumps({
    "dispatch_is_coroutine": inspect.iscoroutinefunction(dynamodb.handle_request),
    "dispatch_suspends": suspends(dynamodb.handle_request),
    "handlers": {name: {"coroutine": inspect.iscoroutinefunction(f), "suspends": suspends(f)}
                 for name, f in handlers.items()},
    "registered": {name: f'"{name}": {f.__name__}' in source for name, f in handlers.items()},
}))
"""


@pytest.mark.emulator
def test_the_emulator_serves_a_write_without_a_suspension_point(dynamodb_emulator: str) -> None:
    """ministack runs one asyncio loop; a request can only yield to another at an await.
    Its DynamoDB dispatch awaits nothing, and each write handler is a plain function with
    no await, thread or executor inside: a request runs to the end before the next starts.
    An upgrade that offloads or awaits inside a write fails here."""
    import json

    from generator.local import emulator

    python = emulator.locate(Path(__file__).resolve().parents[3]).python
    probe = subprocess.run(
        [str(python), "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(probe.stdout)
    assert report["dispatch_is_coroutine"] and not report["dispatch_suspends"]
    assert report["registered"] == dict.fromkeys(report["handlers"], True)
    for name, handler in report["handlers"].items():
        assert handler == {"coroutine": False, "suspends": False}, name
