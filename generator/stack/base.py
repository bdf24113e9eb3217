"""Small helpers shared by the component constructs."""

from __future__ import annotations

from typing import Any, TypeVar

from cdktn import TerraformResource

from generator.config.models import WhimsyConfig
from generator.model import delivery, names
from generator.model.refs import to_terraform_json, to_terraform_string

R = TypeVar("R", bound=TerraformResource)


def named(resource: R, local_name: str) -> R:
    """Give a resource a stable, readable Terraform address (no construct-path hash)."""
    resource.override_logical_id(names.logical(local_name))
    return resource


def policy_json(document: dict[str, Any]) -> str:
    return to_terraform_json(document)


def permissions_boundary(config: WhimsyConfig) -> str | None:
    """The boundary platform roles carry when CI deploys (see generator/model/delivery.py)."""
    reference = delivery.boundary_ref(config)
    return None if reference is None else to_terraform_string(reference)
