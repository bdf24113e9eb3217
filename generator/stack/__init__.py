"""The CDK Terrain layer: the only package that imports cdktn and the jsii runtime.

Import it only to synthesize; `whimsy validate`, the policy model and most tests never do.
"""

from __future__ import annotations

from typing import Any

from generator.config.models import WhimsyConfig
from generator.stack.runtime import jsii_environment


def synthesize(config: WhimsyConfig) -> dict[str, Any]:
    """Build the platform stack and return its Terraform JSON as a plain dict."""
    with jsii_environment():
        from generator.stack.platform import synthesize_platform

        return synthesize_platform(config)
