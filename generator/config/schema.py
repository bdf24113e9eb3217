"""JSON Schema of the config language, for editors (yaml-language-server) and for tests."""

from __future__ import annotations

import json
from typing import Any

from generator.config.models import WhimsyConfig

SCHEMA_ID = "https://whimsy.space/schemas/whimsy_config.schema.json"


def _close_pattern_maps(node: Any) -> None:
    """pydantic maps dict[PatternStr, X] to patternProperties only; without
    additionalProperties: false an editor would accept (and not check) any other key."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        for child in node.values():
            _close_pattern_maps(child)
    elif isinstance(node, list):
        for child in node:
            _close_pattern_maps(child)


def config_schema() -> dict[str, Any]:
    schema = WhimsyConfig.model_json_schema(mode="validation")
    _close_pattern_maps(schema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def render_schema() -> str:
    return json.dumps(config_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
