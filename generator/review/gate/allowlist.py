"""The reviewed allow list: findings the platform accepts on purpose, each with its reason.

The file (review/gate-allowlist.yaml) holds entries of (check, resource, reason). `resource` is
one Terraform address or policy file, or a list of them; `*` in one matches any run of
characters (so `aws_lambda_function.fn_*` covers every function), nothing else is special.
Every (check, resource pattern) must still match a finding: an entry that matches nothing is
stale and fails the gate, so that the list shrinks when the platform improves and an exception
never outlives its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.review.gate.findings import Finding

CHECK_ID = re.compile(r"^[A-Z][A-Z0-9_]*$")
MIN_REASON_CHARS = 40
# Words that say an exception was accepted without saying why.
NON_REASONS = frozenset(
    ("todo", "tbd", "n/a", "na", "ok", "fine", "accepted", "ignore", "wontfix", "false positive")
)


@dataclass(frozen=True)
class Entry:
    check: str
    patterns: tuple[str, ...]
    reason: str
    line: int  # 1-based line of the entry in the file

    def matches(self, finding: Finding) -> str | None:
        """The pattern that allows the finding, if any."""
        if finding.check != self.check:
            return None
        return next((p for p in self.patterns if _pattern(p).fullmatch(finding.resource)), None)


@dataclass(frozen=True)
class Stale:
    entry: Entry
    pattern: str

    def render(self, filename: str) -> str:
        return (
            f"{filename}:{self.entry.line}: stale allow-list entry {self.entry.check} "
            f"{self.pattern}: no such finding any more; remove it"
        )


@dataclass(frozen=True)
class Verdict:
    new: list[Finding]  # findings the allow list does not cover: the gate fails
    allowed: list[tuple[Finding, Entry]]
    stale: list[Stale]  # entries (per pattern) that matched nothing: the gate fails


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in text.split("*")))


def apply(entries: Sequence[Entry], findings: Iterable[Finding]) -> Verdict:
    new: list[Finding] = []
    allowed: list[tuple[Finding, Entry]] = []
    used: set[tuple[int, str]] = set()
    for finding in sorted(set(findings)):
        hits = [(entry, pattern) for entry in entries if (pattern := entry.matches(finding))]
        if not hits:
            new.append(finding)
            continue
        allowed.append((finding, hits[0][0]))
        used.update((id(entry), pattern) for entry, pattern in hits)
    stale = [
        Stale(entry, pattern)
        for entry in entries
        for pattern in entry.patterns
        if (id(entry), pattern) not in used
    ]
    return Verdict(new, allowed, stale)


def load(path: Path) -> list[Entry]:
    """Read and validate the allow list; every problem is reported at once (UserError)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the gate's allow list: {exc.strerror}") from exc
    try:
        document = YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from exc
    return parse(document, str(path))


def parse(document: Any, filename: str) -> list[Entry]:
    problems: list[str] = []
    if document is None:
        document = {"allow": []}
    if not isinstance(document, dict) or set(document) != {"allow"}:
        raise UserError(f"{filename}: expected a mapping with one key, `allow`, holding a list")
    raw = document["allow"] or []
    if not isinstance(raw, list):
        raise UserError(f"{filename}: `allow` must be a list of entries")
    entries: list[Entry] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(raw):
        line = _line(raw, index)
        where = f"{filename}:{line}: allow[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping with check, resource and reason")
            continue
        unknown = sorted(set(item) - {"check", "resource", "reason"})
        missing = sorted({"check", "resource", "reason"} - set(item))
        if unknown or missing:
            parts = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
            parts += [f"missing {', '.join(missing)}"] if missing else []
            problems.append(f"{where}: {'; '.join(parts)}")
            continue
        check, resource, reason = item["check"], item["resource"], item["reason"]
        if not isinstance(check, str) or not CHECK_ID.match(check):
            problems.append(f"{where}: check must be an id such as CKV_AWS_21, got {check!r}")
            continue
        patterns = [resource] if isinstance(resource, str) else resource
        if (
            not isinstance(patterns, list)
            or not patterns
            or not all(isinstance(p, str) and p.strip() for p in patterns)
        ):
            problems.append(f"{where}: resource must be an address or a non-empty list of them")
            continue
        problem = _reason_problem(reason)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        for pattern in patterns:
            key = (check, str(pattern))
            if key in seen:
                problems.append(
                    f"{where}: {check} {pattern} is already allowed at line {seen[key]}"
                )
            seen[key] = line
        entries.append(
            Entry(check, tuple(str(p) for p in patterns), " ".join(reason.split()), line)
        )
    if problems:
        count = len(problems)
        raise UserError(
            "\n".join([*problems, f"{count} problem{'s' * (count != 1)} in {filename}"])
        )
    return entries


def _reason_problem(reason: Any) -> str | None:
    if not isinstance(reason, str):
        return "reason must be text explaining why the finding is accepted"
    text = " ".join(reason.split())
    if text.lower().strip(" .!") in NON_REASONS or len(text) < MIN_REASON_CHARS:
        return (
            f"reason {text!r} does not explain anything; say why this is safe or necessary "
            f"here (at least {MIN_REASON_CHARS} characters)"
        )
    return None


def _line(sequence: Any, index: int) -> int:
    try:
        return int(sequence.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return 0
