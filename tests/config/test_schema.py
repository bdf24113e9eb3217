"""`whimsy schema`: a valid JSON Schema, committed, agreeing with the sample and the models."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError
from ruamel.yaml import YAML

from generator import cli

REPO = Path(__file__).resolve().parents[2]
SAMPLE_PATH = REPO / "whimsy_config.yaml"
SCHEMA_PATH = REPO / "schema/whimsy_config.schema.json"

Data = dict[str, Any]


@pytest.fixture
def schema_text(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert cli.main(["schema"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


@pytest.fixture
def validator(schema_text: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text))


def load_sample() -> Data:
    data = YAML(typ="safe", pure=True).load(SAMPLE_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_schema_output_is_a_valid_draft_2020_12_schema(schema_text: str) -> None:
    schema = json.loads(schema_text)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


def test_committed_schema_is_exactly_the_output(schema_text: str) -> None:
    committed = SCHEMA_PATH.read_bytes()
    assert schema_text.encode("utf-8") == committed, (
        "schema/whimsy_config.schema.json is stale; regenerate it with "
        "`whimsy schema -o schema/whimsy_config.schema.json`"
    )


def test_schema_out_option_writes_the_same_bytes(schema_text: str, tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert cli.main(["schema", "-o", str(target)]) == 0
    assert target.read_bytes() == schema_text.encode("utf-8")


def test_sample_starts_with_the_yaml_language_server_modeline() -> None:
    first_line = SAMPLE_PATH.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first_line == "# yaml-language-server: $schema=./schema/whimsy_config.schema.json"
    # and the relative path resolves from the sample's folder to the committed schema
    target = first_line.partition("$schema=")[2]
    assert (SAMPLE_PATH.parent / target).resolve() == SCHEMA_PATH.resolve()


def test_schema_accepts_the_sample(validator: Draft202012Validator) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load_sample())]
    assert errors == []


# --- configs the schema must reject -------------------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _delete(path: tuple[Any, ...]) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


# (mutation, the JSON Schema keyword that must fail, at which instance path)
SCHEMA_REJECTS: dict[str, tuple[Callable[[Data], None], str, list[Any]]] = {
    "unknown-top-level-section": (
        _set(("monitoring",), {"alarms": True}),
        "additionalProperties",
        [],
    ),
    "unknown-nested-key": (
        _set(("auth", "user_pool", "verify_emial"), True),
        "additionalProperties",
        ["auth", "user_pool"],
    ),
    "unknown-key-in-a-function": (
        _set(("functions", "usage", "memory"), 512),
        "additionalProperties",
        ["functions", "usage"],
    ),
    "missing-required-section": (_delete(("auth",)), "required", []),
    "missing-required-key": (
        _delete(("project", "state", "key")),
        "required",
        ["project", "state"],
    ),
    "text-for-a-number": (
        _set(("auth", "user_pool", "password", "min_length"), "12"),
        "type",
        ["auth", "user_pool", "password", "min_length"],
    ),
    "number-for-text": (_set(("project", "name"), 42), "type", ["project", "name"]),
    "yes-for-a-bool": (
        _set(("auth", "user_pool", "verify_email"), "yes"),
        "type",
        ["auth", "user_pool", "verify_email"],
    ),
    "list-for-a-mapping": (_set(("project", "tags"), ["a", "b"]), "type", ["project", "tags"]),
    "bad-enum": (
        _set(("auth", "user_pool", "mfa"), "sometimes"),
        "enum",
        ["auth", "user_pool", "mfa"],
    ),
    "anyone-write": (
        _set(("storage", "folders", 1, "anyone"), ["write"]),
        "const",
        ["storage", "folders", 1, "anyone", 0],
    ),
    "bad-version": (_set(("version",), 2), "maximum", ["version"]),
    "bad-region-pattern": (
        _set(("project", "region"), "us-middle-1"),
        "pattern",
        ["project", "region"],
    ),
    "bad-domain-pattern": (
        _set(("domains", "apex"), "Whimsy.Space"),
        "pattern",
        ["domains", "apex"],
    ),
    "bad-route-pattern": (
        _set(("apis", "http", "routes", 6, "route"), "GET usage"),
        "pattern",
        ["apis", "http", "routes", 6, "route"],
    ),
    "bad-identity-id-pattern": (
        _set(("sites", "legacy_user_sites", 0, "identity_id"), "e4d94092"),
        "pattern",
        ["sites", "legacy_user_sites", 0, "identity_id"],
    ),
    "unquoted-account-id": (
        _set(("project", "account_id"), 123456789012),
        "anyOf",
        ["project", "account_id"],
    ),
    "number-too-small": (
        _set(("functions", "subdomain-proxy", "memory_mb"), 64),
        "minimum",
        ["functions", "subdomain-proxy", "memory_mb"],
    ),
    "number-too-large": (
        _set(("functions", "collab", "timeout_seconds"), 901),
        "maximum",
        ["functions", "collab", "timeout_seconds"],
    ),
    "empty-required-list": (_set(("storage", "folders"), []), "minItems", ["storage", "folders"]),
    "too-many-certificate-names": (
        _set(("domains", "certificate_names"), [f"n{i}.whimsy.space" for i in range(11)]),
        "maxItems",
        ["domains", "certificate_names"],
    ),
    "null-section": (_set(("auth",), None), "type", ["auth"]),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_REJECTS))
def test_schema_rejects(case: str, validator: Draft202012Validator) -> None:
    mutate, keyword, path = SCHEMA_REJECTS[case]
    data = copy.deepcopy(load_sample())
    mutate(data)
    errors = list(validator.iter_errors(data))
    assert errors, f"the schema accepts {case}"
    found = [(e.validator, list(e.absolute_path)) for e in _with_context(errors)]
    assert (keyword, path) in found, found


def _with_context(errors: list[ValidationError]) -> list[ValidationError]:
    """The errors and, for anyOf (an optional section), the errors of each alternative."""
    out: list[ValidationError] = []
    for error in errors:
        out.append(error)
        out.extend(_with_context(list(error.context or [])))
    return out


# The schema maps functions, tags and env through patternProperties without
# additionalProperties: false, so a key that fails the pattern is not checked at all.
# The loader rejects these; the editor's schema should too.
SCHEMA_GAPS: dict[str, Callable[[Data], None]] = {
    "bad-function-name": lambda d: d["functions"].__setitem__(
        "Subdomain_Proxy", d["functions"].pop("subdomain-proxy")
    ),
    "aws-tag-key": _set(("project", "tags", "aws:owner"), "platform"),
    "aws-env-var": _set(("functions", "collab", "env"), {"AWS_REGION": 1}),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_GAPS))
def test_schema_rejects_keys_the_loader_rejects(case: str, validator: Draft202012Validator) -> None:
    data = copy.deepcopy(load_sample())
    SCHEMA_GAPS[case](data)
    assert not validator.is_valid(data)
