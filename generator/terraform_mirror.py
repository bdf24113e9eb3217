"""Where this machine keeps an offline mirror of the hashicorp/aws provider, if anywhere.

Used by the gate's plan, `whimsy local` and the tests: `terraform init -plugin-dir=<root>`
then works without the registry."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_MIRROR_ROOTS = (Path("/opt"), Path("/usr/local/share"), Path("/usr/share"),
                 Path.home() / ".terraform.d")  # fmt: skip
_PROVIDER = "registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"


def find_plugin_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The root of an offline provider mirror holding hashicorp/aws ($TF_PLUGIN_DIR first)."""
    environ = os.environ if environ is None else environ
    if environ.get("TF_PLUGIN_DIR"):
        return Path(environ["TF_PLUGIN_DIR"])
    for root in _MIRROR_ROOTS:
        if root.is_dir():
            for hit in [*root.glob(f"*/{_PROVIDER}"), *root.glob(_PROVIDER)]:
                return hit.parents[5]
    return None
