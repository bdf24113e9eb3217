"""Turn pydantic's validation errors into plain words at the right place in the file."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from generator.config import models
from generator.config.yaml_source import Path, Positions, dotted
from generator.errors import ConfigProblem

# What each pattern means, for messages ("must be an AWS region such as us-east-1").
PATTERN_WORDS = {
    models.REGION_PATTERN: "an AWS region such as us-east-1",
    models.DOMAIN_PATTERN: "a lowercase domain name such as whimsy.space",
    models.IDENTITY_ID_PATTERN: "a Cognito identity id such as "
    "us-east-1:e4d94092-1099-4c4d-aa01-1dbbf7e1f1df",
    models.FUNCTION_NAME_PATTERN: "a function name: lowercase letters, digits and '-', "
    "starting with a letter, at most 40 characters",
    models.ROUTE_PATTERN: "a route such as 'POST /uploads' or 'GET /users/{handle}'",
    models.WEBSOCKET_ROUTE_PATTERN: "a route name: letters, digits, _ and -, starting with a "
    "letter ($connect, $disconnect and $default are built in)",
    models.HANDLE_PATTERN: "a handle: 1-63 lowercase letters, digits and '-', not starting or "
    "ending with '-'",
    models.S3_SUFFIX_PATTERN: "a key suffix of letters, digits and / ! _ . ' ( ) -",
    models.CERTIFICATE_NAME_PATTERN: "a domain name such as whimsy.space or *.whimsy.space",
    models.VERSION_RANGE_PATTERN: "a version constraint such as '>= 5.100, < 7.0'",
    models.TAG_KEY_PATTERN: "a tag key: 1-128 letters, digits, spaces and _ . : / = + - @, "
    "not starting with 'aws:' (AWS reserves it)",
    models.TAG_VALUE_PATTERN: "a tag value: up to 256 letters, digits, spaces and _ . : / = + - @",
    models.ENV_NAME_PATTERN: "an environment variable name: letters, digits and _, starting "
    "with a letter, not starting with AWS_ (Lambda reserves those)",
    models.SECRET_NAME_PATTERN: "a secret name: letters, digits and / _ + = . @ -",
    models.ATTRIBUTE_NAME_PATTERN: "an attribute name: letters, digits and _ . -, "
    "starting with a letter or _",
}


def _describe_pattern(pattern: str) -> str:
    if pattern in PATTERN_WORDS:
        return PATTERN_WORDS[pattern]
    if "[0-9]{12}" in pattern:
        return "a 12-digit AWS account id, in quotes"
    if pattern.startswith("^Z"):
        return "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ"
    if pattern.startswith("^https://"):
        return "an https origin such as https://whimsy.space (no path, no trailing '/')"
    if "tfstate" in pattern:
        return "an S3 key ending in .tfstate"
    if "{1,128}" in pattern:
        return "a name of 1-128 letters, digits and common punctuation"
    return f"in the expected format (the pattern {pattern})"


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes reachable through Optional/list/dict/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (list, dict, typing.Union, types.UnionType):
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            found.extend(_unwrap(arg))
        return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def known_keys(loc: Path) -> list[str]:
    """Field names of the model at loc (the mapping that holds an unknown key)."""
    current: list[type[BaseModel]] = [models.WhimsyConfig]
    for part in loc:
        if isinstance(part, int):
            continue
        nxt: list[type[BaseModel]] = []
        for model in current:
            field = model.model_fields.get(part)
            if field is not None:
                nxt.extend(_unwrap(field.annotation))
        if nxt:
            current = nxt
        # a dict key (function name) leaves the model list unchanged: dict values unwrap below
    return sorted({name for model in current for name in model.model_fields})


def _show(value: Any) -> str:
    """A value as the operator wrote it in YAML, not as Python prints it."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = f"'{value}'" if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _words(error: ErrorDetails, loc: Path) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {}) or {}
    value = error.get("input")
    if kind == "missing":
        return f"required key '{loc[-1]}' is missing"
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, known_keys(loc[:-1]), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{key}'{hint}"
    if kind == "string_type":
        return f"must be text, not {_show(value)} (put it in quotes)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, not {_show(value)}"
    if kind == "bool_type":
        return f"must be true or false, not {_show(value)}"
    if kind == "list_type":
        return f"must be a list, not {_show(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys, not {_show(value)}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, not {_show(value)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, not {_show(value)}"
    if kind == "string_pattern_mismatch":
        return f"{_show(value)} is not {_describe_pattern(str(ctx.get('pattern')))}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, not {_show(value)}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}, not {_show(value)}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s)"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def problem_from_pydantic(error: ErrorDetails, positions: Positions) -> ConfigProblem:
    loc: Path = tuple(part for part in error["loc"])
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        line, column = positions.locate(loc, prefer_key=True)
    elif error["type"] == "missing":
        # point at the section that lacks the key ("project:"), not at its first child
        line, column = positions.locate(loc[:-1], prefer_key=True)
    else:
        line, column = positions.locate(loc, prefer_key=error["type"] == "extra_forbidden")
    return ConfigProblem(line, column, dotted(loc), _words(error, loc))
