"""The working copy: out/ as committed, plus the local-only files, under .whimsy-local/.

    .whimsy-local/work/terraform/main.tf.json            copied from out/terraform/
    .whimsy-local/work/terraform/whimsy_*_override.tf.json  local only (override.py)
    .whimsy-local/work/terraform/terraform.tfstate       the emulator deployment's state
    .whimsy-local/work/lambdas/*.zip                     copied from out/lambdas/
    .whimsy-local/work/lambdas-emulator/*.zip            rebuilt for the emulator (lambdas.py)

main.tf.json names its packages `${path.module}/../lambdas/<name>.zip`, so terraform/ and
lambdas/ keep their relative places. out/ itself is only ever read.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from generator.errors import UserError

WORK = "work"
TERRAFORM = "terraform"
LAMBDAS = "lambdas"
EMULATOR_LAMBDAS = "lambdas-emulator"
MAIN = "main.tf.json"


def terraform_dir(state_dir: Path) -> Path:
    return state_dir / WORK / TERRAFORM


def read_main(out_dir: Path) -> dict[str, Any]:
    main = out_dir / TERRAFORM / MAIN
    if not main.is_file():
        raise UserError(f"{main} does not exist; run `whimsy generate` first")
    document: dict[str, Any] = json.loads(main.read_text(encoding="utf-8"))
    return document


def sync(out_dir: Path, state_dir: Path) -> Path:
    """Copy out/'s Terraform and packages into the working copy (state and provider cache
    stay); the working copy's terraform directory."""
    work = state_dir / WORK
    target = work / TERRAFORM
    target.mkdir(parents=True, exist_ok=True)
    sources = {p.name: p for p in (out_dir / TERRAFORM).glob("*.tf.json")
               if not p.name.endswith("_override.tf.json")}  # fmt: skip
    for stale in target.glob("*.tf.json"):
        if stale.name not in sources and not stale.name.startswith("whimsy_"):
            stale.unlink()
    for name, source in sources.items():
        shutil.copyfile(source, target / name)
    zips = work / LAMBDAS
    if zips.exists():
        shutil.rmtree(zips)
    if (out_dir / LAMBDAS).is_dir():
        shutil.copytree(out_dir / LAMBDAS, zips)
    return target


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def forget_deployment(state_dir: Path) -> None:
    """Drop the Terraform state of an emulator that is gone (its resources went with it)."""
    for stale in terraform_dir(state_dir).glob("terraform.tfstate*"):
        stale.unlink()


def read_main_copy(terraform: Path) -> dict[str, Any]:
    """The main.tf.json last applied (the working copy's, which out/ may have moved past)."""
    document: dict[str, Any] = json.loads((terraform / MAIN).read_text(encoding="utf-8"))
    return document
