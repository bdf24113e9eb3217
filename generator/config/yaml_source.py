"""Read YAML into plain data while remembering where every key and value came from.

ruamel.yaml composes the document into nodes that carry line/column marks; we build the
Python values ourselves from those nodes so that we can (a) report every duplicate key,
(b) refuse alias bombs before they expand, and (c) keep a position for every path.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from generator.errors import ConfigProblem

Path = tuple[str | int, ...]

# A config of this platform has a few hundred nodes; anchors that expand past this are an attack
# (billion laughs) or a mistake.
MAX_EXPANDED_NODES = 20_000
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NUMBER_DIGITS = 30
# YAML 1.1 spellings, in case a file asks for %YAML 1.1: never read 'yes' as false.
TRUE_WORDS = {"true", "yes", "on", "y"}

# ruamel's parser jargon, in words an operator knows.
JARGON = {
    "<block end>": "the end of an indented block",
    "<block mapping start>": "an indented 'key: value'",
    "<block sequence start>": "an indented '- item'",
    "<flow mapping start>": "'{'",
    "<flow sequence start>": "'['",
    "<stream end>": "the end of the file",
    "<document start>": "'---'",
}


@dataclass
class Positions:
    """1-based (line, column) of each value and of each mapping key, by path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, prefer_key: bool = False) -> tuple[int, int]:
        """The position of path, or of its nearest ancestor that exists in the file."""
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            if prefer_key and cut == len(path) and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return (1, 1)


@dataclass
class SourceDocument:
    data: Any
    positions: Positions


class YamlProblems(Exception):
    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def _mark(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblems(
            [
                ConfigProblem(
                    line,
                    column,
                    "",
                    f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                )
            ]
        ) from None


def _plain(words: str) -> str:
    for jargon, plain in JARGON.items():
        words = words.replace(jargon, plain)
    return words


def _syntax_problem(exc: MarkedYAMLError, text: str) -> ConfigProblem:
    lines = text.splitlines()
    mark = exc.problem_mark or exc.context_mark
    line = min(mark.line + 1, max(len(lines), 1)) if mark is not None else 1
    column = mark.column + 1 if mark is not None and mark.line < len(lines) else 1
    problem = str(exc.problem or "")
    offending = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in problem or "'\\t'" in problem:
        indent = offending[: len(offending) - len(offending.lstrip(" \t"))]
        words = (
            "tab character found; YAML needs spaces for indentation"
            if "\t" in indent
            else "tab character found where YAML does not allow one; use spaces"
        )
        tab = offending.find("\t") + 1 if "\t" in offending else column
        return ConfigProblem(line, tab, "", words)
    if "another document" in problem:
        return ConfigProblem(
            line, column, "", "a second YAML document ('---'); whimsy reads one document per file"
        )
    words = f"YAML syntax error: {_plain(problem)}"
    context_mark = exc.context_mark
    if exc.context and context_mark is not None and context_mark.line + 1 != line:
        words += f" ({_plain(exc.context)} that starts at line {context_mark.line + 1})"
    elif exc.context:
        words += f" ({_plain(exc.context)})"
    return ConfigProblem(line, column, "", words)


def _reader_problem(exc: ReaderError, text: str) -> ConfigProblem:
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    words = f"the file contains the control character U+{ord(character):04X}; remove it"
    return ConfigProblem(line, column, "", words)


def _short_tag(tag: str) -> str:
    return "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag


def _number(text: str, tag: str) -> int | float:
    """Read a YAML int or float; ValueError when it is not one whimsy can use."""
    cleaned = text.replace("_", "").lower()
    if len(cleaned) > MAX_NUMBER_DIGITS:
        raise ValueError(f"the number {text[:20]}... is too long")
    if tag.endswith(":float"):
        if cleaned.lstrip("+-") in (".inf", ".nan"):
            raise ValueError(f"{text} is not a usable number")
        return float(cleaned)
    sign = -1 if cleaned.startswith("-") else 1
    digits = cleaned.lstrip("+-")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits, 10)


class _Builder:
    def __init__(self) -> None:
        self.positions = Positions()
        self.problems: list[ConfigProblem] = []
        self.expanded = 0
        self.building: set[int] = set()  # nodes on the current path: an alias loop otherwise

    def build(self, node: Node, path: Path) -> Any:
        self.expanded += 1
        if self.expanded > MAX_EXPANDED_NODES:
            raise YamlProblems(
                [
                    ConfigProblem(
                        *_mark(node),
                        dotted(path),
                        f"anchors and aliases expand to more than {MAX_EXPANDED_NODES} "
                        "values; write the config out instead of nesting aliases",
                    )
                ]
            )
        if len(path) > MAX_DEPTH:
            raise YamlProblems(
                [ConfigProblem(*_mark(node), "", f"nested more than {MAX_DEPTH} levels deep")]
            )
        if id(node) in self.building:
            raise YamlProblems(
                [ConfigProblem(*_mark(node), dotted(path), "an alias refers to itself")]
            )
        self.positions.values.setdefault(path, _mark(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self.building.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            assert isinstance(node, SequenceNode)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self.building.discard(id(node))

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if str(key_node.tag) == "tag:yaml.org,2002:merge":
                self.problems.append(
                    ConfigProblem(
                        *_mark(key_node),
                        dotted(path),
                        "merge keys ('<<') are not supported; write the keys out",
                    )
                )
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    ConfigProblem(*_mark(key_node), dotted(path), "a key must be a plain word")
                )
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.positions.keys[child]
                self.problems.append(
                    ConfigProblem(
                        *_mark(key_node),
                        dotted(child),
                        f"duplicate key '{key}' (first defined at line {first[0]})",
                    )
                )
                continue
            self.positions.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        tag = str(node.tag)
        value = node.value
        if tag == "tag:yaml.org,2002:str":
            return value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() in TRUE_WORDS
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            try:
                return _number(value, tag)
            except ValueError as exc:
                reason = str(exc) if "too long" in str(exc) else f"'{value}' is not a plain number"
                self.problems.append(ConfigProblem(*_mark(node), dotted(path), reason))
                return value
        if tag == "tag:yaml.org,2002:timestamp":
            # Keep dates as text: nothing in the config is a date.
            return value
        self.problems.append(
            ConfigProblem(
                *_mark(node),
                dotted(path),
                f"unsupported YAML tag '{_short_tag(tag)}'; use plain values",
            )
        )
        return value


def read_yaml(raw: bytes) -> SourceDocument:
    """Parse bytes into data with positions; raise YamlProblems listing every problem."""
    if len(raw) > MAX_FILE_BYTES:
        raise YamlProblems(
            [ConfigProblem(1, 1, "", f"the file is larger than {MAX_FILE_BYTES} bytes")]
        )
    text = _decode(raw)
    if text.startswith("\ufeff"):
        text = text[1:]
    yaml = YAML(typ="rt")
    try:
        root = yaml.compose(io.StringIO(text))
    except MarkedYAMLError as exc:
        raise YamlProblems([_syntax_problem(exc, text)]) from None
    except ReaderError as exc:
        raise YamlProblems([_reader_problem(exc, text)]) from None
    except RecursionError:
        raise YamlProblems([ConfigProblem(1, 1, "", "the file is nested too deeply")]) from None
    except YAMLError as exc:
        raise YamlProblems([ConfigProblem(1, 1, "", f"YAML error: {exc}")]) from None
    if root is None:
        raise YamlProblems(
            [ConfigProblem(1, 1, "", "the file is empty; see README.md for a starting config")]
        )
    builder = _Builder()
    data = builder.build(root, ())
    if not isinstance(root, MappingNode):
        builder.problems.append(
            ConfigProblem(
                *_mark(root),
                "",
                "the document must be a mapping of sections (project:, domains:, ...)",
            )
        )
    if builder.problems:
        raise YamlProblems(builder.problems)
    return SourceDocument(data, builder.positions)
