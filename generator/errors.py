"""Errors the user can fix, kept apart from bugs in whimsy itself."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any


def printable(text: str) -> str:
    """Escape control and invisible format characters so that one problem stays one line
    and a config cannot drive the terminal (colour codes, carriage returns)."""
    out = []
    for char in text:
        if unicodedata.category(char).startswith("C"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


@dataclass(frozen=True, order=True)
class ConfigProblem:
    """One mistake in the config, located in the file."""

    line: int  # 1-based
    column: int  # 1-based
    path: str  # dotted path such as storage.folders[2].path ("" for the document)
    message: str

    def render(self, filename: str) -> str:
        where = f"{printable(self.path)}: " if self.path else ""
        return f"{printable(filename)}:{self.line}:{self.column}: {where}{printable(self.message)}"


class UserError(Exception):
    """A problem the operator can fix; reported without a traceback, exit code 1."""


class ConfigErrors(UserError):
    """Every problem found in one config file, reported together."""

    def __init__(self, filename: str, problems: list[ConfigProblem]) -> None:
        self.filename = filename
        self.problems = sorted(set(problems))
        super().__init__(self.render())

    def render(self) -> str:
        lines = [p.render(self.filename) for p in self.problems]
        count = len(self.problems)
        lines.append(f"{count} error{'s' if count != 1 else ''} in {self.filename}")
        return "\n".join(lines)


class MissingDependency(UserError):
    """An optional library a command needs is not installed: say what to install."""


def require(module: str, command: str, extra: str) -> Any:
    """Import an optional dependency of `command`, or fail with the command that installs it
    (exit 1), never as a bug in whimsy."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(
            f"{command} needs {module.split('.')[0]}, which is not installed: "
            f"pip install -e '.[{extra}]' (in the whimsy checkout)"
        ) from None
