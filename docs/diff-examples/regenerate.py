"""Regenerate the three example pull-request comments of `whimsy diff --format markdown`
(docs/diff-examples/*.md) from edits of the sample config, each generated for real:

- routine.md:  a new per-user table and a function with its route (tests/changes.py)
- high.md:     the catalog function granted read on every user's whole folder
- critical.md: a hand edit of out/ that publishes the whole bucket (validate refuses the
               config that would say so, so the example edits the generated Terraform)

    python docs/diff-examples/regenerate.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
from tests.changes import function_reaches_every_folder, routine_change, sample_project  # noqa: E402

PUBLIC = "whimsy-fs/us-east-1:????????-????-????-????-????????????/public/*"


def whimsy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)  # fmt: skip


def project(tmp: Path, text: str) -> Path:
    sample_project(tmp, text)
    generated = whimsy("generate", cwd=tmp)
    if generated.returncode != 0:
        raise SystemExit(generated.stdout + generated.stderr)
    return tmp / "out"


def comment(out: Path) -> str:
    result = whimsy("diff", "--base-dir", str(REPO / "out"), "-o", str(out), "--format",
                    "markdown", cwd=REPO)  # fmt: skip
    return f"<!-- whimsy diff exit code {result.returncode} -->\n" + result.stdout


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        routine = project(base / "routine", routine_change())
        (HERE / "routine.md").write_text(comment(routine), encoding="utf-8")
        high = project(base / "high", function_reaches_every_folder())
        (HERE / "high.md").write_text(comment(high), encoding="utf-8")
        critical = base / "critical" / "out"
        shutil.copytree(REPO / "out", critical)
        main_tf = critical / "terraform/main.tf.json"
        document = json.loads(main_tf.read_text())
        policy = document["resource"]["aws_s3_bucket_policy"]["user_files"]
        policy["policy"] = policy["policy"].replace(PUBLIC, "whimsy-fs/*")
        main_tf.write_text(json.dumps(document))
        (HERE / "critical.md").write_text(comment(critical), encoding="utf-8")


if __name__ == "__main__":
    main()
