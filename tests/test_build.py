"""whimsy generate: deterministic out/, --check, stale files, and the skip-synthesis fast path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.build import generate
from generator.errors import UserError
from generator.output.files import read_tree

pytestmark = pytest.mark.synth


def project_copy(repo: Path, destination: Path) -> Path:
    destination.mkdir(parents=True)
    shutil.copy(repo / "whimsy_config.yaml", destination / "whimsy_config.yaml")
    shutil.copytree(repo / "lambdas", destination / "lambdas")
    return destination / "whimsy_config.yaml"


def test_generations_are_byte_identical_across_machines_settings(
    repo: Path, tmp_path: Path
) -> None:
    """Different directories, time zones, umasks, locales and working directories."""
    trees = []
    for index, (tz, umask, lang) in enumerate([("UTC", "022", "C.UTF-8"),
                                                ("Pacific/Chatham", "077", "de_DE.UTF-8")]):  # fmt: skip
        config = project_copy(repo, tmp_path / f"machine{index}" / "project")
        workdir = tmp_path / f"machine{index}" / "elsewhere"
        workdir.mkdir()
        env = {**os.environ, "TZ": tz, "LANG": lang, "LC_ALL": lang, "PYTHONHASHSEED": str(index)}
        script = (
            f"import os, sys; os.umask(0o{umask}); from generator.cli import main; "
            f"sys.exit(main(['generate', '-c', {str(config)!r}, '-o', 'out']))"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=workdir, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", "jsii banners or warnings reached the terminal"
        trees.append(read_tree(workdir / "out"))
    assert trees[0] == trees[1]
    assert trees[0] == read_tree(repo / "out"), "committed out/ differs from a fresh generation"


def test_committed_out_is_current(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # force=True: compare against a real synthesis, not the manifest's recorded hash.
    assert generate(repo / "whimsy_config.yaml", repo / "out", check=True, force=True) == 0


def test_check_lists_changed_missing_and_stale_files(repo: Path, tmp_path: Path) -> None:
    config = project_copy(repo, tmp_path / "p")
    out = tmp_path / "p" / "out"
    shutil.copytree(repo / "out", out)
    (out / "policies/role-authenticated.json").write_text("{}\n")
    (out / "policies/bucket-access-logs.json").unlink()
    (out / "policies/old-role.json").write_text("{}\n")
    (out / ".terraform").mkdir()  # Terraform's own files are not generate's business
    (out / "terraform/.terraform.lock.hcl").write_text("# lock\n")
    with pytest.raises(UserError) as failure:
        generate(config, out, check=True)
    message = str(failure.value)
    assert f"changed: {out}/policies/role-authenticated.json" in message
    assert f"missing: {out}/policies/bucket-access-logs.json" in message
    assert f"stale:   {out}/policies/old-role.json" in message
    assert ".terraform" not in message
    # check wrote nothing
    assert (out / "policies/role-authenticated.json").read_text() == "{}\n"
    # generate repairs exactly that, and leaves Terraform's files alone
    assert generate(config, out, check=False) == 0
    assert read_tree(out) == read_tree(repo / "out")
    assert (out / "terraform/.terraform.lock.hcl").exists()
    assert not (out / "policies/old-role.json").exists()


def test_fast_path_never_hides_a_config_change(repo: Path, tmp_path: Path) -> None:
    config = project_copy(repo, tmp_path / "p")
    out = tmp_path / "p" / "out"
    shutil.copytree(repo / "out", out)
    assert generate(config, out, check=True) == 0  # manifest matches: no synthesis needed
    text = config.read_text().replace("min_length: 12", "min_length: 14")
    config.write_text(text)
    with pytest.raises(UserError, match=r"changed: .*terraform/main\.tf\.json"):
        generate(config, out, check=True)
    assert generate(config, out, check=False) == 0
    assert '"minimum_length": 14' in (out / "terraform/main.tf.json").read_text()
    assert generate(config, out, check=True) == 0
