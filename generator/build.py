"""`whimsy generate`: config -> model -> stack -> out/, deterministic and checkable."""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from generator import __version__
from generator.config import LoadedConfig, WhimsyConfig, load_config
from generator.errors import UserError
from generator.model import adoption, bootstrap
from generator.model.policies import all_policies
from generator.output.files import Tree, diff_trees, read_tree, render_json, sha256, write_tree
from generator.package import package_functions
from generator.package.sources import shipped

MANIFEST = "manifest.json"
TERRAFORM = "terraform/main.tf.json"
ACCESS = "ACCESS.md"
GENERATOR_ROOT = Path(__file__).resolve().parent
PINNED_DISTRIBUTIONS = ("cdktn", "cdktn-provider-aws")
# Code that reads out/ but never writes it: changing it must not make out/ stale.
NOT_OUTPUT = ("cli.py", "local/", "terraform_mirror.py", "review/gate/", "review/prove.py",
              "review/diff.py", "review/smt.py")  # fmt: skip


def input_fingerprint(loaded: LoadedConfig) -> str:
    """Hash of everything out/ depends on: the config, whimsy's own code, lambdas/ and the CDK
    versions. Third-party requirements are pinned in lambdas/*/requirements.txt, so the hash
    of those files stands for what they install."""
    digest = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    feed("config", loaded.raw)
    feed("whimsy", __version__.encode())
    for source in sorted(GENERATOR_ROOT.rglob("*.py")):
        module = source.relative_to(GENERATOR_ROOT).as_posix()
        if not module.startswith(NOT_OUTPUT):
            feed(module, source.read_bytes())
    lambdas = loaded.path.parent / "lambdas"
    for path in sorted(lambdas.rglob("*")) if lambdas.is_dir() else []:
        relative = path.relative_to(lambdas)
        # what ships, and the locks that decide the installed dependencies; tests and
        # conftest.py never ship, so they do not make out/ stale
        if path.is_file() and (shipped(relative) or relative.name == "requirements.txt"):
            feed("lambdas/" + relative.as_posix(), path.read_bytes())
    for name in PINNED_DISTRIBUTIONS:
        try:
            feed(name, metadata.version(name).encode())
        except metadata.PackageNotFoundError:
            feed(name, b"absent")
    return digest.hexdigest()


def _manifest(tree: Tree, fingerprint: str) -> bytes:
    return render_json(
        {
            "generator": f"whimsy {__version__}",
            "input_sha256": fingerprint,
            "files": {path: sha256(data) for path, data in sorted(tree.items())},
        }
    )


def access_page(terraform: dict[str, Any], config: WhimsyConfig) -> bytes:
    """ACCESS.md, read back from the generated Terraform (what apply deploys), not the config."""
    from generator.review.access import render_access
    from generator.review.deployed import deployment_from_terraform, facts_from_config

    page = render_access(deployment_from_terraform(terraform), facts_from_config(config))
    return page.encode("utf-8")


def build_tree(loaded: LoadedConfig, fingerprint: str) -> Tree:
    """Everything generate writes, as bytes by relative path (pure but for synthesis)."""
    from generator.stack import synthesize

    config = loaded.config
    packaged = package_functions(config, loaded.path.parent / "lambdas")
    tree: Tree = {f"lambdas/{name}.zip": p.archive for name, p in packaged.items()}
    hashes = {name: p.source_code_hash for name, p in packaged.items()}
    tree[TERRAFORM] = render_json(adoption.protect(config, synthesize(config, hashes)))
    tree[bootstrap.BOOTSTRAP] = render_json(bootstrap.state_bucket_root(config))
    for name, document in all_policies(config).items():
        tree[f"policies/{name}.json"] = render_json(document)
    tree[ACCESS] = access_page(json.loads(tree[TERRAFORM]), config)
    tree[MANIFEST] = _manifest(tree, fingerprint)
    return tree


def refuse_vanished(previous: bytes | None, current: bytes) -> None:
    """A stateful resource that leaves the config is retired explicitly, never destroyed by
    a plan: `prevent_destroy` cannot protect a resource whose block is gone."""
    if previous is None:
        return
    try:
        before = json.loads(previous)
    except ValueError:
        return  # not ours to judge; --check reports the file as changed
    gone = adoption.vanished(before, json.loads(current))
    if gone:
        lines = "\n".join(f"  {address}: {lost}" for address, lost in gone.items())
        raise UserError(
            "these stateful resources are no longer in the config, and the next apply would "
            f"destroy them and their data:\n{lines}\n"
            "To keep them in AWS and stop managing them, list them under `retired:` "
            "(tables: by name under retired.tables, others by address under "
            "retired.addresses). To really delete one, do it by hand after a backup: whimsy "
            "never plans it."
        )


def _up_to_date(out_dir: Path, fingerprint: str) -> bool:
    """Fast path: the manifest records these inputs and every file still matches it."""
    actual = read_tree(out_dir)
    try:
        manifest: dict[str, Any] = json.loads(actual.get(MANIFEST, b"{}"))
    except ValueError:
        return False
    if manifest.get("input_sha256") != fingerprint:
        return False
    recorded = manifest.get("files", {})
    files = {p: sha256(d) for p, d in actual.items() if p != MANIFEST}
    return bool(recorded) and files == recorded


def generate(config_path: Path, out_dir: Path, *, check: bool, force: bool = False) -> int:
    loaded = load_config(config_path)
    fingerprint = input_fingerprint(loaded)
    if not force and _up_to_date(out_dir, fingerprint):
        print(f"{out_dir}: up to date")
        return 0
    tree = build_tree(loaded, fingerprint)
    refuse_vanished(read_tree(out_dir).get(TERRAFORM), tree[TERRAFORM])
    if check:
        difference = diff_trees(tree, read_tree(out_dir))
        if difference.clean:
            print(f"{out_dir}: up to date")
            return 0
        raise UserError(
            f"{out_dir} is not what `whimsy generate` would write:\n"
            f"{difference.render(str(out_dir))}\n"
            "Run `whimsy generate` and commit the result."
        )
    difference = write_tree(out_dir, tree)
    changed = len(difference.changed) + len(difference.missing) + len(difference.extra)
    print(f"{out_dir}: {len(tree)} files, {changed} changed", file=sys.stdout)
    return 0
