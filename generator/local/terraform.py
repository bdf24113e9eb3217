"""Terraform against the emulator: init (offline from a provider mirror when there is one),
apply, plan, destroy. Each command's full output goes to a log next to the working copy;
a failure is reported with its last lines."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.terraform_mirror import find_plugin_dir

TIMEOUT_SECONDS = 1200
# Most of an apply is the provider's own waits (Route53 changes, CloudFront deployments,
# Lambda state) along the dependency chain, so more parallelism does not shorten it (measured:
# 100 s at 10, 30 and 50); Terraform's default 10 keeps the emulator's load low.
PARALLELISM = 10
# ministack 1.5.33 sometimes answers a concurrent AddPermission with ResourceConflictException
# after recording the statement; the provider retries for 5 minutes, every retry meets the
# statement it already added, and the apply fails with:
#   Error: adding Lambda Permission (<function>/<sid>): ... provided already exists. ...
#     with aws_lambda_permission.<name>,
_DUPLICATE_PERMISSION = re.compile(
    r"adding Lambda Permission \((?P<id>[^)\s]+/[^)\s]+)\):[^\n]*provided already exists[^\n]*"
    r"\n\s*\n\s*with (?P<address>aws_lambda_permission\.[^,\s]+),"
)


# Under load the emulator can also answer a Route53 create slowly enough that the SDK retries
# it, and the retry meets the record the first attempt made:
#   Error: creating Route53 Record: ... Tried to create resource record set <name>. type <T>
#   but it already exists.
#     with aws_route53_record.<name>,
_DUPLICATE_RECORD = re.compile(
    r"creating Route53 Record:[^\n]*Tried to create resource record set (?P<name>\S+?)\.? "
    r"type (?P<type>[A-Z]+) but it already exists[^\n]*\n\s*\n\s*with "
    r"(?P<address>aws_route53_record\.[^,\s]+),"
)


# The same for resources imported by the name the error names: under load a create can outlast
# the provider's own retry window (CreateRole is retried for IAM propagation), the retry meets
# what the first attempt made (hashicorp/terraform#7733, the same error against real AWS):
#   Error: creating IAM Role (<name>): operation error IAM: CreateRole, ... EntityAlreadyExists: ...
#     with aws_iam_role.<name>,
NAME_IMPORTED_TYPES = (
    "aws_cloudwatch_log_group", "aws_dynamodb_table", "aws_iam_role", "aws_lambda_function",
    "aws_s3_bucket",
)  # fmt: skip
_DUPLICATE_BY_NAME = re.compile(
    r"creating [^(\n]+\((?P<id>[^)\s]+)\):[^\n]*"
    r"(?:EntityAlreadyExists|ResourceAlreadyExists|ResourceInUseException|BucketAlreadyOwnedByYou"
    r"|already exists)[^\n]*\n\s*\n\s*with (?P<address>(?P<type>aws_[a-z0-9_]+)\.[^,\s]+),"
)


def duplicates_by_name(output: str) -> list[tuple[str, str]]:
    """(address, import id) of every name-imported resource an apply created but lost track of."""
    return sorted({(m["address"], m["id"]) for m in _DUPLICATE_BY_NAME.finditer(output)
                   if m["type"] in NAME_IMPORTED_TYPES})  # fmt: skip


def unowned(lost: list[tuple[str, str]], state: dict[str, Any]) -> list[tuple[str, str]]:
    """The lost resources that no address in the state already holds: one that another address
    holds is a real name clash in the configuration, never imported over."""
    held = {
        (resource.get("type"), str(instance.get("attributes", {}).get(key)))
        for resource in state.get("resources") or []
        for instance in resource.get("instances") or []
        for key in ("id", "name", "arn")
    }
    return [(address, import_id) for address, import_id in lost
            if (address.split(".", 1)[0], import_id) not in held]  # fmt: skip


def duplicate_permissions(output: str) -> list[tuple[str, str]]:
    """(address, import id) of every Lambda permission an apply created but lost track of."""
    return sorted({(m["address"], m["id"]) for m in _DUPLICATE_PERMISSION.finditer(output)})


def duplicate_records(output: str, zones: dict[str, str]) -> list[tuple[str, str]]:
    """(address, import id) of every Route53 record an apply created but lost track of;
    zones: record address -> its zone id."""
    found = set()
    for match in _DUPLICATE_RECORD.finditer(output):
        zone = zones.get(match["address"])
        if zone:
            found.add((match["address"], f"{zone}_{match['name'].rstrip('.')}_{match['type']}"))
    return sorted(found)


def _record_zones(workdir: Path) -> dict[str, str]:
    """Record address -> zone id, from the local override (which sets every record's zone)."""
    from generator.local.override import LOCAL_OVERRIDE

    try:
        document = json.loads((workdir / LOCAL_OVERRIDE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    records = (document.get("resource") or {}).get("aws_route53_record") or {}
    return {f"aws_route53_record.{name}": str(body.get("zone_id", ""))
            for name, body in records.items()}  # fmt: skip


def environment(plugins: Path | None, environ: dict[str, str]) -> dict[str, str]:
    """No AWS settings of the caller's (the override file carries the emulator's), no
    checkpoint calls, and no CLI config when a mirror replaces the registry."""
    env = {k: v for k, v in environ.items() if not k.startswith("AWS_")}
    env.update({"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
                "AWS_EC2_METADATA_DISABLED": "true"})  # fmt: skip
    if plugins is not None:
        env["TF_CLI_CONFIG_FILE"] = os.devnull
    return env


@dataclass(frozen=True)
class Terraform:
    binary: str
    workdir: Path
    logs: Path
    plugins: Path | None

    @classmethod
    def locate(cls, workdir: Path, logs: Path) -> Terraform:
        binary = shutil.which("terraform")
        if binary is None:
            raise UserError("terraform is not installed (whimsy local needs Terraform 1.10+)")
        return cls(binary, workdir, logs, find_plugin_dir())

    def run(self, name: str, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[int, str]:
        """Run `terraform <args>`; (exit code, stdout). Output is logged to <logs>/<name>.log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"terraform-{name}.log"
        try:
            result = subprocess.run(
                [self.binary, *args], cwd=self.workdir,
                env=environment(self.plugins, dict(os.environ)),
                capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise UserError(
                f"terraform {args[0]} did not finish within {TIMEOUT_SECONDS} s"
            ) from exc
        log.write_text(result.stdout + result.stderr, encoding="utf-8")
        if result.returncode not in ok:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-30:])
            raise UserError(f"terraform {args[0]} failed (full output: {log}):\n{tail}")
        return result.returncode, result.stdout

    def init(self) -> None:
        args = ["init", "-input=false", "-no-color"]
        if self.plugins is not None:
            args.append(f"-plugin-dir={self.plugins}")
        self.run("init", *args)

    def apply(self, name: str = "apply", targets: tuple[str, ...] = ()) -> float:
        """Apply (only `targets` and what they depend on, when given); wall seconds.

        A Lambda permission, a Route53 record or a name-imported resource that the emulator
        recorded while answering a conflict (duplicate_permissions, duplicate_records,
        duplicates_by_name) and that no other address holds (unowned) is imported, once, and
        the apply resumed: it is the one this very apply asked for, and the zero-change re-plan
        checks that it matches."""
        start = time.perf_counter()
        args = ("apply", "-input=false", "-no-color", "-auto-approve",
                f"-parallelism={PARALLELISM}", *(f"-target={t}" for t in targets))  # fmt: skip
        try:
            self.run(name, *args)
        except UserError:
            output = (self.logs / f"terraform-{name}.log").read_text()
            lost = unowned(
                duplicate_permissions(output)
                + duplicate_records(output, _record_zones(self.workdir))
                + duplicates_by_name(output),
                self._state(),
            )
            if not lost:
                raise
            for address, import_id in lost:
                print(f"whimsy local: {address} was created but reported as a conflict by the "
                      "emulator; importing it", flush=True)  # fmt: skip
                self.run("import", "import", "-input=false", "-no-color", address, import_id)
            self.run(f"{name}-resumed", *args)
        return time.perf_counter() - start

    def _state(self) -> dict[str, Any]:
        try:
            document: dict[str, Any] = json.loads(
                (self.workdir / "terraform.tfstate").read_text(encoding="utf-8")
            )
        except (OSError, ValueError):
            return {}
        return document

    def destroy(self) -> float:
        start = time.perf_counter()
        self.run("destroy", "destroy", "-input=false", "-no-color", "-auto-approve",
                 f"-parallelism={PARALLELISM}")  # fmt: skip
        return time.perf_counter() - start

    def plan_changes(self) -> list[dict[str, Any]]:
        """The resource changes a plan proposes now (no-ops left out)."""
        self.run("plan", "plan", "-input=false", "-no-color", "-out=whimsy-local.tfplan")
        _, shown = self.run("show", "show", "-json", "whimsy-local.tfplan")
        (self.workdir / "whimsy-local.tfplan").unlink(missing_ok=True)
        changes = json.loads(shown).get("resource_changes") or []
        return [c for c in changes if c["change"]["actions"] not in (["no-op"], ["read"])]

    def plan_exit_code(self) -> int:
        """`terraform plan -detailed-exitcode`: 0 nothing to change, 2 changes."""
        code, _ = self.run("plan", "plan", "-input=false", "-no-color", "-detailed-exitcode",
                           ok=(0, 2))  # fmt: skip
        return code

    def addresses(self) -> list[str]:
        if not (self.workdir / "terraform.tfstate").is_file():
            return []
        _, listed = self.run("state-list", "state", "list")
        return [line for line in listed.splitlines() if line.strip()]

    def show(self) -> dict[str, Any]:
        _, shown = self.run("show", "show", "-json")
        document: dict[str, Any] = json.loads(shown)
        return document
