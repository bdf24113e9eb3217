"""Property tests: no mutation of the sample config makes whimsy crash or garble its report.

Each test mutates the sample whimsy_config.yaml (structurally: delete a key, replace a value;
or textually: duplicate a line, insert characters or bytes, truncate, re-indent) and checks
that the config is either accepted or rejected with well-formed, positioned error lines.
`generator.config.parse_config` is called directly for speed; a smaller number of examples go
through the real command line.

Bugs these tests found are kept as regressions in test_bad_configs.py (test_regression).
"""

from __future__ import annotations

import copy
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st
from ruamel.yaml import YAML

from generator import cli
from generator.config import parse_config
from generator.errors import ConfigErrors

REPO = Path(__file__).resolve().parents[2]
SAMPLE_PATH = REPO / "whimsy_config.yaml"
SAMPLE_BYTES = SAMPLE_PATH.read_bytes()
SAMPLE_LINES = SAMPLE_BYTES.splitlines(keepends=True)
LAMBDAS = REPO / "lambdas"
FILENAME = "whimsy_config.yaml"

# About 15 s in all: structural mutations cost ~20 ms each, raw bytes well under 1 ms.
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHEAP = settings(max_examples=500, deadline=None)
CLI = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def assert_well_formed(stderr: str, filename: str) -> None:
    """Every line but the last is `file:line:col: ...`; the last counts them."""
    assert "Traceback" not in stderr
    assert stderr.endswith("\n"), repr(stderr)
    lines = stderr[:-1].split("\n")
    *problems, summary = lines
    count = len(problems)
    assert count >= 1, stderr
    assert summary == f"{count} error{'s' if count != 1 else ''} in {filename}", stderr
    pattern = re.compile(rf"^{re.escape(filename)}:\d+:\d+: ")
    for line in problems:
        assert pattern.match(line), f"malformed error line {line!r} in:\n{stderr}"


def _line_count(raw: bytes) -> int:
    """Line breaks as YAML counts them (\\r\\n, \\r, \\n, NEL, LS, PS)."""
    text = raw.decode("utf-8", "replace")
    return max(raw.count(b"\n"), len(re.findall("\r\n|[\r\n\x85\u2028\u2029]", text)))


def check_direct(raw: bytes) -> None:
    """parse_config either accepts raw or raises ConfigErrors with well-formed lines."""
    try:
        parse_config(raw, FILENAME, LAMBDAS)
    except ConfigErrors as exc:
        event("rejected")
        assert exc.problems, "ConfigErrors without problems"
        last_line = _line_count(raw) + 1  # the end of the file may be reported after a newline
        for problem in exc.problems:
            assert 1 <= problem.line <= last_line, problem
            assert problem.column >= 1, problem
            assert problem.message, problem
        assert_well_formed(exc.render() + "\n", FILENAME)
    else:
        event("accepted")
    # any other exception propagates and fails the test, with hypothesis's falsifying example


# --- structural mutations ----------------------------------------------------------------------


def _load_sample() -> Any:
    return YAML(typ="safe", pure=True).load(SAMPLE_BYTES)


def _dump(data: Any) -> bytes:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    out = io.BytesIO()
    yaml.dump(data, out)
    return out.getvalue()


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_paths(value, (*prefix, i)))
    return found


SAMPLE_DATA = _load_sample()
ALL_PATHS = _paths(SAMPLE_DATA)
KEY_PATHS = [p for p in ALL_PATHS if isinstance(p[-1], str)]


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(
        ["yes", "no", "on", "off", "~", "null", "1.0", "0x1F", "us-east-1", "{identity}/*"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def structural_mutation(draw: st.DrawFn) -> bytes:
    data = copy.deepcopy(SAMPLE_DATA)
    kind = draw(st.sampled_from(["delete", "replace", "rename", "add"]))
    if kind == "delete":
        path = draw(st.sampled_from(KEY_PATHS))
        del _parent(data, path)[path[-1]]
    elif kind == "replace":
        path = draw(st.sampled_from(ALL_PATHS))
        _parent(data, path)[path[-1]] = draw(values)
    elif kind == "rename":
        path = draw(st.sampled_from(KEY_PATHS))
        parent = _parent(data, path)
        new_key = draw(st.text(min_size=1, max_size=20))
        assume(new_key not in parent)
        parent[new_key] = parent.pop(path[-1])
    else:
        mappings = [()] + [p for p in ALL_PATHS if isinstance(_get(data, p), dict)]
        path = draw(st.sampled_from(mappings))
        target = _get(data, path)
        target[draw(st.text(min_size=1, max_size=20))] = draw(values)
    return _dump(data)


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


# --- textual mutations -------------------------------------------------------------------------


@st.composite
def textual_mutation(draw: st.DrawFn) -> bytes:
    lines = list(SAMPLE_LINES)
    kind = draw(
        st.sampled_from(["duplicate", "insert", "insert_bytes", "truncate", "indent", "swap"])
    )
    if kind == "duplicate":
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i + 1, lines[i])
        return b"".join(lines)
    if kind in ("insert", "insert_bytes"):
        offset = draw(st.integers(0, len(SAMPLE_BYTES)))
        if kind == "insert":
            chunk = draw(st.text(min_size=1, max_size=8)).encode("utf-8")
        else:
            chunk = draw(st.binary(min_size=1, max_size=8))
        return SAMPLE_BYTES[:offset] + chunk + SAMPLE_BYTES[offset:]
    if kind == "truncate":
        return SAMPLE_BYTES[: draw(st.integers(0, len(SAMPLE_BYTES)))]
    if kind == "indent":
        i = draw(st.integers(0, len(lines) - 1))
        body = lines[i].lstrip(b" ")
        indent = draw(st.sampled_from([b" ", b"\t"])) * draw(st.integers(0, 12))
        lines[i] = indent + body
        return b"".join(lines)
    i = draw(st.integers(0, len(lines) - 2))
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return b"".join(lines)


mutations = st.one_of(structural_mutation(), textual_mutation())


# --- properties --------------------------------------------------------------------------------


def test_the_sample_is_valid() -> None:
    parse_config(SAMPLE_BYTES, FILENAME, LAMBDAS)


def test_the_structural_round_trip_is_lossless() -> None:
    """Dumping the unmutated data gives a valid config, so mutations are what break it."""
    parse_config(_dump(_load_sample()), FILENAME, LAMBDAS)


@FAST
@given(raw=structural_mutation())
def test_structural_mutations_are_accepted_or_reported(raw: bytes) -> None:
    check_direct(raw)


@FAST
@given(raw=textual_mutation())
def test_textual_mutations_are_accepted_or_reported(raw: bytes) -> None:
    check_direct(raw)


@CHEAP
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_are_accepted_or_reported(raw: bytes) -> None:
    check_direct(raw)


@CLI
@given(raw=mutations)
def test_cli_never_crashes_on_a_mutated_config(
    raw: bytes, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(LAMBDAS, workdir / "lambdas")
    config = workdir / FILENAME
    config.write_bytes(raw)
    capsys.readouterr()
    code = cli.main(["validate", "-c", str(config)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code in (0, 1), f"exit {code}:\n{err}"
    if code == 0:
        assert err == ""
        assert out.startswith(f"{config}: ok (")
    else:
        assert out == ""
        assert_well_formed(err, str(config))
