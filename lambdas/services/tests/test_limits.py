"""Rate limits and monthly quotas never let more calls through than the limit: forced
interleavings against moto, then racing containers against the emulator's atomic DynamoDB
(lambdas/_shared/tests/test_atomic_backend.py checks that it is atomic)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services_limits import Limits

REGION = "us-east-1"
HOST = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
CALLER = "us-east-1:1b4e28ba-2fa1-41d2-883f-0016d3cca428"
WINDOW = 60
NOW = 1_800_000_030.0  # the middle of a 60 s window: no test straddles a window's edge
CONTAINERS = 8


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def dynamodb() -> Any:
    return boto3.client("dynamodb", region_name=REGION)


def limits(clock: Clock, client: Any = None) -> Limits:
    return Limits("usage", (lambda: client) if client is not None else dynamodb, clock)


def take(limiter: Limits, limit: int) -> bool:
    return limiter.take_rate(HOST, "weather", CALLER, limit, WINDOW)[1] is None


# --- moto: the interleavings that matter, in order -------------------------------------------


@pytest.fixture
def usage(aws: Any) -> None:
    aws.table("usage", "pk", "sk")


def test_a_window_reset_overtaken_by_another_containers_reset_counts_on(
    usage: None, call_first: Any
) -> None:
    clock = Clock(NOW)
    assert take(limits(clock), 3)  # the previous window's row
    clock.now += WINDOW
    # Container A finds the old window (its ADD fails); container B resets the window before
    # A's reset lands. A's reset must fail its condition (B's call stays counted) and A
    # counts on in B's window: B, A and one more pass, the fourth is refused.
    other = lambda: take(limits(clock), 3)  # noqa: E731
    a = limits(clock, call_first(dynamodb(), "update_item", other, passing=1))
    assert take(a, 3)
    assert take(limits(clock), 3)
    assert not take(limits(clock), 3)


def test_the_quota_refuses_exactly_at_the_limit(usage: None) -> None:
    clock = Clock(NOW)
    answers = [limits(clock).take_quota(HOST, "weather", CALLER, 2) for _ in range(3)]
    assert [left for left, _ in answers] == [1, 0, 0]
    assert [refusal.code if refusal else None for _, refusal in answers] == [
        None,
        None,
        "quota_exhausted",
    ]


# --- the emulator: containers racing for real ------------------------------------------------


@pytest.fixture
def emulated_usage(emulated_aws: Any) -> None:
    emulated_aws.table("usage", "pk", "sk")
    dynamodb().describe_table(TableName="usage")  # the SDK is loaded before threads race


@pytest.mark.emulator
def test_racing_containers_pass_exactly_the_rate_limit(emulated_usage: None, race: Any) -> None:
    clock = Clock(NOW)
    for window in range(5):  # each window starts with every container resetting it at once
        clock.now = NOW + window * WINDOW
        passed = race([lambda: take(limits(clock), 5)] * (CONTAINERS * 2))
        assert sum(passed) == 5, passed


@pytest.mark.emulator
def test_racing_containers_pass_exactly_the_monthly_quota(emulated_usage: None, race: Any) -> None:
    clock = Clock(NOW)

    def three_calls() -> int:
        return sum(
            limits(clock).take_quota(HOST, "weather", CALLER, 10)[1] is None for _ in range(3)
        )

    assert sum(race([three_calls] * CONTAINERS)) == 10
