"""The CDK Terrain layer: the only package that imports cdktn and the jsii runtime.

Import it only to synthesize; `whimsy validate`, the policy model and most tests never do.
"""

from __future__ import annotations

from typing import Any

from generator.config.models import WhimsyConfig
from generator.stack.runtime import jsii_environment


def synthesize(config: WhimsyConfig, source_hashes: dict[str, str]) -> dict[str, Any]:
    """Build the platform stack and return its Terraform JSON as a plain dict.

    source_hashes: each function's zip hash (see generator.package), by function name.
    """
    with jsii_environment():
        from generator.stack.platform import synthesize_platform

        return synthesize_platform(config, source_hashes)
