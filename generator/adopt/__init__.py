"""`whimsy adopt`: find what the account already holds for the config, read-only, and say
what the first apply would do to it.

    whimsy adopt [-c whimsy_config.yaml] [--write] [--endpoint-url URL]

Prints the conflict report (each finding at its config position: refused, to confirm, to
know) and the `adopt:` block with the live ids; --write puts the block into the config,
keeping its comments and the confirmations already given. Exit codes: 0 nothing refused,
1 something refused (or a problem with the command). AWS credentials and region come from
the usual places (the plan role's read rights are enough); --endpoint-url points every
client at an emulator. See docs/adopt.md.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path
from typing import Any

from generator.errors import UserError

EXIT_OK, EXIT_REFUSED = 0, 1
_HEADINGS = {
    "refused": "REFUSED (fix the config here, then run adopt again)",
    "confirm": "TO CONFIRM (the first apply changes live data or access; validate refuses the "
    "config until the adopt: block confirms it)",
    "note": "TO KNOW",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", type=Path, default=Path("whimsy_config.yaml"), metavar="FILE",
        help="the config file (default: whimsy_config.yaml)",
    )  # fmt: skip
    parser.add_argument(
        "--write", action="store_true",
        help="write the adopt: block into the config (comments are kept)",
    )  # fmt: skip
    parser.add_argument(
        "--endpoint-url", default=None, metavar="URL",
        help="send every AWS call here (an emulator) instead of AWS",
    )  # fmt: skip


def clients_for(region: str, endpoint_url: str | None) -> Any:
    """A cached boto3 client per (service, region)."""
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError:
        raise UserError(
            "whimsy adopt needs boto3: pip install -e '.[adopt]' (or pip install boto3)"
        ) from None
    made: dict[tuple[str, str], Any] = {}

    def client(service: str, in_region: str | None = None) -> Any:
        key = (service, in_region or region)
        if key not in made:
            made[key] = boto3.client(service, region_name=key[1], endpoint_url=endpoint_url)
        return made[key]

    return client


def render_report(conflicts: list[Any], raw: bytes, filename: str) -> list[str]:
    from generator.config import locate

    lines = []
    for severity, heading in _HEADINGS.items():
        found = [c for c in conflicts if c.severity == severity]
        if not found:
            continue
        lines.append(f"{heading}:")
        for conflict in found:
            line, column = locate(raw, conflict.path)
            where = ".".join(str(step) for step in conflict.path)
            lines.append(f"  {filename}:{line}:{column}: {where}: {conflict.message}")
    return lines


def _yaml() -> Any:
    """Round-trip YAML in the config's style: 2-space mappings, '- ' items indented under
    their key, explicit nulls kept as `null`, long ids on one line."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def render_block(block: dict[str, Any]) -> str:
    stream = io.StringIO()
    _yaml().dump({"adopt": block}, stream)
    return stream.getvalue()


def with_block(text: str, block: dict[str, Any]) -> str:
    """The config text with its adopt: section replaced by block (comments elsewhere kept)."""
    yaml = _yaml()
    document = yaml.load(text)
    document["adopt"] = block
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def _discover(discover: Any, config: Any, clients: Any) -> Any:
    """Discovery, with AWS's refusals and unreachable endpoints as plain errors."""
    from botocore.exceptions import (  # type: ignore[import-untyped]
        BotoCoreError,
        ClientError,
        NoCredentialsError,
    )

    try:
        return discover(config, clients)
    except NoCredentialsError:
        raise UserError(
            "whimsy adopt: no AWS credentials (set AWS_PROFILE, or the AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY of a role that may read the account; an emulator takes any)"
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise UserError(
            f"whimsy adopt: AWS refused {exc.operation_name}: {error.get('Code')}: "
            f"{error.get('Message')} (adopt needs the plan role's read rights)"
        ) from None
    except BotoCoreError as exc:
        raise UserError(f"whimsy adopt: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from generator.config import parse_config

    started = time.monotonic()
    path: Path = args.config
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    config = parse_config(raw, str(path), confirmations=False)
    clients = clients_for(config.project.region, args.endpoint_url)  # boto3 is there

    from generator.adopt.conflicts import adopt_block, conflicts
    from generator.adopt.discovery import discover

    found = _discover(discover, config, clients)
    report = conflicts(config, found)
    block = adopt_block(config, found)
    for line in render_report(report, raw, str(path)):
        print(line)
    refused = [c for c in report if c.severity == "refused"]
    if args.write and not refused:
        updated = with_block(raw.decode("utf-8"), block)
        parse_config(updated.encode("utf-8"), str(path), confirmations=False)  # still valid
        path.write_text(updated, encoding="utf-8")
        print(f"wrote the adopt: block into {path}")
    else:
        print(render_block(block), end="")
    counts = {s: sum(c.severity == s for c in report) for s in _HEADINGS}
    print(
        f"adopt: {counts['refused']} refused, {counts['confirm']} to confirm, "
        f"{counts['note']} to know, in {time.monotonic() - started:.1f} s"
    )
    return EXIT_REFUSED if refused else EXIT_OK
