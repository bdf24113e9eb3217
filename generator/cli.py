"""The whimsy command line. Exit codes: 0 ok, 1 a problem you can fix, 2 a bug in whimsy."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from generator import __version__
from generator.errors import UserError

EXIT_OK, EXIT_USER, EXIT_INTERNAL = 0, 1, 2
DEFAULT_CONFIG = Path("whimsy_config.yaml")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="whimsy",
        description="Compile whimsy_config.yaml (the Whimsy.Space platform, declared) into "
        "Terraform JSON and Lambda packages under out/.",
        epilog="Exit codes: 0 ok, 1 a problem in your config or command (or, for adopt, "
        "something refused), 2 an internal error; whimsy diff: 3 routine, 4 high or data loss, "
        "5 critical.",
    )
    parser.add_argument("--version", action="version", version=f"whimsy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def config_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "-c", "--config", type=Path, default=DEFAULT_CONFIG, metavar="FILE",
            help="the config file (default: whimsy_config.yaml)",
        )  # fmt: skip

    validate = commands.add_parser(
        "validate", help="check the config and report every mistake (fast, no synthesis)"
    )
    config_option(validate)

    generate = commands.add_parser("generate", help="compile the config into out/")
    config_option(generate)
    generate.add_argument(
        "-o", "--out", type=Path, default=None, metavar="DIR",
        help="output directory (default: out/ next to the config)",
    )  # fmt: skip
    generate.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the files in out/ that generate would change",
    )

    schema = commands.add_parser("schema", help="print the config's JSON Schema (for editors)")
    schema.add_argument("-o", "--out", type=Path, default=None, metavar="FILE")

    # Review and local commands live with their code; each module adds its own arguments.
    for name, module, summary in _DELEGATED:
        _load(module).add_arguments(commands.add_parser(name, help=summary))
    return parser


# (command, module with add_arguments(parser) and run(args) -> exit code, help)
_DELEGATED = (
    ("diff", "generator.review.diff", "what a change does to access and resources, for review"),
    ("prove", "generator.review.prove", "prove the isolation promises with an SMT solver"),
    ("gate", "generator.review.gate", "security gate: checkov + policy lint + whimsy's checks"),
    ("local", "generator.local.commands", "run the platform on a local AWS emulator"),
    ("adopt", "generator.adopt", "find what the account holds (read-only): the adopt: block"),
)


def _load(module: str) -> Any:
    return importlib.import_module(module)


def _validate(args: argparse.Namespace) -> int:
    from generator.config import load_config

    loaded = load_config(args.config)
    config = loaded.config
    print(
        f"{args.config}: ok ({config.project.name}, {len(config.storage.folders)} folder rules, "
        f"{len(config.kv.tables)} tables, {len(config.functions)} functions)"
    )
    return EXIT_OK


def _generate(args: argparse.Namespace) -> int:
    from generator.build import generate

    out_dir = args.out if args.out is not None else args.config.parent / "out"
    return generate(args.config, out_dir, check=args.check)


def _schema(args: argparse.Namespace) -> int:
    from generator.config.schema import render_schema

    text = render_schema()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"validate": _validate, "generate": _generate, "schema": _schema}
    try:
        if args.command in handlers:
            return handlers[args.command](args)
        module = next(module for name, module, _ in _DELEGATED if name == args.command)
        exit_code: int = _load(module).run(args)
        return exit_code
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_USER
    except Exception as exc:  # the one boundary where a bug becomes a short report
        if os.environ.get("WHIMSY_DEBUG"):
            traceback.print_exc()
        print(
            f"whimsy: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in whimsy, not in your config. Rerun with WHIMSY_DEBUG=1 for details.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
