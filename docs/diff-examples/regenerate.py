"""Regenerate the three example pull-request comments of `whimsy diff --format markdown`
(docs/diff-examples/*.md) from edits of the sample config, each generated for real:

- routine.md:  a new per-user table (users reach only their own partition)
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
TABLE = (
    "    - name: whimsy-entitlements      # Paint Composer purchases, only through the "
    "payments API\n"
    "      access: service\n      partition_key: identity_id\n      sort_key: entitlement\n"
)
NOTES = (
    TABLE
    + """    - name: whimsy-notes             # users' notes, synced across devices
      access: per_user
      partition_key: identity_id
      sort_key: key
"""
)
PROFILE = '{prefix: "{identity}/public/whimsy.space/profile.json", actions: [read]}'
PUBLIC = "whimsy-fs/us-east-1:????????-????-????-????-????????????/public/*"


def whimsy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)  # fmt: skip


def project(tmp: Path, text: str) -> Path:
    tmp.mkdir(parents=True)
    (tmp / "lambdas").symlink_to(REPO / "lambdas", target_is_directory=True)
    (tmp / "whimsy_config.yaml").write_text(text, encoding="utf-8")
    generated = whimsy("generate", cwd=tmp)
    if generated.returncode != 0:
        raise SystemExit(generated.stdout + generated.stderr)
    return tmp / "out"


def comment(out: Path) -> str:
    result = whimsy("diff", "--base-dir", str(REPO / "out"), "-o", str(out), "--format",
                    "markdown", cwd=REPO)  # fmt: skip
    return f"<!-- whimsy diff exit code {result.returncode} -->\n" + result.stdout


def main() -> None:
    sample = (REPO / "whimsy_config.yaml").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        routine = project(base / "routine", sample.replace(TABLE, NOTES))
        (HERE / "routine.md").write_text(comment(routine), encoding="utf-8")
        high = project(base / "high", sample.replace(PROFILE, PROFILE.replace(
            "public/whimsy.space/profile.json", "*")))  # fmt: skip
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
