"""`whimsy validate` stays fast: it never loads the CDK / jsii runtime and answers in < 1 s.

The README says speed is measured in benchmarks/, not asserted in tests; this one is the
exception, because a sub-second `validate` is the acceptance criterion of the config language
(editors and pre-commit hooks run it on every save). The timing takes the best of three cold
runs so that one slow scheduling hiccup does not fail it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN_PREFIXES = ("jsii", "cdktn", "constructs", "cdktn_provider_aws")
BUDGET_SECONDS = 1.0
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


def test_validate_answers_in_under_a_second() -> None:
    command = [*_whimsy(), "validate", "-c", "whimsy_config.yaml"]
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        result = subprocess.run(
            command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60, check=False
        )
        timings.append(time.perf_counter() - start)
        assert result.returncode == 0, result.stdout + result.stderr
    best = min(timings)
    assert best < BUDGET_SECONDS, (
        f"`whimsy validate` took {best:.2f} s at best (runs: "
        f"{', '.join(f'{t:.2f}' for t in timings)}); the budget is {BUDGET_SECONDS} s"
    )
