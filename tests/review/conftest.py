"""Fixtures of the review tests: the committed deployment and what the config says it protects."""

from __future__ import annotations

import pytest

from generator.config import load_config
from generator.review.deployed import Deployment, Facts, facts_from_config, read_deployment
from tests.conftest import REPO, SAMPLE


@pytest.fixture(scope="session")
def facts() -> Facts:
    return facts_from_config(load_config(SAMPLE, check_lambdas=False).config)


@pytest.fixture(scope="session")
def deployment() -> Deployment:
    return read_deployment(REPO / "out")
