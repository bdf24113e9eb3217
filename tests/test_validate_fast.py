"""`whimsy validate` stays fast: it never loads the CDK / jsii runtime.

How fast it answers is measured in benchmarks/generate.py, against its import floor in the
same run, not asserted here: a wall-clock budget in a test fails on a loaded machine (it was
0.2 s from its 1 s budget on a 2-core CI machine, issue 21).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN_PREFIXES = ("jsii", "cdktn", "constructs", "cdktn_provider_aws")
# "import time:       350 |      12913 |           pydantic_core"
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|(?P<indent> +)(?P<module>\S+)$")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("WHIMSY_DEBUG", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def _whimsy() -> list[str]:
    """The installed console script next to this interpreter, else `python -m generator`."""
    script = Path(sys.executable).parent / "whimsy"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "generator"]


def test_validate_never_imports_the_cdk_runtime() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "generator",
            "validate",
            "-c",
            "whimsy_config.yaml",
        ],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("whimsy_config.yaml: ok (")
    imported = [
        match["module"]
        for match in map(IMPORT_LINE.match, result.stderr.splitlines())
        if match is not None
    ]
    # the parse is not vacuous: the config layer and its dependencies show up
    assert "generator.config" in imported
    assert "pydantic" in imported
    assert "ruamel.yaml" in imported
    forbidden = sorted(name for name in imported if name.startswith(FORBIDDEN_PREFIXES))
    assert forbidden == [], f"validate imported the CDK/jsii runtime: {forbidden}"
