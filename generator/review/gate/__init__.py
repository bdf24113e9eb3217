"""`whimsy gate`: the security gate over a generated out/.

Three scanners, one allow list:
- checkov (offline) over the Terraform plan: the generic AWS checks (scanner.py);
- parliament over every policy document in out/policies/ (policy_lint.py);
- whimsy's own rules over out/terraform/main.tf.json: what checkov does not cover here
  (rules.py), and over the plan with the config's `adopt:` section: no stateful resource
  destroyed, replaced, or created anew where one exists (WHIMSY_DATA_LOSS).
Findings the platform accepts on purpose are listed, each with its reason, in the reviewed
allow list review/gate-allowlist.yaml (allowlist.py). The gate fails (exit 1) on a finding
that is not on the list, on a list entry that no longer matches a finding (stale), and on a
checkov scan that saw zero resources or fewer than the plan holds. See docs/gate.md.

Only the standard library and light generator modules are imported here: the CLI builds its
parser from this module on every command, `whimsy validate` included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from generator.errors import UserError
from generator.review.gate.findings import Finding

if TYPE_CHECKING:
    from generator.review.gate.allowlist import Verdict
    from generator.review.gate.scanner import Scan

DEFAULT_OUT = Path("out")
DEFAULT_ALLOWLIST = Path("review/gate-allowlist.yaml")
CONFIG_NAME = "whimsy_config.yaml"
DATA_LOSS = "WHIMSY_DATA_LOSS"
TERRAFORM_JSON = Path("terraform/main.tf.json")
REPO = Path(__file__).resolve().parents[3]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Security gate: checkov (offline) on the Terraform plan, parliament on every policy "
        "document, and whimsy's own checks, against the reviewed allow list. Exit 1 on a new "
        "finding, a stale allow-list entry, or a scan that saw no resources."
    )
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help="the generated tree to check (default: out/)",
    )
    parser.add_argument(
        "--plan-json",
        type=Path,
        default=None,
        metavar="FILE",
        help="scan this plan (`terraform show -json PLAN > FILE`) instead of planning "
        "OUT/terraform offline",
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="the config that OUT was generated from, for what it adopts (default: "
        "whimsy_config.yaml next to OUT)",
    )
    parser.add_argument(
        "--allowlist",
        type=Path,
        default=DEFAULT_ALLOWLIST,
        metavar="FILE",
        help="the reviewed allow list (default: review/gate-allowlist.yaml)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list the allowed findings, each with its reason",
    )


@dataclass
class Report:
    scan: Scan
    planned: int  # managed resources in the plan
    policies: int  # policy documents linted
    whimsy: list[Finding]
    parliament: list[Finding]
    verdict: Verdict
    allowlist: str
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.verdict.new or self.verdict.stale or self.problems)


def read_plan(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read the plan: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not JSON ({exc}); pass `terraform show -json PLAN`") from exc
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise UserError(f"{path}: not the output of `terraform show -json PLAN`")
    return plan


def default_config(out_dir: Path) -> Path:
    """whimsy_config.yaml next to out/ (where `whimsy generate` writes out/ by default)."""
    return out_dir.parent / CONFIG_NAME


def evaluate(
    out_dir: Path,
    allowlist_path: Path,
    plan: dict[str, Any] | None = None,
    plan_path: Path | None = None,
    config_path: Path | None = None,
) -> Report:
    """Run every scanner and judge the findings against the allow list.

    The plan is scanned from plan_path if given, else from `plan` (written to a temporary
    file), else planned offline from out_dir. The config (default: next to out_dir) says what
    exists already, for the data-loss rule."""
    import tempfile

    from generator.config import load_config
    from generator.review.gate import allowlist, policy_lint, rules, scanner
    from generator.review.gate.tfjson import Configuration

    entries = allowlist.load(allowlist_path)  # a broken list fails before any slow work
    adopt = load_config(config_path or default_config(out_dir), check_lambdas=False).config.adopt
    executable = scanner.locate(REPO)
    config = Configuration.read(out_dir / TERRAFORM_JSON)
    whimsy = rules.check(config)
    parliament, policies = policy_lint.lint(out_dir, config)
    if plan_path is not None:
        plan = read_plan(plan_path)
        scan = scanner.scan(executable, plan_path)
    else:
        if plan is None:
            from generator.review.gate.plan import plan_offline

            plan = plan_offline(out_dir)
        with tempfile.TemporaryDirectory(prefix="whimsy-gate-") as tmp:
            path = Path(tmp) / "plan.json"
            path.write_text(json.dumps(plan), encoding="utf-8")
            scan = scanner.scan(executable, path)
    whimsy = sorted({*whimsy, *rules.check_plan(plan, adopt)})
    planned = scanner.planned_resources(plan)
    problems = list(scan.problems)
    if scan.resource_count and scan.resource_count < planned:
        problems.append(
            f"checkov scanned {scan.resource_count} resources but the plan holds {planned}: "
            "part of the platform went unchecked"
        )
    verdict = allowlist.apply(entries, [*scan.findings, *whimsy, *parliament])
    return Report(
        scan, planned, policies, whimsy, parliament, verdict, str(allowlist_path), problems
    )


def render(report: Report, verbose: bool = False, stream: TextIO | None = None) -> None:
    def say(line: str = "") -> None:
        print(line, file=stream or sys.stdout)

    verdict = report.verdict
    losses = [finding for finding in verdict.new if finding.check == DATA_LOSS]
    if losses:
        count = f"{len(losses)} stateful resource{'s' if len(losses) != 1 else ''}"
        say(f"DATA LOSS: {count} destroyed, replaced, or created where one exists:")
        for finding in losses:
            say(f"  {finding.resource}: {finding.message}")
        say("  (to keep a resource in AWS, list it under `retired:` in the config)")
    if verdict.new:
        say(f"new findings ({len(verdict.new)}), not on the allow list {report.allowlist}:")
        for finding in verdict.new:
            say(f"  {finding.render()}")
    if verdict.stale:
        say(f"stale allow-list entries ({len(verdict.stale)}):")
        for stale in verdict.stale:
            say(f"  {stale.render(report.allowlist)}")
    if report.problems:
        say("problems with the scan:")
        for problem in report.problems:
            say(f"  {problem}")
    if verbose and verdict.allowed:
        say(f"allowed findings ({len(verdict.allowed)}):")
        for finding, entry in verdict.allowed:
            say(f"  {finding.render()}")
            say(f"      allowed ({report.allowlist}:{entry.line}): {entry.reason}")
    scan = report.scan
    by_source: dict[str, int] = {}
    for finding, _ in verdict.allowed:
        by_source[finding.source] = by_source.get(finding.source, 0) + 1
    say(
        f"checkov {scan.version or '?'}: {scan.resource_count} of {report.planned} planned "
        f"resources scanned in {scan.seconds:.1f} s, {scan.passed} checks passed, "
        f"{scan.failed} failed ({by_source.get('checkov', 0)} allowed)"
    )
    say(
        f"parliament: {report.policies} policy documents, {len(report.parliament)} findings "
        f"({by_source.get('parliament', 0)} allowed)"
    )
    say(f"whimsy rules: {len(report.whimsy)} findings ({by_source.get('whimsy', 0)} allowed)")
    if report.clean:
        say("gate: clean")
    else:
        say(
            f"gate: FAILED ({len(verdict.new)} new findings, {len(verdict.stale)} stale "
            f"allow-list entries, {len(report.problems)} scan problems)"
        )


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    report = evaluate(args.out, args.allowlist, plan_path=args.plan_json, config_path=args.config)
    render(report, verbose=args.verbose)
    print(f"gate: {time.monotonic() - started:.1f} s in all")
    return 0 if report.clean else 1
