"""The commented adoption example at the end of whimsy_config.yaml stays a valid config."""

from __future__ import annotations

from generator.config import parse_config
from tests.conftest import SAMPLE

START = "# adopt:"


def uncommented() -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    head, _, block = text.partition(START)
    lines = (START + block).splitlines()
    return head + "\n".join(line.removeprefix("# ") for line in lines) + "\n"


def test_the_adoption_example_validates() -> None:
    config = parse_config(uncommented().encode("utf-8"))
    adopt = config.adopt
    assert adopt.user_pool is not None and adopt.user_pool.remove_auth_flows
    assert [bucket.name for bucket in adopt.buckets] == [config.storage.bucket]
    assert adopt.distributions == {"danielx.whimsy.space": "EREPLACEME000"}
    assert len(adopt.dns_records) == 2
