"""Reading the generated Terraform JSON (out/terraform/main.tf.json) as plain data.

The gate's own rules read the configuration rather than the plan: a plan leaves every value that
depends on another resource unknown (a trust policy naming the identity pool, a policy naming a
table ARN), while the configuration has all of it, with references still written `${...}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import UserError

# ${aws_s3_bucket.user_files.arn} -> aws_s3_bucket.user_files
_REFERENCE = re.compile(r"\$\{((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*)(?:\.[^}]*)?\}")


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    values: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


class Configuration:
    """The resources of one Terraform JSON document, by type."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._by_type: dict[str, dict[str, Resource]] = {}
        for kind, named in (document.get("resource") or {}).items():
            for name, values in (named or {}).items():
                body = values[0] if isinstance(values, list) and values else values
                if isinstance(body, dict):
                    self._by_type.setdefault(kind, {})[name] = Resource(kind, name, body)

    @classmethod
    def read(cls, path: Path) -> Configuration:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UserError(f"{path}: cannot read the Terraform JSON: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise UserError(f"{path}: expected a Terraform JSON object")
        return cls(document)

    def of_type(self, kind: str) -> list[Resource]:
        return [self._by_type.get(kind, {})[name] for name in sorted(self._by_type.get(kind, {}))]

    def get(self, address: str) -> Resource | None:
        kind, _, name = address.partition(".")
        return self._by_type.get(kind, {}).get(name)

    def all(self) -> Iterator[Resource]:
        for kind in sorted(self._by_type):
            yield from self.of_type(kind)

    def region(self) -> str:
        providers = (self.document.get("provider") or {}).get("aws") or [{}]
        first = providers[0] if isinstance(providers, list) else providers
        region = first.get("region") if isinstance(first, dict) else None
        return region if isinstance(region, str) and region else "us-east-1"


def referenced(value: Any) -> str | None:
    """The address a `${type.name.attr}` value refers to (the first one), if any."""
    if not isinstance(value, str):
        return None
    match = _REFERENCE.search(value.replace("$${", "\0"))
    return match.group(1) if match else None


def policy(value: Any) -> dict[str, Any] | None:
    """A policy document held in a Terraform string attribute, with `$${...}` unescaped to the
    IAM policy variable `${...}` it stands for (Terraform references stay `${type.name.attr}`).
    None when the value is not a JSON policy (e.g. a reference to a data source)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        document = json.loads(value)
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    unescaped: dict[str, Any] = _unescape(document)
    return unescaped


def _unescape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$${", "${").replace("%%{", "%{")
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    if isinstance(value, dict):
        return {_unescape(k): _unescape(v) for k, v in value.items()}
    return value


def statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    return [s for s in items if isinstance(s, dict)]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def block(values: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested block: Terraform JSON writes it as an object or a list of one object."""
    raw = values.get(key)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    return raw if isinstance(raw, dict) else {}
