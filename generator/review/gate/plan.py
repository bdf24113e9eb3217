"""Plan a generated out/ offline, for checkov: `terraform show -json` of the plan.

The generated tree is copied to a temporary directory (out/ itself is never touched) and an
override file swaps the S3 backend for a local one and gives the AWS provider fake credentials
it is told not to check, so init and plan need neither AWS nor a network: the provider comes
from an offline mirror ($TF_PLUGIN_DIR, or one found in the usual places), else from the
registry as usual.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.terraform_mirror import find_plugin_dir

TIMEOUT_SECONDS = 600
_OFFLINE = {
    "access_key": "test",
    "secret_key": "test",
    "skip_credentials_validation": True,
    "skip_requesting_account_id": True,
    "skip_metadata_api_check": True,
}


def offline_override(aliases: list[str]) -> dict[str, Any]:
    providers = [_OFFLINE] + [{"alias": alias, **_OFFLINE} for alias in aliases]
    return {
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
        "provider": {"aws": providers},
    }


def _aliases(terraform_dir: Path) -> list[str]:
    aliases: list[str] = []
    for path in sorted(terraform_dir.glob("*.tf.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        providers = (document.get("provider") or {}).get("aws") or []
        for provider in providers if isinstance(providers, list) else [providers]:
            if isinstance(provider, dict) and provider.get("alias"):
                aliases.append(str(provider["alias"]))
    return sorted(set(aliases))


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    try:
        result = subprocess.run(
            cmd,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"`{' '.join(cmd[:2])}` did not finish within {TIMEOUT_SECONDS} s") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-30:])
        raise UserError(f"`{' '.join(cmd[:2])}` failed:\n{tail}")
    return result.stdout


def plan_offline(out_dir: Path) -> dict[str, Any]:
    """`terraform show -json` of an offline plan of out_dir/terraform."""
    binary = shutil.which("terraform")
    if binary is None:
        raise UserError(
            "terraform is not installed; install it, or plan yourself and pass "
            "`--plan-json FILE` (the output of `terraform show -json PLAN`)"
        )
    source = out_dir / "terraform"
    if not any(source.glob("*.tf.json")):
        raise UserError(f"{source}: no Terraform JSON here; run `whimsy generate` first")
    plugins = find_plugin_dir()
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    init = [binary, "init", "-input=false", "-no-color"]
    if plugins is not None:
        init.append(f"-plugin-dir={plugins}")
        env["TF_CLI_CONFIG_FILE"] = os.devnull
    with tempfile.TemporaryDirectory(prefix="whimsy-gate-plan-") as tmp:
        root = Path(tmp)
        for child in ("terraform", "lambdas"):  # lambdas/: the zips the functions reference
            if (out_dir / child).is_dir():
                shutil.copytree(
                    out_dir / child,
                    root / child,
                    ignore=shutil.ignore_patterns(
                        ".terraform", "*.tfstate*", ".terraform.lock.hcl"
                    ),
                )
        workdir = root / "terraform"
        override = offline_override(_aliases(workdir))
        (workdir / "zz_whimsy_gate_override.tf.json").write_text(json.dumps(override))
        _run(init, workdir, env)
        _run(
            [
                binary,
                "plan",
                "-input=false",
                "-no-color",
                "-refresh=false",
                "-lock=false",
                "-out=plan.bin",
            ],
            workdir,
            env,
        )
        shown: dict[str, Any] = json.loads(
            _run([binary, "show", "-json", "plan.bin"], workdir, env)
        )
    return shown
