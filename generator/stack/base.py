"""Small helpers shared by the component constructs."""

from __future__ import annotations

from typing import Any, TypeVar

from cdktn import TerraformResource

from generator.model import names
from generator.model.refs import to_terraform_json

R = TypeVar("R", bound=TerraformResource)


def named(resource: R, local_name: str) -> R:
    """Give a resource a stable, readable Terraform address (no construct-path hash)."""
    resource.override_logical_id(names.logical(local_name))
    return resource


def policy_json(document: dict[str, Any]) -> str:
    return to_terraform_json(document)
