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

from generator.errors import ConfigProblem

Path = tuple[str | int, ...]

# A config of this platform has a few hundred nodes; anchors that expand past this are an attack
# (billion laughs) or a mistake.
MAX_EXPANDED_NODES = 20_000
MAX_FILE_BYTES = 1_000_000


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


def _syntax_problem(exc: YAMLError, text: str) -> ConfigProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    lines = text.splitlines()
    offending = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in offending[: max(column, 1)] or "found character '\\t'" in str(problem):
        return ConfigProblem(
            line,
            offending.find("\t") + 1 if "\t" in offending else column,
            "",
            "tab character found; YAML indentation must use spaces",
        )
    words = f"YAML syntax error: {problem}"
    if context:
        words += f" ({context})"
    return ConfigProblem(line, column, "", words)


class _Builder:
    def __init__(self) -> None:
        self.positions = Positions()
        self.problems: list[ConfigProblem] = []
        self.expanded = 0
        self.seen: set[int] = set()

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
        self.positions.values.setdefault(path, _mark(node))
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node, path)

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
            return value.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            text = value.replace("_", "")
            sign = -1 if text.startswith("-") else 1
            text = text.lstrip("+-")
            base = 16 if text.startswith("0x") else 8 if text.startswith("0o") else 10
            digits = text[2:] if base != 10 else text
            return sign * int(digits, base)
        if tag == "tag:yaml.org,2002:float":
            text = value.lower().replace("_", "")
            if text.endswith(".inf"):
                return float("-inf") if text.startswith("-") else float("inf")
            if text.endswith(".nan"):
                return float("nan")
            return float(text)
        if tag == "tag:yaml.org,2002:timestamp":
            # Keep dates as text: nothing in the config is a date, and a string is what the
            # models expect for versions such as 2024-01-01.
            return value
        self.problems.append(
            ConfigProblem(
                *_mark(node), dotted(path), f"unsupported YAML tag '{tag}'; use plain values"
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
