"""The browser client's OT agrees with the server's: same transforms, same texts."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lambdas/collab"))

from ot import TextOperation, compose, transform  # noqa: E402


def random_op(rng: random.Random, document: str) -> TextOperation:
    op, position = TextOperation(), 0
    while position < len(document):
        n = rng.randint(1, len(document) - position)
        choice = rng.random()
        if choice < 0.3:
            op.insert(rng.choice(["x", "é", "\U0001f600", "ab"]))
        op.retain(n) if choice < 0.7 else op.delete(n)
        position += n
    if rng.random() < 0.5:
        op.insert("z\U0001f680")
    return op


def test_js_and_python_agree() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    rng = random.Random(3)
    cases = []
    for _ in range(200):
        doc = "".join(rng.choice(["a", "b", "\U0001f600", "ü"]) for _ in range(rng.randint(0, 12)))
        a, b = random_op(rng, doc), random_op(rng, doc)
        c = random_op(rng, a.apply(doc))
        a2, b2 = transform(a, b)
        cases.append(
            {
                "doc": doc,
                "a": a.to_json(),
                "b": b.to_json(),
                "c": c.to_json(),
                "a2": a2.to_json(),
                "b2": b2.to_json(),
                "ac": compose(a, c).to_json(),
                "merged": b2.apply(a.apply(doc)),
            }
        )
    script = """
import { TextOperation, transform, compose } from MODULE_URL;
const cases = JSON.parse(require_input());
function require_input() { return process.argv[process.argv.length - 1]; }
const out = cases.map((k) => {
  const a = TextOperation.fromJSON(k.a), b = TextOperation.fromJSON(k.b), c = TextOperation.fromJSON(k.c);
  const [a2, b2] = transform(a, b);
  return { a2: a2.toJSON(), b2: b2.toJSON(), ac: compose(a, c).toJSON(), merged: b2.apply(a.apply(k.doc)) };
});
console.log(JSON.stringify(out));
""".replace("MODULE_URL", json.dumps((REPO / "clients/js/whimsy-collab.mjs").as_uri()))
    result = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(cases)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    for case, answer in zip(cases, answers, strict=True):
        assert answer == {k: case[k] for k in ("a2", "b2", "ac", "merged")}, case
